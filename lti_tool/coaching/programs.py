"""The coaching programme of a placement: created at placement, its settings."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Activity, CoachingProgram
from ..models.coaching import MODE_ONBOARDING, MODE_PEER
from .errors import CoachingError

MODES = (MODE_PEER, MODE_ONBOARDING)
MAX_CADENCE_DAYS = 90


def create_for_placement(activity: Activity, settings: Mapping) -> CoachingProgram:
    program = CoachingProgram(
        activity_id=activity.id,
        context_id=activity.context_id,
        mode=settings.get("mode", MODE_PEER),
        cadence_days=int(settings.get("cadence_days", 14)),
    )
    db.session.add(program)
    db.session.flush()
    return program


def program_for(activity: Activity) -> CoachingProgram:
    program = db.session.scalars(
        select(CoachingProgram).where(CoachingProgram.activity_id == activity.id)
    ).first()
    if program is None:
        raise CoachingError(
            _(
                "This coaching activity has not been set up yet. Ask your instructor to place it again."
            ),
            404,
        )
    return program


def _whole(form: Mapping[str, str], name: str, label: str, low: int, high: int) -> int:
    raw = (form.get(name) or "").strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise CoachingError(
            _(
                "%(field)s must be a whole number from %(low)d to %(high)d.",
                field=label,
                low=low,
                high=high,
            )
        )
    return int(raw)


def _one_of(form: Mapping[str, str], name: str, allowed: tuple[str, ...], current: str) -> str:
    value = (form.get(name) or current).strip()
    if value not in allowed:
        raise CoachingError(_("'%(value)s' is not a choice for this setting.", value=value))
    return value


def update_settings(program: CoachingProgram, form: Mapping[str, str]) -> None:
    """Validate everything, then apply (nothing changes on an error)."""
    values = {
        "mode": _one_of(form, "mode", MODES, program.mode),
        "goal_visibility": _one_of(
            form, "goal_visibility", ("course", "pair"), program.goal_visibility
        ),
        "skills_scope": _one_of(form, "skills_scope", ("course", "org"), program.skills_scope),
        "completion_rule": _one_of(
            form, "completion_rule", ("closed", "checkins"), program.completion_rule
        ),
        "cadence_days": _whole(
            form, "cadence_days", _("Days between check-ins"), 1, MAX_CADENCE_DAYS
        ),
        "min_checkins": _whole(form, "min_checkins", _("Check-ins needed"), 0, 52),
        "allow_reciprocal": form.get("allow_reciprocal") == "yes",
        "across_teams": form.get("across_teams") == "yes",
        "avoid_repeat": form.get("avoid_repeat") == "yes",
    }
    for name, value in values.items():
        setattr(program, name, value)
