"""Peer review allocation through the dev LMS: batch when reviewing opens, the pull queue with
leases, small cohorts and their fallback, late work, and the instructor's reassignment."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from reviewing_support import (
    cohort,
    hand_in,
    pairs,
    review,
    settings_form,
    submission_of,
    user_public_id,
)
from reviews_support import LEARNERS, assignment, join, move_phase, said
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import (
    Allocation,
    ReviewAssignment,
    ReviewGroup,
    ReviewGroupMember,
    Submission,
    User,
)
from lti_tool.models.base import utcnow
from lti_tool.reviews import allocating


def test_batch_allocation_gives_every_submission_k_reviewers_never_self_and_balanced(lti):
    c = cohort(lti, LEARNERS)
    assert pairs(lti, c.placed) == []  # nothing before reviewing opens
    move_phase(c.teacher, c.placed, "review")
    found = pairs(lti, c.placed)
    assert len(found) == 6 * 3
    assert all(author != reviewer and source == "batch" for author, reviewer, source in found)
    assert Counter(author for author, _r, _s in found) == dict.fromkeys(LEARNERS, 3)
    assert Counter(reviewer for _a, reviewer, _s in found) == dict.fromkeys(LEARNERS, 3)
    assert assignment(lti, c.placed).allocated_at is not None

    page = c.people["u-2001"].get(c.path)
    text = said(page)
    assert "Reviews to do" in text and "Submission 3" in text and "Write your review" in text

    # Entering reviewing again (after going back) changes nothing.
    move_phase(c.teacher, c.placed, "submission")
    move_phase(c.teacher, c.placed, "review")
    assert pairs(lti, c.placed) == found


def test_batch_allocation_never_gives_a_group_its_own_work(lti):
    c = cohort(lti, LEARNERS, submit=[], settings={"group_submissions": "yes"})
    a = assignment(lti, c.placed)
    teams = [("Team A", LEARNERS[:2]), ("Team B", LEARNERS[2:4]), ("Team C", LEARNERS[4:])]
    with lti.app.app_context():
        for name, members in teams:
            group = ReviewGroup(assignment_id=a.id, name=name)
            db.session.add(group)
            db.session.flush()
            for sub in members:
                user = db.session.scalars(select(User).where(User.sub == sub)).one()
                db.session.add(
                    ReviewGroupMember(assignment_id=a.id, group_id=group.id, user_id=user.id)
                )
        db.session.commit()
    for _name, members in teams:
        hand_in(c.people[members[0]], c.placed, f"Team work of {members[0]}")
    move_phase(c.teacher, c.placed, "review")
    team_of = {sub: name for name, members in teams for sub in members}
    found = pairs(lti, c.placed)
    assert len(found) == 3 * 3
    assert all(team_of[author] != team_of[reviewer] for author, reviewer, _s in found)
    # A teammate of the author can't be given the work by hand either.
    sub_a = submission_of(lti, c.placed, LEARNERS[0])
    refused = c.teacher.post(
        f"{c.path}/allocations",
        {"action": "assign", "submission": sub_a, "to": user_public_id(lti, LEARNERS[1])},
    )
    assert refused.status_code == 400
    assert "is in the group that wrote this work" in said(refused)


def test_queue_gives_the_fewest_reviewed_first_and_expired_leases_are_free_again(lti):
    learners = LEARNERS[:5]
    # u-2002's work comes first, then u-2001's; the others only review.
    c = cohort(
        lti,
        learners,
        submit=["u-2002", "u-2001"],
        allocation_mode="queue",
        k="1",
    )
    move_phase(c.teacher, c.placed, "review")
    assert pairs(lti, c.placed) == []  # nobody is given anything up front
    first = c.people["u-2001"].get(c.path)
    assert "Review another submission" in said(first)

    # u-2001 pulls through the page: only u-2002's work is theirs to review.
    pulled = c.people["u-2001"].post(f"{c.path}/queue")
    assert pulled.status_code == 200 and "Review of submission 1" in said(pulled)
    work_2002 = submission_of(lti, c.placed, "u-2002")
    work_2001 = submission_of(lti, c.placed, "u-2001")
    assert work_2002 in pulled.url
    done = review(c.people["u-2001"], c.placed, work_2002)
    assert done.status_code == 200, done.text

    a_id = assignment(lti, c.placed).id
    now = utcnow()

    def pull(sub: str, at):
        with lti.app.app_context():
            a = db.session.get(ReviewAssignment, a_id)
            user = db.session.scalars(select(User).where(User.sub == sub)).one()
            got = allocating.next_for(a, user, at)
            db.session.commit()
            if got.allocation is None:
                return None
            return db.session.get(Submission, got.allocation.submission_id).public_id

    # u-2001's work has no review: u-2003 gets it, leased.
    assert pull("u-2003", now) == work_2001
    # Both now have one (a review done, a lease held): the earlier submission wins the tie.
    assert pull("u-2004", now) == work_2002
    # Two hours later u-2003's lease has run out: u-2001's work is free again and first.
    assert pull("u-2005", now + timedelta(hours=2)) == work_2001
    with lti.app.app_context():
        leases = db.session.scalars(
            select(Allocation).where(
                Allocation.assignment_id == a_id, Allocation.status == "leased"
            )
        ).all()
        assert {a.source for a in leases} == {"queue"}
        assert all(a.lease_expires_at > now for a in leases)
    # Asking again hands back the lease one still holds.
    assert pull("u-2005", now + timedelta(hours=2, minutes=5)) == work_2001


def test_two_reviewers_pulling_at_once_get_different_submissions(lti):
    c = cohort(lti, LEARNERS[:4], submit=["u-2001", "u-2002"], allocation_mode="queue", k="1")
    move_phase(c.teacher, c.placed, "review")
    a_id = assignment(lti, c.placed).id
    barrier = threading.Barrier(2)
    got: dict[str, int] = {}
    errors: list[BaseException] = []

    def pull(sub: str) -> None:
        try:
            with lti.app.app_context():
                a = db.session.get(ReviewAssignment, a_id)
                user = db.session.scalars(select(User).where(User.sub == sub)).one()
                barrier.wait(10)
                got[sub] = allocating.next_for(a, user).allocation.submission_id
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pull, args=(sub,)) for sub in ("u-2003", "u-2004")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(set(got.values())) == 2, got


def test_small_cohort_falls_back_to_the_instructor_and_the_page_says_so(lti):
    c = cohort(lti, LEARNERS[:2])  # k = 3, but each has one colleague
    move_phase(c.teacher, c.placed, "review")
    found = pairs(lti, c.placed)
    assert sorted((a, r) for a, r, s in found if s == "batch") == [
        ("u-2001", "u-2002"),
        ("u-2002", "u-2001"),
    ]
    assert sorted((a, r) for a, r, s in found if s == "fallback") == [
        ("u-2001", "u-1001"),
        ("u-2002", "u-1001"),
    ]
    page = said(c.people["u-2001"].get(c.path))
    assert "Only 1 colleague can review your work, so your instructor will review it too." in page

    staff = said(c.teacher.get(c.path))
    assert "2 submissions cannot get all their peer reviews" in staff
    assert "Reviews for you to write" in staff
    work = submission_of(lti, c.placed, "u-2001")
    done = review(c.teacher, c.placed, work)
    assert done.status_code == 200, done.text
    with lti.app.app_context():
        from lti_tool.models import Review

        (r,) = db.session.scalars(select(Review)).all()
        assert r.kind == "instructor" and r.score is not None


def test_small_cohort_facilitator_fallback(lti):
    c = cohort(lti, LEARNERS[:2], submit=[])
    facilitator = join(lti, c.placed, "u-1002")
    assert facilitator.get(c.path).status_code == 200
    saved = c.teacher.post(
        f"{c.path}/settings",
        settings_form(
            small_cohort_fallback="facilitator", facilitator=user_public_id(lti, "u-1002")
        ),
    )
    assert saved.status_code == 200, saved.text
    for sub in LEARNERS[:2]:
        hand_in(c.people[sub], c.placed, f"Work of {sub}")
    move_phase(c.teacher, c.placed, "review")
    assert [(a, r) for a, r, s in pairs(lti, c.placed) if s == "fallback"] == [
        ("u-2001", "u-1002"),
        ("u-2002", "u-1002"),
    ]
    page = said(c.people["u-2002"].get(c.path))
    assert "Only 1 colleague can review your work, so a facilitator will review it too." in page


def test_small_cohort_complete_without_waiting_after_the_days(lti):
    c = cohort(
        lti,
        LEARNERS[:2],
        settings={"small_cohort_fallback": "complete", "fallback_days": "2"},
    )
    move_phase(c.teacher, c.placed, "review")
    assert [s for _a, _r, s in pairs(lti, c.placed)] == ["batch", "batch"]  # nobody added
    page = said(c.people["u-2001"].get(c.path))
    assert "Only 1 colleague can review your work, so it will count as complete" in page
    a = assignment(lti, c.placed)
    with lti.app.app_context():
        fresh = db.session.get(ReviewAssignment, a.id)
        assert allocating.complete_stranded(fresh, utcnow() + timedelta(days=1)) == 0
        assert allocating.complete_stranded(fresh, utcnow() + timedelta(days=2, minutes=1)) == 2
        db.session.commit()
        assert allocating.complete_stranded(fresh, utcnow() + timedelta(days=3)) == 0
    page = said(c.people["u-2001"].get(c.path))
    assert "it counts as complete without waiting for more reviews" in page


def test_late_work_gets_reviewers_at_once_and_a_newcomer_gets_work_to_review(lti):
    c = cohort(
        lti,
        LEARNERS[:5],
        submit=LEARNERS[:4],
        settings={"late_policy": "accept", "reviews_per_submission": "2"},
    )
    move_phase(c.teacher, c.placed, "review")
    before = pairs(lti, c.placed)
    assert len(before) == 4 * 2
    # u-2005 launched before reviewing opened: a reviewer already, now late with work.
    hand_in(c.people["u-2005"], c.placed, "Late work")
    # u-2006 arrives after reviewing opened and hands in late work too.
    newcomer = join(lti, c.placed, "u-2006")
    hand_in(newcomer, c.placed, "Very late work")
    found = pairs(lti, c.placed)
    for author in ("u-2005", "u-2006"):
        theirs = [r for a, r, _s in found if a == author]
        assert len(theirs) == 2 and author not in theirs
    assert len([a for a, r, _s in found if r == "u-2006"]) == 2  # work to review for the newcomer
    loads = Counter(r for _a, r, _s in found)
    assert max(loads.values()) - min(loads.values()) <= 1, loads
    page = said(newcomer.get(c.path))
    assert "Submission 2" in page


def test_instructor_reassigns_a_review_and_never_to_the_author(lti):
    c = cohort(lti, LEARNERS[:4], settings={"reviews_per_submission": "1"})
    move_phase(c.teacher, c.placed, "review")
    (author, reviewer, _s) = pairs(lti, c.placed)[0]
    work = submission_of(lti, c.placed, author)
    overview = c.teacher.get(f"{c.path}/allocations")
    assert overview.status_code == 200 and "Who reviews what" in said(overview)

    to_author = c.teacher.post(
        f"{c.path}/allocations",
        {
            "action": "reassign",
            "submission": work,
            "reviewer": user_public_id(lti, reviewer),
            "to": user_public_id(lti, author),
        },
    )
    assert to_author.status_code == 400
    assert "wrote this work: nobody reviews their own work" in said(to_author)
    assert (author, reviewer, "batch") in pairs(lti, c.placed)  # nothing changed

    other = next(p for p in LEARNERS[:4] if p not in (author, reviewer))
    moved = c.teacher.post(
        f"{c.path}/allocations",
        {
            "action": "reassign",
            "submission": work,
            "reviewer": user_public_id(lti, reviewer),
            "to": user_public_id(lti, other),
        },
    )
    assert moved.status_code == 200, moved.text
    now = pairs(lti, c.placed)
    assert (author, other, "manual") in now and (author, reviewer, "batch") not in now
    assert "withdrawn" in _statuses(lti, c)
    # The withdrawn reviewer can no longer open the work.
    gone = c.people[reviewer].get(f"{c.path}/reviewing/{work}")
    assert gone.status_code == 403 and "not given to you to review" in said(gone)
    # Learners can't reassign.
    assert (
        c.people[author]
        .post(
            f"{c.path}/allocations",
            {"action": "withdraw", "submission": work, "reviewer": user_public_id(lti, other)},
        )
        .status_code
        == 403
    )


def _statuses(lti, c) -> list[str]:
    a = assignment(lti, c.placed)
    with lti.app.app_context():
        return list(
            db.session.scalars(select(Allocation.status).where(Allocation.assignment_id == a.id))
        )
