"""AGS 2.0 rules of the dev LMS: validate line items and scores the way Moodle/Canvas do.

Pure functions (no Flask, no database) so the rules are testable one by one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


class AGSError(Exception):
    """A client error with the HTTP status the platform answers and a readable message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class LineItemInput:
    label: str
    score_maximum: float
    resource_id: str | None
    tag: str | None
    resource_link_id: str | None
    start_date_time: datetime | None
    end_date_time: datetime | None


@dataclass(frozen=True)
class ScoreInput:
    user_id: str
    timestamp: datetime
    activity_progress: str
    grading_progress: str
    # None unless gradingProgress is FullyGraded (Moodle discards it otherwise).
    score_given: float | None
    score_maximum: float | None
    comment: str | None
    # What the tool sent, kept for the history even when not stored as the grade.
    score_given_sent: float | None


def _is_number(value: Any) -> bool:
    # JSON true/false arrive as bool, a subclass of int: not a score.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_timestamp(value: Any, field: str = "timestamp") -> datetime:
    """An ISO 8601 date-time with offset (a naive value is read as UTC), as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        raise AGSError(400, f"{field} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise AGSError(400, f"{field} {value!r} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _optional_str(payload: dict, key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AGSError(400, f"{key} must be a string")
    return value


def _optional_datetime(payload: dict, key: str) -> datetime | None:
    if payload.get(key) in (None, ""):
        return None
    return parse_timestamp(payload[key], key)


def validate_lineitem(payload: Any) -> LineItemInput:
    """Check a line item body (POST or PUT): label and scoreMaximum > 0 are required."""
    if not isinstance(payload, dict):
        raise AGSError(400, "the body must be a JSON object (a line item)")
    label = payload.get("label")
    if not isinstance(label, str) or not label.strip():
        raise AGSError(400, "label is required and must be a non-empty string")
    score_maximum = payload.get("scoreMaximum")
    if not _is_number(score_maximum) or score_maximum <= 0:
        raise AGSError(400, "scoreMaximum is required and must be a number greater than 0")
    start = _optional_datetime(payload, "startDateTime")
    end = _optional_datetime(payload, "endDateTime")
    if start and end and end < start:
        raise AGSError(400, "endDateTime is before startDateTime")
    return LineItemInput(
        label=label.strip(),
        score_maximum=float(score_maximum),
        resource_id=_optional_str(payload, "resourceId"),
        tag=_optional_str(payload, "tag"),
        resource_link_id=_optional_str(payload, "resourceLinkId"),
        start_date_time=start,
        end_date_time=end,
    )


def validate_score(payload: Any) -> ScoreInput:
    """Check a score body; drop scoreGiven unless gradingProgress is FullyGraded (Moodle)."""
    if not isinstance(payload, dict):
        raise AGSError(400, "the body must be a JSON object (a score)")
    for field in ("userId", "timestamp", "activityProgress", "gradingProgress"):
        if payload.get(field) in (None, ""):
            raise AGSError(400, f"{field} is required")
    user_id = payload["userId"]
    if not isinstance(user_id, str | int) or isinstance(user_id, bool):
        raise AGSError(400, "userId must be a string")
    timestamp = parse_timestamp(payload["timestamp"])
    activity = payload["activityProgress"]
    if activity not in ACTIVITY_PROGRESS:
        raise AGSError(400, f"activityProgress must be one of {', '.join(ACTIVITY_PROGRESS)}")
    grading = payload["gradingProgress"]
    if grading not in GRADING_PROGRESS:
        raise AGSError(400, f"gradingProgress must be one of {', '.join(GRADING_PROGRESS)}")
    given = payload.get("scoreGiven")
    maximum = payload.get("scoreMaximum")
    if given is not None:
        if not _is_number(given) or given < 0:
            raise AGSError(400, "scoreGiven must be a number >= 0")
        if maximum is None:
            # Canvas answers 422 here; 400 is used because the body itself is invalid
            # (a score without its scale cannot be read), which is what RFC 9110 400 means.
            raise AGSError(400, "scoreMaximum is required when scoreGiven is present")
    if maximum is not None and (not _is_number(maximum) or maximum <= 0):
        raise AGSError(400, "scoreMaximum must be a number greater than 0")
    comment = payload.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise AGSError(400, "comment must be a string")
    fully_graded = grading == "FullyGraded"
    return ScoreInput(
        user_id=str(user_id),
        timestamp=timestamp,
        activity_progress=activity,
        grading_progress=grading,
        score_given=float(given) if given is not None and fully_graded else None,
        score_maximum=float(maximum) if maximum is not None else None,
        comment=comment,
        score_given_sent=float(given) if given is not None else None,
    )


def is_later(new: datetime, stored: datetime | None) -> bool:
    """Moodle compares whole seconds: a score must be strictly later than the stored one."""
    if stored is None:
        return True
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    return math.floor(new.timestamp()) > math.floor(stored.timestamp())


def scaled_result(
    score_given: float | None, score_maximum: float | None, line_max: float
) -> float | None:
    """The gradebook value on the line item's scale (Moodle rescales to the grade item)."""
    if score_given is None or not score_maximum:
        return None
    return round(score_given * line_max / score_maximum, 6)


def isoformat(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
