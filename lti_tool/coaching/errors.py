"""The refusal the coaching services raise; the web edge answers with its status and message."""

from __future__ import annotations


class CoachingError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
