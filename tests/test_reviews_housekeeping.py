"""The worker moves peer reviews on by their dates, with nobody opening a page."""

from __future__ import annotations

from datetime import timedelta

from reviews_support import assignment, place_review

from lti_tool.extensions import db
from lti_tool.models import ReviewAssignment
from lti_tool.models.base import utcnow
from lti_tool.services import worker


def test_the_worker_opens_phases_whose_dates_passed(lti):
    placed = place_review(lti)
    a = assignment(lti, placed)
    now = utcnow()
    with lti.app.app_context():
        row = db.session.get(ReviewAssignment, a.id)
        row.auto_phases = True
        row.submission_opens_at = now - timedelta(hours=2)
        row.review_opens_at = now - timedelta(minutes=1)
        row.grading_opens_at = now + timedelta(days=3)
        db.session.commit()
    worker.run(lti.app, once=True)
    moved = assignment(lti, placed)
    assert moved.phase == "review"  # both passed dates applied, the future one not
    assert moved.allocated_at is not None  # entering review ran batch allocation
    worker.run(lti.app, once=True)
    assert assignment(lti, placed).phase == "review"


def test_housekeeping_leaves_manual_assignments_alone(lti):
    placed = place_review(lti)
    a = assignment(lti, placed)
    with lti.app.app_context():
        row = db.session.get(ReviewAssignment, a.id)
        row.review_opens_at = utcnow() - timedelta(minutes=1)  # a date, but phases are moved by hand
        db.session.commit()
    assert worker.housekeeping(lti.app) == 0
    assert assignment(lti, placed).phase == "setup"
