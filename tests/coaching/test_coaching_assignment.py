"""The assignment solver on explicit score lists: exact, priced, and honest when it stops early."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.coaching.assignment import FixedScores, solve


def brute(n_rows, caps, cells, conflicts=()):
    """(matched, total) maximised lexicographically over every assignment, by enumeration."""
    by_row = {r: [(c, s) for rr, c, s in cells if rr == r] for r in range(n_rows)}
    best = (0, 0)
    for choice in itertools.product(*[[None, *by_row[r]] for r in range(n_rows)]):
        load = [0] * len(caps)
        for pick in choice:
            if pick:
                load[pick[0]] += 1
        if any(load[c] > caps[c] for c in range(len(caps))):
            continue
        cols = [pick[0] if pick else -1 for pick in choice]
        if any(clash(np.array(cols)) for clash in conflicts):
            continue
        picked = [pick for pick in choice if pick]
        best = max(best, (len(picked), sum(s for _, s in picked)))
    return best


@st.composite
def problems(draw):
    n_rows = draw(st.integers(min_value=0, max_value=5))
    caps = draw(st.lists(st.integers(min_value=1, max_value=2), min_size=1, max_size=4))
    cells = sorted(
        draw(
            st.dictionaries(
                st.tuples(
                    st.integers(min_value=0, max_value=max(n_rows - 1, 0)),
                    st.integers(min_value=0, max_value=len(caps) - 1),
                ),
                st.integers(min_value=0, max_value=9),
                max_size=12,
            )
        ).items()
    )
    cells = [(r, c, s) for (r, c), s in cells if r < n_rows]
    return n_rows, caps, cells


def fixed(n_rows, caps, cells, initial_per_row=None):
    rows, cols, scores = zip(*cells, strict=True) if cells else ((), (), ())
    return FixedScores(n_rows, caps, rows, cols, scores, initial_per_row)


@settings(max_examples=200, deadline=None)
@given(problem=problems(), per_row=st.sampled_from([None, 0, 1]))
def test_optimal_whatever_the_starting_candidates(problem, per_row):
    n_rows, caps, cells = problem
    solution = solve(fixed(n_rows, caps, cells, per_row))
    assert solution.optimal
    assert (solution.matched, solution.total_score) == brute(n_rows, caps, cells)
    load = np.bincount(solution.chosen[solution.chosen >= 0], minlength=len(caps))
    assert np.all(load <= caps)
    allowed = {(r, c) for r, c, _ in cells}
    assert all((r, int(c)) in allowed for r, c in enumerate(solution.chosen) if c >= 0)


def rows_clash(a: int, b: int, col_a: int, col_b: int):
    """A conflict rule: row a on col_a and row b on col_b may not both stand."""

    def clash(chosen):
        return chosen[a] == col_a and chosen[b] == col_b

    return clash


@settings(max_examples=150, deadline=None)
@given(problem=problems(), data=st.data())
def test_conflicting_cells_exact_by_branch_and_bound(problem, data):
    n_rows, caps, cells = problem
    if n_rows < 2:
        return
    rules = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        a, b = data.draw(st.lists(st.integers(0, n_rows - 1), min_size=2, max_size=2, unique=True))
        rules.append(
            (
                a,
                b,
                data.draw(st.integers(0, len(caps) - 1)),
                data.draw(st.integers(0, len(caps) - 1)),
            )
        )
    clashes = [rows_clash(*rule) for rule in rules]

    def conflicts(chosen):
        return [
            (min(a, b), max(a, b))
            for (a, b, *_), clash in zip(rules, clashes, strict=True)
            if clash(chosen)
        ]

    solution = solve(fixed(n_rows, caps, cells, 1), conflicts)
    assert solution.optimal
    assert not conflicts(solution.chosen)
    assert (solution.matched, solution.total_score) == brute(n_rows, caps, cells, clashes)


def test_most_rows_matched_before_highest_score():
    # Row 0 alone on column 0 scores 9; rows 0 and 1 both matched score only 1 + 1.
    solution = solve(fixed(2, [1, 1], [(0, 0, 9), (0, 1, 1), (1, 0, 1)]))
    assert solution.chosen.tolist() == [1, 0]
    assert (solution.matched, solution.total_score) == (2, 2)


def test_an_exhausted_search_says_the_result_is_not_proven():
    # Rows 0 and 1 may not take (1, 0) together: only one of them can be matched.
    cells = [(0, 1, 5), (1, 0, 5)]

    def conflicts(chosen):
        return [(0, 1)] if chosen[0] == 1 and chosen[1] == 0 else []

    early = solve(fixed(2, [1, 1], cells), conflicts, max_nodes=1)
    assert (early.matched, early.optimal) == (1, False)
    assert early.gap > 0
    full = solve(fixed(2, [1, 1], cells), conflicts)
    assert (full.matched, full.total_score, full.optimal, full.gap) == (1, 5, True, 0)


def test_nothing_to_assign():
    assert solve(fixed(0, [1], [])).matched == 0
    empty = solve(fixed(3, [2], []))
    assert empty.chosen.tolist() == [-1, -1, -1] and empty.optimal
