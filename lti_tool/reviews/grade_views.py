"""The participant's grades on the peer review page: the work's grade and the reviewing grade,
shown once the instructor has sent them to the gradebook (the preview before is theirs alone).
"""

from __future__ import annotations

from flask import g, render_template
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import Activity, ReviewAssignment, ReviewerGrade, SubmissionGrade
from ..models.reviews import MODE_WORK
from . import grading, phases, submissions
from .views import PAGE_SECTIONS, me


def _grade_section(activity: Activity, assignment: ReviewAssignment) -> Markup | None:
    if assignment.mode != MODE_WORK or g.launch.is_instructor:
        return None
    if not phases.passed(assignment.phase, phases.REVIEW):
        return None  # nothing to say about grades while work is still being written
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
            method_label=grading.method_label,
        )
    )


PAGE_SECTIONS.append(_grade_section)
