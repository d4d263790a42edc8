"""Check-ins on a goal: the owner records progress, the coach gives feedback; and the cadence
(when each person's next check-in is due, and whether it is overdue).

The next check-in is due ``cadence_days`` after the owner's last check-in in the programme, or,
before the first one, after their pairing started (without a coach: after their first open goal
was set). Dates are on the owner's calendar, in their timezone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import Activity, CheckIn, CoachingProgram, Goal, User
from ..models.base import utcnow
from ..models.coaching import GOAL_CLOSED, GOAL_OPEN
from . import cadence, goals
from .completion import ScoreChange
from .errors import CoachingError

MAX_TEXT = 4000


@dataclass(frozen=True)
class CheckInInput:
    progress: int
    went_well: str
    blockers: str
    next_step: str


def _text(form: Mapping[str, str], name: str, label: str) -> str:
    value = (form.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise CoachingError(
            _("%(field)s can have at most %(n)d characters.", field=label, n=MAX_TEXT)
        )
    return value


def parse_checkin(form: Mapping[str, str]) -> CheckInInput:
    raw = (form.get("progress") or "").strip()
    if not raw.isdigit() or not 0 <= int(raw) <= 100:
        raise CoachingError(_("Progress must be a whole number from 0 to 100 (per cent)."))
    data = CheckInInput(
        progress=int(raw),
        went_well=_text(form, "went_well", _("What went well")),
        blockers=_text(form, "blockers", _("Blockers")),
        next_step=_text(form, "next_step", _("Next step")),
    )
    if not (data.went_well or data.blockers or data.next_step):
        raise CoachingError(
            _("Say at least one of: what went well, what blocks you, or your next step.")
        )
    return data


def record(
    program: CoachingProgram,
    activity: Activity,
    goal: Goal,
    author: User,
    form: Mapping[str, str],
) -> CheckIn:
    """The owner's check-in; refused (in this order: not the owner, closed goal, bad form)
    with nothing written."""
    goals.owned(program, goal, author)
    if goal.status == GOAL_CLOSED:
        raise CoachingError(
            _("This goal is closed, so it takes no more check-ins. Reopen it to check in again."),
            409,
        )
    data = parse_checkin(form)
    with ScoreChange(program, activity, goal.owner):
        row = CheckIn(
            goal_id=goal.id,
            author_id=author.id,
            progress=data.progress,
            went_well=data.went_well,
            blockers=data.blockers,
            next_step=data.next_step,
        )
        db.session.add(row)
    return row


def checkin_of(goal: Goal, public_id: str) -> CheckIn:
    row = db.session.scalars(
        select(CheckIn).where(CheckIn.public_id == public_id, CheckIn.goal_id == goal.id)
    ).first()
    if row is None:
        raise CoachingError(_("This check-in does not exist (any more)."), 404)
    return row


def give_feedback(
    program: CoachingProgram, goal: Goal, checkin: CheckIn, coach: User, form: Mapping[str, str]
) -> CheckIn:
    """The owner's current coach writes (or rewrites) feedback on a check-in."""
    if not goals.is_coach_of(program, coach, goal.owner):
        raise CoachingError(_("Only the goal owner's coach can give feedback on a check-in."), 403)
    text = _text(form, "coach_feedback", _("Feedback"))
    if not text:
        raise CoachingError(_("Write your feedback before sending it."))
    checkin.coach_feedback, checkin.coach_feedback_by_id = text, coach.id
    checkin.coach_feedback_at = utcnow()
    return checkin


def checkins_of(goal: Goal) -> list[CheckIn]:
    """The goal's check-ins, newest first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.goal_id == goal.id)
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        )
    )


# --- the cadence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """One person's check-in rhythm in a programme."""

    due: date | None  # None: no open goal, so no check-in is expected
    days_overdue: int
    last_checkin: datetime | None

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def last_checkins(program: CoachingProgram, owner_ids: Iterable[int]) -> dict[int, datetime]:
    """Each owner's latest check-in in the programme."""
    ids = list(owner_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Goal.owner_id, func.max(CheckIn.created_at))
        .join(CheckIn, CheckIn.goal_id == Goal.id)
        .where(Goal.program_id == program.id, Goal.owner_id.in_(ids))
        .group_by(Goal.owner_id)
    ).all()
    return {owner: cadence.aware(when) for owner, when in rows if when is not None}


def first_open_goals(program: CoachingProgram, owner_ids: Iterable[int]) -> dict[int, datetime]:
    """When each owner set their earliest goal that is still open."""
    ids = list(owner_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Goal.owner_id, func.min(Goal.created_at))
        .where(Goal.program_id == program.id, Goal.owner_id.in_(ids), Goal.status == GOAL_OPEN)
        .group_by(Goal.owner_id)
    ).all()
    return {owner: cadence.aware(when) for owner, when in rows if when is not None}


def schedule(
    program: CoachingProgram,
    owner: User,
    pairing_start: datetime | None,
    last: datetime | None,
    first_open: datetime | None,
    now: datetime | None = None,
) -> Schedule:
    """``owner``'s schedule from what was read in bulk (see schedules_for)."""
    if first_open is None:  # no open goal: nothing to check in on
        return Schedule(None, 0, last)
    due = cadence.next_due(
        last, pairing_start or first_open, program.cadence_days, goals.tz_of(owner)
    )
    today = cadence.local_date(now or utcnow(), goals.tz_of(owner))
    return Schedule(due, cadence.days_overdue(due, today), last)


def schedules_for(
    program: CoachingProgram, owners: list[User], now: datetime | None = None
) -> dict[int, Schedule]:
    """Everyone's schedule in three queries (the coach's page, the overview, the calendar)."""
    ids = [u.id for u in owners]
    last, first = last_checkins(program, ids), first_open_goals(program, ids)
    starts = {
        p.coachee_id: cadence.aware(p.created_at) for p in goals.coached_pairings(program, ids)
    }
    return {
        owner.id: schedule(
            program, owner, starts.get(owner.id), last.get(owner.id), first.get(owner.id), now
        )
        for owner in owners
    }


def schedule_of(program: CoachingProgram, owner: User, now: datetime | None = None) -> Schedule:
    return schedules_for(program, [owner], now)[owner.id]
