"""The instructor's dashboard of one placed peer review: progress, flagged and escalated
reviews, grade preview, overrides, feedback release, sending grades, CSV export.

Instructors and admins of the activity's course only (another course's: 403). Thin: the
figures come from `dashboard`, every change from `grading`.
"""

from __future__ import annotations

from flask import redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from ..csv_export import csv_bytes, csv_download, utc_cell
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models.base import utcnow
from ..models.reviews import MODE_PEOPLE
from ..services import outbox
from . import ReviewError, aggregation, assignments, calibration, dashboard, grading
from .views import activity_and_assignment, bp, me

STAFF = ("instructor", "admin")
DONE_MESSAGES = {
    "computed": lambda n: _("Grades recomputed."),
    "overridden": lambda n: _("The grade was changed; the reason is kept with it."),
    "released": lambda n: _("Feedback released: authors can now read the reviews of their work."),
    "already": lambda n: _("Authors could already read their feedback."),
    "sent": lambda n: ngettext(
        "%(num)d grade queued for the gradebook.", "%(num)d grades queued for the gradebook.", n
    ),
}


def explained(explanation: aggregation.Explanation) -> str:
    """A rule from the pure modules, in the reader's language."""
    return _(explanation.message, **explanation.params)


def _dashboard(activity, assignment, *, error: str | None = None, status: int = 200):
    board = dashboard.build(assignment, utcnow())
    done = request.args.get("done", "")
    return render_template(
        "reviews/dashboard.html",
        activity=activity,
        assignment=assignment,
        board=board,
        phase_label=assignments.phase_label(assignment.phase),
        feedback_released=assignments.feedback_released(assignment),
        grades_sent=grading.grades_sent(assignment),
        outbox_counts=outbox.counts(activity_id=activity.id),
        method_label=grading.method_label,
        outlier_rule=explained(aggregation.outlier_rule(assignment.outlier_threshold)),
        escalation_rule=explained(aggregation.escalation_rule(assignment.escalation_threshold)),
        formula=explained(calibration.formula()),
        message=DONE_MESSAGES[done](request.args.get("n", 0, type=int))
        if done in DONE_MESSAGES
        else None,
        error=error,
        error_for=request.form.get("submission") if error else None,
        form=request.form if error else None,
    ), status


def _back(activity, done: str, anchor: str, n: int = 0):
    url = launch_url("reviews.dashboard", public_id=activity.public_id, done=done, n=n)
    return redirect(f"{url}#{anchor}", 303)


@bp.get("/<public_id>/dashboard", endpoint="dashboard")
@launch_required(*STAFF)
def dashboard_page(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    if assignment.mode == MODE_PEOPLE:  # 360 has no grades: its own page, counts and results
        return redirect(launch_url("reviews.people_manage", public_id=public_id), 303)
    return _dashboard(activity, assignment)


@bp.post("/<public_id>/grades/compute")
@launch_required(*STAFF)
def compute(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    grading.compute_grades(assignment)
    db.session.commit()
    return _back(activity, "computed", "grades")


@bp.post("/<public_id>/grades/override")
@launch_required(*STAFF)
def override(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    try:
        grading.override(
            assignment,
            request.form.get("submission", ""),
            request.form.get("score", ""),
            request.form.get("reason", ""),
            me(),
        )
    except ReviewError as err:
        db.session.rollback()
        if err.status != 400:
            raise
        return _dashboard(activity, assignment, error=err.message, status=400)
    db.session.commit()
    return _back(activity, "overridden", "grades")


@bp.post("/<public_id>/feedback/release")
@launch_required(*STAFF)
def release(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    released = grading.release_feedback(assignment)
    db.session.commit()
    return _back(activity, "released" if released else "already", "release")


@bp.post("/<public_id>/grades/send")
@launch_required(*STAFF)
def send(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    summary = grading.send_grades(assignment)
    db.session.commit()
    return _back(activity, "sent", "send", summary.queued)


CSV_LABELS = {
    "name": lambda: _("Name"),
    "email": lambda: _("Email"),
    "group": lambda: _("Group"),
    "submitted": lambda: _("Submitted (UTC)"),
    "late": lambda: _("Late"),
    "reviews_received": lambda: _("Reviews received"),
    "peer_score": lambda: _("Peer score"),
    "method": lambda: _("Method"),
    "spread": lambda: _("Spread"),
    "escalated": lambda: _("Escalated"),
    "override": lambda: _("Override"),
    "override_reason": lambda: _("Override reason"),
    "late_penalty": lambda: _("Late penalty %"),
    "work_grade": lambda: _("Work grade (0-100)"),
    "work_sent": lambda: _("Work grade sent (UTC)"),
    "reviews_done": lambda: _("Reviews done"),
    "reviews_allocated": lambda: _("Reviews allocated"),
    "quality": lambda: _("Reviewing quality %"),
    "reviewing_grade": lambda: _("Reviewing grade (0-100)"),
    "reviewing_sent": lambda: _("Reviewing grade sent (UTC)"),
    "yes": lambda: _("yes"),
    "no": lambda: _("no"),
}


@bp.get("/<public_id>/dashboard.csv")
@launch_required(*STAFF)
def export(public_id: str):
    """Every participant's work, grades and reviewing: UTF-8 with a BOM, formula-safe."""
    activity, assignment = activity_and_assignment(public_id)
    if assignment.mode == MODE_PEOPLE:
        raise ReviewError(_("360 feedback has no grades to export."), 404)
    board = dashboard.build(assignment, utcnow())
    labels = {key: label() for key, label in CSV_LABELS.items()}
    body = csv_bytes(dashboard.csv_rows(board, labels, utc_cell))
    return csv_download(body, f"peer-review-{activity.public_id}.csv")
