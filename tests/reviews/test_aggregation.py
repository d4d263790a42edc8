"""A submission's grade from peer scores: bounded, robust, and the flags for doubtful reviews."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.reviews.aggregation import (
    AggregationError,
    Method,
    aggregate,
    consensus_distances,
    disagreement,
    escalation_rule,
    grade_submission,
    mean,
    median,
    outlier_flags,
    outlier_rule,
    trimmed_mean,
    weighted_mean,
)

PROPERTY = settings(max_examples=200, deadline=None)
scores = st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=8)
weights = st.floats(0, 1, allow_nan=False)
trims = st.floats(0, 0.49)


@PROPERTY
@given(scores, st.data(), trims, st.sampled_from(list(Method)))
def test_every_method_stays_between_the_lowest_and_highest_score(values, data, trim, method):
    ws = data.draw(st.lists(weights, min_size=len(values), max_size=len(values)))
    result = aggregate(values, method, ws, trim)
    assert min(values) <= result <= max(values)


@PROPERTY
@given(scores, st.floats(0.01, 10))
def test_weighted_mean_with_equal_weights_is_the_mean(values, w):
    assert math.isclose(weighted_mean(values, [w] * len(values)), mean(values), abs_tol=1e-9)


@PROPERTY
@given(scores)
def test_trimmed_mean_without_trimming_is_the_mean(values):
    assert math.isclose(trimmed_mean(values, 0), mean(values), abs_tol=1e-9)


@PROPERTY
@given(scores, st.floats(-50, 50), trims, st.sampled_from(list(Method)))
def test_shifting_every_score_shifts_the_grade(values, shift, trim, method):
    shifted = [v + shift for v in values]
    assert math.isclose(
        aggregate(shifted, method, None, trim),
        aggregate(values, method, None, trim) + shift,
        abs_tol=1e-7,
    )


def test_median_of_odd_and_even_counts():
    assert median([70, 10, 40]) == 40
    assert median([70, 10, 40, 50]) == 45


@pytest.mark.parametrize(
    ("values", "trim", "expected"),
    [
        ([10, 20], 0.2, 15),  # two reviews: the mean
        ([0, 50, 100], 0.2, 50),  # symmetric: the middle
        ([0, 60, 90], 0.2, (0.4 * 0 + 60 + 0.4 * 90) / 1.8),  # 0.6 cut from each end
        ([1, 2, 3, 4, 100], 0.2, 3),  # one whole review cut from each end
        ([60, 70, 80, 0], 0.25, 65),  # a quarter of 4 = the lowest and the highest
        ([60, 70, 80, 0], 0.49, 65.0),  # near 0.5: the median
    ],
)
def test_trimmed_mean_is_fractional_so_it_works_with_two_to_eight_reviews(values, trim, expected):
    assert trimmed_mean(values, trim) == pytest.approx(expected)


def test_a_reviewer_with_more_quality_pulls_the_weighted_mean_towards_them():
    assert weighted_mean([40, 80], [0.9, 0.1]) == pytest.approx(44)
    assert weighted_mean([40, 80], [0, 0]) == 60  # nobody's quality known: the plain mean
    assert aggregate([40, 80], "weighted_mean") == 60


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mean([]), "no scores"),
        (lambda: median([1, math.nan]), "finite"),
        (lambda: weighted_mean([1, 2], [1]), "2 scores but 1 weights"),
        (lambda: weighted_mean([1, 2], [1, -1]), "at least 0"),
        (lambda: trimmed_mean([1, 2], 0.5), "below 0.5"),
        (lambda: outlier_flags([1, 2], score_range=0), "above 0"),
        (lambda: disagreement([1, 2], threshold=2), "0 to 1"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(AggregationError, match=message):
        call()


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="'mode' is not a valid Method"):
        aggregate([1], "mode")


def test_a_review_far_from_the_others_is_flagged():
    assert consensus_distances([70, 72, 75, 20]) == (2, 2, 5, 52)
    assert outlier_flags([70, 72, 75, 20]) == (False, False, False, True)
    assert outlier_flags([70, 72, 75, 20], threshold=0.6) == (False,) * 4
    assert outlier_flags([3, 3, 4, 0], score_range=4) == (False, False, False, True)


def test_a_lone_review_is_never_an_outlier():
    assert consensus_distances([10]) == (None,)
    assert outlier_flags([10]) == (False,)
    assert outlier_flags([]) == ()


def test_wide_disagreement_escalates_to_the_instructor():
    wide = disagreement([40, 90])
    assert (wide.spread, wide.share, wide.escalate) == (50, 0.5, True)
    assert not disagreement([60, 80]).escalate
    assert not disagreement([60, 100], threshold=0.4).escalate  # exactly 40 %: not above
    assert disagreement([]).spread == 0


def test_the_rules_read_as_sentences_with_the_thresholds():
    assert "more than 25% of the score range" in str(outlier_rule())
    assert "more than 30% of the score range" in str(escalation_rule(0.3))
    rule = outlier_rule(0.125)
    assert rule.params == {"percent": "12.5"} and "%(percent)s%%" in rule.message


def test_grading_a_submission_gives_score_flags_and_disagreement_together():
    grade = grade_submission([70, 72, 75, 20], Method.MEDIAN)
    assert grade.score == 71
    assert grade.reviews == 4
    assert grade.outliers == (False, False, False, True)
    assert grade.disagreement.escalate
    empty = grade_submission([], "trimmed_mean")
    assert (empty.score, empty.reviews, empty.outliers) == (None, 0, ())
