"""Peer review grades through the dev LMS: aggregation per method on real rows, flags far from
consensus and escalation, late penalty, completion without reviews, overrides (reason
required, kept, never overwritten), feedback release, and both grades in the LMS gradebook.
"""

from __future__ import annotations

import pytest
from reviews_grading_support import (
    assignment_row,
    cohort,
    example_with_reference,
    grade_of,
    gradebook,
    kind_of,
    rate,
    review,
    submission_public_id,
    user,
)
from reviews_support import INSTRUCTOR, move_phase, said
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Review, ReviewerGrade, Submission, User
from lti_tool.models.base import utcnow
from lti_tool.reviews import assignments
from lti_tool.services import worker

AUTHOR = "u-2001"


def compute(group) -> None:
    response = group.teacher.post(f"{group.path}/grades/compute")
    assert response.status_code == 200, response.text
    assert "Grades recomputed." in said(response)


def three_reviews(group) -> None:
    """Three peers review the author's work: 100, 66.67 and 50; the author assesses themself
    at 0 and does a practice review: neither may count."""
    review(group, "u-2002", AUTHOR, 100.0)
    review(group, "u-2003", AUTHOR, 66.67)
    review(group, "u-2004", AUTHOR, 50.0)
    assert kind_of(group, review(group, AUTHOR, AUTHOR, 0.0)) == "self"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("median", 66.67),
        # Fractional trim 0.2 × 3 = 0.6 review off each end: weights 0.4, 1, 0.4.
        ("trimmed", (0.4 * 50 + 66.67 + 0.4 * 100) / 1.8),
        # Weights = each reviewer's quality = their agreement with the others' median here:
        # 1 − 41.67/100, 1 − 8.33/100, 1 − 33.33/100.
        (
            "weighted",
            (0.58335 * 100 + 0.91665 * 66.67 + 0.66665 * 50) / (0.58335 + 0.91665 + 0.66665),
        ),
    ],
)
def test_each_method_aggregates_submitted_peer_reviews_never_self_or_practice(
    lti, method, expected
):
    group = cohort(
        lti,
        [AUTHOR, "u-2002", "u-2003", "u-2004"],
        others=("u-2005",),
        aggregation=method,
        self_assessment=True,
    )
    three_reviews(group)
    example = example_with_reference(group, 100.0)
    assert kind_of(group, review(group, "u-2005", "", 0.0, submission_id=example)) == "practice"
    # A review not submitted yet (a draft) never counts either.
    review(group, "u-2005", AUTHOR, 0.0, submit=False)

    move_phase(group.teacher, group.placed, "grading")  # the grading hook computes
    grade = grade_of(group, AUTHOR)
    assert grade.method == method and grade.reviews_counted == 3
    assert grade.peer_score == pytest.approx(expected, abs=0.02)
    assert grade.final_score == pytest.approx(expected, abs=0.02)
    assert grade.spread == pytest.approx(50.0) and grade.escalated  # 50 apart > 40% of range
    # Always between the lowest and the highest score given.
    assert 50.0 <= grade.peer_score <= 100.0


def test_weighted_mean_counts_calibration_and_a_fallback_review_fully(lti):
    group = cohort(lti, [AUTHOR, "u-2002", "u-2003"], aggregation="weighted")
    example = example_with_reference(group, 100.0)
    # u-2002 matched the reference exactly; u-2003 chose the opposite ends of both scales.
    review(group, "u-2002", "", 100.0, submission_id=example)
    review(group, "u-2003", "", 0.0, submission_id=example)
    review(group, "u-2002", AUTHOR, 100.0)
    review(group, "u-2003", AUTHOR, 50.0)
    fallback = review(group, INSTRUCTOR, AUTHOR, 83.33, fallback=True)
    assert kind_of(group, fallback) == "instructor"
    compute(group)

    with lti.app.app_context():
        qualities = {g.user_id: g for g in db.session.scalars(select(ReviewerGrade)).all()}
        good, poor = qualities[user("u-2002").id], qualities[user("u-2003").id]
        assert good.components["calibration"] == 1.0 and poor.components["calibration"] == 0.0
        # The instructor's fallback review earns no reviewing grade.
        assert user(INSTRUCTOR).id not in qualities
        weights = (good.quality, poor.quality, 1.0)
    expected = (weights[0] * 100 + weights[1] * 50 + weights[2] * 83.33) / sum(weights)
    grade = grade_of(group, AUTHOR)
    assert grade.reviews_counted == 3
    assert grade.peer_score == pytest.approx(expected, abs=0.02)
    assert grade.peer_score > 83.33  # the calibrated reviewer pulls it up


def test_a_review_far_from_consensus_is_flagged_and_wide_disagreement_escalates(lti):
    group = cohort(lti, [AUTHOR, "u-2002", "u-2003", "u-2004", "u-2005"], aggregation="median")
    review(group, "u-2002", AUTHOR, 100.0)
    review(group, "u-2003", AUTHOR, 83.33)
    review(group, "u-2004", AUTHOR, 100.0)
    low = review(group, "u-2005", AUTHOR, 0.0)
    move_phase(group.teacher, group.placed, "grading")

    with lti.app.app_context():
        flags = {
            r.public_id: (r.flagged, r.flag_reason)
            for r in db.session.scalars(select(Review).where(Review.kind == "peer"))
        }
    assert flags.pop(low) == (
        True,
        "Score 0 is 100 points from the median of the other reviews (100); more than 25 points "
        "apart is flagged as far from consensus.",
    )
    assert all(flag == (False, "") for flag in flags.values())
    grade = grade_of(group, AUTHOR)
    assert grade.escalated and grade.spread == 100.0
    assert "range from 0 to 100: 100 points apart, more than 40% of the score range" in (
        grade.escalation_reason
    )
    # Flagged reviews still count: the median of 100, 83.33, 100, 0.
    assert grade.peer_score == pytest.approx(91.67, abs=0.01)

    # Reviewing reopens and the reviewer corrects their review: flag and escalation go away.
    move_phase(group.teacher, group.placed, "review")
    assert review(group, "u-2005", AUTHOR, 83.33) == low
    move_phase(group.teacher, group.placed, "grading")
    assert not grade_of(group, AUTHOR).escalated
    with lti.app.app_context():
        assert not db.session.scalars(select(Review).where(Review.public_id == low)).one().flagged


def test_late_work_loses_the_penalty_and_work_completed_without_reviews_gets_full_marks(lti):
    group = cohort(
        lti,
        [AUTHOR, "u-2002", "u-2003"],
        aggregation="median",
        late_policy="penalty",
        late_penalty_percent=10,
    )
    with lti.app.app_context():
        late = db.session.scalars(
            select(Submission).where(Submission.author_id == user(AUTHOR).id)
        ).one()
        late.is_late = True
        alone = db.session.scalars(
            select(Submission).where(Submission.author_id == user("u-2003").id)
        ).one()
        alone.completed_without_reviews_at = utcnow()
        db.session.commit()
    review(group, "u-2002", AUTHOR, 50.0)
    move_phase(group.teacher, group.placed, "grading")

    late_grade = grade_of(group, AUTHOR)
    assert late_grade.peer_score == 50.0 and late_grade.late_penalty_percent == 10
    assert late_grade.final_score == pytest.approx(45.0)
    done = grade_of(group, "u-2003")
    assert (done.method, done.peer_score, done.reviews_counted) == ("completion", 100.0, 0)
    # Work with neither reviews nor the fallback has no grade yet.
    assert grade_of(group, "u-2002").peer_score is None
    page = said(group.teacher.get(f"{group.path}/dashboard"))
    assert "Work completed without reviews" in page and "gets full marks for completion" in page


def test_an_override_needs_a_reason_is_kept_with_who_and_when_and_survives_recomputing(lti):
    group = cohort(lti, [AUTHOR, "u-2002", "u-2003"], others=("u-2004",), aggregation="median")
    review(group, "u-2002", AUTHOR, 100.0)
    review(group, "u-2003", AUTHOR, 50.0)
    move_phase(group.teacher, group.placed, "grading")
    work = submission_public_id(group, AUTHOR)
    url = f"{group.path}/grades/override"

    no_reason = group.teacher.post(url, {"submission": work, "score": "80", "reason": "  "})
    assert no_reason.status_code == 400
    assert "Give a reason for changing the grade" in said(no_reason)
    too_high = group.teacher.post(url, {"submission": work, "score": "180", "reason": "x"})
    assert too_high.status_code == 400 and "from 0 to 100" in said(too_high)
    unknown = group.teacher.post(url, {"submission": "nope", "score": "80", "reason": "x"})
    assert unknown.status_code == 404
    assert grade_of(group, AUTHOR).override_score is None  # nothing written

    done = group.teacher.post(
        url, {"submission": work, "score": "80", "reason": "Reviewer 2 misread the brief."}
    )
    assert done.status_code == 200 and "the reason is kept with it" in said(done)
    grade = grade_of(group, AUTHOR)
    assert grade.override_score == 80.0 and grade.final_score == 80.0
    assert grade.override_reason == "Reviewer 2 misread the brief."
    assert grade.overridden_at is not None
    with lti.app.app_context():
        assert grade.overridden_by_id == user(INSTRUCTOR).id
    assert "Reviewer 2 misread the brief." in said(done)

    # A new review and recomputing (on entering grading again, by the button) change the
    # peer score, never the override.
    move_phase(group.teacher, group.placed, "review")
    review(group, "u-2004", AUTHOR, 0.0)
    move_phase(group.teacher, group.placed, "grading")
    compute(group)
    again = grade_of(group, AUTHOR)
    assert again.peer_score == 50.0 and again.reviews_counted == 3
    assert (again.override_score, again.override_reason) == (80.0, grade.override_reason)
    assert again.final_score == 80.0


def test_feedback_reaches_authors_only_once_released(lti):
    group = cohort(lti, [AUTHOR, "u-2002"], aggregation="median", feedback_release="manual")
    review(group, "u-2002", AUTHOR, 83.33, comment="Open with the customer's problem.")
    author = group[AUTHOR]
    early = group.teacher.post(f"{group.path}/feedback/release")
    assert early.status_code == 200  # reviewing is open: the instructor may release now
    with lti.app.app_context():
        row = assignment_row(group.placed)
        assert assignments.feedback_released(row)
        row.feedback_released_at = None  # back to unreleased for the rest of the story
        db.session.commit()

    move_phase(group.teacher, group.placed, "grading")
    before = author.get(f"{group.path}/feedback")
    assert before.status_code == 409 and "Open with the customer" not in said(before)

    released = group.teacher.post(f"{group.path}/feedback/release")
    assert "authors can now read the reviews of their work" in said(released)
    after = author.get(f"{group.path}/feedback")
    assert after.status_code == 200 and "Open with the customer's problem." in said(after)
    again = group.teacher.post(f"{group.path}/feedback/release")
    assert "Authors could already read their feedback." in said(again)


def test_feedback_cannot_be_released_before_reviewing(lti):
    group = cohort(lti, [AUTHOR])
    move_phase(group.teacher, group.placed, "submission")
    refused = group.teacher.post(f"{group.path}/feedback/release")
    assert refused.status_code == 409 and "before reviewing starts" in said(refused)


def _results(columns: list[dict], line_item: dict) -> dict[str, float]:
    return {
        sub: r["scoreGiven"]
        for sub, r in next(c for c in columns if c["lineitem_id"] == line_item["id"])[
            "results"
        ].items()
    }


def test_both_grades_arrive_in_the_lms_gradebook_and_changes_after_sending_follow(lti):
    group = cohort(lti, [AUTHOR, "u-2002", "u-2003"], aggregation="median")
    helpful = review(group, "u-2002", AUTHOR, 100.0)
    less = review(group, "u-2003", AUTHOR, 50.0)
    review(group, AUTHOR, "u-2002", 66.67)
    review(group, "u-2003", "u-2002", 66.67)
    review(group, AUTHOR, "u-2003", 83.33)
    review(group, "u-2002", "u-2003", 83.33)
    refused = group.teacher.post(f"{group.path}/grades/send")
    assert refused.status_code == 409 and "from the grading phase on" in said(refused)
    move_phase(group.teacher, group.placed, "grading")
    # Feedback is out with grading: the author rates the reviews before the grades are sent.
    rate(group, AUTHOR, helpful, 5)
    rate(group, AUTHOR, less, 3)
    before = gradebook(lti)

    sent = group.teacher.post(f"{group.path}/grades/send")
    assert sent.status_code == 200 and "6 grades queued for the gradebook." in said(sent)
    worker.drain(lti.app, timeout=30)

    columns = gradebook(lti)
    assert len(columns) == len(before) + 1  # the work column exists from deep linking
    reviewing = [c for c in columns if c.get("tag") == "peerpath-reviewing"]
    assert len(reviewing) == 1 and reviewing[0]["label"] == "Pitch review – Reviewing"
    work = _results(columns, group.placed.line_item)
    assert work == {AUTHOR: 75.0, "u-2002": 66.67, "u-2003": 83.33}
    with lti.app.app_context():
        expected = dict(
            db.session.execute(
                select(User.sub, ReviewerGrade.grade).join(User, User.id == ReviewerGrade.user_id)
            ).all()
        )
    assert {s: r["scoreGiven"] for s, r in reviewing[0]["results"].items()} == expected
    assert set(expected) == {AUTHOR, "u-2002", "u-2003"}
    page = said(group.teacher.get(f"{group.path}/dashboard"))
    assert 'data-status="delivered"><th scope="row">Delivered</th><td>6</td>' in page

    # After sending, an override goes to the gradebook by itself; sending again is harmless.
    work_id = submission_public_id(group, AUTHOR)
    group.teacher.post(
        f"{group.path}/grades/override",
        {"submission": work_id, "score": "90", "reason": "Strong revision."},
    )
    resent = group.teacher.post(f"{group.path}/grades/send")
    assert "6 grades queued" in said(resent)
    worker.drain(lti.app, timeout=30)
    final = gradebook(lti)
    assert len(final) == len(columns)
    assert _results(final, group.placed.line_item)[AUTHOR] == 90.0
    # The learner sees both grades on their page now.
    mine = said(group[AUTHOR].get(group.path))
    assert "Your work: 90 of 100" in mine and "Your reviewing:" in mine


def test_every_member_of_a_group_gets_the_group_work_grade(lti):
    teams = {AUTHOR: "Team Kōbe", "u-2002": "Team Kōbe", "u-2003": "Solo"}
    group = cohort(
        lti,
        [AUTHOR],
        others=("u-2002", "u-2003", "u-2004"),
        teams=teams,
        aggregation="median",
        group_submissions=True,
    )
    review(group, "u-2003", AUTHOR, 66.67)
    review(group, "u-2004", AUTHOR, 100.0)
    move_phase(group.teacher, group.placed, "grading")
    group.teacher.post(f"{group.path}/grades/send")
    worker.drain(lti.app, timeout=30)

    work = _results(gradebook(lti), group.placed.line_item)
    assert work == {AUTHOR: 83.33, "u-2002": 83.33}
    page = said(group.teacher.get(f"{group.path}/dashboard"))
    assert "Team Kōbe:" in page


def test_grading_opened_by_its_date_computes_the_grades_without_anyone_on_the_page(lti):
    group = cohort(lti, [AUTHOR, "u-2002", "u-2003"], aggregation="median")
    review(group, "u-2002", AUTHOR, 100.0)
    review(group, "u-2003", AUTHOR, 83.33)
    group.assignment_update(auto_phases=True, grading_opens_at=utcnow())
    # What the worker does on its rounds: no request, no launch, just the app.
    with lti.app.app_context():
        assert assignments.advance_all() == 1
        assert assignment_row(group.placed).phase == "grading"
    grade = grade_of(group, AUTHOR)
    assert grade.peer_score == pytest.approx(91.67, abs=0.01) and grade.sent_at is None
    with lti.app.app_context():
        reviewers = {g.user_id for g in db.session.scalars(select(ReviewerGrade))}
        assert reviewers == {user("u-2002").id, user("u-2003").id}


def test_a_rating_after_grades_were_sent_updates_the_reviewers_grade_in_the_gradebook(lti):
    group = cohort(lti, [AUTHOR, "u-2002", "u-2003"], aggregation="median")
    rated = review(group, "u-2002", AUTHOR, 100.0)
    review(group, "u-2003", AUTHOR, 50.0)
    review(group, AUTHOR, "u-2002", 66.67)
    review(group, "u-2003", "u-2002", 66.67)
    review(group, AUTHOR, "u-2003", 83.33)
    review(group, "u-2002", "u-2003", 83.33)
    move_phase(group.teacher, group.placed, "grading")
    assert group.teacher.post(f"{group.path}/grades/send").status_code == 200
    worker.drain(lti.app, timeout=30)
    with lti.app.app_context():
        reviewer_id = db.session.scalars(select(User.id).where(User.sub == "u-2002")).one()
        before = db.session.scalars(
            select(ReviewerGrade.grade).where(ReviewerGrade.user_id == reviewer_id)
        ).one()

    # The author rates the review through the page; nobody presses Recompute or Send.
    response = group[AUTHOR].post(f"{group.path}/reviews/{rated}/rating", {"helpfulness": "1"})
    assert response.status_code == 200
    with lti.app.app_context():
        after = db.session.scalars(
            select(ReviewerGrade.grade).where(ReviewerGrade.user_id == reviewer_id)
        ).one()
    assert after < before  # "not helpful" lowers the reviewing grade
    worker.drain(lti.app, timeout=30)
    reviewing = [c for c in gradebook(lti) if c.get("tag") == "peerpath-reviewing"][0]
    assert reviewing["results"]["u-2002"]["scoreGiven"] == after
