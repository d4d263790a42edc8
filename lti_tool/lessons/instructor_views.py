"""The instructor's view of one placed lesson (`/learn/<activity>/people`) and its CSV export.

Instructors and admins of the activity's course only; the figures come from `reporting`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _

from ..activities.views import get_activity_for_launch
from ..csv_export import csv_download, utc_cell
from ..lti.session import launch_required
from ..models import Activity
from . import reporting

bp = Blueprint("lesson_people", __name__, url_prefix="/learn")

KIND = "lesson"


def _activity(public_id: str) -> Activity:
    """The placed lesson of this course (404 unknown or not a lesson, 403 another course's)."""
    activity = get_activity_for_launch(public_id)
    if activity.kind != KIND:
        abort(404, description=_("This activity is not a lesson."))
    return activity


@bp.get("/<public_id>/people")
@launch_required("instructor", "admin")
def page(public_id: str) -> str:
    """Who started the lesson, who completed it, scores, attempts and shared reflections."""
    activity = _activity(public_id)
    return render_template("lessons/instructor.html", activity=activity, report=reporting.lesson_report(activity))


@bp.get("/<public_id>/people.csv")
@launch_required("instructor", "admin")
def export(public_id: str) -> Response:
    """The same as a CSV file: UTF-8 with a BOM, cells that could start a formula quoted."""
    activity = _activity(public_id)
    labels = {
        "name": _("Name"), "email": _("Email"), "role": _("Role"), "version": _("Version"),
        "started": _("Started (UTC)"), "last_activity": _("Last activity (UTC)"),
        "completed": _("Completed (UTC)"), "passed": _("Passed"), "points": _("Points"),
        "possible": _("Possible"), "percent": _("Percent"), "attempts": _("Attempts"),
        "reflection": _("Reflection"), "not_shared": _("not shared"), "yes": _("yes"), "no": _("no"),
        "staff": _("Instructor"), "learner": _("Learner"),
    }
    body = reporting.report_csv(reporting.lesson_report(activity), labels, utc_cell)
    return csv_download(body, f"lesson-{activity.public_id}.csv")
