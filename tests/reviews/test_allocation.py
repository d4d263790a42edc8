"""Batch allocation: k reviews each, never self or own group, balanced, reproducible."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.reviews.allocation import (
    Allocation,
    AllocationError,
    Reviewer,
    Submission,
    allocate,
    assess_cohort,
    may_review,
)

PROPERTY = settings(max_examples=100, deadline=None)


def individuals(n: int, groups: dict[int, object] | None = None, late: int = 0):
    """n people who each submitted (ids 0..n-1) plus ``late`` who only review."""
    groups = groups or {}
    subs = [Submission(p, frozenset({p}), groups.get(p)) for p in range(n)]
    revs = [Reviewer(p, groups.get(p)) for p in range(n + late)]
    return subs, revs


@st.composite
def cohorts(draw, with_groups: bool = True):
    """(submissions, reviewers, k, seed): individual or group submissions, late reviewers."""
    n = draw(st.integers(0, 24))
    late = draw(st.integers(0, 4))
    n_groups = draw(st.integers(0, 5)) if with_groups else 0
    people = range(n + late)
    group_of = {p: draw(st.integers(0, n_groups - 1)) if n_groups else None for p in people}
    revs = [Reviewer(p, group_of[p]) for p in people]
    if n_groups and draw(st.booleans()):
        members: dict[object, set[int]] = {}
        for p in range(n):
            members.setdefault(group_of[p], set()).add(p)
        subs = [Submission(f"g{g}", frozenset(m), g) for g, m in members.items()]
    else:
        subs = [Submission(p, frozenset({p}), group_of[p]) for p in range(n)]
    return subs, revs, draw(st.integers(1, 5)), draw(st.integers(0, 2**32))


def eligible(sub: Submission, revs: list[Reviewer]) -> list[Reviewer]:
    return [r for r in revs if may_review(r, sub)]


def full_loads(allocation: Allocation, revs: list[Reviewer]) -> Counter:
    loads = Counter({r.id: 0 for r in revs})
    loads.update(allocation.loads())
    return loads


@PROPERTY
@given(cohorts())
def test_every_submission_gets_k_reviews_whenever_enough_eligible_reviewers_exist(cohort):
    subs, revs, k, seed = cohort
    allocation = allocate(subs, revs, k, seed)
    reviewers_of = allocation.reviewers_of()
    short = {s.submission_id: s for s in allocation.shortfall}
    for sub in subs:
        can = len(eligible(sub, revs))
        got = reviewers_of.get(sub.id, [])
        assert len(got) == len(set(got)) == min(k, can)
        if can >= k:
            assert sub.id not in short
        else:
            assert (short[sub.id].eligible, short[sub.id].missing) == (can, k - can)
    assert len(short) == sum(len(eligible(s, revs)) < k for s in subs)


@PROPERTY
@given(cohorts())
def test_nobody_reviews_their_own_or_their_groups_work(cohort):
    subs, revs, k, seed = cohort
    allocation = allocate(subs, revs, k, seed)
    by_id = {r.id: r for r in revs}
    sub_by_id = {s.id: s for s in subs}
    for reviewer, submission in allocation.pairs():
        r, s = by_id[reviewer], sub_by_id[submission]
        assert r.id not in s.authors
        assert r.group is None or r.group != s.group


@PROPERTY
@given(cohorts(with_groups=False))
def test_loads_differ_by_at_most_one_when_nobody_is_excluded_by_a_group(cohort):
    subs, revs, k, seed = cohort
    loads = full_loads(allocate(subs, revs, k, seed), revs)
    if loads:
        assert max(loads.values()) - min(loads.values()) <= 1


@PROPERTY
@given(st.integers(2, 40), st.integers(1, 5), st.integers(0, 2**32))
def test_everyone_writes_exactly_k_reviews_when_everyone_submitted(n, k, seed):
    subs, revs = individuals(n)
    loads = full_loads(allocate(subs, revs, k, seed), revs)
    assert set(loads.values()) == {min(k, n - 1)}


@PROPERTY
@given(cohorts())
def test_with_groups_no_review_could_move_to_someone_with_two_fewer(cohort):
    """Loads are as even as the groups allow: no single review can go to a reviewer with at
    least 2 fewer reviews (that reviewer is in the author's group or reviews it already)."""
    subs, revs, k, seed = cohort
    allocation = allocate(subs, revs, k, seed)
    loads = full_loads(allocation, revs)
    for sub in subs:
        on_it = set(allocation.reviewers_of().get(sub.id, []))
        for heavy in on_it:
            for r in revs:
                if loads[r.id] <= loads[heavy] - 2:
                    assert r.id in on_it or not may_review(r, sub)


@PROPERTY
@given(cohorts(), st.randoms(use_true_random=False))
def test_same_seed_same_result_in_any_input_order(cohort, rnd):
    subs, revs, k, seed = cohort
    first = allocate(subs, revs, k, seed)
    subs2, revs2 = list(subs), list(revs)
    rnd.shuffle(subs2)
    rnd.shuffle(revs2)
    assert allocate(subs2, revs2, k, seed) == first


@PROPERTY
@given(cohorts())
def test_pairs_come_by_submission_id_then_reviewer_id(cohort):
    subs, revs, k, seed = cohort
    pairs = allocate(subs, revs, k, seed).pairs()
    assert pairs == sorted(pairs, key=lambda p: (p[1], p[0]))


def test_different_seeds_give_different_allocations():
    subs, revs = individuals(50)
    assert allocate(subs, revs, 3, 1).pairs() != allocate(subs, revs, 3, 2).pairs()


def test_a_lone_submitter_gets_no_peer_review_and_is_reported_short():
    subs, revs = individuals(1)
    allocation = allocate(subs, revs, 3, seed=7)
    assert allocation.pairs() == []
    assert [(s.submission_id, s.eligible, s.missing) for s in allocation.shortfall] == [(0, 0, 3)]


def test_two_people_review_each_other():
    subs, revs = individuals(2)
    allocation = allocate(subs, revs, 1, seed=7)
    assert sorted(allocation.pairs()) == [(0, 1), (1, 0)]
    assert allocation.shortfall == ()


def test_k_larger_than_the_cohort_gives_everyone_every_other_peer():
    subs, revs = individuals(4)
    allocation = allocate(subs, revs, 5, seed=3)
    assert {s: sorted(r) for s, r in allocation.reviewers_of().items()} == {
        0: [1, 2, 3],
        1: [0, 2, 3],
        2: [0, 1, 3],
        3: [0, 1, 2],
    }
    assert {(s.eligible, s.missing) for s in allocation.shortfall} == {(3, 2)}


def test_everyone_in_one_group_means_no_peer_can_review():
    subs, revs = individuals(6, groups=dict.fromkeys(range(6), "team"))
    allocation = allocate(subs, revs, 2, seed=1)
    assert allocation.pairs() == []
    assert [s.missing for s in allocation.shortfall] == [2] * 6


def test_people_who_did_not_submit_take_their_share_of_reviews():
    subs, revs = individuals(3, late=3)
    loads = full_loads(allocate(subs, revs, 2, seed=5), revs)
    assert sorted(loads.values()) == [1, 1, 1, 1, 1, 1]


def test_group_submissions_are_never_reviewed_by_the_group():
    members = {"red": {1, 2}, "blue": {3, 4}, "green": {5, 6}}
    subs = [Submission(g, frozenset(m), g) for g, m in members.items()]
    revs = [Reviewer(p, g) for g, m in members.items() for p in m]
    allocation = allocate(subs, revs, 2, seed=11)
    for group, reviewers in allocation.reviewers_of().items():
        assert len(reviewers) == 2
        assert not set(reviewers) & members[group]
    assert set(full_loads(allocation, revs).values()) == {1}


def test_a_small_group_carries_the_big_groups_reviews_when_nobody_else_may():
    groups = {p: "big" if p < 6 else "small" for p in range(8)}
    subs, revs = individuals(8, groups=groups)
    allocation = allocate(subs, revs, 2, seed=4)
    loads = full_loads(allocation, revs)
    assert allocation.shortfall == ()
    assert loads[6] == loads[7] == 6  # the big group's 6 × 2 reviews, shared evenly
    assert sorted(loads[p] for p in range(6)) == [0, 0, 1, 1, 1, 1]


def test_large_cohort_with_small_groups_is_exactly_balanced():
    groups = {p: p // 5 for p in range(2000)}
    subs, revs = individuals(2000, groups=groups)
    allocation = allocate(subs, revs, 3, seed=2026)
    assert set(full_loads(allocation, revs).values()) == {3}
    assert all(may_review(revs[r], subs[s]) for r, s in allocation.pairs())


def test_string_ids_work_and_results_follow_id_order():
    subs = [Submission(name, frozenset({name})) for name in ("zoë", "ann", "bo")]
    revs = [Reviewer(name) for name in ("bo", "zoë", "ann")]
    pairs = allocate(subs, revs, 1, seed="spring").pairs()
    assert [s for _, s in pairs] == ["ann", "bo", "zoë"]


@pytest.mark.parametrize(
    ("subs", "revs", "k", "message"),
    [
        ([Submission(1, frozenset({1}))] * 2, [Reviewer(2)], 1, "submission id 1 appears twice"),
        ([Submission(1, frozenset({1}))], [Reviewer(2), Reviewer(2)], 1, "reviewer id 2"),
        ([Submission(1, frozenset()), Submission("a", frozenset())], [], 1, "all integers"),
        ([Submission(1, frozenset({1}))], [Reviewer(2)], 0, "at least 1"),
        ([Submission(1, frozenset({1}))], [Reviewer(2)], True, "at least 1"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(subs, revs, k, message):
    with pytest.raises(AllocationError, match=message):
        allocate(subs, revs, k, seed=1)


def test_authors_given_as_a_list_are_kept_as_a_set():
    assert Submission(1, [1, 2, 2]).authors == frozenset({1, 2})


# --- small cohorts -----------------------------------------------------------------------


def test_assessment_says_a_cohort_of_five_can_get_three_reviews_each():
    subs, revs = individuals(5)
    report = assess_cohort(subs, revs, 3)
    assert report.complete
    assert report.coverage == ((3, 5),)
    assert report.shortfall == ()
    assert report.mean_load == 3


def test_assessment_says_how_many_can_get_how_many():
    groups = {0: "a", 1: "a", 2: "b", 3: None}
    subs, revs = individuals(4, groups=groups)
    report = assess_cohort(subs, revs, 3)
    assert not report.complete
    # 0 and 1 may be reviewed by 2 and 3 only; 2 by 0, 1, 3; 3 by everyone else.
    assert report.coverage == ((3, 2), (2, 2))
    assert [(s.submission_id, s.missing) for s in report.shortfall] == [(0, 1), (1, 1)]
    assert report.mean_load == pytest.approx(10 / 4)


@PROPERTY
@given(cohorts())
def test_assessment_agrees_with_what_allocation_delivers(cohort):
    subs, revs, k, seed = cohort
    report = assess_cohort(subs, revs, k)
    allocation = allocate(subs, revs, k, seed)
    assert report.shortfall == allocation.shortfall
    assert report.complete == (allocation.shortfall == ())
    delivered = Counter(len(allocation.reviewers_of().get(s.id, [])) for s in subs)
    assert dict(report.coverage) == dict(delivered)


def test_inputs_may_come_in_any_iterable_and_are_not_consumed_twice():
    subs, revs = individuals(10)
    first = allocate(iter(subs), iter(revs), 2, seed=9)
    rng = random.Random(0)
    rng.shuffle(subs)
    assert allocate(tuple(subs), revs, 2, seed=9) == first


def test_two_large_groups_review_each_other_as_evenly_as_the_split_allows():
    """60/40: the 40 % write the 60 %'s reviews and the other way round. Most conflicts
    have no swap partner here, so they are moved, then the loads rebalanced."""
    groups = {p: "A" if p < 1800 else "B" for p in range(3000)}
    subs, revs = individuals(3000, groups=groups)
    allocation = allocate(subs, revs, 3, seed=0)
    loads = full_loads(allocation, revs)
    assert allocation.shortfall == ()
    assert all(groups[r] != groups[s] for r, s in allocation.pairs())
    assert {loads[p] for p in range(1800)} == {2}  # 1,200 × 3 reviews over 1,800 people
    assert {loads[p] for p in range(1800, 3000)} == {4, 5}  # 1,800 × 3 over 1,200
