"""Peer review with rubrics: rubrics, phases, submissions, allocation, reviewing, calibration
and grades, graded through the LMS's gradebook (two line items: the work and the reviewing).

Pure domain modules (no Flask, no SQLAlchemy): rubric.py, phases.py, allocation.py,
aggregation.py, calibration.py. Services that change rows: assignments.py, rubrics.py,
submissions.py, allocating.py, reviewing.py, grading.py. Web edge: views.py and *_views.py.
"""

from __future__ import annotations


class ReviewError(Exception):
    """A refusal a person can read; ``status`` is the HTTP status the web edge answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
