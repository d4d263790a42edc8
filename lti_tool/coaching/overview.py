"""The instructor's overview of a programme: each active pair with its last activity, stalled
pairs and overdue check-ins, and every goal with its status (what it says only when the
programme lets instructors read goals).

A pair's activity is what its coachee and coach did on the coachee's goals since they were
paired: a goal set or changed, a check-in, feedback. A pair has stalled when nothing happened
for two check-in periods (cadence.STALL_PERIODS), counted from the pairing when nothing did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import CheckIn, CoachingProgram, Goal, Pairing, User
from ..models.base import utcnow
from ..models.coaching import PAIR_ACTIVE
from . import cadence, checkins, completion


@dataclass(frozen=True)
class PairRow:
    pairing: Pairing
    last_activity: datetime | None
    stalled: bool
    schedule: checkins.Schedule


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    coach: User | None
    checkins: int
    last_checkin: datetime | None
    complete: bool
    schedule: checkins.Schedule


@dataclass(frozen=True)
class Overview:
    pairs: list[PairRow]
    goals: list[GoalRow]
    texts_visible: bool  # False in "pair" mode: no goal text for instructors

    @property
    def stalled(self) -> list[PairRow]:
        return [p for p in self.pairs if p.stalled]

    @property
    def overdue(self) -> list[PairRow]:
        return [p for p in self.pairs if p.schedule.overdue]


def _activity_by_owner(program: CoachingProgram) -> dict[int, datetime]:
    """Each goal owner's latest goal change, check-in or feedback on their check-ins."""
    latest: dict[int, datetime | None] = {}
    queries = (
        select(Goal.owner_id, func.max(Goal.updated_at)).where(Goal.program_id == program.id),
        select(Goal.owner_id, func.max(CheckIn.created_at))
        .join(CheckIn, CheckIn.goal_id == Goal.id)
        .where(Goal.program_id == program.id),
        select(Goal.owner_id, func.max(CheckIn.coach_feedback_at))
        .join(CheckIn, CheckIn.goal_id == Goal.id)
        .where(Goal.program_id == program.id),
    )
    for query in queries:
        for owner, when in db.session.execute(query.group_by(Goal.owner_id)):
            if when is not None:
                latest[owner] = cadence.latest(latest.get(owner), when)
    return latest


def pair_last_activity(
    pairing: Pairing, by_owner: dict[int, datetime] | None = None
) -> datetime | None:
    """When the pair last did something on the coachee's goals (None: nothing since pairing)."""
    if by_owner is None:
        program = db.session.get(CoachingProgram, pairing.program_id)
        by_owner = _activity_by_owner(program)
    when = by_owner.get(pairing.coachee_id)
    if when is None or when < cadence.aware(pairing.created_at):
        return None
    return when


def build(program: CoachingProgram, now: datetime | None = None) -> Overview:
    now = now or utcnow()
    pairings = list(
        db.session.scalars(
            select(Pairing)
            .where(Pairing.program_id == program.id, Pairing.status == PAIR_ACTIVE)
            .options(selectinload(Pairing.coach), selectinload(Pairing.coachee))
        )
    )
    pairings.sort(key=lambda p: (p.coachee.display_name.casefold(), p.id))
    all_goals = list(
        db.session.scalars(
            select(Goal)
            .where(Goal.program_id == program.id)
            .options(selectinload(Goal.owner))
            .order_by(Goal.created_at, Goal.id)
        )
    )
    owners = {p.coachee_id: p.coachee for p in pairings} | {g.owner_id: g.owner for g in all_goals}
    plans = checkins.schedules_for(program, list(owners.values()), now)
    activity = _activity_by_owner(program)
    pairs = []
    for p in pairings:
        last = pair_last_activity(p, activity)
        stalled = cadence.is_stalled(last, p.created_at, now, program.cadence_days)
        pairs.append(PairRow(p, last, stalled, plans[p.coachee_id]))
    coaches = {p.coachee_id: p.coach for p in pairings}
    counts = dict(
        db.session.execute(
            select(CheckIn.goal_id, func.count(CheckIn.id))
            .join(Goal, Goal.id == CheckIn.goal_id)
            .where(Goal.program_id == program.id)
            .group_by(CheckIn.goal_id)
        ).all()
    )
    lasts = {
        goal_id: cadence.aware(when)
        for goal_id, when in db.session.execute(
            select(CheckIn.goal_id, func.max(CheckIn.created_at))
            .join(Goal, Goal.id == CheckIn.goal_id)
            .where(Goal.program_id == program.id)
            .group_by(CheckIn.goal_id)
        )
    }
    goal_rows = [
        GoalRow(
            goal=g,
            coach=coaches.get(g.owner_id),
            checkins=counts.get(g.id, 0),
            last_checkin=lasts.get(g.id),
            complete=completion.is_complete(g),
            schedule=plans[g.owner_id],
        )
        for g in sorted(
            all_goals, key=lambda g: (g.owner.display_name.casefold(), g.created_at, g.id)
        )
    ]
    return Overview(pairs, goal_rows, texts_visible=program.goal_visibility != "pair")
