"""Check-ins on a goal's page (the owner records, the coach gives feedback) and each person's
private calendar feed: the .ics address (no launch: its token is the capability) and resetting it.
"""

from __future__ import annotations

from flask import Response, abort, redirect, request
from flask_babel import gettext as _

from ..extensions import db
from ..lti.session import launch_required, launch_url
from . import calendar, checkins
from .errors import CoachingError
from .goal_views import on_goal
from .views import activity_and_program, bp, me


@bp.post("/<public_id>/goals/<goal_id>/checkins")
@launch_required()
def checkin_add(public_id: str, goal_id: str):
    def change(activity, program, goal, user):
        checkins.record(program, activity, goal, user, request.form)

    return on_goal(public_id, goal_id, change, "checkins", "checkin")


@bp.post("/<public_id>/goals/<goal_id>/checkins/<checkin_id>/feedback")
@launch_required()
def checkin_feedback(public_id: str, goal_id: str, checkin_id: str):
    def change(activity, program, goal, user):
        row = checkins.checkin_of(goal, checkin_id)
        checkins.give_feedback(program, goal, row, user, request.form)

    return on_goal(public_id, goal_id, change, f"checkin-{checkin_id}", "feedback")


@bp.post("/<public_id>/calendar/reset")
@launch_required()
def calendar_reset(public_id: str):
    activity, program = activity_and_program(public_id)
    if request.form.get("confirm") != "yes":
        raise CoachingError(_("Confirm that the old calendar address should stop working."))
    calendar.reset_token(calendar.profile_for(program, me()))
    db.session.commit()
    return redirect(
        launch_url("coaching.page", public_id=activity.public_id, calendar="reset") + "#calendar",
        303,
    )


@bp.get("/ics/<token>.ics")
def calendar_feed(token: str):
    profile = calendar.by_token(token)
    if profile is None:
        abort(404, description=_("No calendar has this address (it may have been reset)."))
    body = calendar.feed(profile)
    return Response(
        body.encode("utf-8"),
        mimetype="text/calendar",
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="coaching.ics"',
            "Cache-Control": "private, no-store",
        },
    )
