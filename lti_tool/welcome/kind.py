"""Registration and rules of the welcome kind: form parsing and the page itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..activities import registry
from ..activities.registry import ActivityFormError, ActivityKind, ActivitySpec
from ..activities.views import get_activity_for_launch
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Activity, Context, LaunchSession, Membership, User
from ..models.people import display_name
from ..services import nrps

MAX_TITLE = 200
MAX_MESSAGE = 5000

bp = Blueprint("welcome", __name__, url_prefix="/welcome")


def parse_fields(fields: Mapping[str, str]) -> tuple[str, str]:
    title = (fields.get("title") or "").strip()
    message = (fields.get("message") or "").strip()
    if not title:
        raise ActivityFormError(_("Give the welcome page a title."))
    if len(title) > MAX_TITLE:
        raise ActivityFormError(_("The title can have at most %(n)d characters.", n=MAX_TITLE))
    if len(message) > MAX_MESSAGE:
        raise ActivityFormError(_("The welcome message can have at most %(n)d characters.", n=MAX_MESSAGE))
    return title, message


def spec_from_form(fields: Mapping[str, str], launch: LaunchSession) -> ActivitySpec:
    title, message = parse_fields(fields)
    return ActivitySpec(title=title, settings={"message": message})


def paragraphs(message: str) -> list[str]:
    return [p.strip() for p in message.replace("\r\n", "\n").split("\n\n") if p.strip()]


def render(activity: Activity, launch: LaunchSession):
    # Sync first (when stale), so the list below already reflects who left.
    roster = _roster(activity.context_id) if launch.is_instructor else None
    # Only the columns the page shows: courses can have thousands of members.
    members = db.session.execute(
        select(User.name, User.given_name, User.family_name, User.email, User.sub, Membership.roles)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.context_id == activity.context_id,
            User.last_launch_at.is_not(None),
            Membership.left_at.is_(None),
        )
        .order_by(User.name)
    ).all()
    people = [(display_name(m), m.roles.split()) for m in members]
    return render_template(
        "welcome/page.html",
        activity=activity,
        paragraphs=paragraphs(activity.settings.get("message", "")),
        learners=[name for name, roles in people if "instructor" not in roles],
        instructors=[name for name, roles in people if "instructor" in roles],
        roster=roster,
    )


def _roster(context_id: int) -> dict | None:
    """The course roster for instructors, synced from the LMS at most every ROSTER_MAX_AGE_SECONDS."""
    context = db.session.get(Context, context_id)
    if context is None or not context.nrps_claim:
        return None
    result = nrps.ensure_fresh(context)
    return {"summary": nrps.summary(context), "failed": None if result.ok else result.reason}


@bp.route("/<public_id>/edit", methods=["GET", "POST"])
@launch_required("instructor")
def edit(public_id: str):
    activity = get_activity_for_launch(public_id)
    error = None
    if request.method == "POST":
        try:
            title, message = parse_fields(request.form)
        except ActivityFormError as err:
            error = str(err)
        else:
            activity.title = title
            activity.settings = {**activity.settings, "message": message}
            db.session.commit()
            return redirect(launch_url("activities.show", public_id=activity.public_id), 303)
    return render_template("welcome/edit.html", activity=activity, error=error, form=request.form), (400 if error else 200)


WELCOME = registry.register(
    ActivityKind(
        key="welcome",
        title=_l("Welcome page"),
        description=_l("A welcome note for the course, with who has joined so far."),
        render=render,
        spec_from_form=spec_from_form,
        picker_template="welcome/picker_fields.html",
        blueprint=bp,
    )
)
