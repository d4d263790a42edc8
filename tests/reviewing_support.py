"""Helpers for the allocation, reviewing and calibration tests: a cohort that has submitted,
the allocations as (author, reviewer) pairs, and the starter rubric's review form.

Everything goes through the dev LMS and the tool's HTTP server; only reads look in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons_support import Member
from reviews_support import INSTRUCTOR, Placed, assignment, join, move_phase, place_review
from sqlalchemy import select
from test_reviews_submissions import _settings_form

from lti_tool.extensions import db
from lti_tool.models import Allocation, Review, Submission, User


@dataclass
class Cohort:
    placed: Placed
    teacher: Member
    people: dict[str, Member]  # LMS user id -> launched member

    @property
    def path(self) -> str:
        return self.placed.path


def cohort(
    lti, learners: list[str], submit: list[str] | None = None, settings: dict | None = None, **place
) -> Cohort:
    """A placed peer review in the submission phase; ``learners`` launched, ``submit`` (default:
    all of them) handed in work, in that order. ``settings``: changes to the settings form."""
    placed = place_review(lti, **place)
    teacher = join(lti, placed, INSTRUCTOR)
    if settings:
        saved = teacher.post(f"{placed.path}/settings", _settings_form(**settings))
        assert saved.status_code == 200, saved.text
    move_phase(teacher, placed, "submission")
    people = {user: join(lti, placed, user) for user in learners}
    for user in learners if submit is None else submit:
        hand_in(people[user], placed, f"Work of {user}")
    return Cohort(placed, teacher, people)


def hand_in(member: Member, placed: Placed, text: str) -> None:
    response = member.post(
        f"{placed.path}/submission", {"title": text, "source": text, "action": "submit"}
    )
    assert response.status_code == 200, response.text


def settings_form(**changes) -> dict:
    return _settings_form(**changes)


def pairs(lti, placed: Placed, live_only: bool = True) -> list[tuple[str, str, str]]:
    """(author's LMS id, reviewer's LMS id, source) of every allocation (withdrawn left out)."""
    a = assignment(lti, placed)
    with lti.app.app_context():
        rows = db.session.execute(
            select(Allocation, Submission)
            .join(Submission, Submission.id == Allocation.submission_id)
            .where(Allocation.assignment_id == a.id)
        ).all()
        out = []
        for alloc, sub in rows:
            if live_only and alloc.status == "withdrawn":
                continue
            author = db.session.get(User, sub.author_id).sub
            out.append((author, db.session.get(User, alloc.reviewer_id).sub, alloc.source))
        return sorted(out)


def submission_of(lti, placed: Placed, author: str) -> str:
    """The public id of ``author``'s work in this peer review."""
    a = assignment(lti, placed)
    with lti.app.app_context():
        return db.session.scalars(
            select(Submission.public_id)
            .join(User, User.id == Submission.author_id)
            .where(Submission.assignment_id == a.id, User.sub == author, Submission.kind == "work")
        ).one()


def user_public_id(lti, sub: str) -> str:
    with lti.app.app_context():
        return db.session.scalars(select(User.public_id).where(User.sub == sub)).one()


def reviews(lti, placed: Placed) -> list[Review]:
    a = assignment(lti, placed)
    with lti.app.app_context():
        found = list(db.session.scalars(select(Review).where(Review.assignment_id == a.id)))
        for r in found:
            _ = r.criteria  # loaded before the session ends
        return found


def review_fields(
    goal: str = "fully",
    clarity: str = "mostly",
    next_step: str = "Add one customer quote.",
    action: str = "submit",
    **extra,
) -> dict:
    """The starter rubric's form: two scored criteria and a feedback-only one (comment required)."""
    fields = {
        "level-goal": goal,
        "level-clarity": clarity,
        "comment-next-step": next_step,
        "overall": "Clear pitch.",
        "action": action,
    }
    fields.update(extra)
    return {k: v for k, v in fields.items() if v is not None}


def review(member: Member, placed: Placed, submission: str, **fields):
    return member.post(f"{placed.path}/reviewing/{submission}", review_fields(**fields))


__all__ = ["INSTRUCTOR", "move_phase"]
