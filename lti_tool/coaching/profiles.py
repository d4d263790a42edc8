"""Profiles for matching: who is in a programme's pool (the course roster, launched or not),
what each person offers and wants, and the instructor's flags and invitations.

Service functions: they validate everything first and change nothing on a refusal
(CoachingError); the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import CoachingProfile, CoachingProgram, Context, Membership, Skill, User
from ..models.base import utcnow
from ..services import nrps
from .errors import CoachingError
from .skills import skills_of

MAX_CAPACITY = 5
MAX_WANTS = 10  # priorities 1..10: weights stay far below the matcher's limit
MAX_PREFERENCES = 2000
MAX_TEAM = 200
_STAFF_ROLES = {"instructor", "admin"}


@dataclass
class PoolMember:
    """One person of the course roster who can take part: their membership and profile."""

    user: User
    membership: Membership
    profile: CoachingProfile | None

    @property
    def launched(self) -> bool:
        return self.user.last_launch_at is not None

    @property
    def mentor_role(self) -> bool:
        """The LMS gave them its Mentor role in this course (LTI membership#Mentor)."""
        return "mentor" in self.membership.roles.split()


def is_participant(membership: Membership | None) -> bool:
    """Current course members who are not its instructors take part; instructors run it."""
    if membership is None or membership.left_at is not None:
        return False
    return not (set(membership.roles.split()) & _STAFF_ROLES)


def pool(program: CoachingProgram) -> list[PoolMember]:
    """Everyone who can take part, by name: the course roster as last synced, with profiles."""
    rows = db.session.execute(
        select(User, Membership, CoachingProfile)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(
            CoachingProfile,
            (CoachingProfile.user_id == User.id) & (CoachingProfile.program_id == program.id),
        )
        .where(Membership.context_id == program.context_id, Membership.left_at.is_(None))
    ).all()
    members = [PoolMember(u, m, p) for u, m, p in rows if is_participant(m)]
    members.sort(key=lambda m: (m.user.display_name.casefold(), m.user.id))
    return members


def sync_roster(program: CoachingProgram) -> str | None:
    """Bring the course roster up to date from the LMS (NRPS), at most every
    ROSTER_MAX_AGE_SECONDS; returns why it failed, if it did (the last roster then stands)."""
    context = db.session.get(Context, program.context_id)
    if context is None or not context.nrps_claim:
        return None
    result = nrps.ensure_fresh(context)
    return None if result.ok else result.reason


def pool_member(program: CoachingProgram, user_public_id: str) -> PoolMember:
    """One person of the pool by public id; 404 for anyone else (other courses, instructors)."""
    row = db.session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(User.public_id == user_public_id, Membership.context_id == program.context_id)
    ).first()
    if row is None or not is_participant(row[1]):
        raise CoachingError(_("This person is not a participant of this course."), 404)
    return PoolMember(row[0], row[1], profile_of(program, row[0]))


def membership_of(program: CoachingProgram, user: User) -> Membership | None:
    return db.session.scalars(
        select(Membership).where(
            Membership.user_id == user.id, Membership.context_id == program.context_id
        )
    ).first()


def profile_of(program: CoachingProgram, user: User) -> CoachingProfile | None:
    return db.session.scalars(
        select(CoachingProfile).where(
            CoachingProfile.program_id == program.id, CoachingProfile.user_id == user.id
        )
    ).first()


def ensure_profile(program: CoachingProgram, user: User) -> CoachingProfile:
    profile = profile_of(program, user)
    if profile is None:
        profile = CoachingProfile(
            program_id=program.id, user_id=user.id, can_coach=[], wants=[], capacity=1
        )
        db.session.add(profile)
        db.session.flush()
    return profile


def known_skill_ids(ids: Iterable[Any], skills: Iterable[Skill]) -> list[int]:
    """The ids still on the skill list, in order, once each (the list may have changed)."""
    current = {s.id for s in skills}
    seen: list[int] = []
    for raw in ids or ():
        if isinstance(raw, int) and raw in current and raw not in seen:
            seen.append(raw)
    return seen


@dataclass(frozen=True)
class ProfileInput:
    """A validated profile form."""

    can_coach: tuple[int, ...]
    wants: tuple[int, ...]  # most wanted first
    capacity: int
    preferences: str
    team: str
    new_hire: bool
    opted_out: bool
    experienced: bool | None  # None: not the instructor's form, left as it is


def _skill_id(raw: str, by_id: Mapping[int, Skill]) -> int:
    value = raw.strip()
    if not value.isdigit() or int(value) not in by_id:
        raise CoachingError(
            _("'%(value)s' is not on this programme's skill list. Reload the page.", value=value)
        )
    return int(value)


def parse_form(program: CoachingProgram, form: Any, *, by_instructor: bool) -> ProfileInput:
    """Read a profile form (a MultiDict: `can_coach` repeated, `want-<skill id>` = priority).

    Refuses unknown skill ids, a capacity outside 0-MAX_CAPACITY, two wanted skills with the
    same priority, and text over its limit, each with a message naming what to fix.
    """
    skills = skills_of(program)
    by_id = {s.id: s for s in skills}
    can_coach = []
    for raw in form.getlist("can_coach"):
        skill = _skill_id(raw, by_id)
        if skill not in can_coach:
            can_coach.append(skill)

    priorities: dict[int, int] = {}
    for key in form:
        if not key.startswith("want-"):
            continue
        raw = (form.get(key) or "").strip()
        skill = _skill_id(key[len("want-") :], by_id)
        if not raw:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_WANTS:
            raise CoachingError(
                _(
                    "The priority of '%(skill)s' must be a whole number from 1 to %(n)d.",
                    skill=by_id[skill].name,
                    n=MAX_WANTS,
                )
            )
        taken = next((s for s, p in priorities.items() if p == int(raw)), None)
        if taken is not None:
            first, second = sorted((by_id[taken].name, by_id[skill].name), key=str.casefold)
            raise CoachingError(
                _(
                    "'%(first)s' and '%(second)s' both have priority %(n)s: give each skill you want to grow its own number.",
                    first=first,
                    second=second,
                    n=raw,
                )
            )
        priorities[skill] = int(raw)
    wants = tuple(sorted(priorities, key=lambda s: priorities[s]))

    raw_capacity = (form.get("capacity") or "0").strip()
    if not raw_capacity.isdigit() or not 0 <= int(raw_capacity) <= MAX_CAPACITY:
        raise CoachingError(
            _(
                "How many people you can coach must be a whole number from 0 to %(n)d.",
                n=MAX_CAPACITY,
            )
        )
    preferences = (form.get("preferences") or "").strip()
    if len(preferences) > MAX_PREFERENCES:
        raise CoachingError(_("Preferences can have at most %(n)d characters.", n=MAX_PREFERENCES))
    team = " ".join((form.get("team") or "").split())
    if len(team) > MAX_TEAM:
        raise CoachingError(_("A team name can have at most %(n)d characters.", n=MAX_TEAM))
    return ProfileInput(
        can_coach=tuple(can_coach),
        wants=wants,
        capacity=int(raw_capacity),
        preferences=preferences,
        team=team,
        new_hire=form.get("new_hire") == "yes",
        opted_out=form.get("opted_out") == "yes",
        experienced=(form.get("experienced") == "yes") if by_instructor else None,
    )


def apply(
    program: CoachingProgram, user: User, values: ProfileInput
) -> tuple[CoachingProfile, bool]:
    """Save the profile; returns it and whether this save opted the person out (their
    active pairings must then end: pairing.end_for_opt_out)."""
    profile = ensure_profile(program, user)
    newly_out = values.opted_out and not profile.opted_out
    profile.can_coach = list(values.can_coach)
    profile.wants = list(values.wants)
    profile.capacity = values.capacity
    profile.preferences = values.preferences
    profile.team = values.team
    profile.new_hire = values.new_hire
    profile.opted_out = values.opted_out
    if values.experienced is not None:
        profile.experienced = values.experienced
    return profile, newly_out


def set_opted_out(
    program: CoachingProgram, user: User, opted_out: bool
) -> tuple[CoachingProfile, bool]:
    profile = ensure_profile(program, user)
    newly_out = opted_out and not profile.opted_out
    profile.opted_out = opted_out
    return profile, newly_out


def invite(program: CoachingProgram, members: Iterable[PoolMember]) -> int:
    """Mark people who have not launched yet as invited (their profile is created, empty);
    returns how many were newly invited. Launched people need no invitation."""
    now = utcnow()
    count = 0
    for member in members:
        if member.launched:
            continue
        profile = member.profile or ensure_profile(program, member.user)
        if profile.invited_at is None:
            profile.invited_at = now
            count += 1
    return count


def form_values(profile: CoachingProfile | None, skills: list[Skill]) -> dict[str, Any]:
    """What a profile form shows: checked skills, priority per wanted skill, the rest."""
    if profile is None:
        return {
            "can_coach": set(),
            "priority": {},
            "capacity": 1,
            "preferences": "",
            "team": "",
            "new_hire": False,
            "experienced": False,
            "opted_out": False,
        }
    wants = known_skill_ids(profile.wants, skills)
    return {
        "can_coach": set(known_skill_ids(profile.can_coach, skills)),
        "priority": {skill: rank for rank, skill in enumerate(wants, 1)},
        "capacity": profile.capacity,
        "preferences": profile.preferences,
        "team": profile.team,
        "new_hire": profile.new_hire,
        "experienced": profile.experienced,
        "opted_out": profile.opted_out,
    }


def posted_values(form: Any) -> dict[str, Any]:
    """The values a refused form was sent with, so the page shows them again as typed."""
    priority = {}
    for key in form:
        if key.startswith("want-") and key[5:].isdigit() and (form.get(key) or "").isdigit():
            priority[int(key[5:])] = int(form.get(key))
    return {
        "can_coach": {int(v) for v in form.getlist("can_coach") if v.isdigit()},
        "priority": priority,
        "capacity": form.get("capacity", ""),
        "preferences": form.get("preferences", ""),
        "team": form.get("team", ""),
        "new_hire": form.get("new_hire") == "yes",
        "experienced": form.get("experienced") == "yes",
        "opted_out": form.get("opted_out") == "yes",
    }
