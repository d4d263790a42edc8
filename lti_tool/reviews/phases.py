"""Phases of a peer review and the dates that move them (pure: no Flask, no database).

setup → submission → review → grading → closed. The instructor may move to any phase by hand
(forwards or back, e.g. to reopen submissions); with automatic phases on, each date that has
passed moves the assignment forward to the phase it starts, never back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SETUP, SUBMISSION, REVIEW, GRADING, CLOSED = "setup", "submission", "review", "grading", "closed"
ORDER = (SETUP, SUBMISSION, REVIEW, GRADING, CLOSED)
# The date field that starts each phase (setup has none: it is where every assignment begins).
STARTS = {
    SUBMISSION: "submission_opens_at",
    REVIEW: "review_opens_at",
    GRADING: "grading_opens_at",
    CLOSED: "closes_at",
}


class DatesError(ValueError):
    """Dates out of order: `message` names the two fields (English; views translate)."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message % params)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Dates:
    submission_opens_at: datetime | None = None
    review_opens_at: datetime | None = None
    grading_opens_at: datetime | None = None
    closes_at: datetime | None = None

    @classmethod
    def of(cls, obj) -> Dates:
        return cls(**{name: getattr(obj, name) for name in STARTS.values()})


def index(phase: str) -> int:
    return ORDER.index(phase)


def check_dates(dates: Dates) -> None:
    """Dates that are set must come in phase order."""
    previous: tuple[str, datetime] | None = None
    for phase in ORDER[1:]:
        field = STARTS[phase]
        value = getattr(dates, field)
        if value is None:
            continue
        if previous is not None and value <= previous[1]:
            raise DatesError(
                "%(later)s must be after %(earlier)s.", later=phase, earlier=previous[0]
            )
        previous = (phase, value)


def due_phase(current: str, dates: Dates, now: datetime) -> str:
    """The phase the dates call for now: the latest phase whose date has passed, if that is
    later than the current one; otherwise the current phase (dates never move backwards)."""
    target = current
    for phase in ORDER[index(current) + 1 :]:
        value = getattr(dates, STARTS[phase])
        if value is not None and value <= now:
            target = phase
    return target


def passed(current: str, phase: str) -> bool:
    """Whether `phase` has begun (current is it or later)."""
    return index(current) >= index(phase)
