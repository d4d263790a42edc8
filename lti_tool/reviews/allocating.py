"""Who reviews what, stored: batch allocation when reviewing opens, the pull queue, late work,
the small-cohort fallback and the instructor's manual reassignment.

The rules are the pure `allocation` module's; this module turns rows into its inputs and its
answers into Allocation rows (one bulk insert per batch, never a commit per row).
"""

from __future__ import annotations

import gc
import json
import random
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import repeat

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, func, insert, null, select, text, update

from ..extensions import db
from ..models import (
    Allocation,
    Membership,
    Review,
    ReviewAssignment,
    ReviewGroupMember,
    Submission,
    User,
)
from ..models.base import UTCDateTime, utcnow
from ..models.reviews import (
    ALLOCATED,
    DONE,
    LEASED,
    MODE_WORK,
    SUBMISSION_WORK,
    WITHDRAWN,
)
from . import ReviewError, assignments, phases, submissions
from . import allocation as alloc

BATCH, QUEUE, MANUAL, FALLBACK = "batch", "queue", "manual", "fallback"
STAFF_ROLES = frozenset({"instructor", "admin"})


# --- who is in the cohort ---------------------------------------------------------------------


def _current_members(assignment: ReviewAssignment, *, staff: bool) -> list[int]:
    rows = db.session.execute(
        select(Membership.user_id, Membership.roles)
        .where(Membership.context_id == assignment.context_id, Membership.left_at.is_(None))
        .order_by(Membership.user_id)
    ).all()
    if staff:
        return [uid for uid, roles in rows if not STAFF_ROLES.isdisjoint(roles.split())]
    # Most rows say exactly "learner": no need to split those.
    return [
        uid
        for uid, roles in rows
        if roles == "learner"
        or ("learner" in roles.split() and STAFF_ROLES.isdisjoint(roles.split()))
    ]


def learner_ids(assignment: ReviewAssignment) -> list[int]:
    """Current learners of the course (not its instructors): the people who may review."""
    return _current_members(assignment, staff=False)


def instructor_ids(assignment: ReviewAssignment) -> list[int]:
    return _current_members(assignment, staff=True)


def _group_map(assignment: ReviewAssignment) -> dict[int, int]:
    """user id -> group id, when the assignment uses groups."""
    if not assignment.group_submissions:
        return {}
    return dict(
        db.session.execute(
            select(ReviewGroupMember.user_id, ReviewGroupMember.group_id).where(
                ReviewGroupMember.assignment_id == assignment.id
            )
        ).all()
    )


@dataclass
class Cohort:
    """The pure module's inputs for one assignment: submitted work and who may review it."""

    submissions: list[alloc.Submission]
    reviewers: list[alloc.Reviewer]
    groups: dict[int, int]

    def submission(self, submission_id: int) -> alloc.Submission | None:
        return next((s for s in self.submissions if s.id == submission_id), None)

    def reviewer(self, user_id: int) -> alloc.Reviewer:
        return alloc.Reviewer(user_id, self.groups.get(user_id))

    def eligible(self, submission: alloc.Submission) -> list[int]:
        return [r.id for r in self.reviewers if alloc.may_review(r, submission)]


def cohort(assignment: ReviewAssignment, times: bool = True) -> Cohort:
    """Submitted work and the course's learners; ``times=False`` leaves out when the work was
    submitted (only the pull queue orders by it)."""
    groups = _group_map(assignment)
    members: dict[int, set[int]] = {}
    for user_id, group_id in groups.items():
        members.setdefault(group_id, set()).add(user_id)
    when = Submission.submitted_at if times else null()
    rows = db.session.execute(
        select(Submission.id, Submission.author_id, Submission.group_id, when).where(
            Submission.assignment_id == assignment.id,
            Submission.kind == SUBMISSION_WORK,
            Submission.submitted_at.is_not(None),
        )
    )
    subs = []
    for sid, author, group_id, at in rows:
        if group_id is None:
            subs.append(alloc.Submission(sid, frozenset((author,)), groups.get(author), at))
        else:
            authors = frozenset({author} | members.get(group_id, set()))
            subs.append(alloc.Submission(sid, authors, group_id, at))
    reviewers = [alloc.Reviewer(uid, groups.get(uid)) for uid in learner_ids(assignment)]
    return Cohort(subs, reviewers, groups)


def _lock(assignment: ReviewAssignment) -> None:
    """Serialise allocation work on one assignment until the transaction ends.

    PostgreSQL: a row lock on the assignment (two reviewers pulling at once take turns and the
    second sees the first's lease). SQLite allows one writer: writing first takes that lock now,
    before anything is read, instead of at the first insert.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(ReviewAssignment.id)
            .where(ReviewAssignment.id == assignment.id)
            .with_for_update()
        )
    else:
        db.session.execute(
            update(ReviewAssignment)
            .where(ReviewAssignment.id == assignment.id)
            .values(id=ReviewAssignment.id)
            .execution_options(synchronize_session=False)
        )


def _rows(assignment: ReviewAssignment):
    return db.session.execute(
        select(
            Allocation.submission_id,
            Allocation.reviewer_id,
            Allocation.status,
            Allocation.source,
            Allocation.lease_expires_at,
        ).where(Allocation.assignment_id == assignment.id)
    ).all()


def allocation_of(submission_id: int, reviewer_id: int) -> Allocation | None:
    """The allocation of one submission to one reviewer, in any status (one row per pair)."""
    return db.session.scalars(
        select(Allocation).where(
            Allocation.submission_id == submission_id, Allocation.reviewer_id == reviewer_id
        )
    ).first()


def _claim(
    assignment: ReviewAssignment,
    submission_id: int,
    reviewer_id: int,
    source: str,
    status: str,
    expires: datetime | None,
    now: datetime,
) -> Allocation:
    """The pair's allocation, created or taken over (one row per pair: the unique key)."""
    row = allocation_of(submission_id, reviewer_id)
    if row is None:
        row = Allocation(
            assignment_id=assignment.id,
            submission_id=submission_id,
            reviewer_id=reviewer_id,
            created_at=now,
        )
        db.session.add(row)
    row.source, row.status, row.lease_expires_at = source, status, expires
    return row


def _live(status: str, expires: datetime | None, now: datetime) -> bool:
    """An allocation that holds its reviewer: not withdrawn, and not a lease that ran out."""
    if status == WITHDRAWN:
        return False
    return status != LEASED or (expires is not None and expires > now)


# One statement for any number of rows: the pairs travel as one JSON text (SQLite) or three
# arrays (PostgreSQL), so 30,000 allocations cost one round trip and no per-row Python work.
_INSERT = {
    "sqlite": text(
        "INSERT INTO review_allocation"
        " (assignment_id, submission_id, reviewer_id, source, status, created_at) SELECT :assignment,"
        " json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
        " :status, :at FROM json_each(:rows)"
    ).bindparams(bindparam("at", type_=UTCDateTime())),
    "postgresql": text(
        "INSERT INTO review_allocation"
        " (assignment_id, submission_id, reviewer_id, source, status, created_at)"
        " SELECT :assignment, s, r, src, :status, :at"
        " FROM unnest(CAST(:s AS INTEGER[]), CAST(:r AS INTEGER[]), CAST(:src AS VARCHAR[]))"
        " AS t(s, r, src)"
    ).bindparams(bindparam("at", type_=UTCDateTime())),
}


def _insert(assignment: ReviewAssignment, rows: list[tuple[int, int, str]], now: datetime) -> None:
    """Store (submission id, reviewer id, source) rows as allocations: one bulk insert."""
    if not rows:
        return
    params = {"assignment": assignment.id, "status": ALLOCATED, "at": now}
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        db.session.execute(_INSERT[dialect], {**params, "rows": json.dumps(rows)})
    elif dialect == "postgresql":
        s, r, src = (list(column) for column in zip(*rows, strict=True))
        db.session.execute(_INSERT[dialect], {**params, "s": s, "r": r, "src": src})
    else:
        db.session.execute(
            insert(Allocation),
            [
                {
                    "assignment_id": assignment.id,
                    "submission_id": sid,
                    "reviewer_id": rid,
                    "source": source,
                    "status": ALLOCATED,
                    "created_at": now,
                }
                for sid, rid, source in rows
            ],
        )


# --- batch allocation when reviewing opens ----------------------------------------------------


def on_review_opened(assignment: ReviewAssignment, now: datetime) -> None:
    """Reviewing opened: allocate every submission (batch mode) and apply the small-cohort
    fallback (both modes). Runs once per assignment: entering review again changes nothing."""
    if assignment.mode != MODE_WORK:
        return
    _lock(assignment)
    if db.session.scalar(
        select(ReviewAssignment.allocated_at).where(ReviewAssignment.id == assignment.id)
    ):
        return
    with _collector_paused():
        _allocate_all(assignment, now)
    assignment.allocated_at = now
    db.session.flush()


@contextmanager
def _collector_paused():
    """Tens of thousands of short-lived acyclic objects (rows, tuples, frozensets) would set off
    full collections of the whole heap mid-batch (measured: +100-200 ms at 10,000 submissions);
    reference counting frees them all the same."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _allocate_all(assignment: ReviewAssignment, now: datetime) -> None:
    c = cohort(assignment, times=False)
    # Rows already there (given by hand before reviewing opened) are kept, never doubled.
    existing = {(sid, rid) for sid, rid, *_ in _rows(assignment)}
    rows: list[tuple[int, int, str]] = []
    if assignment.allocation_mode == "batch":
        result = alloc.allocate(
            c.submissions, c.reviewers, assignment.reviews_per_submission, assignment.seed
        )
        rows = list(zip(result.submission_ids, result.reviewer_ids, repeat(BATCH), strict=False))
        if existing:
            rows = [row for row in rows if row[:2] not in existing]
        shortfall = result.shortfall
    else:
        shortfall = alloc.assess_cohort(
            c.submissions, c.reviewers, assignment.reviews_per_submission
        ).shortfall
    if shortfall:
        existing.update(row[:2] for row in rows)
        rows += _fallback_rows(assignment, c, [s.submission_id for s in shortfall], existing)
    _insert(assignment, rows, now)


assignments.on_enter(phases.REVIEW, on_review_opened)


def _fallback_rows(
    assignment: ReviewAssignment,
    c: Cohort,
    submission_ids: Iterable[int],
    existing: set[tuple[int, int]],
) -> list[tuple[int, int, str]]:
    """The instructor's (or facilitator's) review of each submission too few peers can review.

    Instructors share these evenly (the least-loaded first). "complete" adds nobody: those
    submissions count as complete after fallback_days (`complete_stranded`).
    """
    if assignment.small_cohort_fallback == "complete":
        return []
    staff = instructor_ids(assignment)
    load = Counter(rid for sid, rid, status, source, _e in _rows(assignment) if source == FALLBACK)
    rows = []
    for sid in submission_ids:
        sub = c.submission(sid)
        authors = sub.authors if sub is not None else frozenset()
        reviewer = None
        if assignment.small_cohort_fallback == "facilitator":
            if assignment.facilitator_id is not None and assignment.facilitator_id not in authors:
                reviewer = assignment.facilitator_id
        if reviewer is None:
            candidates = [uid for uid in staff if uid not in authors]
            if candidates:
                reviewer = min(candidates, key=lambda uid: (load[uid], uid))
        if reviewer is None or (sid, reviewer) in existing:
            continue
        load[reviewer] += 1
        existing.add((sid, reviewer))
        rows.append((sid, reviewer, FALLBACK))
    return rows


# --- late work --------------------------------------------------------------------------------


def on_submitted(submission: Submission, now: datetime) -> None:
    """Work handed in after reviewing opened gets its reviewers now (the least-loaded eligible
    ones, as the pull queue would choose), and its author gets work to review if they have
    none; too few peers: the fallback. Before reviewing opens the batch takes care of it."""
    assignment = submission.assignment
    if assignment.mode != MODE_WORK or submission.kind != SUBMISSION_WORK:
        return
    if assignment.allocated_at is None:
        return
    _lock(assignment)
    c = cohort(assignment)
    sub = c.submission(submission.id)
    if sub is None:
        return
    k = assignment.reviews_per_submission
    rows = _rows(assignment)
    existing = {(sid, rid) for sid, rid, *_ in rows}
    eligible = c.eligible(sub)
    new: list[tuple[int, int, str]] = []
    if assignment.allocation_mode == "batch":
        load = Counter(
            rid
            for _s, rid, status, source, _e in rows
            if status != WITHDRAWN and source != FALLBACK
        )
        have = {rid for sid, rid, status, *_ in rows if sid == sub.id and status != WITHDRAWN}
        need = min(k, len(eligible)) - len(have)
        if need > 0:
            shuffled = [uid for uid in eligible if uid not in have]
            random.Random(f"peerpath-late:{assignment.seed}:{sub.id}").shuffle(shuffled)
            least_loaded = sorted(shuffled, key=lambda uid: load[uid])  # stable: ties shuffled
            new += [(sub.id, uid, BATCH) for uid in least_loaded[:need]]
        new += _work_for_newcomers(assignment, c, sub.authors, rows, now)
    existing.update(row[:2] for row in new)
    if len(eligible) < k:
        new += _fallback_rows(assignment, c, [sub.id], existing)
    _insert(assignment, new, now)
    db.session.flush()


def _work_for_newcomers(
    assignment, c: Cohort, authors, rows, now: datetime
) -> list[tuple[int, int, str]]:
    """Authors who have nothing to review (they joined after the batch) get k submissions,
    the least-reviewed first (the pull queue's rule, over-reviewing allowed)."""
    k = assignment.reviews_per_submission
    counts = Counter(
        sid for sid, _r, status, source, _e in rows if status != WITHDRAWN and source != FALLBACK
    )
    out = []
    for author in sorted(authors):
        if any(rid == author and status != WITHDRAWN for _s, rid, status, *_ in rows):
            continue
        if author not in {r.id for r in c.reviewers}:
            continue
        reviewer = c.reviewer(author)
        taken: set[int] = set()
        for _round in range(k):
            pick = alloc.next_submission(c.submissions, counts, (), reviewer, taken, now, k)
            if pick.submission_id is None:
                break
            taken.add(pick.submission_id)
            counts[pick.submission_id] += 1
            out.append((pick.submission_id, author, BATCH))
    return out


# --- the pull queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pulled:
    """The queue's answer: an allocation (new, renewed or resumed), or why there is none."""

    allocation: Allocation | None
    reason: alloc.PickReason
    extra: bool = False

    def message(self) -> str:
        return {
            alloc.PickReason.NOTHING_SUBMITTED: _(
                "Nobody has submitted work yet. Come back later."
            ),
            alloc.PickReason.ONLY_OWN_WORK: _(
                "Only your own (or your group's) work has been submitted so far. Come back later."
            ),
            alloc.PickReason.ALL_REVIEWED: _(
                "You have reviewed every submission you can. Thank you!"
            ),
        }.get(self.reason, "")


def next_for(assignment: ReviewAssignment, reviewer: User, now: datetime | None = None) -> Pulled:
    """The next submission for ``reviewer`` from the pull queue, held for lease_minutes.

    Fewest reviews (done, allocated, or leased and not expired) first; a lease the reviewer
    still holds comes back first; expired leases are free for anyone again (the reviewer who
    let one run out may still finish it, or pull it again).
    """
    now = now or utcnow()
    if assignment.allocation_mode != "queue":
        raise ReviewError(
            _("Reviewers get their submissions all at once in this peer review."), 409
        )
    if assignment.phase != phases.REVIEW:
        raise ReviewError(_("Reviewing is not open."), 409)
    _lock(assignment)
    c = cohort(assignment)
    if reviewer.id not in {r.id for r in c.reviewers}:
        raise ReviewError(_("Only the course's participants review submissions."), 403)
    counts: Counter = Counter()
    leases: list[alloc.Lease] = []
    reviewed: set[int] = set()
    for sid, rid, status, source, expires in _rows(assignment):
        if source == FALLBACK:
            continue  # an instructor's review does not count against the peers'
        if status == LEASED:
            if expires is not None:
                leases.append(alloc.Lease(sid, rid, expires))
            continue
        if rid == reviewer.id:
            reviewed.add(sid)  # done, allocated to them, or withdrawn from them
        if status != WITHDRAWN:
            counts[sid] += 1
    pick = alloc.next_submission(
        c.submissions,
        counts,
        leases,
        c.reviewer(reviewer.id),
        reviewed,
        now,
        assignment.reviews_per_submission,
    )
    if pick.submission_id is None:
        return Pulled(None, pick.reason)
    if pick.reason == alloc.PickReason.RESUMED:
        row = allocation_of(pick.submission_id, reviewer.id)
    else:  # a new lease, or the reviewer's own expired one renewed
        expires = now + timedelta(minutes=assignment.lease_minutes)
        row = _claim(assignment, pick.submission_id, reviewer.id, QUEUE, LEASED, expires, now)
    db.session.flush()
    return Pulled(row, pick.reason, pick.extra)


# --- small cohorts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortNote:
    """What the page tells an author whose work too few peers can review."""

    eligible: int
    fallback: str  # instructor | facilitator | complete
    completes_at: datetime | None
    completed_at: datetime | None

    def text(self) -> str:
        if self.completed_at is not None:
            return _(
                "Too few colleagues could review your work, so it counts as complete without waiting for more reviews."
            )
        if self.eligible == 0:
            first = _("No colleague can review your work")
        else:
            first = ngettext(
                "Only %(num)d colleague can review your work",
                "Only %(num)d colleagues can review your work",
                self.eligible,
            )
        if self.fallback == "facilitator":
            return _("%(first)s, so a facilitator will review it too.", first=first)
        if self.fallback == "complete":
            if self.completes_at is None:
                return _(
                    "%(first)s, so it will count as complete without waiting for more reviews a few days after reviewing opens.",
                    first=first,
                )
            return _(
                "%(first)s, so it will count as complete without waiting for more reviews on %(when)s.",
                first=first,
                when=_format(self.completes_at),
            )
        return _("%(first)s, so your instructor will review it too.", first=first)


def _format(when: datetime) -> str:
    from flask_babel import format_datetime

    return format_datetime(when, "medium")


def shortfall(assignment: ReviewAssignment, c: Cohort | None = None) -> dict[int, int]:
    """Submission id -> how many peers may review it, for work that can't get k of them."""
    c = c or cohort(assignment)
    found = alloc.assess_cohort(c.submissions, c.reviewers, assignment.reviews_per_submission)
    return {s.submission_id: s.eligible for s in found.shortfall}


def eligible_count(assignment: ReviewAssignment, submission: Submission) -> int:
    """How many of the course's learners may review this work (one page view: no need to
    read everyone else's work, as the whole cohort's assessment does)."""
    groups = _group_map(assignment)
    authors = {submission.author_id}
    if submission.group_id is not None:
        authors |= {uid for uid, gid in groups.items() if gid == submission.group_id}
    group = (
        submission.group_id if submission.group_id is not None else groups.get(submission.author_id)
    )
    pure = alloc.Submission(submission.id, frozenset(authors), group)
    return sum(
        1
        for uid in learner_ids(assignment)
        if alloc.may_review(alloc.Reviewer(uid, groups.get(uid)), pure)
    )


def cohort_note(assignment: ReviewAssignment, submission: Submission) -> CohortNote | None:
    """The small-cohort sentence for this work, once reviewing opened; None when k peers can."""
    if submission.submitted_at is None or assignment.allocated_at is None:
        return None
    eligible = 0
    if submission.completed_without_reviews_at is None:
        eligible = eligible_count(assignment, submission)
        if eligible >= assignment.reviews_per_submission:
            return None
    return CohortNote(
        eligible=eligible,
        fallback=assignment.small_cohort_fallback,
        completes_at=completes_at(assignment),
        completed_at=submission.completed_without_reviews_at,
    )


def completes_at(assignment: ReviewAssignment) -> datetime | None:
    if assignment.allocated_at is None:
        return None
    return assignment.allocated_at + timedelta(days=assignment.fallback_days)


def complete_stranded(assignment: ReviewAssignment, now: datetime | None = None) -> int:
    """Fallback "complete": fallback_days after reviewing opened, work too few peers can review
    and that still lacks k peer reviews counts as complete. Returns how many were marked; the
    worker or a page view may call it any time (it does nothing twice)."""
    now = now or utcnow()
    due = completes_at(assignment)
    if assignment.small_cohort_fallback != "complete" or due is None or now < due:
        return 0
    stranded = shortfall(assignment)
    if not stranded:
        return 0
    reviewed = dict(
        db.session.execute(
            select(Review.submission_id, func.count(Review.id))
            .where(
                Review.assignment_id == assignment.id,
                Review.kind == "peer",
                Review.submitted_at.is_not(None),
            )
            .group_by(Review.submission_id)
        ).all()
    )
    ids = [sid for sid in stranded if reviewed.get(sid, 0) < assignment.reviews_per_submission]
    if not ids:
        return 0
    marked = db.session.execute(
        update(Submission)
        .where(Submission.id.in_(ids), Submission.completed_without_reviews_at.is_(None))
        .values(completed_without_reviews_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    db.session.flush()
    return marked


# --- the instructor's hand --------------------------------------------------------------------


def _person(assignment: ReviewAssignment, public_id: str) -> User:
    person = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.public_id == public_id,
            Membership.context_id == assignment.context_id,
            Membership.left_at.is_(None),
        )
    ).first()
    if person is None:
        raise ReviewError(_("Choose a current member of this course."), 400)
    return person


def _submitted_review(submission_id: int, reviewer_id: int) -> bool:
    return (
        db.session.scalar(
            select(Review.id).where(
                Review.submission_id == submission_id,
                Review.reviewer_id == reviewer_id,
                Review.kind.in_(("peer", "instructor")),
                Review.submitted_at.is_not(None),
            )
        )
        is not None
    )


def withdraw(assignment: ReviewAssignment, submission_id: str, reviewer_id: str) -> Allocation:
    """Take a submission away from its reviewer (the row stays, marked withdrawn)."""
    sub = submissions.handed_in(assignment, submission_id)
    reviewer = _person(assignment, reviewer_id)
    row = allocation_of(sub.id, reviewer.id)
    if row is None or row.status == WITHDRAWN:
        raise ReviewError(_("This person is not reviewing this submission."), 404)
    if _submitted_review(sub.id, reviewer.id):
        raise ReviewError(
            _(
                "%(name)s has already submitted this review: it can't be taken away.",
                name=reviewer.display_name,
            ),
            409,
        )
    row.status = WITHDRAWN
    row.lease_expires_at = None
    db.session.flush()
    return row


def assign(
    assignment: ReviewAssignment, submission_id: str, reviewer_id: str, now: datetime | None = None
) -> Allocation:
    """Give a submission to one more reviewer, by hand (never its authors or their group)."""
    now = now or utcnow()
    sub = submissions.handed_in(assignment, submission_id)
    person = _person(assignment, reviewer_id)
    c = cohort(assignment)
    pure = c.submission(sub.id)
    if person.id == sub.author_id:
        raise ReviewError(
            _("%(name)s wrote this work: nobody reviews their own work.", name=person.display_name)
        )
    if pure is not None and (
        person.id in pure.authors or not alloc.may_review(c.reviewer(person.id), pure)
    ):
        raise ReviewError(
            _(
                "%(name)s is in the group that wrote this work: nobody reviews their own group's work.",
                name=person.display_name,
            )
        )
    row = allocation_of(sub.id, person.id)
    if row is not None and _live(row.status, row.lease_expires_at, now):
        raise ReviewError(
            _("%(name)s already reviews this submission.", name=person.display_name), 409
        )
    status = DONE if _submitted_review(sub.id, person.id) else ALLOCATED
    row = _claim(assignment, sub.id, person.id, MANUAL, status, None, now)
    db.session.flush()
    return row


def reassign(
    assignment: ReviewAssignment,
    submission_id: str,
    from_id: str,
    to_id: str,
    now: datetime | None = None,
) -> Allocation:
    """Withdraw a review from one person and give it to another, in one step (or neither)."""
    if to_id == from_id:
        raise ReviewError(_("Choose someone else to review this submission."))
    withdraw(assignment, submission_id, from_id)
    return assign(assignment, submission_id, to_id, now)


def current_allocations(assignment: ReviewAssignment) -> list[Allocation]:
    """Every allocation not withdrawn (expired leases included: their reviewer may finish)."""
    rows = db.session.scalars(
        select(Allocation)
        .where(Allocation.assignment_id == assignment.id)
        .order_by(Allocation.submission_id, Allocation.id)
    )
    return [a for a in rows if a.status != WITHDRAWN]


submissions.on_submit(on_submitted)
