"""Goals on the coaching page: the participant's goals and their coachees' (a page section),
setting and editing a goal with the SMART check, milestones, closing with a reflection, the
coach's closing note, reopening. Check-ins and the calendar are in checkin_views.
"""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Activity, CoachingProgram, Goal
from . import calendar, checkins, completion, goals, message_text, scoring
from .errors import CoachingError
from .views import PAGE_SECTIONS, activity_and_program, bp, me


def goal_url(activity: Activity, goal: Goal, anchor: str = "", **args) -> str:
    url = launch_url(
        "coaching.goal_page", public_id=activity.public_id, goal_id=goal.public_id, **args
    )
    return url + (f"#{anchor}" if anchor else "")


def to_goal(activity: Activity, goal: Goal, anchor: str = "", **args):
    return redirect(goal_url(activity, goal, anchor, **args), 303)


def rule_words(program: CoachingProgram) -> str:
    """The grade rule as the page states it."""
    if program.completion_rule == scoring.RULE_CHECKINS:
        return _(
            "Grade: each check-in on a goal is worth %(each)s points, for up to %(n)d check-ins; a complete goal (closed with the owner's reflection and the coach's note) adds the last %(each)s, for 100 in all. The best goal counts.",
            each=scoring.per_checkin(program.min_checkins),
            n=program.min_checkins,
        )
    return _(
        "Grade: 100 once a goal is complete (closed with the owner's reflection and the coach's note), 0 until then. The best goal counts."
    )


def smart_items(findings) -> list[dict]:
    return [
        {
            "field": f.field,
            "letter": f.letter,
            "severity": f.severity,
            "code": f.code,
            "text": message_text.text(f.message),
        }
        for f in findings
    ]


def _participant(program: CoachingProgram):
    if g.launch.is_instructor:
        raise CoachingError(
            _("Instructors run this coaching programme; goals belong to its participants."), 403
        )
    return me()


# --- the page section ---------------------------------------------------------------------


def _goals_section(activity: Activity, program: CoachingProgram) -> Markup | None:
    if g.launch.is_instructor:
        return None
    user = me()
    coached = goals.coachee_pairings(program, user)
    people = [user, *(p.coachee for p in coached)]
    plans = checkins.schedules_for(program, people)
    profile = calendar.profile_for(program, user)
    db.session.commit()  # a first visit makes the calendar address
    return Markup(  # noqa: S704 - a rendered template
        render_template(
            "coaching/_section_goals.html",
            activity=activity,
            program=program,
            mine=goals.goals_of(program, user),
            coach=goals.coach_of(program, user),
            coached=[
                (p.coachee, goals.goals_of(program, p.coachee), plans[p.coachee_id])
                for p in coached
            ],
            plan=plans[user.id],
            score=completion.score_of(program, user),
            rule=rule_words(program),
            calendar_url=calendar_address(profile.calendar_token),
            calendar_reset=request.args.get("calendar") == "reset",
        )
    )


def calendar_address(token: str) -> str:
    """The feed's full address (calendar apps fetch it from outside the LMS)."""
    base = (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")
    return base + url_for("coaching.calendar_feed", token=token)


# --- setting and editing a goal -----------------------------------------------------------------


def _form_page(activity, program, goal: Goal | None, values, error=None, checked=None, status=200):
    return render_template(
        "coaching/goal_form.html",
        activity=activity,
        program=program,
        goal=goal,
        values=values,
        error=error,
        findings=checked,
        action=(
            launch_url("coaching.goal_edit", public_id=activity.public_id, goal_id=goal.public_id)
            if goal
            else launch_url("coaching.goal_new", public_id=activity.public_id)
        ),
    ), status


def _values(goal: Goal | None) -> dict:
    if goal is None:
        return {"what": "", "why": "", "measure": "", "target_date": ""}
    return {
        "what": goal.what,
        "why": goal.why,
        "measure": goal.measure,
        "target_date": goal.target_date.isoformat() if goal.target_date else "",
    }


def _submit(activity, program, goal: Goal | None):
    """Check or save the posted goal form; the form again (with findings or the error), or the
    goal's page once saved."""
    values = {k: request.form.get(k, "") for k in ("what", "why", "measure", "target_date")}
    user = me()
    try:
        data = goals.parse_goal(request.form)
        if request.form.get("action") == "check":
            found = goals.findings(data, user, milestones=goal.milestones if goal else [])
            return _form_page(activity, program, goal, values, checked=smart_items(found))
        if goal is None:
            goal = goals.create(program, user, data)
        else:
            goals.update(program, goal, user, data)
    except CoachingError as err:
        if err.status != 400:
            raise
        db.session.rollback()
        return _form_page(activity, program, goal, values, error=err.message, status=400)
    db.session.commit()
    return to_goal(activity, goal, "smart", saved="goal")


@bp.route("/<public_id>/goals/new", methods=["GET", "POST"])
@launch_required()
def goal_new(public_id: str):
    activity, program = activity_and_program(public_id)
    _participant(program)
    if request.method == "POST":
        return _submit(activity, program, None)
    return _form_page(activity, program, None, _values(None))


@bp.route("/<public_id>/goals/<goal_id>/edit", methods=["GET", "POST"])
@launch_required()
def goal_edit(public_id: str, goal_id: str):
    activity, program = activity_and_program(public_id)
    goal = goals.goal_in(program, goal_id)
    goals.owned(program, goal, me())  # a coach gets a 403 saying whose goal it is
    goals.open_for_change(goal)
    if request.method == "POST":
        return _submit(activity, program, goal)
    return _form_page(activity, program, goal, _values(goal))


# --- the goal's page ------------------------------------------------------------------------------


def goal_page_response(activity, program, goal: Goal, status: int = 200, **extra):
    viewer = me()
    seen = goals.readable(program, goal, viewer, g.launch.is_instructor)
    return render_template(
        "coaching/goal.html",
        activity=activity,
        program=program,
        goal=goal,
        seen=seen,
        coach=goals.coach_of(program, goal.owner),
        findings=smart_items(goals.findings(goal, goal.owner)) if seen == goals.OWNER else [],
        plan=checkins.schedule_of(program, goal.owner),
        entries=checkins.checkins_of(goal),
        complete=completion.is_complete(goal),
        rule=rule_words(program),
        saved=request.args.get("saved"),
        **extra,
    ), status


@bp.get("/<public_id>/goals/<goal_id>")
@launch_required()
def goal_page(public_id: str, goal_id: str):
    activity, program = activity_and_program(public_id)
    return goal_page_response(activity, program, goals.goal_in(program, goal_id))


def on_goal(public_id: str, goal_id: str, change, anchor: str, saved: str):
    """Apply ``change(activity, program, goal, user)``; a 400 shows the goal page with the
    message by the form (``anchor``), anything else is refused by the blueprint."""
    activity, program = activity_and_program(public_id)
    goal = goals.goal_in(program, goal_id)
    try:
        change(activity, program, goal, me())
    except CoachingError as err:
        if err.status != 400:
            raise
        db.session.rollback()
        return goal_page_response(
            activity, program, goal, 400, error=err.message, error_at=anchor, posted=request.form
        )
    db.session.commit()
    return to_goal(activity, goal, anchor, saved=saved)


@bp.post("/<public_id>/goals/<goal_id>/milestones")
@launch_required()
def milestone_add(public_id: str, goal_id: str):
    def change(activity, program, goal, user):
        goals.add_milestone(program, goal, user, request.form)

    return on_goal(public_id, goal_id, change, "milestones", "milestone")


@bp.post("/<public_id>/goals/<goal_id>/milestones/<milestone_id>")
@launch_required()
def milestone_change(public_id: str, goal_id: str, milestone_id: str):
    action = request.form.get("action")

    def change(activity, program, goal, user):
        if action == "remove":
            goals.remove_milestone(program, goal, user, milestone_id)
        elif action in ("done", "undone"):
            goals.set_milestone_done(program, goal, user, milestone_id, action == "done")
        else:
            raise CoachingError(_("Choose to mark the milestone done, not done, or remove it."))

    return on_goal(public_id, goal_id, change, "milestones", "milestone")


@bp.post("/<public_id>/goals/<goal_id>/close")
@launch_required()
def goal_close(public_id: str, goal_id: str):
    def change(activity, program, goal, user):
        completion.close(program, activity, goal, user, request.form)

    return on_goal(public_id, goal_id, change, "completion", "closed")


@bp.post("/<public_id>/goals/<goal_id>/reopen")
@launch_required()
def goal_reopen(public_id: str, goal_id: str):
    def change(activity, program, goal, user):
        completion.reopen(program, activity, goal, user)

    return on_goal(public_id, goal_id, change, "completion", "reopened")


@bp.post("/<public_id>/goals/<goal_id>/note")
@launch_required()
def goal_note(public_id: str, goal_id: str):
    def change(activity, program, goal, user):
        completion.add_note(program, activity, goal, user, request.form)

    return on_goal(public_id, goal_id, change, "completion", "note")


PAGE_SECTIONS.append(_goals_section)
