"""Peer review work that falls due with time, run by the worker (and on page views):
phases moved by their dates, and work completed without reviews after the fallback days."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import ReviewAssignment
from . import allocating, assignments, phases


def run(now: datetime) -> int:
    changed = assignments.advance_all(now)
    waiting = db.session.scalars(
        select(ReviewAssignment.id).where(
            ReviewAssignment.small_cohort_fallback == "complete",
            ReviewAssignment.phase.in_((phases.REVIEW, phases.GRADING)),
        )
    ).all()
    for assignment_id in waiting:
        assignment = db.session.get(ReviewAssignment, assignment_id)
        if assignment is not None and allocating.complete_stranded(assignment, now):
            db.session.commit()
            changed += 1
    return changed
