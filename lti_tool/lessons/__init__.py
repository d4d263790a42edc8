"""Peer-written micro-lessons: authoring, review workflow and the organisation's library.

Service modules (authoring, workflow, library, assets) change state; views.py is the web edge.
"""

from __future__ import annotations


class LessonError(Exception):
    """A refusal a person can read; ``status`` is the HTTP status the web edge answers with."""

    def __init__(self, message: str, status: int = 400, problems: list | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = problems or []
