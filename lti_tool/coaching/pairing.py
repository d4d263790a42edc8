"""Pairing coaches and coachees of a programme: matching runs (preview, then confirm), manual
pairs, unpairing and opting out, and what each person's page says about their pairs.

The rule the pages state: a matching run starts a new cycle. It replaces the automatic pairs
of the last cycle and keeps the pairs the instructor made by hand (they move to the new cycle,
and count against their coach's capacity). With "avoid repeats", last cycle's pairs are not
proposed again. Service functions validate first and change nothing on a refusal
(CoachingError); the caller commits, so a run is written in one transaction.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import CoachingProgram, Pairing, User
from ..models.base import new_public_id, utcnow
from ..models.coaching import MODE_ONBOARDING, PAIR_ACTIVE, PAIR_ENDED
from . import matching, overview
from .errors import CoachingError
from .messages import Message
from .profiles import PoolMember, known_skill_ids, pool
from .skills import skills_of

AUTO = "auto"
MANUAL = "manual"


def team_key(team: str) -> str:
    """'Sales', ' sales ' and 'SALES' are one team."""
    return " ".join(team.split()).casefold()


def skill_names(program: CoachingProgram) -> dict[str, str]:
    """Skill id (as the matcher and stored explanations know it) -> current name."""
    return {str(s.id): s.name for s in skills_of(program)}


# --- Choices of one matching run ---------------------------------------------------------


@dataclass(frozen=True)
class RunChoices:
    """The instructor's choices for one run; they start from the programme's settings."""

    allow_zero_fit: bool
    allow_reciprocal: bool
    allow_repeats: bool
    across_teams: bool

    @classmethod
    def from_args(cls, program: CoachingProgram, args: Mapping[str, str]) -> RunChoices:
        def flag(name: str, default: bool) -> bool:
            # A form sends "no" (hidden) and, when ticked, "yes" (checkbox) under one name.
            values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
            values = [v for v in values if v is not None]
            return ("yes" in values) if values else default

        return cls(
            allow_zero_fit=flag("allow_zero_fit", program.mode == MODE_ONBOARDING),
            allow_reciprocal=flag("allow_reciprocal", program.allow_reciprocal),
            allow_repeats=flag("allow_repeats", not program.avoid_repeat),
            across_teams=flag("across_teams", program.across_teams),
        )

    def as_args(self, **changes: bool) -> dict[str, str]:
        values = {**self.__dict__, **changes}
        return {name: "yes" if on else "no" for name, on in values.items()}


# --- Building the matcher's cohort --------------------------------------------------------


def active_pairs(program: CoachingProgram) -> list[Pairing]:
    return list(
        db.session.scalars(
            select(Pairing)
            .where(Pairing.program_id == program.id, Pairing.status == PAIR_ACTIVE)
            .options(selectinload(Pairing.coach), selectinload(Pairing.coachee))
            .order_by(Pairing.created_at, Pairing.id)
        )
    )


def _person(member: PoolMember, skills: list, load: int, onboarding: bool) -> matching.Person:
    """The matcher's view of one pool member; ``load``: places taken by pairs made by hand."""
    profile = member.profile
    if profile is None:  # on the roster, nothing filled in yet: offers and wants nothing
        return matching.Person(
            id=member.user.public_id,
            name=member.user.display_name,
            is_mentor_role=member.mentor_role,
        )
    can_coach = frozenset(str(s) for s in known_skill_ids(profile.can_coach, skills))
    capacity = max(0, profile.capacity - load)
    if not onboarding and not can_coach:
        # In peer coaching you coach the skills you offer: a profile offering none (never
        # filled in, or made for the calendar feed) does not make someone a coach.
        capacity = 0
    return matching.Person(
        id=member.user.public_id,
        name=member.user.display_name,
        can_coach=can_coach,
        wants=[str(s) for s in known_skill_ids(profile.wants, skills)],
        capacity=capacity,
        teams=frozenset({team_key(profile.team)}) if profile.team.strip() else frozenset(),
        new_hire=profile.new_hire,
        experienced=profile.experienced,
        is_mentor_role=member.mentor_role,
        opt_out=profile.opted_out,
    )


@dataclass
class Proposal:
    """What a matching run would do, computed without writing anything."""

    program_cycle: int
    choices: RunChoices
    people: dict[str, PoolMember]  # by public id
    result: matching.MatchResult | None
    kept: list[Pairing]  # manual pairs that stay
    replaced: list[Pairing]  # automatic pairs that end
    problem: str | None = None  # why nothing can be written (nobody eligible, no pair)
    fingerprint: str = ""
    skill_names: dict[str, str] = field(default_factory=dict)

    @property
    def pairs(self) -> tuple[matching.Pair, ...]:
        return self.result.pairs if self.result else ()

    @property
    def unmatched(self) -> tuple[matching.Unmatched, ...]:
        return self.result.unmatched if self.result else ()


def propose(program: CoachingProgram, choices: RunChoices) -> Proposal:
    """Run the matcher on the pool as it is now; write nothing."""
    members = pool(program)
    people = {m.user.public_id: m for m in members}
    skills = skills_of(program)
    current = active_pairs(program)
    kept = [p for p in current if p.source == MANUAL]
    replaced = [p for p in current if p.source != MANUAL]
    ids = _public_ids({p.coach_id for p in current} | {p.coachee_id for p in current})
    load = Counter(ids[p.coach_id] for p in kept)
    kept_coachees = {ids[p.coachee_id] for p in kept}
    onboarding = program.mode == MODE_ONBOARDING
    base = matching.Options(
        allow_reciprocal=choices.allow_reciprocal,
        across_teams=choices.across_teams,
        onboarding=onboarding,
        allow_zero_fit=choices.allow_zero_fit,
    )
    cohort = [_person(m, skills, load[m.user.public_id], onboarding) for m in members]
    # Who needs a coach: the matcher's own rule, less those a kept manual pair coaches.
    needing = frozenset(
        p.id for p in cohort if matching.needs_coach(p, base) and p.id not in kept_coachees
    )
    options = replace(base, needs_coach=needing)
    # Pairs to avoid, both directions: last cycle's (unless repeats are allowed), and the
    # reverse of every kept manual pair (unless two people may coach each other).
    avoid = []
    if not choices.allow_repeats:
        avoid = [(ids[p.coach_id], ids[p.coachee_id]) for p in _cycle_pairs(program, ids)]
    if not choices.allow_reciprocal:
        avoid += [(ids[p.coachee_id], ids[p.coach_id]) for p in kept]
    proposal = Proposal(
        program_cycle=program.cycle,
        choices=choices,
        people=people,
        result=None,
        kept=kept,
        replaced=replaced,
        skill_names={str(s.id): s.name for s in skills},
    )
    proposal.result = matching.match(cohort, avoid, options)
    proposal.problem = _problem(proposal.result, onboarding)
    proposal.fingerprint = _fingerprint(program.cycle, choices, proposal.result, kept)
    return proposal


def _public_ids(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(
        db.session.execute(select(User.id, User.public_id).where(User.id.in_(user_ids))).all()
    )


def _cycle_pairs(program: CoachingProgram, ids: dict[int, str]) -> list[Pairing]:
    """Every pair of the programme's latest cycle (active or ended since), for avoid-repeat."""
    if program.cycle == 0:
        return []
    rows = list(
        db.session.scalars(
            select(Pairing).where(Pairing.program_id == program.id, Pairing.cycle == program.cycle)
        )
    )
    ids.update(_public_ids({p.coach_id for p in rows} | {p.coachee_id for p in rows}))
    return rows


def _problem(result: matching.MatchResult, onboarding: bool) -> str | None:
    if result.coachee_count == 0:
        if onboarding:
            return _(
                "Nobody needs a mentor yet: no participant is marked as new here (or everyone "
                "new already has a mentor). Mark new hires on the People page. Nothing was changed."
            )
        return _(
            "Nobody needs a coach yet: no participant has listed a skill they want to grow "
            "(or everyone who did already has a coach). Nothing was changed."
        )
    if result.place_count == 0:
        if onboarding:
            return _(
                "Nobody can mentor yet: no experienced colleague or LMS mentor has a free place. "
                "Mark experienced colleagues and their capacity on the People page. Nothing was changed."
            )
        return _(
            "Nobody can coach yet: no participant has a free place to coach (capacity above 0). "
            "Nothing was changed."
        )
    if not result.pairs:
        return _(
            "No pair can be made with these rules. See why for each person below and the "
            "choices you have. Nothing was changed."
        )
    return None


def _fingerprint(
    cycle: int, choices: RunChoices, result: matching.MatchResult, kept: list[Pairing]
) -> str:
    """Identifies a proposal: confirming is refused if the pairs would now be different."""
    parts = [str(cycle), repr(sorted(choices.as_args().items()))]
    parts += sorted(f"{p.coach_id}>{p.coachee_id}" for p in result.pairs)
    parts += sorted(str(p.id) for p in kept)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def explanation(message: Message, **extra: Any) -> dict[str, Any]:
    """A Message as stored in Pairing.explanation (JSON): code, params, default text."""
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in message.params.items()}
    return {"code": message.code, "params": params, "text": message.text, **extra}


def lock(program: CoachingProgram) -> None:
    """Serialise changes to one programme's pairs until the transaction ends, then re-read it.

    PostgreSQL: a row lock on the programme. SQLite allows one writer: writing first takes
    that lock now, before anything is read, so what is read next is what gets written on.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(CoachingProgram.id).where(CoachingProgram.id == program.id).with_for_update()
        )
    else:
        db.session.execute(
            update(CoachingProgram)
            .where(CoachingProgram.id == program.id)
            .values(id=CoachingProgram.id)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(program)


def confirm(program: CoachingProgram, choices: RunChoices, fingerprint: str) -> list[Pairing]:
    """Write the proposal as the programme's next cycle, in the caller's one transaction:
    the last cycle's automatic pairs end, manual pairs move on, the new pairs are inserted
    in bulk. Refused (nothing written) when nobody is eligible, no pair can be made, the
    proposal changed since the preview, or another run got there first."""
    lock(program)
    proposal = propose(program, choices)
    if fingerprint != proposal.fingerprint:
        raise CoachingError(
            _(
                "The proposed pairs changed since your preview (someone changed a profile, "
                "pairs were made by hand, or matching was confirmed already). Nothing was "
                "written: look at the new preview and confirm again."
            ),
            409,
        )
    if proposal.problem:  # only when the preview itself said so (it shows no confirm button)
        raise CoachingError(proposal.problem, 409)
    now = utcnow()
    old, new = program.cycle, program.cycle + 1
    claimed = db.session.execute(
        update(CoachingProgram)
        .where(CoachingProgram.id == program.id, CoachingProgram.cycle == old)
        .values(cycle=new, matched_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise CoachingError(
            _(
                "Someone else confirmed a matching run meanwhile. Nothing was written: reload the page."
            ),
            409,
        )
    db.session.execute(
        update(Pairing)
        .where(
            Pairing.program_id == program.id,
            Pairing.status == PAIR_ACTIVE,
            Pairing.source != MANUAL,
        )
        .values(status=PAIR_ENDED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Pairing)
        .where(
            Pairing.program_id == program.id,
            Pairing.status == PAIR_ACTIVE,
            Pairing.source == MANUAL,
        )
        .values(cycle=new)
        .execution_options(synchronize_session=False)
    )
    user_ids = {m.user.public_id: m.user.id for m in proposal.people.values()}
    rows = [
        {
            "public_id": new_public_id(),
            "program_id": program.id,
            "cycle": new,
            "coach_id": user_ids[pair.coach_id],
            "coachee_id": user_ids[pair.coachee_id],
            "source": AUTO,
            "explanation": explanation(
                pair.message,
                rules=list(pair.rules),
                shared_skills=list(pair.shared_skills),
                fit=pair.fit,
                skill_names={s: proposal.skill_names.get(s, s) for s in pair.shared_skills},
            ),
            "status": PAIR_ACTIVE,
            "created_at": now,
        }
        for pair in proposal.pairs
    ]
    db.session.execute(insert(Pairing), rows)
    db.session.expire_all()  # the bulk statements bypassed the identity map
    return active_pairs(program)


# --- What pages show ------------------------------------------------------------------------


def end_reason(pairing: Pairing) -> dict[str, Any]:
    """Why an ended pairing ended, as a stored message (a run's replacement has no record)."""
    return (pairing.explanation or {}).get("ended") or {"code": "ended.rematched", "params": {}}


def names_for(program: CoachingProgram, pairing: Pairing) -> dict[str, str]:
    """Skill names for a stored explanation: current names, else the names when paired."""
    return {**(pairing.explanation or {}).get("skill_names", {}), **skill_names(program)}


@dataclass
class MyPairs:
    coach: Pairing | None  # who coaches me
    coachees: list[Pairing]  # whom I coach
    ended: list[
        Pairing
    ]  # this cycle's pairings of mine that ended because the other opted out or by the instructor


def pairs_of(program: CoachingProgram, user: User) -> MyPairs:
    rows = list(
        db.session.scalars(
            select(Pairing)
            .where(
                Pairing.program_id == program.id,
                or_(Pairing.coach_id == user.id, Pairing.coachee_id == user.id),
                or_(Pairing.status == PAIR_ACTIVE, Pairing.cycle == program.cycle),
            )
            .order_by(Pairing.created_at, Pairing.id)
        )
    )
    active = [p for p in rows if p.status == PAIR_ACTIVE]
    ended = [
        p
        for p in rows
        if p.status == PAIR_ENDED
        and end_reason(p)["code"] != "ended.rematched"
        and end_reason(p).get("params", {}).get("person_id") != user.public_id
    ]
    return MyPairs(
        coach=next((p for p in active if p.coachee_id == user.id), None),
        coachees=[p for p in active if p.coach_id == user.id],
        ended=ended,
    )


def last_activities(program: CoachingProgram) -> dict[int, datetime | None]:
    """When each active pair last did something on the coachee's goals (a goal set or
    changed, a check-in, feedback), by pairing id: the instructor overview's own figures."""
    return {row.pairing.id: row.last_activity for row in overview.build(program).pairs}


def all_pairings(program: CoachingProgram) -> list[Pairing]:
    return list(
        db.session.scalars(
            select(Pairing)
            .where(Pairing.program_id == program.id)
            .options(selectinload(Pairing.coach), selectinload(Pairing.coachee))
            .order_by(Pairing.cycle, Pairing.status, Pairing.created_at, Pairing.id)
        )
    )
