"""Properties of the matcher on random cohorts: rules always hold, optimal, deterministic."""

from __future__ import annotations

import random

import numpy as np
import pytest
from coaching_helpers import (
    brute_force,
    check_rules,
    option_sets,
    people_lists,
    previous_pairs_for,
    reference_fit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti_tool.coaching import matching
from lti_tool.coaching.matching import Options, Person, fit, match

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(data=st.data())
def test_rules_always_hold_on_random_cohorts(data):
    people = data.draw(people_lists(max_size=30))
    options = data.draw(option_sets())
    previous = data.draw(previous_pairs_for(people))
    result = match(people, previous, options)
    check_rules(people, previous, options, result)
    assert result.optimal


@FAST
@given(data=st.data())
def test_optimal_on_small_cohorts_checked_by_brute_force(data):
    people = data.draw(people_lists(max_size=7))
    options = data.draw(option_sets())
    previous = data.draw(previous_pairs_for(people))
    result = match(people, previous, options)
    check_rules(people, previous, options, result)
    assert (len(result.pairs), result.total_score) == brute_force(people, previous, options)


@settings(max_examples=60, deadline=None)
@given(people=people_lists(max_size=7, skills=["SQL", "Python"]))
def test_optimal_when_reciprocal_pairs_are_tempting(people):
    # Two skills only: most people can coach each other, so the unconstrained optimum is
    # full of reciprocal pairs and the branch and bound has real work.
    options = Options()
    result = match(people, (), options)
    check_rules(people, (), options, result)
    assert (len(result.pairs), result.total_score) == brute_force(people, (), options)


def test_optimal_on_seeded_seven_person_cohorts_with_capacity_one():
    rnd = random.Random(7)
    for _ in range(40):
        people = [
            Person(
                id=f"p{i}",
                can_coach=frozenset(rnd.sample(["a", "b", "c"], rnd.randint(1, 2))),
                wants=tuple(rnd.sample(["a", "b", "c"], rnd.randint(1, 2))),
                capacity=1,
            )
            for i in range(7)
        ]
        result = match(people)
        check_rules(people, (), Options(), result)
        assert (len(result.pairs), result.total_score) == brute_force(people, (), Options())


@FEWER
@given(data=st.data())
def test_same_input_in_any_order_gives_the_same_pairs(data):
    people = data.draw(people_lists(max_size=20))
    options = data.draw(option_sets())
    previous = data.draw(previous_pairs_for(people))
    first = match(people, previous, options)
    shuffled = data.draw(st.permutations(people))
    again = match(shuffled, list(reversed(previous)), options)
    assert again == first


@FEWER
@given(people=people_lists(max_size=12))
def test_explanations_name_the_shared_skills(people):
    result = match(people)
    for pair in result.pairs:
        assert pair.shared_skills, "pairs without a shared skill need an option"
        for skill in pair.shared_skills:
            assert skill in pair.message.text
        assert pair.message.params["skills"] == pair.shared_skills
        assert pair.message.code == "pair.skill_fit"
        assert pair.message.text.startswith("Paired because")


@FEWER
@given(people=people_lists(max_size=15), options=option_sets())
def test_vectorised_scores_equal_the_documented_formula(people, options):
    from lti_tool.coaching.matching import _Cohort

    cohort = _Cohort(people, (), options)
    if len(cohort.coachees) == 0 or len(cohort.coaches) == 0:
        return
    block = cohort.score_block(np.arange(len(cohort.coachees)))
    for r, i in enumerate(cohort.coachees):
        coachee = cohort.people[i]
        for c, j in enumerate(cohort.coaches):
            coach = cohort.people[j]
            if block[r, c] >= 0:
                assert block[r, c] == fit(coach, coachee) + cohort.bonus[c]
                assert fit(coach, coachee) == reference_fit(coach, coachee)


@settings(max_examples=150, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=5, unique=True),
    covered=st.integers(min_value=0, max_value=5),
)
def test_fit_rounding_is_the_same_in_float32_as_in_python(weights, covered):
    skills = [f"s{k}" for k in range(len(weights))]
    coachee = Person(id="b", wants=dict(zip(skills, weights, strict=True)))
    coach = Person(id="a", can_coach=frozenset(skills[:covered]), capacity=1)
    result = match([coach, coachee])
    if covered:
        assert result.pairs[0].fit == reference_fit(coach, coachee)


@FEWER
@given(data=st.data())
def test_pricing_rounds_reach_the_same_optimum_as_brute_force(data):
    # One starting candidate per coachee and one cell added per round: the column
    # generation, not the starting set, has to find the optimum.
    people = data.draw(people_lists(max_size=7))
    options = data.draw(option_sets())
    previous = data.draw(previous_pairs_for(people))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching, "_INITIAL_PER_ROW", 1)
        patch.setattr(matching, "_PRICED_PER_ROW", 1)
        result = match(people, previous, options)
    check_rules(people, previous, options, result)
    assert (len(result.pairs), result.total_score) == brute_force(people, previous, options)
