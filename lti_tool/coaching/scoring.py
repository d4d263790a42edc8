"""The participation and completion score of a coaching programme, by the instructor's rule.

Pure (no Flask, no database). A goal is *complete* when its owner closed it with a reflection
and their coach added a note. A person's score is their best goal's score, out of 100:

- rule "closed": 100 for a complete goal, else 0;
- rule "checkins" with N = min_checkins: each check-in on the goal is worth 100 / (N + 1), up
  to N of them; completing the goal adds the last 100 / (N + 1). So N check-ins and a complete
  goal give 100; with N = 0, completing the goal alone gives 100.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAXIMUM = 100.0
RULE_CLOSED = "closed"
RULE_CHECKINS = "checkins"


@dataclass(frozen=True)
class GoalFacts:
    """What the score of one goal depends on."""

    checkins: int
    complete: bool


def goal_score(rule: str, min_checkins: int, facts: GoalFacts) -> float:
    """One goal's score under ``rule`` (see the module docstring), rounded to 2 decimals."""
    if rule == RULE_CHECKINS:
        parts = max(0, min_checkins) + 1
        counted = min(max(0, facts.checkins), parts - 1) + (1 if facts.complete else 0)
        return round(MAXIMUM * counted / parts, 2)
    if rule == RULE_CLOSED:
        return MAXIMUM if facts.complete else 0.0
    raise ValueError(f"unknown completion rule {rule!r}")


def person_score(rule: str, min_checkins: int, goals: Iterable[GoalFacts]) -> float:
    """A person's score: their best goal's (0 without goals)."""
    return max((goal_score(rule, min_checkins, facts) for facts in goals), default=0.0)


def per_checkin(min_checkins: int) -> float:
    """What one check-in (and completing the goal) is worth under the "checkins" rule."""
    return round(MAXIMUM / (max(0, min_checkins) + 1), 2)
