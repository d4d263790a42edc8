"""Pairing on the coaching page: a participant's coach and coachees with why they were paired;
the instructor's pairing page (matching preview, then confirm; current pairs; pairing by hand;
ending a pairing) and the CSV export of every pairing.
"""

from __future__ import annotations

from flask import g, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select

from ..csv_export import csv_bytes, csv_download, utc_cell
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Activity, CoachingProfile, CoachingProgram, Pairing
from . import message_text, pair_changes, pairing, profiles
from .errors import CoachingError
from .views import PAGE_SECTIONS, activity_and_program, bp, me


def _say(program: CoachingProgram):
    """Translate a Message or a stored explanation, with this programme's skill names."""
    names = pairing.skill_names(program)
    onboarding = program.mode == "onboarding"

    def say(message, snapshot: dict | None = None) -> str:
        return message_text.text(message, {**(snapshot or {}), **names}, onboarding=onboarding)

    return say


def _pairs_section(activity: Activity, program: CoachingProgram) -> Markup | None:
    if g.launch.is_instructor:
        members = profiles.pool(program)
        active = db.session.scalar(
            select(func.count())
            .select_from(Pairing)
            .where(Pairing.program_id == program.id, Pairing.status == "active")
        )
        return Markup(  # noqa: S704 - a rendered template
            render_template(
                "coaching/_section_pairing_admin.html",
                activity=activity,
                program=program,
                participants=len(members),
                not_launched=sum(1 for m in members if not m.launched),
                active=active,
            )
        )
    user = me()
    if not profiles.is_participant(profiles.membership_of(program, user)):
        return None
    mine = pairing.pairs_of(program, user)
    partners = [p.coachee_id for p in mine.coachees] + ([mine.coach.coach_id] if mine.coach else [])
    # What each partner wrote for their partner (times, language, ...).
    preferences = dict(
        db.session.execute(
            select(CoachingProfile.user_id, CoachingProfile.preferences).where(
                CoachingProfile.program_id == program.id, CoachingProfile.user_id.in_(partners)
            )
        ).all()
    )
    profile = profiles.profile_of(program, user)
    return Markup(  # noqa: S704 - a rendered template
        render_template(
            "coaching/_section_pairs.html",
            activity=activity,
            program=program,
            mine=mine,
            opted_out=bool(profile and profile.opted_out),
            preferences=preferences,
            saved=request.args.get("saved"),
            say=_say(program),
            end_reason=pairing.end_reason,
        )
    )


# --- The instructor's pairing page ----------------------------------------------------------


def _pairing_page(
    activity: Activity,
    program: CoachingProgram,
    error: str | None = None,
    status: int = 200,
):
    roster_problem = profiles.sync_roster(program)
    members = profiles.pool(program)
    return render_template(
        "coaching/pairing.html",
        activity=activity,
        program=program,
        members=[m for m in members if not (m.profile and m.profile.opted_out)],
        active=pairing.active_pairs(program),
        choices=pairing.RunChoices.from_args(program, {}),
        last_activity=pairing.last_activities(program),
        say=_say(program),
        error=error,
        done=request.args.get("done"),
        form=request.form if error else None,
        roster_problem=roster_problem,
    ), status


def _done(activity: Activity, what: str, **args):
    """Back to the pairing page (POST, redirect, GET), which says what was done."""
    url = launch_url("coaching.pairing_page", public_id=activity.public_id, done=what, **args)
    return redirect(url + "#current", 303)


@bp.get("/<public_id>/pairing")
@launch_required("instructor", "admin")
def pairing_page(public_id: str):
    activity, program = activity_and_program(public_id)
    return _pairing_page(activity, program)


def _choice_links(activity: Activity, choices: pairing.RunChoices) -> dict[str, str]:
    def preview(**changes: bool) -> str:
        return launch_url(
            "coaching.pairing_preview", public_id=activity.public_id, **choices.as_args(**changes)
        )

    people = launch_url("coaching.people", public_id=activity.public_id) + "#people"
    return {
        "allow_zero_fit": preview(allow_zero_fit=True),
        "allow_reciprocal": preview(allow_reciprocal=True),
        "allow_previous_pairs": preview(allow_repeats=True),
        "allow_same_team": preview(across_teams=False),
        "raise_capacity": people,
        "invite_coaches": people,
        "ask_for_skills": people,
        "manual_pair": launch_url("coaching.pairing_page", public_id=activity.public_id)
        + "#manual",
    }


@bp.get("/<public_id>/pairing/preview")
@launch_required("instructor", "admin")
def pairing_preview(public_id: str):
    """What a matching run would do: nothing is written until 'Confirm these pairs'."""
    activity, program = activity_and_program(public_id)
    choices = pairing.RunChoices.from_args(program, request.args)
    roster_problem = profiles.sync_roster(program)
    proposal = pairing.propose(program, choices)
    return _preview_page(activity, program, proposal, roster_problem=roster_problem)


def _preview_page(activity, program, proposal, error=None, status=200, roster_problem=None):
    return render_template(
        "coaching/pairing_preview.html",
        activity=activity,
        program=program,
        proposal=proposal,
        choices=proposal.choices,
        choice_links=_choice_links(activity, proposal.choices),
        choice_text=message_text.choice,
        say=_say(program),
        error=error,
        roster_problem=roster_problem,
    ), status


@bp.post("/<public_id>/pairing/confirm")
@launch_required("instructor", "admin")
def pairing_confirm(public_id: str):
    activity, program = activity_and_program(public_id)
    choices = pairing.RunChoices.from_args(program, request.form)
    try:
        written = pairing.confirm(program, choices, request.form.get("fingerprint", ""))
    except CoachingError as err:
        db.session.rollback()
        return _preview_page(
            activity, program, pairing.propose(program, choices), err.message, err.status
        )
    db.session.commit()
    return _done(activity, "matched", n=len(written))


@bp.post("/<public_id>/pairing/manual")
@launch_required("instructor", "admin")
def pairing_manual(public_id: str):
    activity, program = activity_and_program(public_id)
    try:
        pair_changes.manual_pair(
            program, request.form.get("coach", ""), request.form.get("coachee", "")
        )
    except CoachingError as err:
        db.session.rollback()
        return _pairing_page(activity, program, err.message, err.status)
    db.session.commit()
    return _done(activity, "paired")


@bp.post("/<public_id>/pairing/<pairing_id>/end")
@launch_required("instructor", "admin")
def pairing_end(public_id: str, pairing_id: str):
    activity, program = activity_and_program(public_id)
    pair_changes.unpair(program, pairing_id)
    db.session.commit()
    return _done(activity, "ended")


@bp.get("/<public_id>/pairings.csv")
@launch_required("instructor", "admin")
def pairing_export(public_id: str):
    activity, program = activity_and_program(public_id)
    say = _say(program)
    rows: list[list[object]] = [
        [
            _("Cycle"),
            _("Coach"),
            _("Coach email"),
            _("Coachee"),
            _("Coachee email"),
            _("Made by"),
            _("Status"),
            _("Paired at (UTC)"),
            _("Ended at (UTC)"),
            _("Shared skills"),
            _("Why"),
            _("Last activity (UTC)"),
        ]
    ]
    last = pairing.last_activities(program)
    for p in pairing.all_pairings(program):
        names = pairing.names_for(program, p)
        rows.append(
            [
                p.cycle,
                p.coach.display_name,
                p.coach.email,
                p.coachee.display_name,
                p.coachee.email,
                _("by hand") if p.source == pairing.MANUAL else _("matching"),
                _("active") if p.status == "active" else _("ended"),
                utc_cell(p.created_at),
                utc_cell(p.ended_at),
                "; ".join(names.get(s, s) for s in (p.explanation or {}).get("shared_skills", [])),
                say(p.explanation or {}, names),
                utc_cell(last.get(p.id)),
            ]
        )
    return csv_download(csv_bytes(rows), f"coaching-pairs-{activity.public_id}.csv")


PAGE_SECTIONS.append(_pairs_section)
