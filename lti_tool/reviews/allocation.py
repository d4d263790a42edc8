"""Who reviews what: batch allocation, the pull queue and the small-cohort check.

Pure functions over small frozen dataclasses (no Flask, no database). Ids are ints or strings,
one kind per call: inputs are sorted by id, so results do not depend on the order given.
"""

from __future__ import annotations

import random
from bisect import bisect_right, insort
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import accumulate, chain, compress, count, islice, repeat
from operator import attrgetter, contains, eq

Id = int | str

# Random partners tried per conflict before scanning. The budget (partner checks in all)
# and giving up after conflicts in a row without a partner bound the worst case (groups so
# large that few swaps exist): what is left moves to the least-loaded eligible reviewer.
_SWAP_TRIES = 24
_SWAP_BUDGET = 200_000
_GIVE_UP = 32
_by_id = attrgetter("id")
_by_authors = attrgetter("authors")


class AllocationError(ValueError):
    """Inputs that cannot be allocated (duplicate ids, mixed id types, k below 1)."""


@dataclass(frozen=True, slots=True)
class Submission:
    """A piece of work to review.

    ``authors``: everyone who wrote it (one person, or a group's members). ``group``: the group
    it belongs to: a group submission's group, or the author's group when the activity uses
    groups; ``None`` without groups. ``submitted_at`` orders the pull queue (earliest first).
    """

    id: Id
    authors: frozenset[Id]
    group: Hashable | None = None
    submitted_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.authors, frozenset):
            object.__setattr__(self, "authors", frozenset(self.authors))


@dataclass(frozen=True, slots=True)
class Reviewer:
    """Someone who may review: a submitter, or a person who did not submit (late or none)."""

    id: Id
    group: Hashable | None = None


def may_review(reviewer: Reviewer, submission: Submission) -> bool:
    """Never one's own work, never one's own group's work."""
    if reviewer.id in submission.authors:
        return False
    return reviewer.group is None or reviewer.group != submission.group


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A submission that cannot get k peer reviews: ``eligible`` peers exist, ``missing`` lack."""

    submission_id: Id
    eligible: int
    missing: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """The result of a batch allocation, stored as two parallel columns.

    Slot n is reviewer ``reviewer_ids[n]`` reviewing ``submission_ids[n]``, ordered by
    submission id then reviewer id (columns keep 100,000 submissions cheap: no tuple per
    pair; bulk inserts zip them). A submission in ``shortfall`` got every eligible reviewer
    there is, fewer than k: the caller applies the small-cohort fallback.
    """

    reviewer_ids: tuple[Id, ...]
    submission_ids: tuple[Id, ...]
    shortfall: tuple[Shortfall, ...]
    k: int
    seed: int | str

    def pairs(self) -> list[tuple[Id, Id]]:
        """(reviewer id, submission id) for every review to write, in slot order."""
        return list(zip(self.reviewer_ids, self.submission_ids, strict=True))

    def loads(self) -> Counter:
        """Reviews per reviewer id (reviewers with none are absent: their load is 0)."""
        return Counter(self.reviewer_ids)

    def reviewers_of(self) -> dict[Id, list[Id]]:
        """Submission id -> its reviewers' ids (submissions without reviewers are absent)."""
        out: dict[Id, list[Id]] = {}
        for reviewer, submission in zip(self.reviewer_ids, self.submission_ids, strict=True):
            out.setdefault(submission, []).append(reviewer)
        return out


class _Cohort:
    """Submissions and reviewers sorted by id, with group codes for quick comparisons.

    Group codes: reviewers without a group count as -1 and submissions without one as -2,
    so ``rgroup.get(j, -1) == sgroup[i]`` alone says "same group".
    """

    def __init__(self, submissions: Iterable[Submission], reviewers: Iterable[Reviewer]) -> None:
        self.subs = _sorted_unique(submissions, "submission")
        revs = _sorted_unique(reviewers, "reviewer")
        self.rev_ids = list(map(_by_id, revs))
        codes: dict[Hashable, int] = {}
        # Every reviewer's group code when any reviewer has a group, else empty ({}.get: -1).
        self.rgroup: dict[Id, int] = {}
        if any(r.group is not None for r in revs):
            self.rgroup = {
                r.id: -1 if r.group is None else codes.setdefault(r.group, len(codes)) for r in revs
            }
        self.sgroup = [
            -2 if s.group is None else codes.setdefault(s.group, len(codes)) for s in self.subs
        ]
        self.authors: list[frozenset] = list(map(_by_authors, self.subs))

    def conflict(self, i: int, j: Id) -> bool:
        """Reviewer j may not review submission i (own work or own group)."""
        return j in self.authors[i] or self.rgroup.get(j, -1) == self.sgroup[i]

    def eligible_counts(self) -> list[int]:
        """For each submission, how many reviewers may review it."""
        total = len(self.rev_ids)
        if not self.rgroup:  # no reviewer in a group: only the authors who review are out
            reviewing = set(self.rev_ids)
            return [
                total - (len(a) if a <= reviewing else len(a & reviewing)) for a in self.authors
            ]
        size = Counter(self.rgroup.values())
        code = self.rgroup.get  # reviewers only: a non-reviewer gets the default below
        out = []
        for g, authors in zip(self.sgroup, self.authors, strict=True):
            excluded = size.get(g, 0)
            for a in authors:
                if code(a, g) != g:  # an author who reviews from outside the group
                    excluded += 1
            out.append(total - excluded)
        return out

    def shortfall(self, eligible: list[int], k: int) -> tuple[Shortfall, ...]:
        return tuple(
            Shortfall(s.id, e, k - e) for s, e in zip(self.subs, eligible, strict=True) if e < k
        )


def _sorted_unique(items: Iterable, what: str) -> list:
    try:
        ordered = sorted(items, key=_by_id)
    except TypeError:
        raise AllocationError(f"{what} ids must be all integers or all strings") from None
    ids = list(map(_by_id, ordered))
    if len(set(ids)) != len(ids):
        twice = next(a for a, b in zip(ids, ids[1:], strict=False) if a == b)
        raise AllocationError(f"{what} id {twice!r} appears twice")
    return ordered


class _Slots:
    """Reviewer ids in one flat list; submission i owns slots start[i] to start[i+1].

    Flat on purpose: a list per submission would be 100,000 more objects for the
    garbage collector to walk, more time than the algorithm itself at that size.
    """

    def __init__(self, perm: list[Id], offset: int, targets: list[int]) -> None:
        self.perm, self.offset = perm, offset  # the stream as built, before any repair
        self.targets = targets
        self.start = list(accumulate(targets, initial=0))
        self.flat = _cyclic(perm, offset, self.start[-1])

    def row(self, i: int) -> list[Id]:
        return self.flat[self.start[i] : self.start[i + 1]]

    def owner(self, position: int) -> int:
        return bisect_right(self.start, position) - 1

    def replace(self, i: int, old: Id, new: Id) -> None:
        self.flat[self.flat.index(old, self.start[i], self.start[i + 1])] = new


def allocate(
    submissions: Iterable[Submission], reviewers: Iterable[Reviewer], k: int, seed: int | str
) -> Allocation:
    """Give each submission k reviewers: never self, never own group, loads balanced.

    Guarantees:
    - every submission gets min(k, eligible reviewers) distinct reviewers; the ones below k
      are listed in ``shortfall``;
    - nobody reviews their own or their group's work;
    - loads: when each person wrote at most one submission and nobody is excluded by a
      group, loads differ by at most 1. With groups, loads are exactly balanced whenever the
      conflicts can be repaired by swapping reviewers between submissions; otherwise no
      single review can move from a reviewer to one with at least 2 fewer reviews (the
      groups forbid it), so loads are as even as the groups allow move by move;
    - the same inputs and seed give the same result, in any input order.

    How: reviewers in a random order form a cyclic stream; submission i takes the next
    min(k, eligible) slots, which gives every reviewer floor or ceil of the mean. Self/group
    conflicts (rare unless groups are large) are swapped with a random compatible slot of
    another submission (loads unchanged); what no swap can fix moves to the least-loaded
    eligible reviewer, then a rebalancing pass moves reviews from heavy to light reviewers.
    """
    _check_k(k)
    cohort = _Cohort(submissions, reviewers)
    eligible = cohort.eligible_counts()
    targets = [k if e >= k else e for e in eligible]
    rng = random.Random(f"peerpath-allocation:{seed}")
    slots = _Slots(*_stream(cohort.rev_ids, rng), targets)
    unresolved = _swap_repair(cohort, slots, _conflicts(cohort, slots), rng)
    if unresolved:
        buckets = _LoadBuckets(cohort, slots)
        _move_repair(cohort, slots, unresolved, buckets)
        _rebalance(cohort, slots, buckets)
    rows = map(islice, repeat(iter(slots.flat)), targets)  # each submission's slots in turn
    return Allocation(
        reviewer_ids=tuple(chain.from_iterable(map(sorted, rows))),
        submission_ids=tuple(_per_slot(map(_by_id, cohort.subs), targets)),
        shortfall=cohort.shortfall(eligible, k),
        k=k,
        seed=seed,
    )


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise AllocationError(f"k must be a whole number of reviews of at least 1, not {k!r}")


def _per_slot(values: Iterable, targets: list[int]) -> Iterable:
    """Each submission's value once per slot it owns (itertools: C speed)."""
    return chain.from_iterable(map(repeat, values, targets))


def _stream(rev_ids: list[Id], rng: random.Random) -> tuple[list[Id], int]:
    """Reviewers in a random order and a random start: the cyclic stream slots come from.

    Consecutive slots hold distinct reviewers as long as a submission takes no more slots
    than there are reviewers (it never does: targets are capped by the eligible count).
    """
    if not rev_ids:
        return [], 0
    draw = rng.random
    perm = sorted(rev_ids, key=lambda _: draw())  # a shuffle, ~2x faster than rng.shuffle
    return perm, rng.randrange(len(perm))


def _cyclic(values: list, offset: int, total: int) -> list:
    """``total`` items of ``values`` repeated cyclically, from ``offset``."""
    if total == 0:
        return []
    return (values * ((offset + total) // len(values) + 1))[offset : offset + total]


def _conflicts(cohort: _Cohort, slots: _Slots) -> list[tuple[int, Id]]:
    """(submission index, reviewer id) slots that break "never self, never own group"."""
    flat = slots.flat
    # Own work: is the slot's reviewer among its submission's authors? (itertools and
    # operator keep these 300,000 checks in C; a Python loop costs ~3x more.)
    own = map(contains, _per_slot(cohort.authors, slots.targets), flat)
    found = {(slots.owner(p), flat[p]) for p in compress(count(), own)}
    if cohort.rgroup:
        # Same group: compare every slot's reviewer group with its submission's group
        # (the slots' codes follow the stream, so look up each reviewer once, not k times).
        codes = _cyclic(list(map(cohort.rgroup.__getitem__, slots.perm)), slots.offset, len(flat))
        same = map(eq, codes, _per_slot(cohort.sgroup, slots.targets))
        found.update((slots.owner(p), flat[p]) for p in compress(count(), same))
    return sorted(found)


def _swap_repair(cohort: _Cohort, slots: _Slots, conflicts, rng) -> list[tuple[int, Id]]:
    """Swap each conflicting slot with a compatible slot elsewhere; return what is left."""
    conflict, flat, row = cohort.conflict, slots.flat, slots.row
    total = len(flat)
    budget = _SWAP_BUDGET
    left = []

    def fits(i: int, j: Id, p2: int) -> bool:
        # The reviewer in slot p2 may take j's place on i, and j may take theirs.
        i2, j2 = slots.owner(p2), flat[p2]
        return (
            i2 != i
            and not conflict(i, j2)
            and not conflict(i2, j)
            and j2 not in row(i)
            and j not in row(i2)
        )

    failures = 0
    for i, j in conflicts:
        if j not in row(i):  # fixed already as the partner of an earlier swap
            continue
        if failures >= _GIVE_UP or budget <= 0:  # few or no partners: moving is the way
            left.append((i, j))
            continue
        budget -= _SWAP_TRIES
        found = next(
            (p for p in (rng.randrange(total) for _ in range(_SWAP_TRIES)) if fits(i, j, p)), None
        )
        if found is None and budget > 0:
            first = rng.randrange(total)
            for step in range(min(total, budget)):
                budget -= 1
                if fits(i, j, (first + step) % total):
                    found = (first + step) % total
                    break
        if found is None:
            failures += 1
            left.append((i, j))
            continue
        failures = 0
        slots.replace(i, j, flat[found])
        flat[found] = j
    return left


class _LoadBuckets:
    """Reviewers by load, then by group code: finds the least-loaded eligible reviewer fast.

    Stacks with lazy deletion: a reviewer whose load changed stays in its old stack until
    it reaches the top, and is skipped meanwhile (deleting from dicts or lists in place
    would make each lookup scan the holes and the whole repair quadratic).
    """

    def __init__(self, cohort: _Cohort, slots: _Slots) -> None:
        self.rgroup = cohort.rgroup
        self.load: dict[Id, int] = dict.fromkeys(cohort.rev_ids, 0)
        self.load.update(Counter(slots.flat))
        self.stacks: dict[int, dict[int, list[Id]]] = {}  # load -> group code -> reviewers
        self.count: Counter = Counter()  # load -> reviewers with that load
        self.levels: list[int] = []  # the loads someone has, ascending
        for j, load in self.load.items():
            self._put(j, load)

    def _put(self, j: Id, load: int) -> None:
        if not self.count[load]:
            insort(self.levels, load)
        self.count[load] += 1
        self.stacks.setdefault(load, {}).setdefault(self.rgroup.get(j, -1), []).append(j)

    def shift(self, j: Id, delta: int) -> None:
        old = self.load[j]
        self.count[old] -= 1
        if not self.count[old]:
            self.levels.remove(old)
            del self.stacks[old]
        self.load[j] = old + delta
        self._put(j, old + delta)

    def min_load(self) -> int:
        return self.levels[0]

    def lightest(self, group: int, taken, authors, max_load: int | None = None) -> Id | None:
        """Least-loaded reviewer outside ``group``, not in ``taken`` nor ``authors``."""
        load_of = self.load
        for load in self.levels:
            if max_load is not None and load > max_load:
                return None
            for g, stack in self.stacks[load].items():
                if g == group:
                    continue
                while stack and load_of[stack[-1]] != load:
                    stack.pop()  # moved away since: drop
                for j in reversed(stack):
                    if load_of[j] == load and j not in taken and j not in authors:
                        return j
        return None


def _move_repair(cohort: _Cohort, slots: _Slots, unresolved, buckets: _LoadBuckets) -> None:
    """Give each conflicting slot to the least-loaded eligible reviewer (loads change)."""
    for i, j in unresolved:
        if j not in slots.row(i):  # a later swap took it away after all
            continue
        j2 = buckets.lightest(cohort.sgroup[i], slots.row(i), cohort.authors[i])
        # One always exists: a submission gets at most as many slots as it has eligible
        # reviewers, and this slot is not one of them.
        slots.replace(i, j, j2)
        buckets.shift(j, -1)
        buckets.shift(j2, +1)


def _rebalance(cohort: _Cohort, slots: _Slots, buckets: _LoadBuckets) -> None:
    """Move reviews from heavy to lighter reviewers (by 2 or more) until no move is allowed."""
    load = buckets.load
    subs_of: dict[Id, list[int]] = {j: [] for j in load}
    for p, j in enumerate(slots.flat):
        subs_of[j].append(slots.owner(p))
    moved = True
    while moved:  # each move lowers the sum of squared loads: this ends
        moved = False
        for h in sorted(load, key=lambda j: -load[j]):
            if load[h] - buckets.min_load() < 2:
                break
            for i in list(subs_of[h]):
                if load[h] - buckets.min_load() < 2:
                    break
                low = buckets.lightest(
                    cohort.sgroup[i], slots.row(i), cohort.authors[i], max_load=load[h] - 2
                )
                if low is None:
                    continue
                slots.replace(i, h, low)
                subs_of[h].remove(i)
                subs_of[low].append(i)
                buckets.shift(h, -1)
                buckets.shift(low, +1)
                moved = True


# --- pull queue (ORA2-style) -------------------------------------------------------------


class PickReason(StrEnum):
    """Why the pull queue answered what it did (the page says it in words)."""

    PICKED = "picked"  # the submission with the fewest reviews
    RESUMED = "resumed"  # the reviewer's own unexpired lease, handed back
    NOTHING_SUBMITTED = "nothing_submitted"  # the queue is empty
    ONLY_OWN_WORK = "only_own_work"  # everything is the reviewer's or their group's
    ALL_REVIEWED = "all_reviewed"  # the reviewer already reviewed everything they may


@dataclass(frozen=True, slots=True)
class Lease:
    """A submission held for a reviewer until ``expires_at`` (same timezone as ``now``)."""

    submission_id: Id
    reviewer_id: Id
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Pick:
    """The pull queue's answer: ``submission_id`` is None when nothing is eligible.

    ``reviews``: completed reviews plus other reviewers' active leases on it, before this
    pick. ``extra``: it already had k (over-reviewing, allowed so nobody waits idle).
    """

    submission_id: Id | None
    reason: PickReason
    reviews: int = 0
    extra: bool = False


def next_submission(
    submissions: Iterable[Submission],
    completed: Mapping[Id, int],
    leases: Iterable[Lease],
    reviewer: Reviewer,
    reviewed: Collection[Id],
    now: datetime,
    k: int | None = None,
) -> Pick:
    """The next submission for ``reviewer``: fewest completed + leased reviews first.

    Never their own or their group's work, never one they already reviewed (``reviewed``);
    ties go to the earliest submitted, then the smallest id. An unexpired lease the
    reviewer already holds is handed back first (reason RESUMED). Over-reviewing is allowed:
    when everything has k reviews, the fewest still wins (``extra`` is then True).
    """
    held: Counter = Counter()
    own_leases: set[Id] = set()
    for lease in leases:
        if lease.expires_at > now:
            if lease.reviewer_id == reviewer.id:
                own_leases.add(lease.submission_id)
            else:
                held[lease.submission_id] += 1
    best_key = None
    best = None
    resumed_key = None
    resumed = None
    seen = eligible = 0
    for s in submissions:
        seen += 1
        if not may_review(reviewer, s):
            continue
        eligible += 1
        if s.id in reviewed:
            continue
        count = completed.get(s.id, 0) + held[s.id]
        key = (
            count,
            s.submitted_at is None,
            s.submitted_at if s.submitted_at is not None else 0,
            s.id,
        )
        if s.id in own_leases:
            if resumed_key is None or key < resumed_key:
                resumed_key, resumed = key, s
        elif best_key is None or key < best_key:
            best_key, best = key, s
    if resumed is not None:
        best_key, best, reason = resumed_key, resumed, PickReason.RESUMED
    else:
        reason = PickReason.PICKED
    if best is None:
        if not seen:
            return Pick(None, PickReason.NOTHING_SUBMITTED)
        if not eligible:
            return Pick(None, PickReason.ONLY_OWN_WORK)
        return Pick(None, PickReason.ALL_REVIEWED)
    count = best_key[0]
    return Pick(best.id, reason, count, k is not None and count >= k)


# --- small cohorts -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortAssessment:
    """Can every submission get k peer reviews? If not, who gets how many.

    ``coverage``: (peer reviews possible, number of submissions), most reviews first, e.g.
    ((3, 4), (2, 1)) = four submissions can get 3 reviews and one can get 2.
    ``mean_load``: reviews each reviewer would write on average.
    """

    k: int
    submissions: int
    reviewers: int
    complete: bool
    coverage: tuple[tuple[int, int], ...]
    shortfall: tuple[Shortfall, ...]
    mean_load: float


def assess_cohort(
    submissions: Iterable[Submission], reviewers: Iterable[Reviewer], k: int
) -> CohortAssessment:
    """Say whether every submission can get k peer reviews, so the page can tell people."""
    _check_k(k)
    cohort = _Cohort(submissions, reviewers)
    eligible = cohort.eligible_counts()
    possible = [min(k, e) for e in eligible]
    coverage = tuple(sorted(Counter(possible).items(), reverse=True))
    n_reviewers = len(cohort.rev_ids)
    return CohortAssessment(
        k=k,
        submissions=len(cohort.subs),
        reviewers=n_reviewers,
        complete=all(p == k for p in possible),
        coverage=coverage,
        shortfall=cohort.shortfall(eligible, k),
        mean_load=sum(possible) / n_reviewers if n_reviewers else 0.0,
    )
