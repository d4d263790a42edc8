"""Calibration against the instructor's reference, and the reviewing-quality formula."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.reviews import rubric as r
from lti_tool.reviews.calibration import (
    FORMULA_TEXT,
    QualityError,
    QualityWeights,
    ReviewingQuality,
    aggregation_weight,
    compare_practice,
    consensus_agreement,
    formula,
    helpfulness,
    reviewing_grade,
    reviewing_quality,
)

RUBRIC = r.parse(r.STARTER)  # goal (weight 2) and clarity (weight 1), 3 levels each
NOTE = r.Choice(None, "Try a summary first.")


def review(goal: str, clarity: str) -> dict[str, r.Choice]:
    return {"goal": r.Choice(goal), "clarity": r.Choice(clarity), "next-step": NOTE}


REFERENCE = review("fully", "mostly")


def test_a_practice_review_matching_the_reference_agrees_fully():
    result = compare_practice(RUBRIC, REFERENCE, review("fully", "mostly"))
    assert result.agreement == 1
    assert [c.verdict for c in result.criteria] == ["same", "same"]
    assert result.your_score == result.reference_score


def test_each_criterion_says_how_far_and_which_way_with_the_instructors_why():
    why = {"goal": "It does everything the brief asked.", "clarity": "Two steps are unclear."}
    result = compare_practice(RUBRIC, REFERENCE, review("partly", "clear"), why)
    goal, clarity = result.criteria
    assert (goal.key, goal.reference.key, goal.yours.key) == ("goal", "fully", "partly")
    assert (goal.steps, goal.distance, goal.verdict) == (-1, 0.5, "lower")
    assert goal.explanation == "It does everything the brief asked."
    assert (clarity.steps, clarity.verdict, clarity.agreement) == (1, "higher", 0.5)
    # weighted by the criteria's weights: (2 × 0.5 + 1 × 0.5) / 3
    assert result.agreement == pytest.approx(0.5)


def test_opposite_ends_of_the_scale_agree_not_at_all_and_weights_count():
    result = compare_practice(RUBRIC, REFERENCE, review("not-yet", "mostly"))
    assert result.criteria[0].distance == 1
    assert result.agreement == pytest.approx((2 * 0 + 1 * 1) / 3)


def test_feedback_only_criteria_are_not_compared():
    result = compare_practice(RUBRIC, REFERENCE, review("fully", "mostly"))
    assert [c.key for c in result.criteria] == ["goal", "clarity"]


def test_a_level_from_another_criterion_is_refused_naming_the_criterion():
    with pytest.raises(r.RubricError, match="'clear' is not one of the levels of 'Meets its goal'"):
        compare_practice(RUBRIC, REFERENCE, review("clear", "mostly"))
    with pytest.raises(ValueError, match="Choose a level for 'Clear to its audience'"):
        compare_practice(RUBRIC, REFERENCE, {"goal": r.Choice("fully"), "next-step": NOTE})


# --- reviewing quality ------------------------------------------------------------------------

agreements = st.lists(st.floats(0, 1, allow_nan=False), max_size=6)
ratings = st.lists(st.integers(1, 5), max_size=6)
part_weights = st.floats(0, 5, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(agreements, agreements, ratings, part_weights, part_weights, part_weights)
def test_quality_is_between_0_and_1_and_unknown_only_without_data(cal, con, rat, wc, wp, wh):
    if wc == wp == wh == 0:
        wc = 1.0
    quality = reviewing_quality(cal, con, rat, QualityWeights(wc, wp, wh))
    counted = (cal and wc) or (con and wp) or (rat and wh)
    if counted:
        assert 0 <= quality.value <= 1
    else:
        assert quality.value is None
    assert 0 <= reviewing_grade(quality, 2, 3) <= 100


def test_the_formula_combines_the_three_parts_with_their_weights():
    quality = reviewing_quality([0.5, 1.0], [0.9], [5, 4])
    assert (quality.calibration, quality.consensus, quality.helpfulness) == (0.75, 0.9, 0.875)
    assert quality.value == pytest.approx(0.4 * 0.75 + 0.4 * 0.9 + 0.2 * 0.875)
    assert quality.missing == ()


def test_a_missing_part_is_left_out_and_the_others_count_in_its_place():
    no_calibration = reviewing_quality([], [0.9], [5])
    assert no_calibration.missing == ("calibration",)
    assert no_calibration.value == pytest.approx((0.4 * 0.9 + 0.2 * 1.0) / 0.6)
    no_ratings = reviewing_quality([0.5], [0.5], [])
    assert no_ratings.value == pytest.approx(0.5)


def test_with_no_data_at_all_quality_is_unknown_and_the_grade_rests_on_completion():
    quality = reviewing_quality()
    assert quality == ReviewingQuality(None, None, None, None)
    assert quality.missing == ("calibration", "consensus", "helpfulness")
    assert reviewing_grade(quality, 2, 4) == 50
    assert aggregation_weight(quality) == 0.5


def test_the_reviewing_grade_counts_completion_capped_at_the_assigned_reviews():
    quality = reviewing_quality([0.8])
    assert reviewing_grade(quality, 3, 3) == 80
    assert reviewing_grade(quality, 5, 3) == 80  # extra reviews never lift it above quality
    assert reviewing_grade(quality, 1, 4) == 20
    assert reviewing_grade(quality, 0, 0) == 80  # nothing was asked
    assert aggregation_weight(quality) == pytest.approx(0.8)


def test_consensus_agreement_is_distance_from_the_others_median():
    assert consensus_agreement(70, [80, 90, 60]) == pytest.approx(0.9)
    assert consensus_agreement(0, [100, 100]) == 0
    assert consensus_agreement(3, [4], score_range=4) == pytest.approx(0.75)
    assert consensus_agreement(70, []) is None


def test_helpfulness_maps_1_to_5_onto_0_to_1():
    assert helpfulness([1]) == 0
    assert helpfulness([5, 5]) == 1
    assert helpfulness([3]) == 0.5
    assert helpfulness([]) is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: helpfulness([6]), "from 1 to 5, not 6"),
        (lambda: helpfulness([True]), "from 1 to 5, not True"),
        (lambda: helpfulness([2.5]), "from 1 to 5, not 2.5"),
        (lambda: reviewing_quality([1.2]), "between 0 and 1"),
        (lambda: QualityWeights(0, 0, 0), "not all 0"),
        (lambda: QualityWeights(-1, 1, 1), "at least 0"),
        (lambda: reviewing_grade(reviewing_quality(), -1, 3), "negative"),
        (lambda: consensus_agreement(1, [2], score_range=0), "above 0"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(QualityError, match=message):
        call()


def test_the_formula_is_stated_in_words_with_its_weights():
    assert FORMULA_TEXT.startswith("Reviewing quality = (0.4 × C + 0.4 × P + 0.2 × H)")
    for words in ("calibration", "peer consensus", "helpfulness", "Reviewing grade = 100"):
        assert words in FORMULA_TEXT
    custom = formula(QualityWeights(0.5, 0.25, 0.25))
    assert str(custom).startswith("Reviewing quality = (0.5 × C + 0.25 × P + 0.25 × H)")
    assert custom.params == {"wc": "0.5", "wp": "0.25", "wh": "0.25"}
