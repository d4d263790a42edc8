"""What the instructor's dashboard of one peer review shows: progress per phase, who has not
submitted or reviewed, flagged and escalated reviews, the grade preview; and its CSV rows.

Queries only (one per table, grouped in Python); the views render, `grading` decides grades.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import (
    Allocation,
    Membership,
    Review,
    ReviewAssignment,
    ReviewerGrade,
    Submission,
    SubmissionGrade,
    User,
)
from ..models.reviews import REVIEW_PEER, SUBMISSION_WORK
from . import grading
from .groups import groups_of


@dataclass
class Work:
    """One piece of work (a person's or a group's) with its grade and counted reviews."""

    submission: Submission
    authors: list[User]
    group: str | None
    grade: SubmissionGrade | None
    reviews: list[Review] = field(default_factory=list)
    overridden_by: User | None = None

    @property
    def submitted(self) -> bool:
        return self.submission.submitted_at is not None


@dataclass
class Person:
    """A participant: their work (or their group's) and their reviewing."""

    user: User
    group: str | None = None
    work: Work | None = None
    allocated: int = 0
    done: int = 0
    reviewer_grade: ReviewerGrade | None = None

    @property
    def submitted(self) -> bool:
        return self.work is not None and self.work.submitted

    @property
    def review_state(self) -> str:
        """'none' (nothing asked), 'not-started', 'partly' or 'done'."""
        if self.allocated == 0 and self.done == 0:
            return "none"
        if self.done >= self.allocated:
            return "done"
        return "partly" if self.done else "not-started"


@dataclass
class Board:
    people: list[Person]
    work: list[Work]  # submitted work, oldest first
    flagged: list[Review]
    escalated: list[Work]
    reviewers: dict[int, User]  # every reviewer of a counted review, by id
    fallback_allocated: int = 0
    fallback_done: int = 0

    @property
    def submitted(self) -> list[Person]:
        return [p for p in self.people if p.submitted]

    @property
    def not_submitted(self) -> list[Person]:
        return [p for p in self.people if not p.submitted]

    @property
    def not_reviewed(self) -> list[Person]:
        """People still owing reviews they were given."""
        return [p for p in self.people if p.review_state in ("not-started", "partly")]

    @property
    def reviews_allocated(self) -> int:
        return sum(p.allocated for p in self.people)

    @property
    def reviews_done(self) -> int:
        return sum(min(p.done, p.allocated) for p in self.people)

    @property
    def graded(self) -> list[Work]:
        return [w for w in self.work if w.grade is not None]

    def work_of(self, public_id: str) -> Work | None:
        return next((w for w in self.work if w.submission.public_id == public_id), None)


def _key(user: User) -> tuple[str, int]:
    return (user.display_name.casefold(), user.id)


def build(assignment: ReviewAssignment, now: datetime) -> Board:
    """Everything the dashboard shows, read in a fixed number of queries."""
    memberships = list(
        db.session.scalars(
            select(Membership).where(
                Membership.context_id == assignment.context_id, Membership.left_at.is_(None)
            )
        )
    )
    staff = {m.user_id for m in memberships if grading.STAFF_ROLES & set(m.roles.split())}
    learner_ids = {m.user_id for m in memberships} - staff
    submissions = list(
        db.session.scalars(
            select(Submission)
            .where(Submission.assignment_id == assignment.id, Submission.kind == SUBMISSION_WORK)
            .order_by(Submission.submitted_at, Submission.id)
        )
    )
    members = grading.group_members(assignment)
    allocations = list(
        db.session.scalars(select(Allocation).where(Allocation.assignment_id == assignment.id))
    )
    work_ids = {s.id for s in submissions}
    reviews = [
        r
        for r in db.session.scalars(
            select(Review)
            .where(
                Review.assignment_id == assignment.id,
                Review.submitted_at.is_not(None),
                Review.kind.in_(grading.COUNTED_KINDS),
            )
            .order_by(Review.submitted_at, Review.id)
        )
        if r.submission_id in work_ids
    ]
    grades = {
        g.submission_id: g
        for g in db.session.scalars(
            select(SubmissionGrade).where(SubmissionGrade.submission_id.in_(work_ids or {-1}))
        )
    }
    reviewer_grades = {
        g.user_id: g
        for g in db.session.scalars(
            select(ReviewerGrade).where(ReviewerGrade.assignment_id == assignment.id)
        )
    }
    wanted = set(learner_ids)
    wanted |= {uid for s in submissions for uid in grading.authors_of(s, members)}
    wanted |= {a.reviewer_id for a in allocations} | {r.reviewer_id for r in reviews}
    wanted |= {g.overridden_by_id for g in grades.values() if g.overridden_by_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted or {-1})))}
    group_names = groups_of(assignment)

    by_submission: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_submission[review.submission_id].append(review)
    works: list[Work] = []
    people: dict[int, Person] = {}

    def person(user_id: int) -> Person:
        if user_id not in people:
            people[user_id] = Person(users[user_id], group=group_names.get(user_id))
        return people[user_id]

    for submission in submissions:
        grade = grades.get(submission.id)
        authors = [users[uid] for uid in grading.authors_of(submission, members) if uid in users]
        work = Work(
            submission=submission,
            authors=sorted(authors, key=_key),
            group=group_names.get(authors[0].id) if submission.group_id and authors else None,
            grade=grade,
            reviews=by_submission.get(submission.id, []),
            overridden_by=users.get(grade.overridden_by_id)
            if grade and grade.overridden_by_id
            else None,
        )
        works.append(work)
        for author in authors:
            if author.id not in staff:
                person(author.id).work = work
    for user_id in learner_ids:
        if user_id in users:
            person(user_id)

    reviewed = {(r.submission_id, r.reviewer_id) for r in reviews if r.kind == REVIEW_PEER}
    board = Board(
        people=[],
        work=[w for w in works if w.submitted],
        flagged=[r for r in reviews if r.flagged],
        escalated=[],
        reviewers={r.reviewer_id: users[r.reviewer_id] for r in reviews if r.reviewer_id in users},
    )
    for allocation in allocations:
        if allocation.source == "fallback" and allocation.status != "withdrawn":
            board.fallback_allocated += 1
        elif grading.is_assigned(allocation, now, reviewed) and allocation.reviewer_id not in staff:
            person(allocation.reviewer_id).allocated += 1
    for review in reviews:
        if review.kind == REVIEW_PEER and review.reviewer_id not in staff:
            person(review.reviewer_id).done += 1
        elif review.kind != REVIEW_PEER:
            board.fallback_done += 1
    for user_id, grade in reviewer_grades.items():
        if user_id in people:
            people[user_id].reviewer_grade = grade
    board.people = sorted(people.values(), key=lambda p: _key(p.user))
    board.escalated = [w for w in board.work if w.grade is not None and w.grade.escalated]
    return board


# --- CSV -------------------------------------------------------------------------------------

COLUMNS = (
    "name",
    "email",
    "group",
    "submitted",
    "late",
    "reviews_received",
    "peer_score",
    "method",
    "spread",
    "escalated",
    "override",
    "override_reason",
    "late_penalty",
    "work_grade",
    "work_sent",
    "reviews_done",
    "reviews_allocated",
    "quality",
    "reviewing_grade",
    "reviewing_sent",
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{round(value, 2):g}"


def csv_rows(
    board: Board, labels: dict[str, str], when: Callable[[datetime | None], str]
) -> list[list[object]]:
    """One row per participant (header first); ``labels`` translates the header and words."""
    rows: list[list[object]] = [[labels[c] for c in COLUMNS]]
    for p in board.people:
        work, grade, rg = p.work, p.work.grade if p.work else None, p.reviewer_grade
        submitted = work is not None and work.submitted
        rows.append(
            [
                p.user.display_name,
                p.user.email,
                p.group or "",
                when(work.submission.submitted_at) if submitted else "",
                (labels["yes"] if work.submission.is_late else labels["no"]) if submitted else "",
                grade.reviews_counted if grade else "",
                _number(grade.peer_score) if grade else "",
                grading.method_label(grade.method) if grade and grade.method else "",
                _number(grade.spread) if grade else "",
                (labels["yes"] if grade.escalated else labels["no"]) if grade else "",
                _number(grade.override_score) if grade else "",
                grade.override_reason if grade else "",
                grade.late_penalty_percent if grade and grade.late_penalty_percent else "",
                _number(grade.final_score) if grade else "",
                when(grade.sent_at) if grade else "",
                p.done,
                p.allocated,
                _number(rg.quality * 100) if rg and rg.quality is not None else "",
                _number(rg.grade) if rg else "",
                when(rg.sent_at) if rg else "",
            ]
        )
    return rows
