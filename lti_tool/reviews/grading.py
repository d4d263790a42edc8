"""Grades of a peer review: the work's grade from its reviews, the reviewing grade of each
reviewer, instructor overrides, feedback release, and both grades to the LMS via the outbox.

The rules are the pure modules' (aggregation.py: methods, outliers, disagreement;
calibration.py: reviewing quality and grade); this module reads the rows they need and writes
SubmissionGrade, ReviewerGrade and the review flags.

- Counted reviews: submitted peer reviews and the instructor's or facilitator's fallback
  reviews of submitted work; never self-assessments or practice reviews. In "weighted" mode a
  peer's score weighs their reviewing quality (0.5 while unknown), a fallback review weighs 1.
- Far from consensus: the peer review is flagged with the reason in words; flags are
  recomputed with the grades. Wide disagreement escalates the submission to the instructor.
- Late work loses the assignment's late penalty (policy "penalty"); an override is final.
- Override: a score 0..100 with a required reason, kept with who and when; recomputing never
  replaces it.
- Completed without reviews (small-cohort fallback "complete"): when no review arrived, the
  work gets full marks for completion (less any late penalty), method "completion", with a
  comment saying so. The instructor chose to let the work count as done rather than wait for
  reviewers, so the learner is not marked down for a cohort too small to review them; the
  instructor sees these grades in the preview and can override any of them. Reviews that do
  arrive later are aggregated like any other.
- Grades go to the LMS only when the instructor sends them (after the preview); from then on
  every change (recompute, override) is queued in the same transaction that makes it. The
  work grade goes to the placement's own line item, to every member of a group; the reviewing
  grade to the extra line item tagged "peerpath-reviewing".
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..extensions import db
from ..models import (
    Activity,
    Allocation,
    Membership,
    Review,
    ReviewAssignment,
    ReviewCriterionScore,
    ReviewerGrade,
    ReviewGroupMember,
    Rubric,
    Submission,
    SubmissionGrade,
    User,
)
from ..models.base import utcnow
from ..models.reviews import (
    LEASED,
    REVIEW_INSTRUCTOR,
    REVIEW_PEER,
    REVIEW_PRACTICE,
    REVIEW_REFERENCE,
    SUBMISSION_EXAMPLE,
    SUBMISSION_WORK,
    WITHDRAWN,
)
from ..services.outbox import ExtraLineItem, enqueue_score
from . import ReviewError, aggregation, assignments, calibration, phases, submissions
from . import rubric as rubric_doc

REVIEWING_TAG = "peerpath-reviewing"
COMPLETION = "completion"  # SubmissionGrade.method of work completed without reviews
COUNTED_KINDS = (REVIEW_PEER, REVIEW_INSTRUCTOR)
FALLBACK_REVIEW_WEIGHT = 1.0
MAX_REASON = 2000
METHODS = {
    "weighted": aggregation.Method.WEIGHTED_MEAN,
    "median": aggregation.Method.MEDIAN,
    "trimmed": aggregation.Method.TRIMMED_MEAN,
}
STAFF_ROLES = {"instructor", "admin"}


def reviewing_line_item() -> ExtraLineItem:
    return ExtraLineItem(tag=REVIEWING_TAG, label=_("Reviewing"))


def _points(value: float) -> str:
    """A score for a sentence: at most one decimal, no trailing zero (72, 66.7)."""
    return f"{round(value, 1):g}"


def method_label(method: str) -> str:
    return {
        "weighted": _("weighted mean (by reviewing quality)"),
        "median": _("median"),
        "trimmed": _("trimmed mean"),
        COMPLETION: _("completed without reviews"),
    }.get(method, method)


# --- reading what grades are made of ---------------------------------------------------------


@dataclass
class Inputs:
    """Everything one grading run reads, one query per table."""

    assignment: ReviewAssignment
    rubric: rubric_doc.Rubric | None
    work: list[Submission]  # submitted work, oldest first
    counted: dict[int, list[Review]]  # submission id -> counted reviews, oldest first
    practice: list[Review]
    references: dict[int, Review]  # example submission id -> the instructor's reference
    choices: dict[int, dict[str, rubric_doc.Choice]]  # practice/reference review id -> choices
    allocations: list[Allocation]
    members: dict[int, list[int]]  # group id -> member user ids
    staff: set[int]


def _parsed_rubric(assignment: ReviewAssignment) -> rubric_doc.Rubric | None:
    row = db.session.get(Rubric, assignment.rubric_id) if assignment.rubric_id else None
    if row is None:
        return None
    try:
        return rubric_doc.parse(row.definition)
    except rubric_doc.RubricError:
        return None


def read_inputs(assignment: ReviewAssignment) -> Inputs:
    work = submissions.submitted(assignment)
    work_ids = {s.id for s in work}
    reviews = list(
        db.session.scalars(
            select(Review)
            .where(Review.assignment_id == assignment.id, Review.submitted_at.is_not(None))
            .order_by(Review.submitted_at, Review.id)
        )
    )
    counted: dict[int, list[Review]] = defaultdict(list)
    practice: list[Review] = []
    references: dict[int, Review] = {}
    for review in reviews:
        if review.kind in COUNTED_KINDS and review.submission_id in work_ids:
            if review.score is not None and math.isfinite(review.score):
                counted[review.submission_id].append(review)
        elif review.kind == REVIEW_PRACTICE:
            practice.append(review)
        elif review.kind == REVIEW_REFERENCE:
            references[review.submission_id] = review
    examples = set(
        db.session.scalars(
            select(Submission.id).where(
                Submission.assignment_id == assignment.id, Submission.kind == SUBMISSION_EXAMPLE
            )
        )
    )
    practice = [p for p in practice if p.submission_id in examples]
    wanted = {r.id for r in practice} | {r.id for r in references.values()}
    choices: dict[int, dict[str, rubric_doc.Choice]] = defaultdict(dict)
    if wanted:
        for row in db.session.scalars(
            select(ReviewCriterionScore).where(ReviewCriterionScore.review_id.in_(wanted))
        ):
            choices[row.review_id][row.criterion_key] = rubric_doc.Choice(
                row.level_key, row.comment or ""
            )
    staff = {
        m.user_id
        for m in db.session.scalars(
            select(Membership).where(Membership.context_id == assignment.context_id)
        )
        if STAFF_ROLES & set(m.roles.split())
    }
    allocations = list(
        db.session.scalars(select(Allocation).where(Allocation.assignment_id == assignment.id))
    )
    return Inputs(
        assignment=assignment,
        rubric=_parsed_rubric(assignment),
        work=work,
        counted=dict(counted),
        practice=practice,
        references=references,
        choices=dict(choices),
        allocations=allocations,
        members=group_members(assignment),
        staff=staff,
    )


def authors_of(submission: Submission, members: dict[int, list[int]]) -> list[int]:
    """Who the work's grade goes to: every member of its group, else its author."""
    if submission.group_id is not None and members.get(submission.group_id):
        return list(members[submission.group_id])
    return [submission.author_id]


# --- reviewing quality -----------------------------------------------------------------------


@dataclass
class ReviewerRecord:
    """One reviewer's inputs to the reviewing grade and the quality they give."""

    user_id: int
    calibration: list[float] = field(default_factory=list)
    consensus: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    completed: int = 0
    assigned: int = 0

    @property
    def quality(self) -> calibration.ReviewingQuality:
        return calibration.reviewing_quality(self.calibration, self.consensus, self.ratings)


def is_assigned(allocation: Allocation, now: datetime, reviewed: set[tuple[int, int]]) -> bool:
    """A review still asked of its reviewer: not withdrawn, not a lease that ran out unused,
    not the fallback's (instructor or facilitator reviews are not graded)."""
    if allocation.status == WITHDRAWN or allocation.source == "fallback":
        return False
    if allocation.status == LEASED and (allocation.submission_id, allocation.reviewer_id) not in (
        reviewed
    ):
        expires = allocation.lease_expires_at
        return expires is None or expires > now
    return True


def reviewer_records(inputs: Inputs, now: datetime) -> dict[int, ReviewerRecord]:
    """Every participant asked to review (or who reviewed), with their quality inputs."""
    records: dict[int, ReviewerRecord] = {}

    def record(user_id: int) -> ReviewerRecord:
        return records.setdefault(user_id, ReviewerRecord(user_id))

    # Calibration: each practice review against the example's reference, criterion by criterion.
    if inputs.rubric is not None:
        for review in inputs.practice:
            reference = inputs.references.get(review.submission_id)
            if reference is None or review.reviewer_id in inputs.staff:
                continue
            try:
                compared = calibration.compare_practice(
                    inputs.rubric,
                    inputs.choices.get(reference.id, {}),
                    inputs.choices.get(review.id, {}),
                )
            except rubric_doc.RubricError:
                continue  # a practice review of an older rubric version: not comparable
            record(review.reviewer_id).calibration.append(compared.agreement)
    # Peer consensus and helpfulness: each real review next to the others of the same work.
    reviewed: set[tuple[int, int]] = set()
    for reviews in inputs.counted.values():
        for review in reviews:
            if review.kind != REVIEW_PEER:
                continue
            reviewed.add((review.submission_id, review.reviewer_id))
            mine = record(review.reviewer_id)
            mine.completed += 1
            others = [float(o.score) for o in reviews if o.id != review.id]
            agreement = calibration.consensus_agreement(float(review.score), others)
            if agreement is not None:
                mine.consensus.append(agreement)
            if review.helpfulness in (1, 2, 3, 4, 5):
                mine.ratings.append(review.helpfulness)
    for allocation in inputs.allocations:
        if is_assigned(allocation, now, reviewed):
            record(allocation.reviewer_id).assigned += 1
    if inputs.assignment.allocation_mode == "queue":
        # Pulling from the queue: each submitter is expected to review k pieces of work (or
        # every other one, when fewer exist).
        k = inputs.assignment.reviews_per_submission
        for submission in inputs.work:
            for user_id in authors_of(submission, inputs.members):
                available = len(inputs.work) - 1
                mine = record(user_id)
                mine.assigned = max(mine.assigned, min(k, available))
    for user_id in inputs.staff:
        records.pop(user_id, None)
    return records


# --- computing -------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a grading run did, for the instructor's confirmation message."""

    submissions: int = 0
    escalated: int = 0
    flagged: int = 0
    reviewers: int = 0
    queued: int = 0


def _final(grade: SubmissionGrade) -> float | None:
    value = grade.final_score
    return None if value is None else round(value, 2)


def _flag(review: Review, others: list[float], limit: float) -> str:
    middle = aggregation.median(others)
    return _(
        "Score %(score)s is %(distance)s points from the median of the other reviews "
        "(%(median)s); more than %(limit)s points apart is flagged as far from consensus.",
        score=_points(review.score),
        distance=_points(abs(review.score - middle)),
        median=_points(middle),
        limit=_points(limit),
    )


def _escalation(scores: list[float], threshold: float) -> str:
    return _(
        "The reviews range from %(low)s to %(high)s: %(spread)s points apart, more than "
        "%(percent)s%% of the score range. Read them and decide the grade (override it "
        "with a reason if the peer score is not right).",
        low=_points(min(scores)),
        high=_points(max(scores)),
        spread=_points(max(scores) - min(scores)),
        percent=f"{threshold * 100:g}",
    )


def _grade_work(
    assignment: ReviewAssignment,
    submission: Submission,
    reviews: list[Review],
    weights_by_reviewer: dict[int, float],
    row: SubmissionGrade,
    now: datetime,
) -> int:
    """Fill the grade row of one submission and flag its reviews; returns flags set."""
    scores = [float(r.score) for r in reviews]
    row.late_penalty_percent = (
        assignment.late_penalty_percent
        if submission.is_late and assignment.late_policy == "penalty"
        else 0
    )
    row.computed_at = now
    flagged = 0
    if not scores:
        completed = submission.completed_without_reviews_at is not None
        row.peer_score = 100.0 if completed else None
        row.method = COMPLETION if completed else assignment.aggregation
        row.reviews_counted, row.spread = 0, None
        row.escalated, row.escalation_reason = False, ""
        return 0
    weights = None
    if assignment.aggregation == "weighted":
        weights = [
            FALLBACK_REVIEW_WEIGHT
            if r.kind == REVIEW_INSTRUCTOR
            else weights_by_reviewer.get(r.reviewer_id, calibration.UNKNOWN_QUALITY_WEIGHT)
            for r in reviews
        ]
    result = aggregation.grade_submission(
        scores,
        METHODS[assignment.aggregation],
        weights,
        trim=assignment.trim_fraction,
        outlier_threshold=assignment.outlier_threshold,
        escalation_threshold=assignment.escalation_threshold,
    )
    row.peer_score = round(result.score, 2)
    row.method = assignment.aggregation
    row.reviews_counted = result.reviews
    row.spread = round(result.disagreement.spread, 2)
    row.escalated = result.disagreement.escalate
    row.escalation_reason = (
        _escalation(scores, assignment.escalation_threshold)[:500] if row.escalated else ""
    )
    limit = assignment.outlier_threshold * aggregation.SCORE_RANGE
    for i, (review, outlier) in enumerate(zip(reviews, result.outliers, strict=True)):
        if outlier and review.kind == REVIEW_PEER:
            review.flagged = True
            review.flag_reason = _flag(review, scores[:i] + scores[i + 1 :], limit)[:500]
            flagged += 1
        else:
            review.flagged, review.flag_reason = False, ""
    return flagged


def compute_grades(
    assignment: ReviewAssignment, now: datetime | None = None, *, queue_changes: bool = True
) -> Summary:
    """Recompute every grade of the assignment (no commit: the caller's transaction).

    Overrides are kept. Once grades were sent, a grade whose value changes is queued to the
    LMS in this same transaction (``queue_changes``).
    """
    now = now or utcnow()
    inputs = read_inputs(assignment)
    records = reviewer_records(inputs, now)
    qualities = {uid: rec.quality for uid, rec in records.items()}
    weights = {uid: calibration.aggregation_weight(q) for uid, q in qualities.items()}
    sent = queue_changes and grades_sent(assignment)
    sender = Sender(assignment, now) if sent else None
    summary = Summary(submissions=len(inputs.work), reviewers=len(records))

    existing = {
        g.submission_id: g
        for g in db.session.scalars(
            select(SubmissionGrade).where(
                SubmissionGrade.submission_id.in_([s.id for s in inputs.work] or [-1])
            )
        )
    }
    for submission in inputs.work:
        row = existing.get(submission.id)
        if row is None:
            row = SubmissionGrade(submission_id=submission.id)
            db.session.add(row)
        before = _final(row)
        summary.flagged += _grade_work(
            assignment, submission, inputs.counted.get(submission.id, []), weights, row, now
        )
        summary.escalated += row.escalated
        if sender is not None and _final(row) != before:
            summary.queued += sender.work(submission, row)

    reviewer_rows = {
        r.user_id: r
        for r in db.session.scalars(
            select(ReviewerGrade).where(ReviewerGrade.assignment_id == assignment.id)
        )
    }
    for user_id, rec in records.items():
        row = reviewer_rows.get(user_id)
        if row is None:
            row = ReviewerGrade(assignment_id=assignment.id, user_id=user_id)
            db.session.add(row)
        before = row.grade
        quality = qualities[user_id]
        row.quality = None if quality.value is None else round(quality.value, 4)
        row.grade = calibration.reviewing_grade(quality, rec.completed, rec.assigned)
        row.components = {
            "calibration": _rounded(quality.calibration),
            "consensus": _rounded(quality.consensus),
            "helpfulness": _rounded(quality.helpfulness),
            "practice_reviews": len(rec.calibration),
            "ratings": len(rec.ratings),
            "completed": rec.completed,
            "assigned": rec.assigned,
        }
        row.computed_at = now
        if sender is not None and row.grade != before:
            summary.queued += sender.reviewing(row)
    for user_id, row in reviewer_rows.items():
        if user_id not in records and row.sent_at is None:
            db.session.delete(row)  # no longer asked to review (reassigned) and never sent
    db.session.flush()
    return summary


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _on_grading(assignment: ReviewAssignment, now: datetime) -> None:
    """Entering the grading phase computes every grade for the instructor's preview."""
    if assignment.mode == "work":
        compute_grades(assignment, now)


assignments.on_enter(phases.GRADING, _on_grading)


# --- the instructor's decisions --------------------------------------------------------------


def parse_score(raw: str) -> float:
    text = (raw or "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= 100):
        raise ReviewError(_("The grade must be a number from 0 to 100."))
    return round(value, 2)


def override(
    assignment: ReviewAssignment,
    submission_public_id: str,
    raw_score: str,
    reason: str,
    by: User,
    now: datetime | None = None,
) -> SubmissionGrade:
    """Set the work's grade by hand, with the reason; kept with who and when, never replaced
    by a recompute. Queued to the LMS at once if grades were already sent."""
    now = now or utcnow()
    submission = submissions.handed_in(assignment, submission_public_id)
    score = parse_score(raw_score)
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(
            _("Give a reason for changing the grade: it is kept with the grade for the record.")
        )
    if len(reason) > MAX_REASON:
        raise ReviewError(_("The reason can have at most %(n)d characters.", n=MAX_REASON))
    row = db.session.scalars(
        select(SubmissionGrade).where(SubmissionGrade.submission_id == submission.id)
    ).first()
    if row is None:
        row = SubmissionGrade(submission_id=submission.id, method=assignment.aggregation)
        db.session.add(row)
    row.override_score = score
    row.override_reason = reason
    row.overridden_by_id = by.id
    row.overridden_at = now
    db.session.flush()
    if grades_sent(assignment):
        Sender(assignment, now).work(submission, row)
    return row


def release_feedback(assignment: ReviewAssignment, now: datetime | None = None) -> bool:
    """Authors see the reviews of their work from now on; False if they already could."""
    if not phases.passed(assignment.phase, phases.REVIEW):
        raise ReviewError(_("There is no feedback to release before reviewing starts."), 409)
    if assignments.feedback_released(assignment):
        return False
    assignment.feedback_released_at = now or utcnow()
    db.session.flush()
    return True


# --- to the LMS ------------------------------------------------------------------------------


def grades_sent(assignment: ReviewAssignment) -> bool:
    """Whether the instructor has sent this assignment's grades (any of them) to the LMS."""
    work = exists().where(
        SubmissionGrade.submission_id == Submission.id,
        Submission.assignment_id == assignment.id,
        SubmissionGrade.sent_at.is_not(None),
    )
    reviewing = exists().where(
        ReviewerGrade.assignment_id == assignment.id, ReviewerGrade.sent_at.is_not(None)
    )
    return bool(db.session.scalar(select(work | reviewing)))


def group_members(assignment: ReviewAssignment) -> dict[int, list[int]]:
    members: dict[int, list[int]] = defaultdict(list)
    for m in db.session.scalars(
        select(ReviewGroupMember)
        .where(ReviewGroupMember.assignment_id == assignment.id)
        .order_by(ReviewGroupMember.id)
    ):
        members[m.group_id].append(m.user_id)
    return dict(members)


def _course_people(assignment: ReviewAssignment) -> dict[int, User]:
    """The course's people by id, in one query (queuing a score per person needs each one)."""
    return {
        u.id: u
        for u in db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.context_id == assignment.context_id)
        )
    }


def work_comment(grade: SubmissionGrade) -> str:
    """The comment beside the work's grade in the LMS (no reviewer names, no override reason)."""
    if grade.override_score is not None:
        return _("Grade set by your instructor.")
    if grade.method == COMPLETION:
        text = _("Completed without peer reviews (too few peers to review it): full marks.")
    else:
        text = _(
            "Peer score %(score)s, the %(method)s of %(n)d reviews.",
            score=_points(grade.peer_score or 0),
            method=method_label(grade.method),
            n=grade.reviews_counted,
        )
    if grade.late_penalty_percent:
        text += " " + _("Late: %(n)d%% off.", n=grade.late_penalty_percent)
    return text


class Sender:
    """Queues grades of one assignment to the LMS, in the caller's transaction: the work grade
    to the placement's own line item (for each author, or each member of the group), the
    reviewing grade to the extra line item. Marks each grade sent."""

    def __init__(self, assignment: ReviewAssignment, now: datetime) -> None:
        self.assignment = assignment
        self.activity = db.session.get(Activity, assignment.activity_id)
        self.members = group_members(assignment)
        self.people = _course_people(assignment)
        self.now = now

    def _user(self, user_id: int) -> User:
        return self.people.get(user_id) or db.session.get(User, user_id)

    def work(self, submission: Submission, grade: SubmissionGrade) -> int:
        final = _final(grade)
        if final is None:
            return 0
        maximum = self.activity.score_maximum or self.assignment.work_points or 100
        comment = work_comment(grade)
        authors = authors_of(submission, self.members)
        for user_id in authors:
            enqueue_score(
                user=self._user(user_id),
                activity=self.activity,
                score_given=round(final * maximum / 100, 2),
                score_maximum=maximum,
                comment=comment,
            )
        grade.sent_at = self.now
        return len(authors)

    def reviewing(self, grade: ReviewerGrade) -> int:
        if grade.grade is None:
            return 0
        maximum = self.assignment.reviewing_points or 100
        enqueue_score(
            user=self._user(grade.user_id),
            activity=self.activity,
            score_given=round(grade.grade * maximum / 100, 2),
            score_maximum=maximum,
            extra_line_item=reviewing_line_item(),
            comment=_(
                "Reviewing: %(done)d of %(asked)d reviews done; quality %(quality)s.",
                done=grade.components.get("completed", 0),
                asked=grade.components.get("assigned", 0),
                quality=(
                    f"{grade.quality * 100:.0f}%"
                    if grade.quality is not None
                    else _("not known yet")
                ),
            ),
        )
        grade.sent_at = self.now
        return 1


def send_grades(assignment: ReviewAssignment, now: datetime | None = None) -> Summary:
    """Recompute, then queue every work grade (to each author or group member) and every
    reviewing grade to the LMS, in the caller's transaction. Sending again is harmless: the
    outbox delivers only the latest score of each person and line item."""
    if not phases.passed(assignment.phase, phases.GRADING):
        raise ReviewError(
            _("Grades can be sent from the grading phase on, once the reviews are in."), 409
        )
    now = now or utcnow()
    summary = compute_grades(assignment, now, queue_changes=False)
    sender = Sender(assignment, now)
    work = {
        s.id: s
        for s in db.session.scalars(
            select(Submission).where(
                Submission.assignment_id == assignment.id, Submission.kind == SUBMISSION_WORK
            )
        )
    }
    for grade in db.session.scalars(
        select(SubmissionGrade)
        .where(SubmissionGrade.submission_id.in_(list(work) or [-1]))
        .order_by(SubmissionGrade.id)
    ):
        summary.queued += sender.work(work[grade.submission_id], grade)
    for grade in db.session.scalars(
        select(ReviewerGrade)
        .where(ReviewerGrade.assignment_id == assignment.id)
        .order_by(ReviewerGrade.id)
    ):
        summary.queued += sender.reviewing(grade)
    db.session.flush()
    return summary
