"""360 feedback results, pure (no Flask, no database): what a person may see of the answers
colleagues gave about them, and the development goal the lowest-rated competency suggests.

Nothing of the answers comes out below the threshold (never fewer than FLOOR answers): the
summary then holds only the counts. At or above it, only aggregates per criterion (mean,
percent, nearest level, how many chose each level) and the comments without who wrote them,
sorted by their text so the order says nothing about who answered or when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .rubric import Criterion, Level, Rubric

FLOOR = 3  # results are never shown with fewer answers than this


@dataclass(frozen=True)
class Answer:
    """One colleague's submitted answer: criterion key -> level key, comments, overall comment."""

    levels: dict[str, str | None]
    comments: dict[str, str] = field(default_factory=dict)
    overall: str = ""


@dataclass(frozen=True)
class LevelCount:
    level: Level
    count: int


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    answered: int  # answers that chose a level (scored criteria) or commented (feedback-only)
    mean_points: float | None
    percent: float | None  # mean / highest points × 100, as the rubric scores
    nearest: Level | None  # the level whose points are closest to the mean (higher on a tie)
    distribution: tuple[LevelCount, ...]  # highest level first
    comments: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    answered: int
    needed: int
    criteria: tuple[CriterionResult, ...] = ()  # empty below the threshold or while open
    overall: tuple[str, ...] = ()  # empty below the threshold or while open
    # Results show only once answering has ended: while answers still arrive, each change in
    # the results would tell whoever knows who answered last what that person said.
    answering_closed: bool = True

    @property
    def ready(self) -> bool:
        return self.answered >= self.needed and self.answering_closed

    @property
    def scored(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.criteria if not r.criterion.feedback_only)

    @property
    def feedback_only(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.criteria if r.criterion.feedback_only)


def needed(min_responses: int) -> int:
    """Answers needed before results show: the setting, but never below FLOOR."""
    return max(FLOOR, int(min_responses))


def anonymous_order(texts: Sequence[str]) -> tuple[str, ...]:
    """Non-empty comments in an order that depends only on their text (not on who or when)."""
    kept = [t.strip() for t in texts if t and t.strip()]
    return tuple(sorted(kept, key=lambda t: (t.casefold(), t)))


def _nearest(criterion: Criterion, mean: float) -> Level:
    return min(criterion.levels, key=lambda lv: (abs(lv.points - mean), -lv.points))


def _criterion(criterion: Criterion, answers: Sequence[Answer]) -> CriterionResult:
    comments = anonymous_order([a.comments.get(criterion.key, "") for a in answers])
    if criterion.feedback_only:
        return CriterionResult(criterion, len(comments), None, None, None, (), comments)
    chosen = [criterion.level(a.levels.get(criterion.key) or "") for a in answers]
    points = [level.points for level in chosen if level is not None]
    counts = {level.key: 0 for level in criterion.levels}
    for level in chosen:
        if level is not None:
            counts[level.key] += 1
    distribution = tuple(LevelCount(lv, counts[lv.key]) for lv in reversed(criterion.levels))
    if not points:
        return CriterionResult(criterion, 0, None, None, None, distribution, comments)
    mean = sum(points) / len(points)
    return CriterionResult(
        criterion,
        len(points),
        round(mean, 2),
        round(100.0 * mean / criterion.max_points, 1),
        _nearest(criterion, mean),
        distribution,
        comments,
    )


def summarise(
    rubric: Rubric, answers: Sequence[Answer], min_responses: int, answering_closed: bool = True
) -> Summary:
    """The results a person may see; below the threshold, or while colleagues may still answer,
    only how many answered."""
    need = needed(min_responses)
    if len(answers) < need or not answering_closed:
        return Summary(len(answers), need, answering_closed=answering_closed)
    return Summary(
        len(answers),
        need,
        tuple(_criterion(c, answers) for c in rubric.criteria),
        anonymous_order([a.overall for a in answers]),
    )


def lowest(summary: Summary) -> CriterionResult | None:
    """The scored criterion colleagues rated lowest (the rubric's order breaks ties)."""
    rated = [r for r in summary.scored if r.percent is not None]
    return min(rated, key=lambda r: r.percent) if rated else None


def next_level(criterion: Criterion, level: Level | None) -> Level | None:
    """The level above ``level`` (None at the top); the lowest one when ``level`` is None."""
    if level is None:
        return criterion.levels[0] if criterion.levels else None
    higher = [lv for lv in criterion.levels if lv.points > level.points]
    return higher[0] if higher else None
