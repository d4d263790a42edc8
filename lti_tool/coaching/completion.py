"""Closing a goal (the owner's reflection), the coach's closing note, reopening, and the score
that follows, queued in the grade outbox in the same transaction as the change.

The rule itself is pure (scoring.py). Latest wins: reopening a goal takes its completion back
(the coach's note is cleared, since it was about the goal as it was closed) and the lower score
is sent; closing it again with a new note sends the full score again.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import Activity, CheckIn, CoachingProgram, Goal, User
from ..models.base import utcnow
from ..models.coaching import GOAL_CLOSED, GOAL_OPEN
from ..services import outbox
from . import goals, scoring
from .errors import CoachingError

MAX_REFLECTION = 4000


def is_complete(goal: Goal) -> bool:
    return (
        goal.status == GOAL_CLOSED
        and bool(goal.reflection.strip())
        and bool(goal.coach_note.strip())
    )


def facts(program: CoachingProgram, user: User) -> list[scoring.GoalFacts]:
    """What ``user``'s score depends on: per goal, its check-ins and whether it is complete."""
    rows = db.session.execute(
        select(Goal, func.count(CheckIn.id))
        .outerjoin(CheckIn, CheckIn.goal_id == Goal.id)
        .where(Goal.program_id == program.id, Goal.owner_id == user.id)
        .group_by(Goal.id)
    ).all()
    return [scoring.GoalFacts(checkins=n, complete=is_complete(goal)) for goal, n in rows]


def score_of(program: CoachingProgram, user: User) -> float:
    return scoring.person_score(program.completion_rule, program.min_checkins, facts(program, user))


class ScoreChange:
    """Wraps a change to someone's goals: the score before, and after it, queued when it moved.

    with ScoreChange(program, activity, owner):
        ...change rows...
    """

    def __init__(self, program: CoachingProgram, activity: Activity, user: User) -> None:
        self.program, self.activity, self.user = program, activity, user
        self.before = score_of(program, user)
        self.after = self.before

    def __enter__(self) -> ScoreChange:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            return
        db.session.flush()
        self.after = score_of(self.program, self.user)
        if self.after != self.before:
            outbox.enqueue_score(
                user=self.user,
                activity=self.activity,
                score_given=self.after,
                score_maximum=scoring.MAXIMUM,
                activity_progress="Completed" if self.after == scoring.MAXIMUM else "InProgress",
                grading_progress="FullyGraded",
            )


def _reflection(form: Mapping[str, str], name: str, missing: str) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        raise CoachingError(missing)
    if len(value) > MAX_REFLECTION:
        raise CoachingError(_("This text can have at most %(n)d characters.", n=MAX_REFLECTION))
    return value


def close(
    program: CoachingProgram, activity: Activity, goal: Goal, owner: User, form: Mapping[str, str]
) -> Goal:
    """The owner closes the goal with a reflection (closing again replaces the reflection)."""
    goals.owned(program, goal, owner)
    reflection = _reflection(
        form,
        "reflection",
        _("Write a reflection to close the goal: what did you achieve and learn?"),
    )
    with ScoreChange(program, activity, goal.owner):
        if goal.status != GOAL_CLOSED:
            goal.closed_at = utcnow()
        goal.status, goal.reflection = GOAL_CLOSED, reflection
        goal.updated_at = utcnow()
    return goal


def reopen(program: CoachingProgram, activity: Activity, goal: Goal, owner: User) -> Goal:
    goals.owned(program, goal, owner)
    if goal.status != GOAL_CLOSED:
        raise CoachingError(_("This goal is already open."), 409)
    with ScoreChange(program, activity, goal.owner):
        goal.status, goal.closed_at, goal.coach_note = GOAL_OPEN, None, ""
        goal.updated_at = utcnow()
    return goal


def add_note(
    program: CoachingProgram, activity: Activity, goal: Goal, coach: User, form: Mapping[str, str]
) -> Goal:
    """The owner's current coach adds (or replaces) their note on a closed goal."""
    if not goals.is_coach_of(program, coach, goal.owner):
        raise CoachingError(_("Only the goal owner's coach can add the closing note."), 403)
    if goal.status != GOAL_CLOSED:
        raise CoachingError(
            _(
                "The goal is still open: add your note once %(name)s closes it. Meanwhile, give feedback on their check-ins.",
                name=goal.owner.display_name,
            ),
            409,
        )
    note = _reflection(form, "coach_note", _("Write your note to complete the goal."))
    with ScoreChange(program, activity, goal.owner):
        goal.coach_note = note
        goal.updated_at = utcnow()
    return goal
