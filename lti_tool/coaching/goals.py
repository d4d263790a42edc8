"""Coaching goals: who may read and change them, creating and editing them, their milestones,
and the SMART check on them. Pairs are read from the pairing rows (active pairings only).

Who sees a goal: its owner, their current coach, and the course's instructors, unless the
programme keeps goals between the pair ("pair"): then instructors see only that a goal exists,
its dates and status (the overview), never what it says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import CoachingProgram, Goal, GoalMilestone, Pairing, User
from ..models.base import utcnow
from ..models.coaching import GOAL_CLOSED, PAIR_ACTIVE
from . import cadence, smart
from .errors import CoachingError

MAX_WHAT = 1000
MAX_TEXT = 4000
MAX_MILESTONE = 500
MAX_MILESTONES = 20

# How a viewer may see a goal.
OWNER = "owner"
COACH = "coach"
INSTRUCTOR = "instructor"  # everything, read-only
SUMMARY = "summary"  # an instructor in "pair" mode: that it exists, dates and status


def tz_of(user: User) -> str:
    """The person's timezone (from the LMS), else the server's default."""
    return user.timezone or current_app.config["DEFAULT_TIMEZONE"]


# --- pairs ------------------------------------------------------------------------------------


def coach_pairing(program: CoachingProgram, user: User) -> Pairing | None:
    """The active pairing in which ``user`` is coached (one per coachee and cycle)."""
    return db.session.scalars(
        select(Pairing)
        .where(
            Pairing.program_id == program.id,
            Pairing.coachee_id == user.id,
            Pairing.status == PAIR_ACTIVE,
        )
        .order_by(Pairing.cycle.desc(), Pairing.id.desc())
    ).first()


def coach_of(program: CoachingProgram, user: User) -> User | None:
    """``user``'s current coach (or mentor) in the programme, if they have one."""
    pairing = coach_pairing(program, user)
    return pairing.coach if pairing is not None else None


def coachee_pairings(program: CoachingProgram, user: User) -> list[Pairing]:
    """The active pairings in which ``user`` coaches, by coachee name."""
    rows = db.session.scalars(
        select(Pairing).where(
            Pairing.program_id == program.id,
            Pairing.coach_id == user.id,
            Pairing.status == PAIR_ACTIVE,
        )
    ).all()
    return sorted(rows, key=lambda p: (p.coachee.display_name.casefold(), p.id))


def coached_pairings(program: CoachingProgram, coachee_ids: list[int]) -> list[Pairing]:
    """The active pairings of these coachees (at most one each), in one query."""
    if not coachee_ids:
        return []
    return list(
        db.session.scalars(
            select(Pairing).where(
                Pairing.program_id == program.id,
                Pairing.coachee_id.in_(coachee_ids),
                Pairing.status == PAIR_ACTIVE,
            )
        )
    )


def is_coach_of(program: CoachingProgram, coach: User, owner: User) -> bool:
    pairing = coach_pairing(program, owner)
    return pairing is not None and pairing.coach_id == coach.id


# --- reading and access -------------------------------------------------------------------------


def goal_in(program: CoachingProgram, public_id: str) -> Goal:
    goal = db.session.scalars(
        select(Goal).where(Goal.public_id == public_id, Goal.program_id == program.id)
    ).first()
    if goal is None:
        raise CoachingError(_("This goal does not exist (any more)."), 404)
    return goal


def access(program: CoachingProgram, goal: Goal, viewer: User, instructor: bool) -> str | None:
    """How ``viewer`` may see ``goal`` (OWNER, COACH, INSTRUCTOR, SUMMARY), or None."""
    if goal.owner_id == viewer.id:
        return OWNER
    if is_coach_of(program, viewer, goal.owner):
        return COACH
    if instructor:
        return SUMMARY if program.goal_visibility == "pair" else INSTRUCTOR
    return None


def readable(program: CoachingProgram, goal: Goal, viewer: User, instructor: bool) -> str:
    """The viewer's access to the goal's text, or a 403 saying who may read it."""
    seen = access(program, goal, viewer, instructor)
    if seen == SUMMARY:
        raise CoachingError(
            _(
                "In this course a goal is kept between its owner and their coach. The overview shows its status and dates."
            ),
            403,
        )
    if seen is None:
        raise CoachingError(
            _(
                "Only the goal's owner, their coach and the course's instructors can read this goal."
            ),
            403,
        )
    return seen


def owned(program: CoachingProgram, goal: Goal, user: User) -> Goal:
    """The goal when ``user`` owns it; otherwise a 403 that says why (a coach gets their own)."""
    if goal.owner_id == user.id:
        return goal
    if is_coach_of(program, user, goal.owner):
        raise CoachingError(
            _(
                "Only %(name)s can change their goal. As their coach, give feedback on their check-ins, and add your note when they close it.",
                name=goal.owner.display_name,
            ),
            403,
        )
    raise CoachingError(_("Only the goal's owner can change it."), 403)


def open_for_change(goal: Goal) -> None:
    if goal.status == GOAL_CLOSED:
        raise CoachingError(_("This goal is closed. Reopen it to change it."), 409)


def goals_of(program: CoachingProgram, user: User) -> list[Goal]:
    """``user``'s goals in the programme: open ones first, newest first."""
    rows = db.session.scalars(
        select(Goal)
        .where(Goal.program_id == program.id, Goal.owner_id == user.id)
        .order_by(Goal.created_at.desc(), Goal.id.desc())
    ).all()
    return sorted(rows, key=lambda g: g.status == GOAL_CLOSED)


# --- the goal form --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalInput:
    what: str
    why: str
    measure: str
    target_date: date | None


def parse_date(raw: str | None, label: str) -> date | None:
    """A date field (YYYY-MM-DD, what <input type=date> sends); empty is None."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not 2000 <= value.year <= 2100:
        raise CoachingError(
            _(
                "%(field)s: '%(value)s' is not a date. Use the form YYYY-MM-DD.",
                field=label,
                value=raw,
            )
        )
    return value


def _text(form: Mapping[str, str], name: str, label: str, limit: int) -> str:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise CoachingError(_("%(field)s can have at most %(n)d characters.", field=label, n=limit))
    return value


def parse_goal(form: Mapping[str, str]) -> GoalInput:
    """The goal form, checked as a whole (nothing is saved when something is wrong). Only
    "what" is required: the SMART check tells the owner what else a good goal needs."""
    what = _text(form, "what", _("What you want to achieve"), MAX_WHAT)
    if not what:
        raise CoachingError(_("Say what you want to achieve: a goal needs at least that."))
    return GoalInput(
        what=what,
        why=_text(form, "why", _("Why it matters"), MAX_TEXT),
        measure=_text(form, "measure", _("How you will measure success"), MAX_TEXT),
        target_date=parse_date(form.get("target_date"), _("Target date")),
    )


def create(program: CoachingProgram, owner: User, data: GoalInput) -> Goal:
    goal = Goal(
        program_id=program.id,
        owner_id=owner.id,
        what=data.what,
        why=data.why,
        measure=data.measure,
        target_date=data.target_date,
        origin={},
    )
    db.session.add(goal)
    db.session.flush()
    return goal


def update(program: CoachingProgram, goal: Goal, editor: User, data: GoalInput) -> Goal:
    owned(program, goal, editor)
    open_for_change(goal)
    goal.what, goal.why, goal.measure = data.what, data.why, data.measure
    goal.target_date = data.target_date
    goal.updated_at = utcnow()
    return goal


# --- milestones -------------------------------------------------------------------------------


def add_milestone(
    program: CoachingProgram, goal: Goal, user: User, form: Mapping[str, str]
) -> GoalMilestone:
    owned(program, goal, user)
    open_for_change(goal)
    text = _text(form, "milestone", _("Milestone"), MAX_MILESTONE)
    if not text:
        raise CoachingError(_("Say what the milestone is."))
    due = parse_date(form.get("milestone_due"), _("Milestone date"))
    if len(goal.milestones) >= MAX_MILESTONES:
        raise CoachingError(_("A goal can have at most %(n)d milestones.", n=MAX_MILESTONES))
    position = max((m.position for m in goal.milestones), default=0) + 1
    milestone = GoalMilestone(goal_id=goal.id, position=position, text=text, due_date=due)
    goal.milestones.append(milestone)
    goal.updated_at = utcnow()
    db.session.flush()
    return milestone


def _milestone(goal: Goal, milestone_id: str) -> GoalMilestone:
    found = next((m for m in goal.milestones if str(m.id) == milestone_id), None)
    if found is None:
        raise CoachingError(_("This milestone is not part of the goal (any more)."), 404)
    return found


def set_milestone_done(
    program: CoachingProgram, goal: Goal, user: User, milestone_id: str, done: bool
) -> GoalMilestone:
    owned(program, goal, user)
    open_for_change(goal)
    milestone = _milestone(goal, milestone_id)
    milestone.done_at = (milestone.done_at or utcnow()) if done else None
    goal.updated_at = utcnow()
    return milestone


def remove_milestone(program: CoachingProgram, goal: Goal, user: User, milestone_id: str) -> None:
    owned(program, goal, user)
    open_for_change(goal)
    goal.milestones.remove(_milestone(goal, milestone_id))
    goal.updated_at = utcnow()


# --- the SMART check ---------------------------------------------------------------------------


def as_smart(goal: Goal | GoalInput, milestones: list[GoalMilestone] | None = None) -> smart.Goal:
    rows = milestones if milestones is not None else getattr(goal, "milestones", [])
    return smart.Goal(
        what=goal.what,
        why=goal.why,
        measure=goal.measure,
        target_date=goal.target_date,
        milestones=tuple(smart.Milestone(m.text, m.due_date, m.done_at is not None) for m in rows),
    )


def findings(
    goal: Goal | GoalInput, owner: User, now: datetime | None = None, milestones=None
) -> list[smart.Finding]:
    """What the SMART check finds, on the owner's own calendar date."""
    today = cadence.local_date(now or utcnow(), tz_of(owner))
    return smart.check_goal(as_smart(goal, milestones), today)
