"""The SMART check of a coaching goal: what is missing or weak, as codes the page translates.

Pure (no Flask): ``check_goal(goal, today)`` returns ``Finding``s, each a ``Message`` code with
parameters and default English, the field it is about, its SMART letter and how serious it
is ("missing": the goal cannot be saved as SMART without it; "weak": worth a second look).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .messages import Message

Severity = Literal["missing", "weak"]

# Han, Hiragana, Katakana: scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class Milestone:
    title: str
    due: date | None = None
    done: bool = False


@dataclass(frozen=True)
class Goal:
    """A goal as its owner wrote it: what, why, how success is measured, target date."""

    what: str = ""
    why: str = ""
    measure: str = ""
    target_date: date | None = None
    milestones: tuple[Milestone, ...] = ()


@dataclass(frozen=True)
class Rules:
    """Thresholds of the check (an instructor could tune them per course)."""

    min_what_words: int = 5
    min_why_words: int = 3
    min_measure_words: int = 3
    min_days_ahead: int = 7
    max_months_ahead: int = 12


@dataclass(frozen=True)
class Finding:
    field: str  # "what", "why", "measure", "target_date", "milestones[<i>]"
    letter: str  # S, M, A, R or T
    severity: Severity
    message: Message

    @property
    def code(self) -> str:
        return self.message.code


def word_count(text: str) -> int:
    """Words in any script: spaced words, plus one per two Han/kana characters (no spaces there)."""
    unspaced = len(_UNSPACED.findall(text))
    spaced = len(_WORD.findall(_UNSPACED.sub(" ", text)))
    return spaced + (unspaced + 1) // 2


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 January + 1 = 28/29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_goal(goal: Goal, today: date, rules: Rules | None = None) -> list[Finding]:
    """Everything missing or weak in ``goal`` on ``today`` (the owner's local date), in form order."""
    rules = rules or Rules()
    findings: list[Finding] = []
    findings += _text(
        goal.what, "what", "S", rules.min_what_words, "what_missing", "what_too_vague"
    )
    findings += _text(goal.why, "why", "R", rules.min_why_words, "why_missing", "why_too_short")
    findings += _text(
        goal.measure,
        "measure",
        "M",
        rules.min_measure_words,
        "measure_missing",
        "measure_too_vague",
    )
    if goal.measure.strip() and not _NUMBER.search(goal.measure):
        findings.append(
            _finding(
                "measure",
                "M",
                "weak",
                "measure_without_number",
                "The measure of success has no number: how will you know it is reached "
                "(a count, a score, a date, a percentage)?",
            )
        )
    findings += _target(goal.target_date, today, rules)
    for index, milestone in enumerate(goal.milestones, start=1):
        findings += _milestone(index, milestone, goal.target_date, today)
    return findings


def _finding(
    where: str, letter: str, severity: Severity, code: str, text: str, **params
) -> Finding:
    return Finding(where, letter, severity, Message(f"smart.{code}", text, params))


_LABELS = {
    "what": "what you want to achieve",
    "why": "why it matters",
    "measure": "the measure of success",
}


def _text(
    value: str, where: str, letter: str, minimum: int, missing: str, vague: str
) -> list[Finding]:
    label = _LABELS[where]
    if not value.strip():
        return [_finding(where, letter, "missing", missing, f"Say {label}.")]
    words = word_count(value)
    if words < minimum:
        text = f"Say more about {label}: {words} word(s), at least {minimum} make it clear."
        return [_finding(where, letter, "weak", vague, text, words=words, min_words=minimum)]
    return []


def _target(target: date | None, today: date, rules: Rules) -> list[Finding]:
    if target is None:
        return [
            _finding("target_date", "T", "missing", "target_date_missing", "Set a target date.")
        ]
    iso = target.isoformat()
    if target < today:
        return [
            _finding(
                "target_date",
                "T",
                "missing",
                "target_date_past",
                f"The target date {iso} is in the past.",
                date=iso,
            )
        ]
    if (target - today).days < rules.min_days_ahead:
        days = rules.min_days_ahead
        text = (
            f"The target date {iso} is less than {days} days away: is the goal achievable by then?"
        )
        return [
            _finding(
                "target_date", "A", "weak", "target_date_too_soon", text, date=iso, min_days=days
            )
        ]
    if target > add_months(today, rules.max_months_ahead):
        months = rules.max_months_ahead
        text = (
            f"The target date {iso} is more than {months} months away: "
            "split the goal or set an earlier date with milestones."
        )
        return [
            _finding(
                "target_date", "T", "weak", "target_date_too_far", text, date=iso, max_months=months
            )
        ]
    return []


def _milestone(index: int, milestone: Milestone, target: date | None, today: date) -> list[Finding]:
    where = f"milestones[{index}]"
    found = []
    if not milestone.title.strip():
        found.append(
            _finding(
                where,
                "S",
                "missing",
                "milestone_title_missing",
                f"Milestone {index} needs a title.",
                index=index,
            )
        )
    due = milestone.due
    if due is None:
        return found
    iso = due.isoformat()
    if target is not None and due > target:
        text = f"Milestone {index} is due on {iso}, after the target date {target.isoformat()}."
        found.append(
            _finding(
                where,
                "T",
                "missing",
                "milestone_after_target",
                text,
                index=index,
                date=iso,
                target=target.isoformat(),
            )
        )
    if due < today and not milestone.done:
        text = f"Milestone {index} was due on {iso} and is not done: move its date or mark it done."
        found.append(_finding(where, "T", "weak", "milestone_overdue", text, index=index, date=iso))
    return found
