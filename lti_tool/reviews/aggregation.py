"""A submission's grade from its peer scores, and the checks that flag doubtful reviews.

Pure (no Flask): weighted mean, median and trimmed mean, each always between the lowest and
highest score given; reviews far from consensus; wide disagreement that goes to the
instructor. Scores are on any scale (rubric.score gives 0..100); pass the scale's range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .rubric import N_

DEFAULT_TRIM = 0.2
DEFAULT_OUTLIER_THRESHOLD = 0.25
DEFAULT_ESCALATION_THRESHOLD = 0.4
SCORE_RANGE = 100.0  # rubric.score's 0..100


class AggregationError(ValueError):
    """Scores or weights that cannot be aggregated (none, not finite, negative weights)."""


class Method(StrEnum):
    """How peer scores become the submission's grade (the instructor's choice)."""

    WEIGHTED_MEAN = "weighted_mean"  # weights = each reviewer's reviewing quality
    MEDIAN = "median"
    TRIMMED_MEAN = "trimmed_mean"


@dataclass(frozen=True, slots=True)
class Explanation:
    """A rule in words for the page: English ``message`` marked with N_, and its params.

    Views show ``_(explanation.message, **explanation.params)``; ``str()`` is the English.
    """

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


def _checked(scores: Sequence[float]) -> list[float]:
    values = [float(s) for s in scores]
    if not values:
        raise AggregationError("there are no scores to aggregate")
    if not all(math.isfinite(v) for v in values):
        raise AggregationError("every score must be a finite number")
    return values


def _bounded(value: float, values: list[float]) -> float:
    # The formulas are convex combinations; this only absorbs floating-point rounding.
    return min(max(value, min(values)), max(values))


def mean(scores: Sequence[float]) -> float:
    values = _checked(scores)
    return _bounded(math.fsum(values) / len(values), values)


def weighted_mean(scores: Sequence[float], weights: Sequence[float]) -> float:
    """Σ wᵢ·xᵢ / Σ wᵢ. All weights zero (nobody's quality known yet): the plain mean."""
    values = _checked(scores)
    ws = [float(w) for w in weights]
    if len(ws) != len(values):
        raise AggregationError(f"{len(values)} scores but {len(ws)} weights")
    if not all(math.isfinite(w) and w >= 0 for w in ws):
        raise AggregationError("every weight must be a finite number of at least 0")
    total = math.fsum(ws)
    if total == 0:
        return mean(values)
    return _bounded(math.fsum(w * v for w, v in zip(ws, values, strict=True)) / total, values)


def median(scores: Sequence[float]) -> float:
    values = sorted(_checked(scores))
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return _bounded((values[middle - 1] + values[middle]) / 2, values)


def trimmed_mean(scores: Sequence[float], trim: float = DEFAULT_TRIM) -> float:
    """The mean after cutting ``trim`` × n reviews from each end, fractionally.

    With few reviews a whole review per end is too blunt, so the cut is fractional: with 3
    reviews and trim 0.2, 0.6 of a review goes from each end, i.e. the lowest and highest
    count 0.4 and the middle one 1. Two reviews: the plain mean; trim 0: the mean; trim
    near 0.5: the median. ``trim`` must be at least 0 and below 0.5.
    """
    if not 0 <= trim < 0.5:
        raise AggregationError(f"trim must be at least 0 and below 0.5, not {trim!r}")
    values = sorted(_checked(scores))
    n = len(values)
    cut = trim * n
    # Order statistic i covers [i, i+1] of the ranks; keep its overlap with [cut, n - cut].
    weights = [max(0.0, min(i + 1, n - cut) - max(i, cut)) for i in range(n)]
    kept = math.fsum(w * v for w, v in zip(weights, values, strict=True))
    return _bounded(kept / math.fsum(weights), values)


def aggregate(
    scores: Sequence[float],
    method: Method | str,
    weights: Sequence[float] | None = None,
    trim: float = DEFAULT_TRIM,
) -> float:
    """The submission's grade by the instructor's method; between min and max of ``scores``.

    Weighted mean without weights (no qualities at all) is the plain mean.
    """
    method = Method(method)
    if method is Method.MEDIAN:
        return median(scores)
    if method is Method.TRIMMED_MEAN:
        return trimmed_mean(scores, trim)
    if weights is None:
        return mean(scores)
    return weighted_mean(scores, weights)


# --- doubtful reviews ------------------------------------------------------------------------


def consensus_distances(scores: Sequence[float]) -> tuple[float | None, ...]:
    """For each score, |score − median of the other scores|; None when it is the only one."""
    values = _checked(scores) if scores else []
    if len(values) < 2:
        return (None,) * len(values)
    return tuple(abs(v - median(values[:i] + values[i + 1 :])) for i, v in enumerate(values))


def _check_range(score_range: float, threshold: float) -> None:
    if not (math.isfinite(score_range) and score_range > 0):
        raise AggregationError(f"the score range must be above 0, not {score_range!r}")
    if not 0 <= threshold <= 1:
        raise AggregationError(f"a threshold is a share of the range, 0 to 1, not {threshold!r}")


def outlier_flags(
    scores: Sequence[float],
    score_range: float = SCORE_RANGE,
    threshold: float = DEFAULT_OUTLIER_THRESHOLD,
) -> tuple[bool, ...]:
    """Which reviews are far from consensus (see ``outlier_rule``); a lone review never is."""
    _check_range(score_range, threshold)
    limit = threshold * score_range
    return tuple(d is not None and d > limit for d in consensus_distances(scores))


def outlier_rule(threshold: float = DEFAULT_OUTLIER_THRESHOLD) -> Explanation:
    """The rule ``outlier_flags`` applies, in words for the page."""
    return Explanation(
        N_(
            "A review is flagged as far from consensus when its score differs from the median "
            "of the other reviews of the same work by more than %(percent)s%% of the score "
            "range."
        ),
        {"percent": _percent(threshold)},
    )


@dataclass(frozen=True, slots=True)
class Disagreement:
    """How far apart the scores of one submission are; ``escalate``: the instructor decides."""

    spread: float  # highest − lowest score
    share: float  # spread as a share of the score range, 0..1
    escalate: bool


def disagreement(
    scores: Sequence[float],
    score_range: float = SCORE_RANGE,
    threshold: float = DEFAULT_ESCALATION_THRESHOLD,
) -> Disagreement:
    """Wide disagreement (spread above ``threshold`` of the range) escalates; see the rule."""
    _check_range(score_range, threshold)
    values = _checked(scores) if scores else []
    spread = max(values) - min(values) if values else 0.0
    return Disagreement(spread, min(1.0, spread / score_range), spread > threshold * score_range)


def escalation_rule(threshold: float = DEFAULT_ESCALATION_THRESHOLD) -> Explanation:
    """The rule ``disagreement`` applies, in words for the page."""
    return Explanation(
        N_(
            "When the highest and lowest scores of the same work are more than %(percent)s%% "
            "of the score range apart, the reviewers disagree widely and the instructor "
            "decides the grade."
        ),
        {"percent": _percent(threshold)},
    )


def _percent(share: float) -> str:
    return f"{share * 100:g}"


@dataclass(frozen=True, slots=True)
class SubmissionGrade:
    """Everything the grading page needs about one submission's peer scores.

    ``score`` is None without reviews. Flagged reviews still count: the instructor sees the
    flags and can override the grade with a reason.
    """

    score: float | None
    method: Method
    reviews: int
    outliers: tuple[bool, ...]
    disagreement: Disagreement


def grade_submission(
    scores: Sequence[float],
    method: Method | str,
    weights: Sequence[float] | None = None,
    *,
    trim: float = DEFAULT_TRIM,
    score_range: float = SCORE_RANGE,
    outlier_threshold: float = DEFAULT_OUTLIER_THRESHOLD,
    escalation_threshold: float = DEFAULT_ESCALATION_THRESHOLD,
) -> SubmissionGrade:
    """Aggregate, flag outliers and check disagreement in one call."""
    method = Method(method)
    return SubmissionGrade(
        score=aggregate(scores, method, weights, trim) if scores else None,
        method=method,
        reviews=len(scores),
        outliers=outlier_flags(scores, score_range, outlier_threshold),
        disagreement=disagreement(scores, score_range, escalation_threshold),
    )
