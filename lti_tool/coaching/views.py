"""The coaching page a launch lands on, and the instructor's settings and skill list. Profiles
and pairing, goals and check-ins, and the instructor's overview have their own view modules on
this blueprint (listed in kind.VIEW_MODULES), adding sections to the page through PAGE_SECTIONS.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request
from flask_babel import gettext as _

from ..activities.views import get_activity_for_launch
from ..error_pages import refusal
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Activity, CoachingProgram, User
from . import programs, skills
from .errors import CoachingError

bp = Blueprint("coaching", __name__, url_prefix="/coach")

# Sections other view modules add to the page: fn(activity, program) -> Markup or None.
PAGE_SECTIONS: list = []


@bp.errorhandler(CoachingError)
def _refused(err: CoachingError):
    db.session.rollback()  # a refusal changes nothing
    public_id = (request.view_args or {}).get("public_id")
    back = (
        (launch_url("coaching.page", public_id=public_id), _("Back to coaching"))
        if public_id and g.get("launch")
        else None
    )
    return refusal(err.message, err.status, back)


def activity_and_program(public_id: str) -> tuple[Activity, CoachingProgram]:
    from .kind import KIND

    activity = get_activity_for_launch(public_id)  # 404 unknown, 403 another course's
    if activity.kind != KIND:
        abort(404, description=_("This activity is not a coaching activity."))
    return activity, programs.program_for(activity)


def me() -> User:
    return g.launch.user


def back(activity: Activity, anchor: str = "", **args: str):
    return redirect(
        launch_url("coaching.page", public_id=activity.public_id, **args)
        + (f"#{anchor}" if anchor else ""),
        303,
    )


@bp.get("/<public_id>")
@launch_required()
def page(public_id: str):
    activity, program = activity_and_program(public_id)
    return render_template(
        "coaching/page.html",
        activity=activity,
        program=program,
        sections=[hook(activity, program) for hook in PAGE_SECTIONS],
        settings_saved=request.args.get("saved") == "settings" and g.launch.is_instructor,
    )


@bp.route("/<public_id>/settings", methods=["GET", "POST"])
@launch_required("instructor", "admin")
def settings(public_id: str):
    activity, program = activity_and_program(public_id)
    error = None
    if request.method == "POST":
        try:
            programs.update_settings(program, request.form)
        except CoachingError as err:
            db.session.rollback()
            error = err.message
        else:
            db.session.commit()
            return back(activity, saved="settings")
    return render_template(
        "coaching/settings.html",
        activity=activity,
        program=program,
        error=error,
        form=request.form if request.method == "POST" else None,
    ), (400 if error else 200)


@bp.route("/<public_id>/skills", methods=["GET", "POST"])
@launch_required("instructor", "admin")
def edit_skills(public_id: str):
    activity, program = activity_and_program(public_id)
    error = None
    text = "\n".join(s.name for s in skills.skills_of(program))
    if request.method == "POST":
        text = request.form.get("skills", "")
        try:
            skills.replace_skills(program, text)
        except CoachingError as err:
            db.session.rollback()
            error = err.message
        else:
            db.session.commit()
            return redirect(
                launch_url("coaching.edit_skills", public_id=activity.public_id, saved=1), 303
            )
    return render_template(
        "coaching/skills.html",
        activity=activity,
        program=program,
        text=text,
        error=error,
        saved=request.args.get("saved"),
    ), (400 if error else 200)
