"""Profiles on the coaching page: a participant's own profile form and opt-out; the instructor's
People page (the course roster, synced from the LMS, with who has not launched yet), editing
anyone's profile and flags, and invitations.
"""

from __future__ import annotations

from flask import g, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Activity, CoachingProgram
from . import pair_changes, profiles
from .errors import CoachingError
from .skills import skills_of
from .views import PAGE_SECTIONS, activity_and_program, bp, me


def _saved(activity: Activity, what: str, anchor: str):
    return redirect(
        launch_url("coaching.page", public_id=activity.public_id, saved=what) + f"#{anchor}", 303
    )


def _form_context(program: CoachingProgram, values: dict, **extra) -> dict:
    skills = skills_of(program)
    return {
        "skills": skills,
        "values": values,
        "priorities": range(1, min(len(skills), profiles.MAX_WANTS) + 1),
        "max_capacity": profiles.MAX_CAPACITY,
        "onboarding": program.mode == "onboarding",
        **extra,
    }


def _profile_section(activity: Activity, program: CoachingProgram) -> Markup | None:
    if g.launch.is_instructor:
        return None
    user = me()
    if not profiles.is_participant(profiles.membership_of(program, user)):
        return None
    profile = profiles.profile_of(program, user)
    skills = skills_of(program)
    return Markup(  # noqa: S704 - a rendered template
        render_template(
            "coaching/_section_profile.html",
            activity=activity,
            program=program,
            profile=profile,
            saved=request.args.get("saved") == "profile",
            **_form_context(program, profiles.form_values(profile, skills), by_instructor=False),
        )
    )


def _participant_or_refuse(program: CoachingProgram):
    user = me()
    if not profiles.is_participant(profiles.membership_of(program, user)):
        raise CoachingError(
            _("Instructors run this coaching programme; only participants have a profile."), 403
        )
    return user


def _edit_profile(
    activity: Activity,
    program: CoachingProgram,
    user,
    profile,
    *,
    by_instructor: bool,
    done: str,
    **page,
):
    """GET: the form. POST: validate, save (ending their pairs if this opts them out) and go
    to ``done``; or the form again with the error and the values as typed (400)."""
    error = None
    values = profiles.form_values(profile, skills_of(program))
    if request.method == "POST":
        try:
            parsed = profiles.parse_form(program, request.form, by_instructor=by_instructor)
        except CoachingError as err:
            db.session.rollback()
            error, values = err.message, profiles.posted_values(request.form)
        else:
            _profile, newly_out = profiles.apply(program, user, parsed)
            if newly_out:
                pair_changes.end_for_opt_out(program, user)
            db.session.commit()
            return redirect(done, 303)
    return render_template(
        "coaching/profile.html",
        activity=activity,
        program=program,
        error=error,
        **page,
        **_form_context(program, values, by_instructor=by_instructor),
    ), (400 if error else 200)


@bp.route("/<public_id>/profile", methods=["GET", "POST"])
@launch_required()
def my_profile(public_id: str):
    activity, program = activity_and_program(public_id)
    user = _participant_or_refuse(program)
    return _edit_profile(
        activity,
        program,
        user,
        profiles.profile_of(program, user),
        by_instructor=False,
        done=launch_url("coaching.page", public_id=activity.public_id, saved="profile")
        + "#profile",
        heading=_("Your coaching profile"),
        action=launch_url("coaching.my_profile", public_id=activity.public_id),
        back_url=launch_url("coaching.page", public_id=activity.public_id),
    )


@bp.post("/<public_id>/opt-out")
@launch_required()
def opt_out(public_id: str):
    activity, program = activity_and_program(public_id)
    user = _participant_or_refuse(program)
    choice = request.form.get("opted_out")
    if choice not in ("yes", "no"):
        raise CoachingError(_("Choose whether to take part in matching."))
    _profile, newly_out = profiles.set_opted_out(program, user, choice == "yes")
    if newly_out:
        pair_changes.end_for_opt_out(program, user)
    db.session.commit()
    return _saved(activity, "opted-out" if choice == "yes" else "opted-in", "pairs")


# --- The instructor's People page -----------------------------------------------------------


@bp.get("/<public_id>/people")
@launch_required("instructor", "admin")
def people(public_id: str):
    activity, program = activity_and_program(public_id)
    roster_problem = profiles.sync_roster(program)
    members = profiles.pool(program)
    skills = {s.id: s.name for s in skills_of(program)}
    return render_template(
        "coaching/profile_people.html",
        activity=activity,
        program=program,
        members=members,
        skill_names=skills,
        roster_problem=roster_problem,
        invited=request.args.get("invited"),
        saved=request.args.get("saved"),
    )


@bp.post("/<public_id>/people/invite")
@launch_required("instructor", "admin")
def invite(public_id: str):
    activity, program = activity_and_program(public_id)
    if request.form.get("all") == "yes":
        members = profiles.pool(program)
    else:
        members = [profiles.pool_member(program, request.form.get("user", ""))]
    count = profiles.invite(program, members)
    db.session.commit()
    return redirect(
        launch_url("coaching.people", public_id=activity.public_id, invited=count) + "#people",
        303,
    )


@bp.route("/<public_id>/people/<user_id>", methods=["GET", "POST"])
@launch_required("instructor", "admin")
def person_profile(public_id: str, user_id: str):
    activity, program = activity_and_program(public_id)
    member = profiles.pool_member(program, user_id)
    return _edit_profile(
        activity,
        program,
        member.user,
        member.profile,
        by_instructor=True,
        done=launch_url("coaching.people", public_id=activity.public_id, saved=user_id) + "#people",
        member=member,
        heading=_("Profile of %(name)s", name=member.user.display_name),
        action=launch_url("coaching.person_profile", public_id=activity.public_id, user_id=user_id),
        back_url=launch_url("coaching.people", public_id=activity.public_id),
    )


PAGE_SECTIONS.append(_profile_section)
