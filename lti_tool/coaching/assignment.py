"""Capacitated assignment solver under the coaching matcher: rows (coachees) to columns (coaches).

Pure numeric code on numpy/scipy arrays, no domain types: matching.py supplies the scores.

What it solves, exactly
-----------------------
Each row takes at most one column, column ``j`` takes at most ``caps[j]`` rows, only allowed
cells may be used, and the chosen cells maximise, lexicographically, first the number of rows
matched and then the total score. That is the linear programme
``max sum (big + score) x`` subject to row sums <= 1 and column sums <= caps, whose optimum is
integral (bipartite b-matching), with ``big`` larger than all scores together.

How
---
1. **Candidate cells, priced exactly.** The full cell set can hold millions of cells, so the
   solver works on a small candidate set (column generation): solve it, derive optimal dual
   prices from that solution, and ask the ``Scores`` source for allowed cells those prices
   undervalue (``big + score > u[row] + v[col]``). None left means the LP duality certificate
   holds for every allowed cell: the solution is optimal on the full set. Otherwise the best
   violators join the candidates and it repeats; each round adds cells, so it ends.
2. **Each solve** is one minimum-weight full bipartite matching (scipy's LAPJVsp, exact on
   integer-valued costs): every column becomes ``caps[j]`` identical slot columns and every
   row gets a private "unmatched" column costing more than any real cell by ``big``.
3. **Dual prices** from a solution: ``v`` is the least fixed point of
   ``v[j] = max(v[j], max over candidate cells (i, j) of w[i, j] - u[i])`` with
   ``u[i] = w[i, chosen[i]] - v[chosen[i]]`` (0 if unmatched), from ``v = 0``; for an optimal
   solution it is dual feasible with complementary slackness (``v = 0`` on columns with room),
   which is checked.
4. **Conflicting cells** (the coaching rule "no reciprocal pairs") are not a bipartite
   constraint: branch and bound. When a solution uses two conflicting cells, branch on
   forbidding one or the other; every valid solution survives in one branch, and a node's
   optimum bounds its subtree, so the search is exact when it finishes. A dive first (forbid
   the weaker cell of every conflict, re-solve, repeat) gives a valid solution; when its value
   equals the root's bound it is proven optimal at once, the common case. If ``max_nodes``
   runs out first, the best valid solution is returned with ``optimal=False`` and the gap.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

# Two rows whose chosen cells may not both stand (given the chosen column of every row).
Conflicts = Callable[[np.ndarray], Sequence[tuple[int, int]]]
Forbidden = frozenset[tuple[int, int]]
Cells = tuple[np.ndarray, np.ndarray, np.ndarray]  # rows, cols, scores


class Scores(Protocol):
    """Where the allowed cells and their non-negative integer scores come from."""

    caps: np.ndarray  # per column, > 0
    row_max: np.ndarray  # best score of each row over its allowed cells; -1: none allowed

    def initial(self) -> Cells:
        """A starting candidate set (any allowed cells; more is slower, fewer means more rounds)."""
        ...

    def price(
        self, rows: np.ndarray, floor: np.ndarray, col_price: np.ndarray, forbidden: Forbidden
    ) -> Cells:
        """Allowed, not forbidden cells (rows[k], c) with score > floor[k] + col_price[c].

        At least one per row that has any (the best by score - col_price first).
        """
        ...


@dataclass(frozen=True)
class Solution:
    """``chosen[r]``: the column of row ``r`` or -1."""

    chosen: np.ndarray
    matched: int
    total_score: int
    optimal: bool
    gap: int  # upper bound - value, in units of big * matched + total score; 0 when optimal
    nodes: int  # solved branch-and-bound nodes (1 when nothing conflicted)
    rounds: int  # LAPJVsp solves over all nodes and pricing rounds


class _Candidates:
    """The growing candidate cell set, sorted by (row, col) key."""

    def __init__(self, width: int, cells: Cells) -> None:
        self.width = width
        self.keys = np.empty(0, dtype=np.int64)
        self.scores = np.empty(0, dtype=np.int64)
        self.add(cells)

    def add(self, cells: Cells) -> int:
        rows, cols, scores = cells
        keys = np.concatenate((self.keys, np.asarray(rows, np.int64) * self.width + cols))
        merged = np.concatenate((self.scores, np.asarray(scores, np.int64)))
        before = len(self.keys)
        self.keys, first = np.unique(keys, return_index=True)
        self.scores = merged[first]
        return len(self.keys) - before

    def without(self, forbidden: Forbidden) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keys, scores = self.keys, self.scores
        if forbidden:
            drop = np.array([r * self.width + c for r, c in forbidden], dtype=np.int64)
            keep = ~np.isin(keys, drop)
            keys, scores = keys[keep], scores[keep]
        return keys // self.width, keys % self.width, scores


class _Node:
    """One solve of the candidate set minus forbidden cells: the assignment and its dual prices."""

    def __init__(self, n: int, caps: np.ndarray, big: int, cells: tuple[np.ndarray, ...]) -> None:
        rows, cols, scores = cells
        self.rows, self.cols, self.scores = rows, cols, scores
        self.width = len(caps)
        self.keys = rows * self.width + cols
        max_score = int(scores.max()) if len(scores) else 0
        self.chosen = _lapjvsp(n, caps, big, max_score, rows, cols, scores)
        matched = np.flatnonzero(self.chosen >= 0)
        at = np.searchsorted(self.keys, matched * self.width + self.chosen[matched])
        self.matched = len(matched)
        self.total_score = int(scores[at].sum())
        self.value = big * self.matched + self.total_score
        self.u, self.v = _duals(n, caps, big, self, matched, at)

    def score_of(self, row: int) -> int:
        k = np.searchsorted(self.keys, row * self.width + self.chosen[row])
        return int(self.scores[k])


def _lapjvsp(n, caps, big, max_score, rows, cols, scores) -> np.ndarray:
    """Columns chosen per row (-1 unmatched) by one min-weight full bipartite matching."""
    slot_start = np.concatenate(([0], np.cumsum(caps)))
    reps = caps[cols]
    total = int(reps.sum())
    copy = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    slot_rows = np.repeat(rows, reps)
    per_row = np.bincount(slot_rows, minlength=n) + 1
    indptr = np.concatenate(([0], np.cumsum(per_row)))
    # Row r holds its unmatched column (r) first, then its slot columns in order: the slot
    # at expanded index t lands after the r + 1 unmatched columns placed so far.
    indices = np.empty(int(indptr[-1]), dtype=np.int64)
    data = np.empty(int(indptr[-1]), dtype=np.float64)
    indices[indptr[:-1]] = np.arange(n)
    data[indptr[:-1]] = float(big + max_score + 1)
    where = np.arange(total) + slot_rows + 1
    indices[where] = n + np.repeat(slot_start[cols], reps) + copy
    data[where] = np.repeat((max_score + 1 - scores).astype(np.float64), reps)
    matrix = csr_matrix((data, indices, indptr), shape=(n, n + int(slot_start[-1])))
    _, slots = min_weight_full_bipartite_matching(matrix)
    chosen = np.full(n, -1, dtype=np.int64)
    real = slots >= n
    chosen[real] = np.repeat(np.arange(len(caps)), caps)[slots[real] - n]
    return chosen


def _duals(n, caps, big, node: _Node, matched: np.ndarray, at: np.ndarray):
    """Least dual prices ``v`` (and the matching ``u``) certifying ``node``'s solution."""
    m = len(caps)
    u_base = np.zeros(n, dtype=np.int64)
    u_base[matched] = big + node.scores[at]
    if len(node.rows) == 0:
        return u_base, np.zeros(m, dtype=np.int64)
    order = np.argsort(node.cols, kind="stable")
    rows, cols, w = node.rows[order], node.cols[order], big + node.scores[order]
    starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
    seg_cols = cols[starts]
    v = np.zeros(m, dtype=np.int64)
    for _ in range(m + 2):
        u = u_base.copy()
        u[matched] -= v[node.chosen[matched]]
        need = np.maximum.reduceat(w - u[rows], starts)
        grown = need > v[seg_cols]
        if not grown.any():
            break
        v[seg_cols[grown]] = need[grown]
    else:  # pragma: no cover - would mean a positive cycle, i.e. a non-optimal solve
        raise RuntimeError("assignment: dual prices did not settle")
    load = np.bincount(node.chosen[matched], minlength=m)
    if np.any(v[load < caps] != 0) or np.any(u[matched] < 0):  # pragma: no cover
        raise RuntimeError("assignment: the solve is not optimal on its own candidate cells")
    return u, v


def solve(source: Scores, conflicts: Conflicts | None = None, max_nodes: int = 64) -> Solution:
    """The best assignment (most rows matched, then highest total score) avoiding conflicts."""
    caps = np.asarray(source.caps, dtype=np.int64)
    row_max = np.asarray(source.row_max, dtype=np.int64)
    n = len(row_max)
    if n == 0 or len(caps) == 0 or row_max.max() < 0:
        return Solution(np.full(n, -1, dtype=np.int64), 0, 0, True, 0, 0, 0)
    big = n * (int(row_max.max()) + 1) + 1
    candidates = _Candidates(len(caps), source.initial())
    suspects_possible = row_max >= 0
    counters = {"nodes": 0, "rounds": 0}

    def solve_node(forbidden: Forbidden) -> tuple[_Node, list[tuple[int, int]]]:
        counters["nodes"] += 1
        while True:
            counters["rounds"] += 1
            node = _Node(n, caps, big, candidates.without(forbidden))
            # A row can be undervalued only if its best cell beats its price alone (v >= 0).
            suspects = np.flatnonzero(suspects_possible & (row_max + big > node.u))
            found = (
                source.price(suspects, node.u[suspects] - big, node.v, forbidden)
                if len(suspects)
                else None
            )
            if found is None or candidates.add(found) == 0:
                return node, (list(conflicts(node.chosen)) if conflicts else [])

    root, root_conflicts = solve_node(frozenset())
    if not root_conflicts:
        return _solution(root, True, 0, counters)

    # Dive for a valid incumbent: forbid the weaker cell of every conflict, re-solve.
    forbidden: Forbidden = frozenset()
    node, found = root, root_conflicts
    while found:
        forbidden = forbidden | {_weaker(node, a, b) for a, b in found}
        node, found = solve_node(forbidden)
    best = node

    # Best-first branch and bound over which cell of a conflict to drop.
    heap = [(-root.value, 0, frozenset(), root, root_conflicts)]
    counter = 1
    while heap and counters["nodes"] < max_nodes:
        neg_bound, _, node_forbidden, parent, parent_conflicts = heapq.heappop(heap)
        if -neg_bound <= best.value:
            heap.clear()
            break
        a, b = parent_conflicts[0]
        for row in (a, b):
            child_forbidden = node_forbidden | {(row, int(parent.chosen[row]))}
            child, child_conflicts = solve_node(child_forbidden)
            if child.value <= best.value:
                continue
            if not child_conflicts:
                best = child
            else:
                heapq.heappush(
                    heap, (-child.value, counter, child_forbidden, child, child_conflicts)
                )
                counter += 1
    open_bound = max((-item[0] for item in heap), default=best.value)
    gap = max(0, open_bound - best.value)
    return _solution(best, gap == 0, gap, counters)


def _weaker(node: _Node, a: int, b: int) -> tuple[int, int]:
    row = a if (node.score_of(a), -a) < (node.score_of(b), -b) else b
    return row, int(node.chosen[row])


def _solution(node: _Node, optimal: bool, gap: int, counters: dict[str, int]) -> Solution:
    return Solution(
        node.chosen,
        node.matched,
        node.total_score,
        optimal,
        gap,
        counters["nodes"],
        counters["rounds"],
    )


class FixedScores:
    """``Scores`` over an explicit cell list (for small problems and tests).

    ``initial_per_row`` limits the starting candidates (the lowest columns of each row), so
    tests can make the pricing rounds do the work.
    """

    def __init__(self, n_rows: int, caps, rows, cols, scores, initial_per_row: int | None = None):
        self.caps = np.asarray(caps, dtype=np.int64)
        rows, cols, scores = (np.asarray(a, dtype=np.int64) for a in (rows, cols, scores))
        order = np.lexsort((cols, rows))
        self.rows, self.cols, self.scores = rows[order], cols[order], scores[order]
        if len(rows) and (scores.min() < 0 or np.any(self.caps[cols] <= 0)):
            raise ValueError("scores must be >= 0 and every cell's column needs capacity")
        self.row_max = np.full(n_rows, -1, dtype=np.int64)
        np.maximum.at(self.row_max, self.rows, self.scores)
        self.initial_per_row = initial_per_row

    def initial(self) -> Cells:
        if self.initial_per_row is None:
            return self.rows, self.cols, self.scores
        starts = np.searchsorted(self.rows, self.rows, side="left")
        keep = np.arange(len(self.rows)) - starts < self.initial_per_row
        return self.rows[keep], self.cols[keep], self.scores[keep]

    def price(self, rows, floor, col_price, forbidden) -> Cells:
        limit = dict(zip(rows.tolist(), floor.tolist(), strict=True))
        keep = [
            k
            for k, (r, c, s) in enumerate(zip(self.rows, self.cols, self.scores, strict=True))
            if int(r) in limit
            and (int(r), int(c)) not in forbidden
            and s > limit[int(r)] + col_price[c]
        ]
        return self.rows[keep], self.cols[keep], self.scores[keep]
