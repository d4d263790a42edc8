"""360 feedback pages on the `reviews` blueprint: the section on the peer review page, a
person's nominations, the instructor's nominations and results per person, a person's
anonymous results, and turning them into a development goal.

Thin: the rules live in people.py (and the pure people_summary.py); these turn requests into
calls. Reviewers answer with the normal rubric form (review_views.py).
"""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Activity, ReviewAssignment
from ..models.reviews import MODE_PEOPLE, REVIEW_SELF
from . import ReviewError, people, reviewing
from .review_views import _open_for
from .views import PAGE_SECTIONS, activity_and_assignment, bp, me

STAFF = ("instructor", "admin")


def _staff() -> bool:
    return g.launch.is_instructor


def _people_activity(public_id: str) -> tuple[Activity, ReviewAssignment]:
    activity, assignment = activity_and_assignment(public_id)
    people.require_people_mode(assignment)
    return activity, assignment


# --- the section on the peer review page ------------------------------------------------------


def _people_section(activity: Activity, assignment: ReviewAssignment) -> Markup | None:
    if assignment.mode != MODE_PEOPLE:
        return None
    if _staff():
        board = people.progress_all(assignment)
        waiting = sum(
            1
            for rows in people.all_nominations(assignment).values()
            for n in rows
            if n.status == people.PROPOSED
        )
        context = {
            "staff": True,
            "participants": len(people.colleagues(assignment)),
            "ready": sum(1 for p in board.values() if p.ready),
            "waiting": waiting,
            "needed": people.summary_of.needed(assignment.min_responses),
        }
    else:
        user = me()
        items = reviewing.to_do(assignment, user)
        context = {
            "staff": False,
            "participant": people.is_participant(assignment, user),
            "nominations": people.nominations_of(assignment, user),
            "nominating_open": people.nominating_open(assignment),
            "items": [i for i in items if i.kind != REVIEW_SELF],
            "own": next((i for i in items if i.kind == REVIEW_SELF), None),
            "self_open": assignment.self_assessment and _open_for(assignment, REVIEW_SELF),
            "progress": people.progress(assignment, user),
            "open_now": lambda item: _open_for(assignment, item.kind),
        }
    return Markup(  # noqa: S704 - a rendered template
        render_template(
            "reviews/_section_people.html", activity=activity, assignment=assignment, **context
        )
    )


PAGE_SECTIONS.append(_people_section)


# --- a person's nominations -------------------------------------------------------------------


def _nominations_page(activity, assignment, error: str = "", done: str = ""):
    user = me()
    rows = people.nominations_of(assignment, user)
    taken = {n.reviewer_id for n in rows} | {user.id}
    return render_template(
        "reviews/people_nominate.html",
        activity=activity,
        assignment=assignment,
        nominations=rows,
        choices=[p for p in people.colleagues(assignment) if p.id not in taken],
        open=people.nominating_open(assignment),
        needed=people.summary_of.needed(assignment.min_responses),
        max_nominations=people.MAX_NOMINATIONS,
        error=error,
        done=done,
    ), (400 if error else 200)


@bp.route("/<public_id>/people/nominations", methods=["GET", "POST"])
@launch_required()
def nominations(public_id: str):
    activity, assignment = _people_activity(public_id)
    if _staff():
        return redirect(launch_url("reviews.people_manage", public_id=public_id), 303)
    if request.method == "GET":
        return _nominations_page(activity, assignment, done=request.args.get("done", ""))
    action = request.form.get("action", "nominate")
    try:
        if action == "withdraw":
            people.withdraw_nomination(assignment, me(), request.form.get("reviewer", ""))
        else:
            people.nominate(assignment, me(), request.form.get("reviewer", ""))
    except ReviewError as err:
        if err.status != 400:
            raise
        db.session.rollback()
        return _nominations_page(activity, assignment, error=err.message)
    db.session.commit()
    done = "withdrawn" if action == "withdraw" else "nominated"
    return redirect(launch_url("reviews.nominations", public_id=public_id, done=done), 303)


# --- the instructor: nominations and results per person ----------------------------------------


def _manage_page(activity, assignment, error: str = "", error_for: str = "", done: str = ""):
    everyone = people.colleagues(assignment)
    nominations = people.all_nominations(assignment)
    board = people.progress_all(assignment)
    need = people.summary_of.needed(assignment.min_responses)
    rows = []
    for person in everyone:
        mine = nominations.get(person.id, [])
        listed = {n.reviewer_id for n in mine if n.status != people.DECLINED} | {person.id}
        rows.append(
            {
                "person": person,
                "nominations": mine,
                "progress": board.get(person.id) or people.Progress(0, 0, need),
                "choices": [p for p in everyone if p.id not in listed],
            }
        )
    waiting = sum(1 for r in rows for n in r["nominations"] if n.status == people.PROPOSED)
    return render_template(
        "reviews/people_manage.html",
        activity=activity,
        assignment=assignment,
        rows=rows,
        waiting=waiting,
        needed=need,
        choosing=assignment.phase in people.CHOOSING,
        error=error,
        error_for=error_for,
        done=done,
        done_count=request.args.get("n", 0, type=int),
    ), (400 if error else 200)


@bp.get("/<public_id>/people/manage")
@launch_required(*STAFF)
def people_manage(public_id: str):
    activity, assignment = _people_activity(public_id)
    return _manage_page(activity, assignment, done=request.args.get("done", ""))


@bp.post("/<public_id>/people/manage")
@launch_required(*STAFF)
def people_decide(public_id: str):
    activity, assignment = _people_activity(public_id)
    form = request.form
    action = form.get("action", "")
    subject = form.get("subject", "")
    count = 0
    try:
        if action in ("approve", "decline"):
            people.decide(assignment, subject, form.get("reviewer", ""), action == "approve", me())
        elif action == "approve_all":
            count = people.approve_all(assignment, me())
        elif action == "choose":
            people.choose(assignment, subject, form.get("reviewer", ""), me())
        else:
            raise ReviewError(_("Choose what to do with this nomination."))
    except ReviewError as err:
        if err.status != 400:
            raise
        db.session.rollback()
        return _manage_page(activity, assignment, error=err.message, error_for=subject)
    db.session.commit()
    url = launch_url("reviews.people_manage", public_id=public_id, done=action, n=count)
    return redirect(url + (f"#p-{subject}" if subject else ""), 303)


# --- results ----------------------------------------------------------------------------------


@bp.get("/<public_id>/people/results", defaults={"person_id": None})
@bp.get("/<public_id>/people/results/<person_id>")
@launch_required()
def people_results(public_id: str, person_id: str | None):
    activity, assignment = _people_activity(public_id)
    return _results_page(activity, assignment, person_id)


def _waiting_text(answered: int, asked: int, needed: int, mine: bool, closed: bool) -> str:
    """How far the answers are, and from how many results show: nothing else below it."""
    if answered >= needed and not closed:
        return ngettext(
            "%(num)d of %(asked)d colleagues has answered. Results appear when the instructor ends the answering (moves the review to grading), so that no single answer can be read from a change in the results.",
            "%(num)d of %(asked)d colleagues have answered. Results appear when the instructor ends the answering (moves the review to grading), so that no single answer can be read from a change in the results.",
            answered,
            asked=asked,
        )
    if mine:
        return ngettext(
            "%(num)d of %(asked)d colleagues has answered; your results appear when at least %(needed)d have.",
            "%(num)d of %(asked)d colleagues have answered; your results appear when at least %(needed)d have.",
            answered,
            asked=asked,
            needed=needed,
        )
    return ngettext(
        "%(num)d of %(asked)d colleagues has answered; results appear when at least %(needed)d have.",
        "%(num)d of %(asked)d colleagues have answered; results appear when at least %(needed)d have.",
        answered,
        asked=asked,
        needed=needed,
    )


def _results_page(activity, assignment, person_id, error: str = "", form=None):
    subject = people.subject_for(assignment, me(), _staff(), person_id)
    summary = people.results(assignment, subject)
    asked = max(summary.answered, people.progress(assignment, subject).asked)
    own = people.self_assessment(assignment, subject) if summary.ready else None
    mine = subject.id == me().id
    values = form
    if values is None and mine and summary.ready:
        values = people.goal_draft(summary)
    return render_template(
        "reviews/people_results.html",
        activity=activity,
        assignment=assignment,
        subject=subject,
        mine=mine,
        summary=summary,
        own_levels={row.criterion_key: row for row in own.criteria} if own is not None else {},
        own=own,
        self_open=mine and assignment.self_assessment and _open_for(assignment, REVIEW_SELF),
        coaching=people.coaching_choices(assignment) if mine and summary.ready else [],
        made=people.goals_from(assignment, activity, subject) if mine else [],
        values=values or {},
        error=error,
        waiting_text=_waiting_text(
            summary.answered, asked, summary.needed, mine, summary.answering_closed
        ),
    ), (400 if error else 200)


@bp.post("/<public_id>/people/goal")
@launch_required()
def people_goal(public_id: str):
    activity, assignment = _people_activity(public_id)
    if _staff():
        abort(403, description=_("Development goals belong to the participants themselves."))
    try:
        coaching_activity, goal = people.create_goal(assignment, activity, me(), request.form)
    except ReviewError as err:
        if err.status != 400:
            raise
        db.session.rollback()
        return _results_page(activity, assignment, None, error=err.message, form=request.form)
    db.session.commit()
    return redirect(
        launch_url(
            "coaching.goal_page",
            public_id=coaching_activity.public_id,
            goal_id=goal.public_id,
        ),
        303,
    )


# --- self-assessment --------------------------------------------------------------------------


@bp.post("/<public_id>/people/self")
@launch_required()
def people_self(public_id: str):
    """The person's own row (created on first need), then the rubric form to assess themself."""
    activity, assignment = _people_activity(public_id)
    if _staff() or not assignment.self_assessment:
        raise ReviewError(_("This 360 feedback has no self-assessment."), 404)
    if not people.is_participant(assignment, me()):
        raise ReviewError(_("Only participants of the course assess themselves here."), 403)
    reviewing.check_open(assignment, REVIEW_SELF)
    submission = people.ensure_subject_submission(assignment, me())
    db.session.commit()
    return redirect(
        launch_url(
            "reviews.review_form", public_id=activity.public_id, submission_id=submission.public_id
        ),
        303,
    )
