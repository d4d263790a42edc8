"""Changes to single pairs outside a matching run: a pair the instructor makes by hand, ending
a pair, and someone opting out (their pairs end; their partners are told why).

Pairs made by hand are kept by later matching runs (pairing.py). Validation comes first and a
refusal (CoachingError) changes nothing; the caller commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CoachingProfile, CoachingProgram, Pairing, User
from ..models.base import utcnow
from ..models.coaching import PAIR_ACTIVE, PAIR_ENDED
from .errors import CoachingError
from .messages import Message
from .pairing import MANUAL, active_pairs, explanation, lock
from .profiles import is_participant, known_skill_ids, membership_of, profile_of
from .skills import skills_of


def _participant(program: CoachingProgram, public_id: str, role: str) -> User:
    user = db.session.scalars(select(User).where(User.public_id == public_id)).first()
    if user is None or not is_participant(membership_of(program, user)):
        raise CoachingError(_("Choose the %(role)s from this course's participants.", role=role))
    return user


def _check_pair(
    program: CoachingProgram,
    coach: User,
    coachee: User,
    profiles: dict[int, CoachingProfile | None],
    current: list[Pairing],
) -> None:
    """Refuse someone who opted out, a coachee who has a coach, a full coach, a reciprocal pair."""
    for user in (coach, coachee):
        profile = profiles[user.id]
        if profile is not None and profile.opted_out:
            raise CoachingError(
                _(
                    "%(name)s opted out of matching, so they cannot be paired.",
                    name=user.display_name,
                )
            )
    has_coach = next((p for p in current if p.coachee_id == coachee.id), None)
    if has_coach is not None:
        raise CoachingError(
            _(
                "%(coachee)s already has a coach (%(coach)s). End that pairing first.",
                coachee=coachee.display_name,
                coach=has_coach.coach.display_name,
            ),
            409,
        )
    capacity = profiles[coach.id].capacity if profiles[coach.id] is not None else 0
    coaching = sum(1 for p in current if p.coach_id == coach.id)
    if coaching >= capacity:
        raise CoachingError(
            _(
                "%(coach)s has no place left (capacity %(capacity)d, pairs now %(n)d). Raise their capacity on their profile first.",
                coach=coach.display_name,
                capacity=capacity,
                n=coaching,
            ),
            409,
        )
    if not program.allow_reciprocal and any(
        p.coach_id == coachee.id and p.coachee_id == coach.id for p in current
    ):
        raise CoachingError(
            _(
                "%(coachee)s already coaches %(coach)s, and this programme does not allow two people to coach each other. Allow it in the settings first.",
                coachee=coachee.display_name,
                coach=coach.display_name,
            ),
            409,
        )


def _why(program: CoachingProgram, coach: User, coachee: User, profiles: dict) -> dict[str, Any]:
    """The stored explanation of a pair made by hand: the skills they share, if any."""
    skills = skills_of(program)
    coach_profile, coachee_profile = profiles[coach.id], profiles[coachee.id]
    can = (
        {str(s) for s in known_skill_ids(coach_profile.can_coach, skills)}
        if coach_profile
        else set()
    )
    wants = (
        [str(s) for s in known_skill_ids(coachee_profile.wants, skills)] if coachee_profile else []
    )
    shared = [s for s in wants if s in can]
    names = {str(s.id): s.name for s in skills}
    params = {
        "coach": coach.display_name,
        "coachee": coachee.display_name,
        "coach_id": coach.public_id,
        "coachee_id": coachee.public_id,
        "skills": shared,
    }
    return explanation(
        Message("pair.manual", "Paired by the instructor.", params),
        rules=["manual"],
        shared_skills=shared,
        skill_names={s: names[s] for s in shared},
    )


def manual_pair(program: CoachingProgram, coach_public_id: str, coachee_public_id: str) -> Pairing:
    """The instructor pairs a coach with a coachee by hand, in the current cycle.

    Refused: the same person twice, someone who is not a participant or opted out, a coachee
    who has a coach already, a coach at capacity, and a reciprocal pair unless allowed."""
    if not coach_public_id or not coachee_public_id:
        raise CoachingError(_("Choose both a coach and a coachee."))
    if coach_public_id == coachee_public_id:
        raise CoachingError(_("Someone cannot coach themselves: choose two different people."))
    lock(program)  # two instructors pairing at once take turns: capacity stays exact
    coach = _participant(program, coach_public_id, _("coach"))
    coachee = _participant(program, coachee_public_id, _("coachee"))
    profiles = {u.id: profile_of(program, u) for u in (coach, coachee)}
    _check_pair(program, coach, coachee, profiles, active_pairs(program))
    # One row per coachee and cycle: an ended pairing of this cycle is reused for the new one.
    row = db.session.scalars(
        select(Pairing).where(
            Pairing.program_id == program.id,
            Pairing.cycle == program.cycle,
            Pairing.coachee_id == coachee.id,
        )
    ).first()
    if row is None:
        row = Pairing(program_id=program.id, cycle=program.cycle, coachee_id=coachee.id)
        db.session.add(row)
    row.coach_id = coach.id
    row.source = MANUAL
    row.explanation = _why(program, coach, coachee, profiles)
    row.status = PAIR_ACTIVE
    row.created_at = utcnow()
    row.ended_at = None
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise CoachingError(
            _(
                "%(coachee)s was paired by someone else just now. Reload the page.",
                coachee=coachee.display_name,
            ),
            409,
        ) from exc
    return row


def _end(pairing: Pairing, code: str, **params: Any) -> None:
    pairing.status = PAIR_ENDED
    pairing.ended_at = utcnow()
    # A new dict: the JSON column notices a replaced value, not an edited one.
    pairing.explanation = {**(pairing.explanation or {}), "ended": {"code": code, "params": params}}


def unpair(program: CoachingProgram, pairing_public_id: str) -> Pairing:
    """The instructor ends one pairing; both people see that the instructor ended it."""
    pairing = db.session.scalars(
        select(Pairing).where(
            Pairing.public_id == pairing_public_id, Pairing.program_id == program.id
        )
    ).first()
    if pairing is None:
        raise CoachingError(_("This pairing does not exist in this programme."), 404)
    if pairing.status != PAIR_ACTIVE:
        raise CoachingError(_("This pairing has ended already."), 409)
    _end(pairing, "ended.unpaired")
    return pairing


def end_for_opt_out(program: CoachingProgram, user: User) -> list[Pairing]:
    """End every active pairing of someone who opted out; their partners see why."""
    ended = [p for p in active_pairs(program) if user.id in (p.coach_id, p.coachee_id)]
    for pairing in ended:
        _end(pairing, "ended.opted_out", person=user.display_name, person_id=user.public_id)
    return ended
