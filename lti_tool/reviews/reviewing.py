"""Reviewing: the rubric form's answers saved as reviews (peer, self, practice, reference,
instructor), who may write and read which review, feedback for authors (helpfulness, revision
plan), and calibration: the instructor's examples and how practice reviews compare.

Scores come from `rubric.score`, comparisons from `calibration.compare_practice`; this module
only decides who, when and what is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from content import render_markdown

from ..extensions import db
from ..models import Allocation, Review, ReviewAssignment, ReviewCriterionScore, Submission, User
from ..models.base import utcnow
from ..models.reviews import (
    DONE,
    LEASED,
    MODE_PEOPLE,
    REVIEW_INSTRUCTOR,
    REVIEW_PEER,
    REVIEW_PRACTICE,
    REVIEW_REFERENCE,
    REVIEW_SELF,
    SUBMISSION_EXAMPLE,
    SUBMISSION_WORK,
    WITHDRAWN,
)
from . import ReviewError, allocating, assignments, calibration, phases, rubrics, submissions
from . import rubric as rubric_doc

MAX_COMMENT = 5_000
MAX_OVERALL = 10_000
MAX_PLAN = 5_000
MAX_RATING_COMMENT = 2_000
MAX_EXAMPLE_TITLE = 200
MAX_EXAMPLE_SOURCE = 50_000
MAX_EXPLANATION = 5_000
RECEIVED_KINDS = (REVIEW_PEER, REVIEW_INSTRUCTOR)


# --- what a person may review, and as what ----------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A submission someone may review: the kind of review it gets and the allocation behind it."""

    submission: Submission
    kind: str
    allocation: Allocation | None


def find_submission(assignment: ReviewAssignment, public_id: str) -> Submission:
    sub = db.session.scalars(
        select(Submission).where(
            Submission.public_id == public_id, Submission.assignment_id == assignment.id
        )
    ).first()
    if sub is None or (sub.kind == SUBMISSION_WORK and sub.submitted_at is None):
        raise ReviewError(_("This submission does not exist (any more)."), 404)
    return sub


def target_for(
    assignment: ReviewAssignment, user: User, submission: Submission, staff: bool
) -> Target:
    """Refuses (403) anything the person was not given to review, and their own work."""
    if submission.kind == SUBMISSION_EXAMPLE:
        return Target(submission, REVIEW_REFERENCE if staff else REVIEW_PRACTICE, None)
    if submissions.can_edit(submission, user):
        if assignment.self_assessment and not staff:
            return Target(submission, REVIEW_SELF, None)
        raise ReviewError(
            _("This is your own (or your group's) work: nobody reviews their own work."), 403
        )
    allocation = allocating.allocation_of(submission.id, user.id)
    if allocation is None or allocation.status == WITHDRAWN:
        raise ReviewError(_("This submission was not given to you to review."), 403)
    kind = REVIEW_INSTRUCTOR if allocation.source == allocating.FALLBACK or staff else REVIEW_PEER
    return Target(submission, kind, allocation)


def check_open(assignment: ReviewAssignment, kind: str) -> None:
    """When each kind of review can be written (409 with the reason otherwise)."""
    phase = assignment.phase
    if kind == REVIEW_REFERENCE:
        if phase == phases.CLOSED:
            raise ReviewError(_("This peer review is closed."), 409)
        return
    if kind == REVIEW_PRACTICE:
        if phase not in (phases.SUBMISSION, phases.REVIEW):
            raise ReviewError(
                _("Practice reviews are open while submissions and reviews are."), 409
            )
        return
    allowed = {
        REVIEW_INSTRUCTOR: (phases.REVIEW, phases.GRADING),
        REVIEW_SELF: (phases.SUBMISSION, phases.REVIEW),
    }.get(kind, (phases.REVIEW,))
    if phase in allowed:
        return
    if phases.index(phase) < phases.index(allowed[0]):
        raise ReviewError(_("Reviewing has not started yet."), 409)
    raise ReviewError(
        _(
            "The review deadline has passed: reviews can no longer be written or changed. "
            "Ask your instructor to reopen reviewing if you need more time."
        ),
        409,
    )


def existing_review(submission: Submission, user: User, kind: str) -> Review | None:
    return db.session.scalars(
        select(Review).where(
            Review.submission_id == submission.id,
            Review.reviewer_id == user.id,
            Review.kind == kind,
        )
    ).first()


def rubric_of(assignment: ReviewAssignment) -> rubric_doc.Rubric:
    row = assignment.rubric
    if row is None:
        raise ReviewError(_("This peer review has no rubric yet."), 409)
    if row.frozen_at is None:
        return rubric_doc.parse(row.definition)
    return _frozen_rubric(row.id, row.frozen_at, row.definition)


_FROZEN: dict[tuple[int, datetime], rubric_doc.Rubric] = {}


def _frozen_rubric(rubric_id: int, frozen_at: datetime, definition: dict) -> rubric_doc.Rubric:
    """A frozen rubric never changes: parse it once per process (every review reads it)."""
    key = (rubric_id, frozen_at)
    parsed = _FROZEN.get(key)
    if parsed is None:
        if len(_FROZEN) > 1000:
            _FROZEN.clear()
        parsed = _FROZEN[key] = rubric_doc.parse(definition)
    return parsed


# --- the rubric form ------------------------------------------------------------------------


def choices_from_form(rubric: rubric_doc.Rubric, form: Mapping[str, str]) -> dict:
    """Criterion key -> Choice from the form's level-<key> radios and comment-<key> boxes.

    Levels posted for criteria the rubric does not have are kept, so the check names them.
    """
    out: dict[str, rubric_doc.Choice] = {}
    for c in rubric.criteria:
        level = (form.get(f"level-{c.key}") or "").strip() or None
        comment = (form.get(f"comment-{c.key}") or "").strip()
        if level is not None or comment:
            out[c.key] = rubric_doc.Choice(level, comment)
    for name in form:
        if name.startswith("level-") and rubric.criterion(name[6:]) is None:
            out[name[6:]] = rubric_doc.Choice(str(form.get(name)), "")
    return out


def choices_of(review: Review) -> dict:
    return {cs.criterion_key: rubric_doc.Choice(cs.level_key, cs.comment) for cs in review.criteria}


def _check_draft(rubric: rubric_doc.Rubric, choices: Mapping) -> None:
    """A draft may be incomplete, but what it has must fit the rubric."""
    complete = dict(choices)
    for c in rubric.criteria:
        given = complete.get(c.key)
        level = given.level if given is not None else None
        if not c.feedback_only and level is None:
            level = c.levels[0].key  # a missing level is fine in a draft
        comment = given.comment if given is not None else ""
        if c.comment == "required" and not comment:
            comment = "-"  # so is a missing required comment
        complete[c.key] = rubric_doc.Choice(level, comment)
    rubric_doc.check_choices(rubric, complete)


def _check_lengths(rubric: rubric_doc.Rubric, choices: Mapping, overall: str) -> None:
    for key, choice in choices.items():
        if len(choice.comment) > MAX_COMMENT:
            criterion = rubric.criterion(key)
            raise ReviewError(
                _(
                    "The comment on '%(criterion)s' is longer than %(max)d characters.",
                    criterion=criterion.title if criterion else key,
                    max=MAX_COMMENT,
                )
            )
    if len(overall) > MAX_OVERALL:
        raise ReviewError(
            _("The overall comment is longer than %(max)d characters.", max=MAX_OVERALL)
        )


def save_review(
    assignment: ReviewAssignment,
    user: User,
    submission: Submission,
    form: Mapping[str, str],
    *,
    submit: bool,
    staff: bool = False,
    now: datetime | None = None,
) -> Review:
    """Save a draft or submit the review ``user`` may write of ``submission``.

    Everything is checked before anything is written: a level outside the rubric, a missing
    level or required comment when submitting, a comment too long: 400 naming the criterion.
    A submitted review stays submitted (edits must be complete) and can be edited while
    reviewing is open; a practice review can't be changed once submitted.
    """
    now = now or utcnow()
    target = target_for(assignment, user, submission, staff)
    check_open(assignment, target.kind)
    if target.kind == REVIEW_PEER:
        check_practice_done(assignment, user)
    review = existing_review(submission, user, target.kind)
    if review is not None and review.submitted_at is not None:
        if target.kind == REVIEW_PRACTICE:
            raise ReviewError(
                _("You already submitted this practice review: it can't be changed."), 409
            )
        submit = True
    if assignment.rubric is None:
        raise ReviewError(_("This peer review has no rubric yet."), 409)
    if submit and rubrics.freeze_if_needed(assignment.rubric):
        db.session.refresh(assignment.rubric, ["definition"])
    rubric = rubric_of(assignment)
    choices = choices_from_form(rubric, form)
    overall = (form.get("overall") or "").strip()
    _check_lengths(rubric, choices, overall)
    try:
        if submit:
            total = rubric_doc.score(rubric, choices)
        else:
            _check_draft(rubric, choices)
    except rubric_doc.RubricError as err:
        raise ReviewError(_(err.message, **err.params), 400) from None
    if review is None:
        review = Review(
            assignment_id=assignment.id,
            submission_id=submission.id,
            reviewer_id=user.id,
            allocation_id=target.allocation.id if target.allocation else None,
            kind=target.kind,
            created_at=now,
        )
        db.session.add(review)
    review.overall_comment = overall
    _store_criteria(review, rubric, choices)
    if submit:
        review.score = total
        review.submitted_at = review.submitted_at or now
        if target.allocation is not None:
            target.allocation.status = DONE
    review.updated_at = now
    db.session.flush()
    return review


def _store_criteria(review: Review, rubric: rubric_doc.Rubric, choices: Mapping) -> None:
    """Update rows in place (delete + insert of one key in one flush would break uniqueness)."""
    points = rubric_doc.points_of(rubric, choices)
    rows = {row.criterion_key: row for row in review.criteria}
    for c in rubric.criteria:
        choice = choices.get(c.key)
        row = rows.get(c.key)
        if choice is None:
            if row is not None:
                review.criteria.remove(row)
            continue
        if row is None:
            row = ReviewCriterionScore(criterion_key=c.key)
            review.criteria.append(row)
        row.level_key, row.points, row.comment = choice.level, points[c.key], choice.comment


# --- lists for the page -----------------------------------------------------------------------


@dataclass(frozen=True)
class ToDo:
    """One review a person has to write: the submission, its number in their list, its state."""

    number: int
    submission: Submission
    kind: str
    allocation: Allocation | None
    review: Review | None
    now: datetime

    @property
    def state(self) -> str:
        """'submitted', 'draft', 'expired' (a queue lease ran out) or 'new'."""
        if self.review is not None and self.review.submitted_at is not None:
            return "submitted"
        if (
            self.allocation is not None
            and self.allocation.status == LEASED
            and self.allocation.lease_expires_at is not None
            and self.allocation.lease_expires_at <= self.now
        ):
            return "expired"
        return "draft" if self.review is not None else "new"


def to_do(
    assignment: ReviewAssignment, user: User, staff: bool = False, now: datetime | None = None
) -> list[ToDo]:
    """The submissions given to ``user`` to review (submitted work only), in the order given,
    then their self-assessment when the assignment asks for one."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Allocation, Submission)
        .join(Submission, Submission.id == Allocation.submission_id)
        .where(
            Allocation.assignment_id == assignment.id,
            Allocation.reviewer_id == user.id,
            Allocation.status != WITHDRAWN,
            Submission.submitted_at.is_not(None),
        )
        .order_by(Allocation.id)
    ).all()
    reviews = {
        (r.submission_id, r.kind): r
        for r in db.session.scalars(
            select(Review).where(
                Review.assignment_id == assignment.id, Review.reviewer_id == user.id
            )
        )
    }
    items = []
    for number, (allocation, sub) in enumerate(rows, 1):
        kind = (
            REVIEW_INSTRUCTOR if allocation.source == allocating.FALLBACK or staff else REVIEW_PEER
        )
        items.append(ToDo(number, sub, kind, allocation, reviews.get((sub.id, kind)), now))
    if assignment.self_assessment and not staff:
        own = submissions.submission_of(assignment, user)
        if own is not None and own.submitted_at is not None:
            items.append(ToDo(0, own, REVIEW_SELF, None, reviews.get((own.id, REVIEW_SELF)), now))
    return items


def received(assignment: ReviewAssignment, submission: Submission) -> list[Review]:
    """The submitted peer and instructor reviews of this work, in the order they came."""
    return list(
        db.session.scalars(
            select(Review)
            .where(
                Review.submission_id == submission.id,
                Review.kind.in_(RECEIVED_KINDS),
                Review.submitted_at.is_not(None),
            )
            .order_by(Review.submitted_at, Review.id)
        )
    )


def self_assessment_of(submission: Submission) -> Review | None:
    return db.session.scalars(
        select(Review).where(
            Review.submission_id == submission.id,
            Review.kind == REVIEW_SELF,
            Review.submitted_at.is_not(None),
        )
    ).first()


@dataclass(frozen=True)
class CriterionAnswer:
    criterion: rubric_doc.Criterion
    level: rubric_doc.Level | None
    comment: str


def answers(rubric: rubric_doc.Rubric, review: Review) -> list[CriterionAnswer]:
    """Each criterion of the rubric with the level and comment this review gave it."""
    given = {row.criterion_key: row for row in review.criteria}
    out = []
    for c in rubric.criteria:
        row = given.get(c.key)
        level = c.level(row.level_key) if row is not None and row.level_key else None
        out.append(CriterionAnswer(c, level, row.comment if row is not None else ""))
    return out


# --- who may read a review --------------------------------------------------------------------


def _review(assignment: ReviewAssignment, public_id: str) -> Review | None:
    return db.session.scalars(
        select(Review).where(Review.public_id == public_id, Review.assignment_id == assignment.id)
    ).first()


def readable(assignment: ReviewAssignment, public_id: str, user: User, staff: bool) -> Review:
    """The review, if ``user`` wrote it, received it (once released) or teaches the course."""
    review = _review(assignment, public_id)
    if review is None:
        raise ReviewError(_("This review does not exist (any more)."), 404)
    if review.reviewer_id == user.id:
        return review
    if assignment.mode == MODE_PEOPLE:  # 360: answers are seen only combined (people.results)
        raise ReviewError(
            _(
                "In 360 feedback single answers are never shown: the person and the instructors see the combined results."
            ),
            403,
        )
    if staff:
        return review
    sub = review.submission
    if (
        sub.kind == SUBMISSION_WORK
        and submissions.can_edit(sub, user)
        and review.kind in (*RECEIVED_KINDS, REVIEW_SELF)
        and review.submitted_at is not None
    ):
        if review.kind == REVIEW_SELF or assignments.feedback_released(assignment):
            return review
        raise ReviewError(_("The reviews of your work are shown once feedback is released."), 403)
    raise ReviewError(
        _(
            "You can read only the reviews you wrote and, once released, the reviews of your own work."
        ),
        403,
    )


def reviewer_names_shown(assignment: ReviewAssignment, staff: bool) -> bool:
    """Authors see who reviewed them only when reviewing is open (not blind)."""
    return staff or assignment.anonymity == "open"


def author_names_shown(assignment: ReviewAssignment, staff: bool) -> bool:
    """Reviewers see whose work it is unless reviewing is double-blind."""
    return staff or assignment.anonymity in ("single", "open")


# --- feedback for authors ---------------------------------------------------------------------


def _own_received(assignment: ReviewAssignment, user: User, public_id: str) -> Review:
    review = _review(assignment, public_id)
    if review is None or review.kind not in RECEIVED_KINDS or review.submitted_at is None:
        raise ReviewError(_("This review does not exist (any more)."), 404)
    if assignment.mode == MODE_PEOPLE:
        raise ReviewError(_("In 360 feedback answers are not rated one by one."), 403)
    sub = review.submission
    if sub.kind != SUBMISSION_WORK or not submissions.can_edit(sub, user):
        raise ReviewError(_("Only the authors of the work can rate the reviews it received."), 403)
    if not assignments.feedback_released(assignment):
        raise ReviewError(_("The reviews of your work are shown once feedback is released."), 409)
    return review


def rate(
    assignment: ReviewAssignment,
    user: User,
    review_public_id: str,
    value: str,
    comment: str,
    now: datetime | None = None,
) -> Review:
    """The author rates how helpful a review of their work was (1..5), with a comment."""
    review = _own_received(assignment, user, review_public_id)
    raw = (value or "").strip()
    if raw not in ("1", "2", "3", "4", "5"):
        raise ReviewError(_("Rate the helpfulness from 1 (not helpful) to 5 (very helpful)."))
    comment = (comment or "").strip()
    if len(comment) > MAX_RATING_COMMENT:
        raise ReviewError(
            _("The comment is longer than %(max)d characters.", max=MAX_RATING_COMMENT)
        )
    review.helpfulness = int(raw)
    review.helpfulness_comment = comment
    review.rated_at = now or utcnow()
    db.session.flush()
    return review


def save_revision_plan(assignment: ReviewAssignment, user: User, text: str) -> Submission:
    sub = submissions.submission_of(assignment, user)
    if sub is None or sub.submitted_at is None:
        raise ReviewError(_("There is no submitted work of yours to plan a revision for."), 404)
    if not assignments.feedback_released(assignment):
        raise ReviewError(_("The reviews of your work are shown once feedback is released."), 409)
    text = (text or "").strip()
    if len(text) > MAX_PLAN:
        raise ReviewError(_("The revision plan is longer than %(max)d characters.", max=MAX_PLAN))
    sub.revision_plan = text
    db.session.flush()
    return sub


# --- calibration ------------------------------------------------------------------------------


def examples(assignment: ReviewAssignment) -> list[Submission]:
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.assignment_id == assignment.id,
                Submission.kind == SUBMISSION_EXAMPLE,
            )
            .order_by(Submission.created_at, Submission.id)
        )
    )


def reference_of(example: Submission) -> Review | None:
    return db.session.scalars(
        select(Review)
        .where(
            Review.submission_id == example.id,
            Review.kind == REVIEW_REFERENCE,
            Review.submitted_at.is_not(None),
        )
        .order_by(Review.submitted_at.desc(), Review.id.desc())
    ).first()


def _with_reference(assignment: ReviewAssignment) -> int:
    return (
        db.session.scalar(
            select(func.count(func.distinct(Review.submission_id))).where(
                Review.assignment_id == assignment.id,
                Review.kind == REVIEW_REFERENCE,
                Review.submitted_at.is_not(None),
            )
        )
        or 0
    )


def practice_required(assignment: ReviewAssignment) -> int:
    """Practice reviews a participant must do first: the number asked for, but never more
    than the examples that have a reference assessment (nobody waits on a missing one)."""
    if assignment.calibration_examples <= 0:
        return 0
    return min(assignment.calibration_examples, _with_reference(assignment))


def practice_done(assignment: ReviewAssignment, user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(Review.id)).where(
                Review.assignment_id == assignment.id,
                Review.reviewer_id == user.id,
                Review.kind == REVIEW_PRACTICE,
                Review.submitted_at.is_not(None),
            )
        )
        or 0
    )


def practice_missing(assignment: ReviewAssignment, user: User) -> int:
    required = practice_required(assignment)
    return max(0, required - practice_done(assignment, user)) if required else 0


def check_practice_done(assignment: ReviewAssignment, user: User) -> None:
    missing = practice_missing(assignment, user)
    if missing:
        raise ReviewError(
            ngettext(
                "First complete %(num)d more practice review: it shows how your assessment compares with the instructor's.",
                "First complete %(num)d more practice reviews: they show how your assessment compares with the instructor's.",
                missing,
            ),
            409,
        )


def pull_next(assignment: ReviewAssignment, user: User, now: datetime | None = None):
    """The pull queue, once the practice reviews are done."""
    check_practice_done(assignment, user)
    return allocating.next_for(assignment, user, now)


def save_example(
    assignment: ReviewAssignment,
    user: User,
    example: Submission | None,
    *,
    title: str,
    source: str,
    explanation: str,
    now: datetime | None = None,
) -> Submission:
    """Create or change a calibration example (Markdown) and its explanation."""
    now = now or utcnow()
    title, explanation = (title or "").strip(), (explanation or "").strip()
    if not title:
        raise ReviewError(_("Give the example a title."))
    if len(title) > MAX_EXAMPLE_TITLE:
        raise ReviewError(_("The title can have at most %(n)d characters.", n=MAX_EXAMPLE_TITLE))
    if not (source or "").strip():
        raise ReviewError(_("Write the example's text."))
    if len(source) > MAX_EXAMPLE_SOURCE:
        raise ReviewError(
            _(
                "The text is %(n)d characters long; the limit is %(max)d.",
                n=len(source),
                max=MAX_EXAMPLE_SOURCE,
            ),
            413,
        )
    if len(explanation) > MAX_EXPLANATION:
        raise ReviewError(
            _("The explanation is longer than %(max)d characters.", max=MAX_EXPLANATION)
        )
    if example is None:
        example = Submission(
            assignment_id=assignment.id,
            kind=SUBMISSION_EXAMPLE,
            author_id=user.id,
            submitted_at=now,
            created_at=now,
        )
        db.session.add(example)
    elif _practised(example):
        raise ReviewError(
            _("Participants have already practised on this example: add a new one instead."), 409
        )
    example.title, example.source, example.explanation = title, source, explanation
    example.html = render_markdown(source, top_heading=submissions.body_heading(title))
    example.updated_at = now
    db.session.flush()
    return example


def _practised(example: Submission) -> bool:
    return (
        db.session.scalar(
            select(Review.id).where(
                Review.submission_id == example.id, Review.kind == REVIEW_PRACTICE
            )
        )
        is not None
    )


def find_example(assignment: ReviewAssignment, public_id: str) -> Submission:
    example = find_submission(assignment, public_id)
    if example.kind != SUBMISSION_EXAMPLE:
        raise ReviewError(_("This is not a calibration example."), 404)
    return example


def comparison(
    assignment: ReviewAssignment, practice: Review
) -> calibration.PracticeComparison | None:
    """How a submitted practice review compares with the reference, criterion by criterion;
    the reference's criterion comments are the explanations. None without a reference."""
    if practice.kind != REVIEW_PRACTICE or practice.submitted_at is None:
        return None
    reference = reference_of(practice.submission)
    if reference is None:
        return None
    ref_choices = choices_of(reference)
    explanations = {key: choice.comment for key, choice in ref_choices.items()}
    try:
        return calibration.compare_practice(
            rubric_of(assignment), ref_choices, choices_of(practice), explanations
        )
    except rubric_doc.RubricError:
        return None  # written against another rubric (it was copied since): nothing to compare


def formula_text() -> str:
    """The reviewing-quality formula in words (calibration's), translated."""
    explained = calibration.formula()
    return _(explained.message, **explained.params)
