"""Calibration and reviewing quality: how a practice review compares with the reference,
and the formula behind the reviewing grade (shown on the page as FORMULA_TEXT).

Pure (no Flask). Levels are compared by position on the criterion's scale (rubric.parse
sorts them by points), so "one level apart" means the same on a 3- and a 5-level scale
once divided by the scale's length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .aggregation import SCORE_RANGE, Explanation, consensus_distances
from .rubric import N_, Choice, Level, Rubric, check_choices, score

UNKNOWN_QUALITY_WEIGHT = 0.5


class QualityError(ValueError):
    """Inputs to the quality formula out of range (ratings outside 1..5, negative weights)."""


# --- practice reviews against the instructor's reference ------------------------------------


@dataclass(frozen=True, slots=True)
class CriterionComparison:
    """One scored criterion of a practice review next to the reference.

    ``steps``: your level's position minus the reference's (+ = more generous);
    ``distance``: |steps| / (levels − 1), 0 = same level, 1 = opposite ends of the scale;
    ``agreement`` = 1 − distance; ``explanation``: the instructor's why, for this criterion.
    """

    key: str
    title: str
    reference: Level
    yours: Level
    steps: int
    distance: float
    agreement: float
    explanation: str = ""

    @property
    def verdict(self) -> str:
        """'same', 'higher' (you were more generous) or 'lower'."""
        return "same" if self.steps == 0 else ("higher" if self.steps > 0 else "lower")


@dataclass(frozen=True, slots=True)
class PracticeComparison:
    """The "how you compare and why" page of one practice review.

    ``agreement``: the criteria's agreements averaged with the criteria's weights, 0..1.
    ``your_score`` / ``reference_score``: both reviews scored by the rubric, 0..100.
    """

    criteria: tuple[CriterionComparison, ...]
    agreement: float
    your_score: float
    reference_score: float


def _position(levels: tuple[Level, ...], key: str) -> int:
    return next(i for i, level in enumerate(levels) if level.key == key)


def compare_practice(
    rubric: Rubric,
    reference: Mapping[str, Choice],
    practice: Mapping[str, Choice],
    explanations: Mapping[str, str] | None = None,
) -> PracticeComparison:
    """Compare a practice review with the reference, criterion by criterion.

    Both must be valid reviews of ``rubric`` (rubric.RubricError otherwise, naming the
    criterion). Feedback-only criteria have no levels and are not compared.
    """
    for choices in (reference, practice):
        check_choices(rubric, choices)
    explanations = explanations or {}
    rows = []
    for c in rubric.scored:
        ref_key, your_key = reference[c.key].level or "", practice[c.key].level or ""
        steps = _position(c.levels, your_key) - _position(c.levels, ref_key)
        distance = abs(steps) / (len(c.levels) - 1) if len(c.levels) > 1 else 0.0
        rows.append(
            CriterionComparison(
                key=c.key,
                title=c.title,
                reference=c.level(ref_key),
                yours=c.level(your_key),
                steps=steps,
                distance=distance,
                agreement=1.0 - distance,
                explanation=explanations.get(c.key, ""),
            )
        )
    weights = [c.weight for c in rubric.scored]
    agreement = math.fsum(w * r.agreement for w, r in zip(weights, rows, strict=True)) / math.fsum(
        weights
    )
    return PracticeComparison(
        criteria=tuple(rows),
        agreement=min(1.0, max(0.0, agreement)),
        your_score=score(rubric, practice),
        reference_score=score(rubric, reference),
    )


# --- reviewing quality ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QualityWeights:
    """How much each part counts in reviewing quality (any non-negative numbers)."""

    calibration: float = 0.4
    consensus: float = 0.4
    helpfulness: float = 0.2

    def __post_init__(self) -> None:
        parts = (self.calibration, self.consensus, self.helpfulness)
        if not all(math.isfinite(w) and w >= 0 for w in parts) or not any(parts):
            raise QualityError("quality weights must be numbers of at least 0, not all 0")


DEFAULT_WEIGHTS = QualityWeights()


@dataclass(frozen=True, slots=True)
class ReviewingQuality:
    """A reviewer's quality, 0..1, and the parts it came from (None = no data for it).

    ``value`` is None only when no part has data (no practice review done, nobody else
    reviewed the same work, no ratings yet): quality is then unknown, not zero.
    """

    value: float | None
    calibration: float | None
    consensus: float | None
    helpfulness: float | None

    @property
    def missing(self) -> tuple[str, ...]:
        """Names of the parts left out for lack of data, for the page to say so."""
        parts = ("calibration", "consensus", "helpfulness")
        return tuple(p for p in parts if getattr(self, p) is None)


def consensus_agreement(
    score_given: float, other_scores: Sequence[float], score_range: float = SCORE_RANGE
) -> float | None:
    """1 − |score − median of the other reviewers' scores| / range, at least 0.

    None when nobody else reviewed the same work (there is no consensus to agree with).
    """
    if not other_scores:
        return None
    if not (math.isfinite(score_range) and score_range > 0):
        raise QualityError(f"the score range must be above 0, not {score_range!r}")
    distance = consensus_distances([score_given, *other_scores])[0]
    return max(0.0, 1.0 - distance / score_range)


def helpfulness(ratings: Sequence[int]) -> float | None:
    """(average rating − 1) / 4 for helpfulness ratings 1..5; None without ratings."""
    if not ratings:
        return None
    for r in ratings:
        if isinstance(r, bool) or r not in (1, 2, 3, 4, 5):
            raise QualityError(f"a helpfulness rating is a whole number from 1 to 5, not {r!r}")
    return (math.fsum(ratings) / len(ratings) - 1) / 4


def _average(values: Sequence[float], what: str) -> float | None:
    if not values:
        return None
    if not all(math.isfinite(v) and 0 <= v <= 1 for v in values):
        raise QualityError(f"{what} agreements must be between 0 and 1")
    return math.fsum(values) / len(values)


def reviewing_quality(
    calibration: Sequence[float] = (),
    consensus: Sequence[float] = (),
    ratings: Sequence[int] = (),
    weights: QualityWeights = DEFAULT_WEIGHTS,
) -> ReviewingQuality:
    """Quality 0..1 by the formula in FORMULA_TEXT.

    ``calibration``: PracticeComparison.agreement of each practice review done;
    ``consensus``: consensus_agreement of each real review that had other reviewers;
    ``ratings``: the helpfulness ratings (1..5) authors gave this reviewer's reviews.
    A part without data is left out and the weights of the others are renormalised.
    """
    parts = {
        "calibration": _average(calibration, "calibration"),
        "consensus": _average(consensus, "consensus"),
        "helpfulness": helpfulness(ratings),
    }
    present = {name: v for name, v in parts.items() if v is not None}
    used = {name: getattr(weights, name) for name in present}
    total = math.fsum(used.values())
    value = None  # also when only parts weighted 0 have data: nothing that counts is known
    if total > 0:
        value = min(1.0, max(0.0, math.fsum(used[n] * v for n, v in present.items()) / total))
    return ReviewingQuality(value=value, **parts)


def reviewing_grade(quality: ReviewingQuality, completed: int, assigned: int) -> float:
    """The reviewing grade, 0..100: 100 × quality × share of assigned reviews completed.

    The share is capped at 1 (extra reviews do not lift it above 100); ``assigned`` 0 means
    nothing was asked, share 1. With quality unknown (no part has data) the grade rests on
    completion alone.
    """
    if completed < 0 or assigned < 0:
        raise QualityError("review counts cannot be negative")
    share = 1.0 if assigned == 0 else min(1.0, completed / assigned)
    value = 1.0 if quality.value is None else quality.value
    return round(100.0 * value * share, 2)


def aggregation_weight(quality: ReviewingQuality) -> float:
    """The weight of this reviewer's scores in a weighted mean: quality, or 0.5 if unknown."""
    return UNKNOWN_QUALITY_WEIGHT if quality.value is None else quality.value


def formula(weights: QualityWeights = DEFAULT_WEIGHTS) -> Explanation:
    """The formula in words, with these weights, for the page."""
    return Explanation(
        N_(
            "Reviewing quality = (%(wc)s × C + %(wp)s × P + %(wh)s × H) ÷ (sum of the weights "
            "of the parts you have data for). "
            "C, calibration: your average agreement with the instructor's reference on the "
            "practice reviews, criterion by criterion (1 = the same level, 0 = the opposite "
            "end of the scale). "
            "P, peer consensus: your average agreement with the other reviewers of the same "
            "work, 1 − (distance from their median score ÷ the score range). "
            "H, helpfulness: (average helpfulness rating from the authors − 1) ÷ 4, for "
            "ratings from 1 to 5. "
            "A part with no data yet (no practice review, no other reviewer, no rating) is "
            "left out. "
            "Reviewing grade = 100 × quality × (reviews completed ÷ reviews assigned, at most "
            "1); while no part has data, 100 × that share."
        ),
        {
            "wc": f"{weights.calibration:g}",
            "wp": f"{weights.consensus:g}",
            "wh": f"{weights.helpfulness:g}",
        },
    )


FORMULA_TEXT = str(formula())
