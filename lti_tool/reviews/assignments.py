"""The review assignment of a placement: created at placement, its settings, its phases.

Entering a phase may start work (batch allocation when reviewing opens, grades when grading
opens): the modules that do it register a hook here, so this module depends on none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Activity, Membership, ReviewAssignment, User
from ..models.base import utcnow
from ..models.reviews import MODE_PEOPLE, MODE_WORK, PHASES
from . import ReviewError, phases, rubrics
from .rubric import STARTER_360

# Hooks run inside move_phase's transaction, after the phase changed: fn(assignment, now).
_ENTER_HOOKS: dict[str, list[Callable[[ReviewAssignment, datetime], None]]] = {}

MAX_K = 10
MIN_RESPONSES_FLOOR = 3  # 360 results are never shown with fewer answers than this

CHOICES = {
    "late_policy": ("refuse", "accept", "penalty"),
    "allocation_mode": ("batch", "queue"),
    "small_cohort_fallback": ("instructor", "facilitator", "complete"),
    "anonymity": ("double", "single", "open"),
    "aggregation": ("weighted", "median", "trimmed"),
    "feedback_release": ("grading", "manual"),
    "nomination": ("approved", "instructor"),
}


def on_enter(phase: str, hook: Callable[[ReviewAssignment, datetime], None]) -> None:
    hooks = _ENTER_HOOKS.setdefault(phase, [])
    if hook not in hooks:
        hooks.append(hook)


def phase_label(phase: str) -> str:
    return {
        phases.SETUP: _("Setting up"),
        phases.SUBMISSION: _("Submissions open"),
        phases.REVIEW: _("Reviewing"),
        phases.GRADING: _("Grading and feedback"),
        phases.CLOSED: _("Closed"),
    }[phase]


# --- placement -------------------------------------------------------------------------------


def create_for_placement(
    activity: Activity, settings: Mapping, user_id: int, platform_id: int
) -> ReviewAssignment:
    """The assignment row of a new placement, with its own copy of the chosen rubric."""
    actor = rubrics.Actor(platform_id=platform_id, context_id=activity.context_id, user_id=user_id)
    mode = settings.get("mode", MODE_WORK)
    starter = STARTER_360 if mode == MODE_PEOPLE else None  # 360: the competency starter
    rubric = rubrics.for_placement(settings.get("rubric") or None, actor, starter)
    assignment = ReviewAssignment(
        activity_id=activity.id,
        context_id=activity.context_id,
        rubric_id=rubric.id,
        mode=mode,
        reviews_per_submission=int(settings.get("k", 3)),
        allocation_mode=settings.get("allocation_mode", "batch"),
        work_points=activity.score_maximum or 100,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def assignment_for(activity: Activity) -> ReviewAssignment:
    assignment = db.session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.activity_id == activity.id)
    ).first()
    if assignment is None:
        raise ReviewError(
            _("This peer review has not been set up yet. Ask your instructor to place it again."),
            404,
        )
    return assignment


# --- settings --------------------------------------------------------------------------------


def _int(form: Mapping[str, str], name: str, label: str, low: int, high: int) -> int:
    raw = (form.get(name) or "").strip()
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise ReviewError(
            _(
                "%(field)s must be a whole number from %(low)d to %(high)d.",
                field=label,
                low=low,
                high=high,
            )
        )
    return int(raw)


def _fraction(form: Mapping[str, str], name: str, label: str, low: float, high: float) -> float:
    raw = (form.get(name) or "").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        raise ReviewError(
            _(
                "%(field)s must be a number from %(low)s to %(high)s.",
                field=label,
                low=low,
                high=high,
            )
        )
    return value


def _date(form: Mapping[str, str], name: str, tz: str) -> datetime | None:
    """A datetime-local field in the person's timezone, stored in UTC."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise ReviewError(_("'%(value)s' is not a date and time.", value=raw)) from None
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    return local.astimezone(UTC)


def _choice(form: Mapping[str, str], name: str, current: str) -> str:
    value = (form.get(name) or current).strip()
    if value not in CHOICES[name]:
        raise ReviewError(_("'%(value)s' is not a choice for this setting.", value=value))
    return value


DATE_LABELS = {
    "submission_opens_at": lambda: _("Submissions open"),
    "review_opens_at": lambda: _("Reviewing opens (submission deadline)"),
    "grading_opens_at": lambda: _("Grading opens (review deadline)"),
    "closes_at": lambda: _("Closes"),
}


def update_settings(assignment: ReviewAssignment, form: Mapping[str, str], timezone: str) -> None:
    """Validate every field first, then apply all of them (nothing changes on an error)."""
    values: dict = {}
    values["instructions"] = (form.get("instructions") or "").strip()[:10_000]
    values["auto_phases"] = form.get("auto_phases") == "yes"
    for name in phases.STARTS.values():
        values[name] = _date(form, name, timezone)
    try:
        phases.check_dates(phases.Dates(**{n: values[n] for n in phases.STARTS.values()}))
    except phases.DatesError as err:
        later = DATE_LABELS[phases.STARTS[err.params["later"]]]()
        earlier = DATE_LABELS[phases.STARTS[err.params["earlier"]]]()
        raise ReviewError(
            _("'%(later)s' must be after '%(earlier)s'.", later=later, earlier=earlier)
        ) from None
    if values["auto_phases"] and not any(values[n] for n in phases.STARTS.values()):
        raise ReviewError(_("Automatic phases need at least one date."))
    for name in CHOICES:
        values[name] = _choice(form, name, getattr(assignment, name))
    values["late_penalty_percent"] = (
        _int(form, "late_penalty_percent", _("Late penalty"), 1, 100)
        if values["late_policy"] == "penalty"
        else 0
    )
    values["reviews_per_submission"] = _int(
        form, "reviews_per_submission", _("Reviews per submission"), 1, MAX_K
    )
    values["lease_minutes"] = _int(
        form, "lease_minutes", _("Time to finish a review taken from the queue"), 5, 10_080
    )
    values["fallback_days"] = _int(
        form, "fallback_days", _("Days before completing without reviews"), 0, 90
    )
    values["calibration_examples"] = _int(
        form, "calibration_examples", _("Practice reviews required"), 0, 5
    )
    values["self_assessment"] = form.get("self_assessment") == "yes"
    values["group_submissions"] = form.get("group_submissions") == "yes"
    values["allow_files"] = form.get("allow_files") == "yes"
    values["allow_links"] = form.get("allow_links") == "yes"
    values["trim_fraction"] = _fraction(form, "trim_fraction", _("Trimmed share"), 0.0, 0.4)
    values["outlier_threshold"] = _fraction(
        form, "outlier_threshold", _("Far from consensus"), 0.05, 1.0
    )
    values["escalation_threshold"] = _fraction(
        form, "escalation_threshold", _("Wide disagreement"), 0.05, 1.0
    )
    values["min_responses"] = _int(
        form, "min_responses", _("Answers needed before 360 results show"), MIN_RESPONSES_FLOOR, 50
    )
    facilitator = (form.get("facilitator") or "").strip()
    values["facilitator_id"] = None
    if facilitator:
        person = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(User.public_id == facilitator, Membership.context_id == assignment.context_id)
        ).first()
        if person is None:
            raise ReviewError(_("The facilitator must be a member of this course."))
        values["facilitator_id"] = person.id
    if values["small_cohort_fallback"] == "facilitator" and values["facilitator_id"] is None:
        raise ReviewError(_("Choose the facilitator who reviews when too few peers can."))
    if (
        assignment.allocated_at is not None
        and values["reviews_per_submission"] != assignment.reviews_per_submission
    ):
        raise ReviewError(
            _(
                "Reviewers were already allocated: the number of reviews per submission can't change now."
            ),
            409,
        )
    for name, value in values.items():
        setattr(assignment, name, value)


# --- phases ----------------------------------------------------------------------------------


def move_phase(assignment: ReviewAssignment, phase: str, now: datetime | None = None) -> None:
    """Set the phase (by hand: any phase) and run the hooks of each phase entered going forward."""
    if phase not in PHASES:
        raise ReviewError(_("'%(phase)s' is not a phase.", phase=phase))
    if assignment.phase == phases.SETUP and phase != phases.SETUP and assignment.rubric_id is None:
        raise ReviewError(_("Choose a rubric before opening the peer review."), 409)
    now = now or utcnow()
    before = assignment.phase
    assignment.phase = phase
    assignment.phase_changed_at = now
    db.session.flush()
    if phases.index(phase) > phases.index(before):
        for entered in phases.ORDER[phases.index(before) + 1 : phases.index(phase) + 1]:
            for hook in _ENTER_HOOKS.get(entered, []):
                hook(assignment, now)


def advance_by_dates(assignment: ReviewAssignment, now: datetime | None = None) -> bool:
    """Move an automatic assignment to the phase its dates call for; True if it moved."""
    if not assignment.auto_phases:
        return False
    now = now or utcnow()
    target = phases.due_phase(assignment.phase, phases.Dates.of(assignment), now)
    if target == assignment.phase:
        return False
    move_phase(assignment, target, now)
    return True


def advance_all(now: datetime | None = None) -> int:
    """Every automatic assignment whose date passed moves on (the worker calls this); commits each."""
    moved = 0
    ids = db.session.scalars(
        select(ReviewAssignment.id).where(
            ReviewAssignment.auto_phases.is_(True), ReviewAssignment.phase != phases.CLOSED
        )
    ).all()
    for assignment_id in ids:
        assignment = db.session.get(ReviewAssignment, assignment_id)
        if assignment is not None and advance_by_dates(assignment, now):
            db.session.commit()
            moved += 1
    return moved


def is_people_mode(assignment: ReviewAssignment) -> bool:
    return assignment.mode == MODE_PEOPLE


def feedback_released(assignment: ReviewAssignment) -> bool:
    """Authors see the reviews of their work: once the instructor released them, or (by the
    default policy) once grading opens."""
    if assignment.feedback_released_at is not None:
        return True
    return assignment.feedback_release == "grading" and phases.passed(
        assignment.phase, phases.GRADING
    )
