"""Reviewing through the dev LMS: the rubric form and its validation, blind review, who may read
which review, self-assessment, feedback with helpfulness ratings and the revision plan, deadlines."""

from __future__ import annotations

from reviewing_support import (
    cohort,
    move_phase,
    pairs,
    review,
    reviews,
    submission_of,
)
from reviews_support import LEARNERS, said

from lti_tool.devlms import seed

NAMES = {p.id: p.name for p in (*seed.LEARNERS, *seed.INSTRUCTORS)}


def _first_pair(lti, c) -> tuple[str, str, str]:
    """(author, reviewer, the author's submission public id) of one batch allocation."""
    author, reviewer, _source = pairs(lti, c.placed)[0]
    return author, reviewer, submission_of(lti, c.placed, author)


def test_the_review_form_is_the_rubric_and_bad_levels_are_refused_with_nothing_saved(lti):
    c = cohort(lti, LEARNERS[:4])
    move_phase(c.teacher, c.placed, "review")
    _author, reviewer, work = _first_pair(lti, c)
    form = c.people[reviewer].get(f"{c.path}/reviewing/{work}")
    text = said(form)
    assert form.status_code == 200
    assert "<fieldset" in form.text and "<legend" in form.text and "Meets its goal" in text
    assert "2 points" in text and "Does what it set out to do, convincingly." in text
    assert 'name="csrf_token"' in form.text

    bad = review(c.people[reviewer], c.placed, work, goal="excellent")
    assert bad.status_code == 400
    assert "'excellent' is not one of the levels of 'Meets its goal'" in said(bad)
    assert "Nothing was saved." in said(bad)
    missing = review(c.people[reviewer], c.placed, work, clarity=None)
    assert missing.status_code == 400 and "Choose a level for 'Clear to its audience'" in said(
        missing
    )
    no_comment = review(c.people[reviewer], c.placed, work, next_step="")
    assert no_comment.status_code == 400 and "'One thing to try next' needs a comment" in said(
        no_comment
    )
    stranger = review(c.people[reviewer], c.placed, work, **{"level-bonus": "x"})
    assert stranger.status_code == 400 and "no criterion 'bonus'" in said(stranger)
    # A draft may be incomplete, but not wrong.
    bad_draft = review(c.people[reviewer], c.placed, work, goal="excellent", action="draft")
    assert bad_draft.status_code == 400
    assert reviews(lti, c.placed) == []

    draft = review(c.people[reviewer], c.placed, work, clarity=None, action="draft")
    assert draft.status_code == 200 and "Draft saved" in said(draft)
    (saved,) = reviews(lti, c.placed)
    assert saved.submitted_at is None and saved.score is None

    done = review(c.people[reviewer], c.placed, work, goal="fully", clarity="mostly")
    assert done.status_code == 200, done.text
    (saved,) = reviews(lti, c.placed)
    # (2/2 × 2 + 1/2 × 1) / 3 = 83.33: the rubric's weighted score.
    assert saved.kind == "peer" and round(saved.score, 2) == 83.33
    assert {r.criterion_key: r.level_key for r in saved.criteria} == {
        "goal": "fully",
        "clarity": "mostly",
        "next-step": None,
    }
    # Edited until the deadline; after it, refused; the instructor reopens, and it works again.
    edited = review(c.people[reviewer], c.placed, work, goal="partly", clarity="mostly")
    assert edited.status_code == 200
    assert round(reviews(lti, c.placed)[0].score, 2) == 50.0
    move_phase(c.teacher, c.placed, "grading")
    late = review(c.people[reviewer], c.placed, work, goal="fully")
    assert late.status_code == 409 and "The review deadline has passed" in said(late)
    assert round(reviews(lti, c.placed)[0].score, 2) == 50.0
    move_phase(c.teacher, c.placed, "review")
    assert review(c.people[reviewer], c.placed, work, goal="fully").status_code == 200


def test_nobody_reviews_their_own_work_or_work_not_given_to_them(lti):
    c = cohort(lti, LEARNERS[:4], settings={"reviews_per_submission": "1"})
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, work = _first_pair(lti, c)
    own = review(c.people[author], c.placed, work)
    assert own.status_code == 403 and "nobody reviews their own work" in said(own)
    outsider = next(p for p in LEARNERS[:4] if p not in (author, reviewer))  # k = 1
    other = c.people[outsider].get(f"{c.path}/reviewing/{work}")
    assert other.status_code == 403 and "not given to you to review" in said(other)
    assert reviews(lti, c.placed) == []


def test_double_blind_hides_names_both_ways_and_the_instructor_sees_them(lti):
    c = cohort(lti, LEARNERS[:4], settings={"reviews_per_submission": "1"})
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, work = _first_pair(lti, c)
    form = c.people[reviewer].get(f"{c.path}/reviewing/{work}")
    assert form.status_code == 200 and f"Work of {author}" in said(form)
    assert NAMES[author] not in said(form)
    assert review(c.people[reviewer], c.placed, work).status_code == 200

    move_phase(c.teacher, c.placed, "grading")  # feedback is released when grading opens
    feedback = c.people[author].get(f"{c.path}/feedback")
    assert feedback.status_code == 200 and "Review 1" in said(feedback)
    assert "Add one customer quote." in said(feedback)
    assert NAMES[reviewer] not in said(feedback)
    (r,) = reviews(lti, c.placed)
    shown = c.people[author].get(f"{c.path}/reviews/{r.public_id}")
    assert shown.status_code == 200 and NAMES[reviewer] not in said(shown)
    staff = c.teacher.get(f"{c.path}/reviews/{r.public_id}")
    assert NAMES[reviewer] in said(staff) and NAMES[author] in said(staff)
    assert NAMES[author] in said(c.teacher.get(f"{c.path}/allocations"))


def test_attachments_are_numbered_not_named_under_double_blind(lti):
    c = cohort(lti, LEARNERS[:3], submit=[], settings={"reviews_per_submission": "1"})
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for user in LEARNERS[:3]:
        up = c.people[user].post(
            f"{c.path}/submission/files",
            files={"file": (f"{NAMES[user]} pitch.pdf", pdf, "application/pdf")},
        )
        assert up.status_code == 200, up.text
        done = c.people[user].post(
            f"{c.path}/submission", {"title": "", "source": "", "action": "submit"}
        )
        assert done.status_code == 200, done.text
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, work = _first_pair(lti, c)
    form = c.people[reviewer].get(f"{c.path}/reviewing/{work}")
    assert "Attachment 1" in said(form) and "pitch.pdf" not in said(form)
    link = form.text.split(f"/reviewing/{work}/files/")[1].split('"')[0]
    got = c.people[reviewer].get(f"{c.path}/reviewing/{work}/files/{link.split('?')[0]}")
    assert got.status_code == 200 and got.content == pdf
    assert "attachment-1.pdf" in got.headers["Content-Disposition"]
    assert "pitch" not in got.headers["Content-Disposition"]


def test_open_reviews_show_names(lti):
    c = cohort(
        lti,
        LEARNERS[:3],
        settings={"reviews_per_submission": "1", "anonymity": "open"},
    )
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, work = _first_pair(lti, c)
    assert NAMES[author] in said(c.people[reviewer].get(f"{c.path}/reviewing/{work}"))
    assert review(c.people[reviewer], c.placed, work).status_code == 200
    move_phase(c.teacher, c.placed, "grading")
    assert f"Review by {NAMES[reviewer]}" in said(c.people[author].get(f"{c.path}/feedback"))


def test_a_learner_cannot_read_a_review_they_did_not_write_or_receive(lti):
    c = cohort(lti, LEARNERS[:4], settings={"reviews_per_submission": "1"})
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, work = _first_pair(lti, c)
    assert review(c.people[reviewer], c.placed, work).status_code == 200
    (r,) = reviews(lti, c.placed)
    outsider = next(p for p in LEARNERS[:4] if p not in (author, reviewer))
    refused = c.people[outsider].get(f"{c.path}/reviews/{r.public_id}")
    assert refused.status_code == 403
    assert "You can read only the reviews you wrote" in said(refused)
    # The author only once feedback is released; the reviewer always.
    early = c.people[author].get(f"{c.path}/reviews/{r.public_id}")
    assert early.status_code == 403 and "once feedback is released" in said(early)
    assert c.people[reviewer].get(f"{c.path}/reviews/{r.public_id}").status_code == 200
    not_yet = c.people[author].get(f"{c.path}/feedback")
    assert not_yet.status_code == 409


def test_self_assessment_is_kept_apart_from_the_reviews_received(lti):
    c = cohort(
        lti, LEARNERS[:3], settings={"reviews_per_submission": "1", "self_assessment": "yes"}
    )
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, work = _first_pair(lti, c)
    page = said(c.people[author].get(c.path))
    assert "Your own work (self-assessment)" in page
    mine = review(c.people[author], c.placed, work, goal="not-yet", clarity="hard")
    assert mine.status_code == 200, mine.text
    assert review(c.people[reviewer], c.placed, work).status_code == 200
    kinds = sorted((r.kind, r.score) for r in reviews(lti, c.placed))
    assert [k for k, _s in kinds] == ["peer", "self"]
    move_phase(c.teacher, c.placed, "grading")
    feedback = said(c.people[author].get(f"{c.path}/feedback"))
    assert "Review 1" in feedback and "Review 2" not in feedback
    assert "Your self-assessment" in feedback
    assert "1 review received." in said(c.people[author].get(c.path))


def test_only_the_author_rates_helpfulness_from_1_to_5_and_writes_a_revision_plan(lti):
    c = cohort(lti, LEARNERS[:4], settings={"reviews_per_submission": "1"})
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, work = _first_pair(lti, c)
    assert review(c.people[reviewer], c.placed, work).status_code == 200
    (r,) = reviews(lti, c.placed)
    rating = f"{c.path}/reviews/{r.public_id}/rating"
    before = c.people[author].post(rating, {"helpfulness": "4"})
    assert before.status_code == 409  # not released yet
    move_phase(c.teacher, c.placed, "grading")

    for value in ("0", "6", "four", ""):
        bad = c.people[author].post(rating, {"helpfulness": value})
        assert bad.status_code == 400 and "from 1 (not helpful) to 5" in said(bad)
    by_reviewer = c.people[reviewer].post(rating, {"helpfulness": "5"})
    assert by_reviewer.status_code == 403 and "Only the authors of the work" in said(by_reviewer)
    outsider = next(p for p in LEARNERS[:4] if p not in (author, reviewer))
    assert c.people[outsider].post(rating, {"helpfulness": "1"}).status_code == 403
    assert reviews(lti, c.placed)[0].helpfulness is None

    ok = c.people[author].post(
        rating, {"helpfulness": "4", "helpfulness_comment": "The quote idea helps."}
    )
    assert ok.status_code == 200 and "You rated it 4 of 5." in said(ok)
    (r,) = reviews(lti, c.placed)
    assert (r.helpfulness, r.helpfulness_comment) == (4, "The quote idea helps.")

    plan = c.people[author].post(
        f"{c.path}/feedback/plan", {"revision_plan": "Add a customer quote; cut slide 3."}
    )
    assert plan.status_code == 200 and "Add a customer quote; cut slide 3." in said(plan)
    assert "Your revision plan is saved." in said(plan)  # said where the author is looking
    too_long = c.people[author].post(f"{c.path}/feedback/plan", {"revision_plan": "x" * 5001})
    assert too_long.status_code == 400
    again = said(c.people[author].get(f"{c.path}/feedback"))
    assert "Add a customer quote; cut slide 3." in again
    assert "Your revision plan is saved." not in again  # only right after saving
