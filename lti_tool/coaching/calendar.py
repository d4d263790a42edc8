"""Each person's private calendar feed (.ics) in a programme: their next check-in, their goals'
target dates and open milestones, and the next check-in of each person they coach.

The address holds a random token (CoachingProfile.calendar_token): whoever has it can read the
feed, without a launch, so resetting the token is how a person revokes an address they shared.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CoachingProfile, CoachingProgram, User
from ..models.base import new_public_id, utcnow
from ..models.coaching import GOAL_OPEN
from . import checkins, goals, ics

UID_DOMAIN = "peerpath"


def _token() -> str:
    return new_public_id().replace("-", "") + new_public_id().replace("-", "")


def profile_for(program: CoachingProgram, user: User) -> CoachingProfile:
    """The person's profile row in the programme, which holds their calendar token (made with
    the defaults the profile form starts from when they have none yet)."""
    profile = db.session.scalars(
        select(CoachingProfile).where(
            CoachingProfile.program_id == program.id, CoachingProfile.user_id == user.id
        )
    ).first()
    if profile is None:
        profile = CoachingProfile(program_id=program.id, user_id=user.id, can_coach=[], wants=[])
        try:
            with db.session.begin_nested():  # two first visits at once: the other one wins
                db.session.add(profile)
        except IntegrityError:
            return profile_for(program, user)
    return profile


def reset_token(profile: CoachingProfile) -> str:
    """A new address; the old one stops working at once."""
    profile.calendar_token = _token()
    return profile.calendar_token


def by_token(token: str) -> CoachingProfile | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalars(
        select(CoachingProfile).where(CoachingProfile.calendar_token == token)
    ).first()


def events(program: CoachingProgram, user: User, now: datetime | None = None) -> list[ics.Event]:
    """What the person's calendar shows, soonest first."""
    now = now or utcnow()
    coached = [p.coachee for p in goals.coachee_pairings(program, user)]
    plans = checkins.schedules_for(program, [user, *coached], now)
    found: list[ics.Event] = []
    mine = plans[user.id]
    if mine.due is not None:
        found.append(
            ics.Event(
                uid=f"checkin-{program.id}-{user.public_id}@{UID_DOMAIN}",
                day=mine.due,
                summary=_("Coaching check-in due"),
                description=_(
                    "Record your progress on your goal and talk it through with your coach."
                ),
            )
        )
    for person in coached:
        due = plans[person.id].due
        if due is not None:
            found.append(
                ics.Event(
                    uid=f"checkin-{program.id}-{person.public_id}-by-{user.public_id}@{UID_DOMAIN}",
                    day=due,
                    summary=_("Check-in with %(name)s due", name=person.display_name),
                    description=_(
                        "%(name)s's next check-in is due: give them feedback.",
                        name=person.display_name,
                    ),
                )
            )
    for goal in goals.goals_of(program, user):
        if goal.status != GOAL_OPEN:
            continue
        if goal.target_date is not None:
            found.append(
                ics.Event(
                    uid=f"goal-{goal.public_id}@{UID_DOMAIN}",
                    day=goal.target_date,
                    summary=_("Goal target date: %(what)s", what=goal.what),
                    description=goal.measure,
                )
            )
        for milestone in goal.milestones:
            if milestone.due_date is not None and milestone.done_at is None:
                found.append(
                    ics.Event(
                        uid=f"milestone-{goal.public_id}-{milestone.id}@{UID_DOMAIN}",
                        day=milestone.due_date,
                        summary=_("Milestone: %(text)s", text=milestone.text),
                        description=_("Towards your goal: %(what)s", what=goal.what),
                    )
                )
    found.sort(key=lambda e: (e.day, e.uid))
    return found


def feed(profile: CoachingProfile, now: datetime | None = None) -> str:
    program = db.session.get(CoachingProgram, profile.program_id)
    now = now or utcnow()
    name = _("Coaching: %(title)s", title=program.activity.title)
    return ics.calendar_text(name, events(program, profile.user, now), now)
