"""The participant's grades on the peer review page: the work's grade and the reviewing grade,
shown once the instructor has sent them to the gradebook (the preview before is theirs alone).
"""

from __future__ import annotations

from flask import current_app, g, render_template
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..lti.session import launch_url
from ..models import Activity, ReviewAssignment, ReviewerGrade, SubmissionGrade
from ..models.reviews import MODE_WORK
from . import assignments, grading, submissions
from .views import PAGE_SECTIONS, me


def _grade_section(activity: Activity, assignment: ReviewAssignment) -> Markup | None:
    if assignment.mode != MODE_WORK or g.launch.is_instructor:
        return None
    user = me()
    work = submissions.submission_of(assignment, user)
    grade = None
    if work is not None and work.submitted_at is not None:
        grade = db.session.scalars(
            select(SubmissionGrade).where(SubmissionGrade.submission_id == work.id)
        ).first()
    reviewing = db.session.scalars(
        select(ReviewerGrade).where(
            ReviewerGrade.assignment_id == assignment.id, ReviewerGrade.user_id == user.id
        )
    ).first()
    return Markup(  # noqa: S704 - a rendered template
        render_template(
            "reviews/grade_section.html",
            activity=activity,
            assignment=assignment,
            work=work,
            grade=grade if grade is not None and grade.sent_at is not None else None,
            reviewing=reviewing
            if reviewing is not None and reviewing.sent_at is not None
            else None,
            feedback_url=_feedback_url(activity, assignment),
            method_label=grading.method_label,
        )
    )


def _feedback_url(activity: Activity, assignment: ReviewAssignment) -> str | None:
    """Where the author reads their reviews (review_views' page), once feedback is released."""
    if not assignments.feedback_released(assignment):
        return None
    if "reviews.feedback" not in current_app.view_functions:
        return None
    return launch_url("reviews.feedback", public_id=activity.public_id)


PAGE_SECTIONS.append(_grade_section)
