"""Pairs coachees with coaches from a course roster: the most people coached, then the best fit.

Pure domain code (no Flask, no SQLAlchemy). The views turn roster rows into ``Person``s,
call ``match`` and show each ``Pair``'s and ``Unmatched``'s message (a code + parameters
for ``_()``, plus default English text).

Who takes part
--------------
- A **coach** has ``capacity`` > 0 (how many coachees they take; 0 = not coaching) and did
  not opt out. In onboarding mode a coach must also be ``experienced`` or hold the LMS's
  Mentor role (``is_mentor_role``) and not be a new hire themself.
- A **coachee** ("needs a coach") is, unless ``Options.needs_coach`` lists the ids: everyone
  who wants to grow at least one skill and did not opt out; in onboarding mode, every new
  hire who did not opt out. Opted-out people are never paired and are reported as such.
- A person can be a coach and a coachee in the same cycle (A coaches B, B coaches C).

Rules that always hold (hard constraints)
-----------------------------------------
never self; a coach's capacity; at most one coach per coachee; no reciprocal pair (A coaches
B and B coaches A) unless ``allow_reciprocal``; with ``across_teams`` coach and coachee share
no team (LMS group); last cycle's pairs are not repeated, in either direction, unless
``allow_previous_pairs`` (a hard rule rather than a penalty, so the instructor sees who could
not be paired because of it, reason ``only_last_cycle``, and can choose to allow repeats);
a pair needs at least one shared skill unless zero-fit pairs are allowed
(``allow_zero_fit``; by default allowed in onboarding mode only, so every new hire can get an
experienced colleague even without a skill match).

What is optimised
-----------------
``fit(coach, coachee)`` = the share of what the coachee wants to grow that the coach can
coach, weighted: sum of the weights of the coachee's wants the coach can coach / sum of the
weights of all their wants, in thousandths (0-1000, rounded half to even). Weights: a set of
wants weighs 1 each; an ordered list of k wants weighs k, k-1, ..., 1 (first = most wanted);
a mapping gives positive integer weights (at most 1000 in all per person). Dividing by the coachee's own total makes every
coachee count the same, whatever the length of their list.
``score`` = fit, + ``MENTOR_BONUS`` (250, a quarter of a perfect fit) in onboarding mode when
the coach holds the Mentor role: mentors are preferred, but not over a much better fit.

Among all matchings that obey the rules, ``match`` returns one that pairs the most coachees
and, among those, has the highest total score (a person left without a coach is never traded
for a better fit elsewhere). This is solved exactly as a capacitated assignment problem
(assignment.py: scipy's LAPJVsp on candidate pairs, LP dual prices proving no other pair would
do better, branch and bound for the reciprocal rule). ``MatchResult.optimal`` is False only if
that search hit ``Options.max_nodes``; tests/coaching checks optimality against brute force on
every small cohort it generates and against a MIP solver on 40-person cohorts. Ties between
equally good matchings are broken deterministically: people and skills are ordered by id
before solving, so the same input (in any order) gives the same pairs.

Why someone has no coach
------------------------
Every coachee left without a coach is in ``MatchResult.unmatched`` with the first reason that
applies, in this order, and ``choices`` the instructor could make (besides pairing by hand):
``no_growth_skills`` (nothing listed to grow), ``no_coaches`` (nobody offers a place),
``no_skill_match`` (no coach can coach any skill they want), ``only_self``, ``only_teammates``
(across teams), ``only_last_cycle``, ``only_reciprocal`` (everyone else qualified is coached by
them: the two-person or odd-one-out case), ``coaches_full`` (qualified coaches exist but their
places are taken; the message adds "N people want a coach and only M places are offered" when
the cohort is short of places). Opted-out people are listed with ``opted_out``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from .assignment import Cells, Forbidden, solve
from .messages import Message, join_words

FIT_SCALE = 1000
MENTOR_BONUS = 250
_CHUNK_CELLS = 2_000_000  # coachee x coach cells scored at once: bounds memory (~30 MB)
_INITIAL_PER_ROW = 16  # starting candidates per coachee: its best-scoring coaches, spread
_PRICED_PER_ROW = 8  # cells added per undervalued coachee in a pricing round
_MAX_WANT_WEIGHT = 1000  # keeps every fit exact in float32 (see score_block)


class MatchingError(ValueError):
    """Input the matcher cannot use, said so a person can fix it."""


def _normalise_wants(person_id: str, wants: Any) -> tuple[tuple[str, int], ...]:
    if isinstance(wants, Mapping):
        items = list(wants.items())
    elif isinstance(wants, set | frozenset):
        items = [(skill, 1) for skill in sorted(wants)]
    else:
        listed = list(wants)
        if all(isinstance(item, str) for item in listed):
            items = [(skill, len(listed) - rank) for rank, skill in enumerate(listed)]
        else:
            items = [tuple(item) for item in listed]
    seen: set[str] = set()
    for skill, weight in items:
        if not isinstance(skill, str) or not skill:
            raise MatchingError(f"person {person_id!r}: a skill must be a non-empty text")
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise MatchingError(
                f"person {person_id!r}: the weight of {skill!r} must be a whole number ≥ 1"
            )
        if skill in seen:
            raise MatchingError(f"person {person_id!r} lists {skill!r} twice in skills to grow")
        seen.add(skill)
    if sum(weight for _, weight in items) > _MAX_WANT_WEIGHT:
        raise MatchingError(
            f"person {person_id!r}: the weights of the skills to grow add up to more than "
            f"{_MAX_WANT_WEIGHT}"
        )
    if isinstance(wants, Mapping):
        items.sort(key=lambda item: (-item[1], item[0]))
    return tuple(items)


@dataclass(frozen=True)
class Person:
    """One member of the cohort as the matcher sees them.

    ``wants``: a set (equal weights), a list/tuple ordered by priority, a mapping
    skill -> weight, or (skill, weight) pairs; stored as (skill, weight) pairs, most wanted first.
    """

    id: str
    name: str = ""
    can_coach: frozenset[str] = frozenset()
    wants: tuple[tuple[str, int], ...] = ()
    capacity: int = 0
    teams: frozenset[str] = frozenset()
    new_hire: bool = False
    experienced: bool = False
    is_mentor_role: bool = False
    opt_out: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise MatchingError("every person needs a non-empty id")
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int):
            raise MatchingError(f"person {self.id!r}: capacity must be a whole number")
        if self.capacity < 0:
            raise MatchingError(f"person {self.id!r}: capacity cannot be negative")
        can = self.can_coach
        if isinstance(can, str):
            raise MatchingError(f"person {self.id!r}: can_coach must be a collection of skills")
        object.__setattr__(self, "can_coach", frozenset(can))
        object.__setattr__(self, "teams", frozenset(self.teams))
        object.__setattr__(self, "wants", _normalise_wants(self.id, self.wants))

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def want_skills(self) -> tuple[str, ...]:
        return tuple(skill for skill, _ in self.wants)


@dataclass(frozen=True)
class Options:
    """The instructor's choices for one matching run."""

    allow_reciprocal: bool = False
    across_teams: bool = False
    onboarding: bool = False
    allow_zero_fit: bool | None = None  # None: allowed in onboarding mode only
    allow_previous_pairs: bool = False
    needs_coach: frozenset[str] | None = None  # ids; None: the default rule (module docstring)
    max_nodes: int = 64  # budget of the exact search for the reciprocal rule (assignment.py)

    @property
    def zero_fit_allowed(self) -> bool:
        return self.onboarding if self.allow_zero_fit is None else self.allow_zero_fit


@dataclass(frozen=True)
class Pair:
    """A coach and a coachee, with why they were paired."""

    coach_id: str
    coachee_id: str
    shared_skills: tuple[str, ...]  # in the coachee's order of priority
    fit: int  # thousandths of what the coachee wants that the coach can coach
    score: int  # fit, + MENTOR_BONUS for a mentor in onboarding mode
    rules: tuple[str, ...]  # which rules made this pair: "skill_fit", "onboarding", ...
    message: Message


@dataclass(frozen=True)
class Unmatched:
    """Someone who wanted a coach and has none, why, and what the instructor could change."""

    person_id: str
    reason: str
    choices: tuple[str, ...]
    message: Message


@dataclass(frozen=True)
class MatchResult:
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    spare_capacity: Mapping[str, int]  # every eligible coach -> places left
    coachee_count: int
    place_count: int  # total capacity of eligible coaches
    total_score: int
    optimal: bool
    nodes: int = 0  # solver figures, for the benchmark and the curious
    rounds: int = 0
    notes: tuple[str, ...] = field(default=())


# What the page can offer the instructor for each reason (besides pairing by hand).
CHOICES: dict[str, tuple[str, ...]] = {
    "opted_out": (),
    "no_growth_skills": ("ask_for_skills", "allow_zero_fit", "manual_pair"),
    "no_coaches": ("raise_capacity", "invite_coaches", "manual_pair"),
    "no_skill_match": ("allow_zero_fit", "invite_coaches", "manual_pair"),
    "only_self": ("allow_zero_fit", "manual_pair"),
    "only_teammates": ("allow_same_team", "manual_pair"),
    "only_last_cycle": ("allow_previous_pairs", "manual_pair"),
    "only_reciprocal": ("allow_reciprocal", "manual_pair"),
    "coaches_full": ("raise_capacity", "manual_pair"),
}


def fit(coach: Person, coachee: Person) -> int:
    """Thousandths of the coachee's (weighted) wants that the coach can coach."""
    total = sum(weight for _, weight in coachee.wants)
    if total == 0:
        return 0
    shared = sum(weight for skill, weight in coachee.wants if skill in coach.can_coach)
    return round(shared * FIT_SCALE / total)


def pair_score(coach: Person, coachee: Person, options: Options) -> int:
    """What the matcher maximises for one pair (after the number of people paired)."""
    bonus = MENTOR_BONUS if options.onboarding and coach.is_mentor_role else 0
    return fit(coach, coachee) + bonus


def is_coach(person: Person, options: Options) -> bool:
    if person.opt_out or person.capacity <= 0:
        return False
    if options.onboarding:
        return (person.experienced or person.is_mentor_role) and not person.new_hire
    return True


def needs_coach(person: Person, options: Options) -> bool:
    if person.opt_out:
        return False
    if options.needs_coach is not None:
        return person.id in options.needs_coach
    return person.new_hire if options.onboarding else bool(person.wants)


class _Cohort:
    """People sorted by id, with the coachee rows, coach columns and masks the solver needs."""

    def __init__(
        self, people: Iterable[Person], previous: Iterable[tuple[str, str]], options: Options
    ):
        self.options = options
        self.people = sorted(people, key=lambda p: p.id)
        ids = [p.id for p in self.people]
        index = {pid: i for i, pid in enumerate(ids)}
        if len(index) != len(ids):
            dupes = sorted(pid for pid, count in Counter(ids).items() if count > 1)
            raise MatchingError(f"these ids appear more than once: {', '.join(dupes)}")
        if options.needs_coach is not None:
            unknown = sorted(set(options.needs_coach) - set(index))
            if unknown:
                raise MatchingError(
                    f"needs_coach names people not in the cohort: {', '.join(unknown)}"
                )
        self.index = index
        n = len(self.people)
        self.coachees = np.array(
            [i for i, p in enumerate(self.people) if needs_coach(p, options)], dtype=np.int64
        )
        self.coaches = np.array(
            [i for i, p in enumerate(self.people) if is_coach(p, options)], dtype=np.int64
        )
        self.row_of = np.full(n, -1, dtype=np.int64)
        self.row_of[self.coachees] = np.arange(len(self.coachees))
        self.col_of = np.full(n, -1, dtype=np.int64)
        self.col_of[self.coaches] = np.arange(len(self.coaches))
        self.caps = np.array([self.people[i].capacity for i in self.coaches], dtype=np.int64)
        self.bonus = np.array(
            [
                MENTOR_BONUS if options.onboarding and self.people[i].is_mentor_role else 0
                for i in self.coaches
            ],
            dtype=np.int64,
        )
        self._skill_matrices()
        self._team_matrix()
        self.previous = self._previous_cells(previous)
        self._first_pass()

    def _skill_matrices(self) -> None:
        skills = sorted(
            {s for i in self.coachees for s, _ in self.people[i].wants}
            | {s for i in self.coaches for s in self.people[i].can_coach}
        )
        col = {s: k for k, s in enumerate(skills)}
        self.wants = np.zeros((len(self.coachees), len(skills)), dtype=np.float32)
        for r, i in enumerate(self.coachees):
            for skill, weight in self.people[i].wants:
                self.wants[r, col[skill]] = weight
        self.want_total = self.wants.sum(axis=1, dtype=np.float64)
        self.wants = csr_matrix(self.wants)
        self.can_t = np.zeros((len(skills), len(self.coaches)), dtype=np.float32)
        for c, i in enumerate(self.coaches):
            for skill in self.people[i].can_coach:
                self.can_t[col[skill], c] = 1.0

    def _team_matrix(self) -> None:
        self.teams = None
        if not self.options.across_teams:
            return
        names = sorted({t for p in self.people for t in p.teams})
        col = {t: k for k, t in enumerate(names)}
        rows = [i for i, p in enumerate(self.people) for _ in p.teams]
        cols = [col[t] for p in self.people for t in sorted(p.teams)]
        matrix = csr_matrix(
            (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(self.people), len(names))
        )
        self.teams = (matrix[self.coachees], matrix[self.coaches].T.tocsc())

    def _previous_cells(self, previous: Iterable[tuple[str, str]]) -> dict[int, set[int]]:
        """Last cycle's pairs as forbidden (row, col) cells, both directions; unknown ids skipped."""
        cells: dict[int, set[int]] = {}
        if self.options.allow_previous_pairs:
            return cells
        for a, b in previous:
            if a not in self.index or b not in self.index:
                continue  # someone who left the course: nothing to avoid
            for coachee, coach in ((a, b), (b, a)):
                r, c = self.row_of[self.index[coachee]], self.col_of[self.index[coach]]
                if r >= 0 and c >= 0:
                    cells.setdefault(int(r), set()).add(int(c))
        return cells

    def shared(self, rows: np.ndarray) -> np.ndarray:
        """Weight of each coachee's wants each coach can coach (exact: small integers in float32).

        Sparse wants x dense skills: single-threaded, unlike a BLAS product, whose threads
        spin and slow everything down several times on a busy machine.
        """
        return np.asarray(self.wants[rows] @ self.can_t)

    def teammates(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``rows``, coach column) of every coachee-coach pair sharing a team."""
        if self.teams is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        together = (self.teams[0][rows] @ self.teams[1]).tocoo()
        return together.row.astype(np.int64), together.col.astype(np.int64)

    def score_block(self, rows: np.ndarray, forbidden: Forbidden = frozenset()) -> np.ndarray:
        """Scores of ``rows`` against every coach, -1 where the rules forbid the pair.

        float32 holds them exactly: fits are whole thousandths computed as
        rint(shared * 1000 / total), which matches ``fit()`` because total weight <= 1000.
        """
        shared = self.shared(rows)
        allowed = None if self.options.zero_fit_allowed else shared > 0
        block = shared
        block *= np.float32(FIT_SCALE)
        block /= np.maximum(self.want_total[rows], 1).astype(np.float32)[:, None]
        np.rint(block, out=block)
        if self.bonus.any():
            block += self.bonus.astype(np.float32)
        if not self.options.zero_fit_allowed:
            np.copyto(block, np.float32(-1), where=~allowed)
        local = np.arange(len(rows))
        selves = self.col_of[self.coachees[rows]]
        block[local[selves >= 0], selves[selves >= 0]] = -1
        team_rows, team_cols = self.teammates(rows)
        block[team_rows, team_cols] = -1
        position = {int(r): k for k, r in enumerate(rows)}
        for r, k in position.items():
            for c in self.previous.get(r, ()):
                block[k, c] = -1
        for r, c in forbidden:
            if r in position:
                block[position[r], c] = -1
        return block

    def _chunks(self, rows: np.ndarray):
        size = max(1, _CHUNK_CELLS // max(len(self.coaches), 1))
        for start in range(0, len(rows), size):
            yield rows[start : start + size]

    def _first_pass(self) -> None:
        """Every coachee's best score, and its best-scoring cells as starting candidates."""
        n_rows = len(self.coachees)
        self.row_max = np.full(n_rows, -1, dtype=np.int64)
        cells = []
        if len(self.coaches) == 0:
            self._initial = _no_cells()
            return
        for rows in self._chunks(np.arange(n_rows)):
            block = self.score_block(rows)
            best = block.max(axis=1)
            self.row_max[rows] = best.astype(np.int64)
            rr, cc = np.nonzero((block == best[:, None]) & (best[:, None] >= 0))
            keep = _spread(rows[rr], rr, _INITIAL_PER_ROW)
            rr, cc = rr[keep], cc[keep]
            cells.append((rows[rr], cc, block[rr, cc].astype(np.int64)))
        self._initial = _concat(cells)

    def initial(self) -> Cells:
        return self._initial

    def price(
        self, rows: np.ndarray, floor: np.ndarray, col_price: np.ndarray, forbidden: Forbidden
    ) -> Cells:
        """The coaches each coachee gains most from at the solver's prices (see assignment.py)."""
        cells = []
        offset = 0
        for part in self._chunks(rows):
            block = self.score_block(part, forbidden).astype(np.float64)
            gain = block - col_price[None, :]
            floor_part = floor[offset : offset + len(part)]
            offset += len(part)
            gain[(block < 0) | (gain <= floor_part[:, None])] = -np.inf
            best = gain.max(axis=1)
            rr, cc = np.nonzero((gain == best[:, None]) & np.isfinite(best)[:, None])
            keep = _spread(part[rr], rr, _PRICED_PER_ROW)
            rr, cc = rr[keep], cc[keep]
            cells.append((part[rr], cc, block[rr, cc].astype(np.int64)))
        return _concat(cells)

    def qualified_counts(self, rows: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """For each row, how many coaches stay qualified as each rule of ``_STAGES`` applies."""
        counts = np.zeros((len(rows), len(_STAGES)), dtype=np.int64)
        if len(self.coaches) == 0:
            return counts
        # Reciprocal: coachee row of a coach -> the columns of the people that coach coaches.
        matched = np.flatnonzero(chosen >= 0)
        coach_rows = self.row_of[self.coaches[chosen[matched]]]
        coached_cols = self.col_of[self.coachees[matched]]
        keep = (coach_rows >= 0) & (coached_cols >= 0) & (not self.options.allow_reciprocal)
        reciprocal: dict[int, list[int]] = {}
        for r, c in zip(coach_rows[keep].tolist(), coached_cols[keep].tolist(), strict=True):
            reciprocal.setdefault(r, []).append(c)
        done = 0
        for part in self._chunks(rows):
            if self.options.zero_fit_allowed:
                left = np.ones((len(part), len(self.coaches)), dtype=bool)
            else:
                left = self.shared(part) > 0
            local = np.arange(len(part))
            stages = [left.sum(axis=1)]
            selves = self.col_of[self.coachees[part]]
            left[local[selves >= 0], selves[selves >= 0]] = False
            stages.append(left.sum(axis=1))
            team_rows, team_cols = self.teammates(part)
            left[team_rows, team_cols] = False
            stages.append(left.sum(axis=1))
            for k, r in enumerate(part.tolist()):
                left[k, list(self.previous.get(r, ()))] = False
            stages.append(left.sum(axis=1))
            for k, r in enumerate(part.tolist()):
                left[k, reciprocal.get(r, [])] = False
            stages.append(left.sum(axis=1))
            counts[done : done + len(part)] = np.stack(stages, axis=1)
            done += len(part)
        return counts

    def reciprocal_conflicts(self, chosen: np.ndarray) -> list[tuple[int, int]]:
        """Pairs of coachee rows coaching each other in ``chosen``."""
        rows = np.flatnonzero(chosen >= 0)
        coach_people = self.coaches[chosen[rows]]
        back_rows = self.row_of[coach_people]
        my_cols = self.col_of[self.coachees[rows]]
        ok = (back_rows >= 0) & (my_cols >= 0)
        ok[ok] = chosen[back_rows[ok]] == my_cols[ok]
        return sorted(
            (int(a), int(b)) for a, b in zip(rows[ok], back_rows[ok], strict=True) if a < b
        )


def match(
    people: Iterable[Person],
    previous_pairs: Iterable[tuple[str, str]] = (),
    options: Options | None = None,
) -> MatchResult:
    """Pair the cohort's coachees with its coaches (see the module docstring for the rules).

    ``previous_pairs``: (coach id, coachee id) of last cycle, avoided in both directions;
    ids no longer in the cohort are ignored.
    """
    options = options or Options()
    cohort = _Cohort(people, previous_pairs, options)
    conflicts = None if options.allow_reciprocal else cohort.reciprocal_conflicts
    solution = solve(cohort, conflicts, max_nodes=options.max_nodes)

    pairs = []
    people = cohort.people
    for r in np.flatnonzero(solution.chosen >= 0):
        coach = people[cohort.coaches[solution.chosen[r]]]
        coachee = people[cohort.coachees[r]]
        pairs.append(_pair(coach, coachee, options))

    used = np.bincount(solution.chosen[solution.chosen >= 0], minlength=len(cohort.coaches))
    spare = {
        people[i].id: int(cap - u)
        for i, cap, u in zip(cohort.coaches, cohort.caps, used, strict=True)
    }
    unmatched = [_unmatched_opted_out(p) for p in people if p.opt_out]
    left_out = np.flatnonzero(solution.chosen < 0)
    for r, left in zip(left_out, cohort.qualified_counts(left_out, solution.chosen), strict=True):
        unmatched.append(_unmatched(cohort, int(r), left))
    unmatched.sort(key=lambda u: u.person_id)
    notes = ()
    if not solution.optimal:
        notes = (
            f"The search for the best pairs without reciprocal pairs stopped after "
            f"{solution.nodes} tries; these pairs follow every rule but may not be the best possible.",
        )
    return MatchResult(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        spare_capacity=spare,
        coachee_count=len(cohort.coachees),
        place_count=int(cohort.caps.sum()),
        total_score=solution.total_score,
        optimal=solution.optimal,
        nodes=solution.nodes,
        rounds=solution.rounds,
        notes=notes,
    )


def _pair(coach: Person, coachee: Person, options: Options) -> Pair:
    shared = tuple(s for s, _ in coachee.wants if s in coach.can_coach)
    mentor = options.onboarding and coach.is_mentor_role
    rules = ["onboarding" if options.onboarding else "skill_fit" if shared else "zero_fit"]
    if mentor:
        rules.append("mentor_preferred")
    if options.across_teams:
        rules.append("across_teams")
    pair_fit = fit(coach, coachee)
    params = {
        "coach_id": coach.id,
        "coachee_id": coachee.id,
        "coach": coach.display_name,
        "coachee": coachee.display_name,
        "skills": shared,
        "fit_percent": round(pair_fit / 10),
        "mentor": mentor,
    }
    who, whom, skills = coach.display_name, coachee.display_name, join_words(shared)
    if options.onboarding:
        role = "a mentor" if mentor else "an experienced colleague"
        if shared:
            code = "pair.onboarding"
            text = f"{whom} is new and {who} is {role} who can coach {skills}, which {whom} wants to grow."
        else:
            code = "pair.onboarding_no_skill"
            text = f"{whom} is new and {who} is {role} who can help them settle in; they share no listed skill."
    elif shared:
        code = "pair.skill_fit"
        text = f"Paired because {who} can coach {skills}, which {whom} wants to grow."
    else:
        code = "pair.zero_fit"
        text = (
            f"{who} has room to coach {whom}; they share no listed skill "
            f"(pairs without a shared skill were allowed)."
        )
    return Pair(
        coach_id=coach.id,
        coachee_id=coachee.id,
        shared_skills=shared,
        fit=pair_fit,
        score=pair_fit + (MENTOR_BONUS if mentor else 0),
        rules=tuple(rules),
        message=Message(code, text, params),
    )


def _unmatched_opted_out(person: Person) -> Unmatched:
    text = f"{person.display_name} opted out of coaching this cycle."
    params = {"person_id": person.id, "person": person.display_name}
    return Unmatched(
        person.id, "opted_out", CHOICES["opted_out"], Message("unmatched.opted_out", text, params)
    )


_STAGES = ("no_skill_match", "only_self", "only_teammates", "only_last_cycle", "only_reciprocal")


def _unmatched(cohort: _Cohort, row: int, left: np.ndarray) -> Unmatched:
    """The first rule, in a fixed order, that leaves this coachee without a qualified coach.

    ``left[k]``: how many coaches are still qualified after the rules of ``_STAGES[:k + 1]``.
    """
    person = cohort.people[cohort.coachees[row]]
    if not person.wants and not cohort.options.zero_fit_allowed:
        reason = "no_growth_skills"
    elif len(cohort.coaches) == 0:
        reason = "no_coaches"
    else:
        reason = next(
            (code for code, count in zip(_STAGES, left, strict=True) if count == 0), "coaches_full"
        )
    # How many could coach them but are full (coaches_full), or qualify on skills (otherwise).
    qualified = int(left[-1] if reason == "coaches_full" else left[0]) if len(left) else 0
    return Unmatched(
        person.id, reason, CHOICES[reason], _unmatched_message(cohort, person, reason, qualified)
    )


def _unmatched_message(cohort: _Cohort, person: Person, reason: str, qualified: int) -> Message:
    name, skills = person.display_name, join_words(person.want_skills, "or")
    coachees, places = len(cohort.coachees), int(cohort.caps.sum())
    params = {
        "person_id": person.id,
        "person": name,
        "skills": person.want_skills,
        "qualified_coaches": qualified,
        "coachees": coachees,
        "places": places,
    }
    onboarding = cohort.options.onboarding
    texts = {
        "no_growth_skills": f"{name} has not listed a skill they want to grow.",
        "no_coaches": (
            "Nobody can coach in this cycle: no experienced colleague or mentor has offered a place."
            if onboarding
            else "Nobody can coach in this cycle: no one has offered a place."
        ),
        "no_skill_match": f"Nobody who coaches can coach {skills}, which {name} wants to grow.",
        "only_self": f"The only person who can coach {skills} is {name}.",
        "only_teammates": f"Only {name}'s teammates can coach {skills}, and pairs must be across teams.",
        "only_last_cycle": f"Everyone else who can coach {skills} was paired with {name} last cycle.",
        "only_reciprocal": (
            f"Everyone else who can coach {skills} is coached by {name}, "
            "and reciprocal pairs are not allowed."
        ),
        "coaches_full": (
            f"All {qualified} colleagues who can coach {name} have no place left."
            + (
                f" {coachees} people want a coach and only {places} places are offered."
                if coachees > places
                else ""
            )
        ),
    }
    return Message(f"unmatched.{reason}", texts[reason], params)


def _no_cells() -> Cells:
    empty = np.empty(0, dtype=np.int64)
    return empty, empty, empty


def _concat(cells: list[Cells]) -> Cells:
    if not cells:
        return _no_cells()
    return tuple(np.concatenate(part) for part in zip(*cells, strict=True))


def _spread(row_ids: np.ndarray, local_rows: np.ndarray, limit: int) -> np.ndarray:
    """Keep at most ``limit`` cells per row (cells grouped by row, in column order).

    Which ones rotates with the row id, so coachees with the same favourites start from
    different coaches; deterministic for the same input.
    """
    if len(local_rows) == 0:
        return np.zeros(0, dtype=bool)
    counts = np.bincount(local_rows)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(len(local_rows)) - starts[local_rows]
    count = counts[local_rows]
    offset = (row_ids * 7919) % count
    return (rank - offset) % count < limit
