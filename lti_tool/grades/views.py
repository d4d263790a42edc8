"""Views of the grade-delivery page (`/grades`), instructors and admins of the launch's course only.

Thin: counts, problem rows and retry come from `services.outbox`.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..lti.session import current_launch, launch_required, launch_url
from ..models import Activity, User
from ..services import outbox

bp = Blueprint("grades", __name__, url_prefix="/grades")

STATUS_LABELS = {
    "pending": lambda: _("Waiting to be sent"),
    "sending": lambda: _("Being sent"),
    "delivered": lambda: _("Delivered"),
    "failed": lambda: _("Failed"),
    "superseded": lambda: _("Replaced by a newer score"),
}


@bp.get("")
@launch_required("instructor", "admin")
def page():
    launch = current_launch()
    rows = outbox.problem_rows(launch.context_id)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r.user_id for r in rows})))}
    activities = {
        a.id: a for a in db.session.scalars(select(Activity).where(Activity.id.in_({r.activity_id for r in rows if r.activity_id})))
    }
    return render_template(
        "grades/page.html",
        counts=outbox.counts(launch.context_id),
        labels={k: f() for k, f in STATUS_LABELS.items()},
        rows=rows,
        users=users,
        activities=activities,
        retried=request.args.get("retried", type=int),
    )


@bp.post("/retry")
@launch_required("instructor", "admin")
def retry():
    launch = current_launch()
    row_id = request.form.get("row", type=int)
    n = outbox.retry(context_id=launch.context_id, row_ids=[row_id] if row_id else None, failed_only=True)
    return redirect(launch_url("grades.page", retried=n), code=303)
