"""The instructor's overview of a coaching programme (pairs, last activity, stalled pairs,
overdue check-ins, goals) and its CSV export. Instructors of the activity's course only.
"""

from __future__ import annotations

from flask import g, render_template
from flask_babel import gettext as _
from markupsafe import Markup

from ..csv_export import csv_bytes, csv_download, utc_cell
from ..lti.session import launch_required
from ..models import Activity, CoachingProgram
from . import overview
from .views import PAGE_SECTIONS, activity_and_program, bp


def _overview_section(activity: Activity, program: CoachingProgram) -> Markup | None:
    if not g.launch.is_instructor:
        return None
    return Markup(  # noqa: S704 - a rendered template
        render_template("coaching/_section_overview.html", activity=activity, program=program)
    )


@bp.get("/<public_id>/overview")
@launch_required("instructor", "admin")
def overview_page(public_id: str):
    activity, program = activity_and_program(public_id)
    return render_template(
        "coaching/overview.html",
        activity=activity,
        program=program,
        view=overview.build(program),
        stall_periods=overview.cadence.STALL_PERIODS,
    )


def _status(row: overview.GoalRow) -> str:
    if row.complete:
        return _("complete")
    if row.goal.status == "closed":
        return _("closed, waiting for the coach's note")
    return _("open")


def _pair_cells(pair: overview.PairRow | None) -> list[object]:
    if pair is None:
        return ["", ""]
    return [utc_cell(pair.last_activity), _("yes") if pair.stalled else _("no")]


@bp.get("/<public_id>/overview.csv")
@launch_required("instructor", "admin")
def overview_export(public_id: str):
    activity, program = activity_and_program(public_id)
    view = overview.build(program)
    header = [
        _("Owner"),
        _("Owner email"),
        _("Coach"),
        _("Coach email"),
        _("Goal"),
        _("Status"),
        _("Target date"),
        _("Set at (UTC)"),
        _("Closed at (UTC)"),
        _("Check-ins"),
        _("Last check-in (UTC)"),
        _("Next check-in due"),
        _("Days overdue"),
        _("Pair's last activity (UTC)"),
        _("Pair stalled"),
    ]
    pairs = {row.pairing.coachee_id: row for row in view.pairs}
    rows: list[list[object]] = [header]
    for row in view.goals:
        pair = pairs.get(row.goal.owner_id)
        rows.append(
            [
                row.goal.owner.display_name,
                row.goal.owner.email,
                row.coach.display_name if row.coach else "",
                row.coach.email if row.coach else "",
                row.goal.what if view.texts_visible else _("(kept between the pair)"),
                _status(row),
                row.goal.target_date.isoformat() if row.goal.target_date else "",
                utc_cell(row.goal.created_at),
                utc_cell(row.goal.closed_at),
                row.checkins,
                utc_cell(row.last_checkin),
                row.schedule.due.isoformat() if row.schedule.due else "",
                row.schedule.days_overdue,
                *_pair_cells(pair),
            ]
        )
    with_goals = {row.goal.owner_id for row in view.goals}
    for pair in view.pairs:
        if pair.pairing.coachee_id not in with_goals:
            coachee, coach = pair.pairing.coachee, pair.pairing.coach
            rows.append(
                [coachee.display_name, coachee.email, coach.display_name, coach.email, ""]
                + [_("no goal yet"), "", "", "", 0, "", "", 0]
                + _pair_cells(pair)
            )
    return csv_download(csv_bytes(rows), f"coaching-goals-{activity.public_id}.csv")


PAGE_SECTIONS.append(_overview_section)
