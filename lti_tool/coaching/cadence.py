"""When the next check-in of a pair is due, whether it is overdue, whether a pair has stalled.

Pure (no Flask, no database): callers pass the dates and times they read, in UTC, and the
person's timezone name; every rule the pages state lives here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A pair has stalled when nothing happened for this many check-in periods.
STALL_PERIODS = 2


def zone(name: str | None) -> ZoneInfo:
    """The named timezone, or UTC for an empty or unknown name (an LMS may send anything)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware(moment: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones, and the results of
    max()/min() as text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_date(moment: datetime, tz: str | None) -> date:
    """The calendar date of a UTC moment where the person lives."""
    return aware(moment).astimezone(zone(tz)).date()


def next_due(
    last_checkin: datetime | None, start: datetime | None, cadence_days: int, tz: str | None
) -> date | None:
    """The next check-in is due ``cadence_days`` after the last one, or after the pairing (or the
    first goal) started; None when there is nothing to count from."""
    base = last_checkin or start
    if base is None:
        return None
    return local_date(base, tz) + timedelta(days=cadence_days)


def days_overdue(due: date | None, today: date) -> int:
    """How many days past ``due`` today is (0 when not due yet, or due today)."""
    if due is None:
        return 0
    return max(0, (today - due).days)


def is_stalled(
    last_activity: datetime | None, since: datetime, now: datetime, cadence_days: int
) -> bool:
    """Nothing happened for STALL_PERIODS check-in periods: since the last activity, or, with
    none yet, since the pair started."""
    reference = aware(last_activity or since)
    return aware(now) - reference > timedelta(days=STALL_PERIODS * cadence_days)


def latest(*moments: datetime | None) -> datetime | None:
    """The latest of some optional times (None when all are None)."""
    known = [aware(m) for m in moments if m is not None]
    return max(known) if known else None
