"""The "coaching" activity kind: peer coaching goals, or onboarding mentoring, in a course.

Placing it creates the programme. It is graded (0-100: participation and completion, by the
instructor's rule), through the grade outbox.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..activities import registry
from ..activities.registry import ActivityFormError, ActivityKind, ActivitySpec
from ..lti.session import launch_url
from ..models import Activity, LaunchSession
from . import programs

KIND = "coaching"
MAX_TITLE = 200

# View modules that add routes (and page sections) to the "coaching" blueprint.
VIEW_MODULES = (
    "views",
    "pairing_views",
    "profile_views",
    "goal_views",
    "checkin_views",
    "overview_views",
)


def spec_from_form(fields: Mapping[str, str], launch: LaunchSession) -> ActivitySpec:
    title = (fields.get("title") or "").strip()
    if not title:
        raise ActivityFormError(_("Give the coaching activity a title."))
    if len(title) > MAX_TITLE:
        raise ActivityFormError(_("The title can have at most %(n)d characters.", n=MAX_TITLE))
    mode = fields.get("mode") or "peer"
    if mode not in programs.MODES:
        raise ActivityFormError(_("Choose peer coaching or onboarding mentoring."))
    raw = (fields.get("cadence_days") or "14").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= programs.MAX_CADENCE_DAYS:
        raise ActivityFormError(
            _(
                "Days between check-ins must be a whole number from 1 to %(n)d.",
                n=programs.MAX_CADENCE_DAYS,
            )
        )
    return ActivitySpec(
        title=title, settings={"mode": mode, "cadence_days": int(raw)}, score_maximum=100.0
    )


def on_placed(activity: Activity, spec: ActivitySpec, launch: LaunchSession) -> None:
    programs.create_for_placement(activity, spec.settings)


def render(activity: Activity, launch: LaunchSession):
    return redirect(launch_url("coaching.page", public_id=activity.public_id), 303)


COACHING = registry.register(
    ActivityKind(
        key=KIND,
        title=_l("Peer coaching"),
        description=_l(
            "Colleagues set goals, get paired with a peer coach or an onboarding mentor, and check in regularly."
        ),
        render=render,
        spec_from_form=spec_from_form,
        picker_template="coaching/picker_fields.html",
        blueprint=registry.blueprint_of(__package__, VIEW_MODULES),
        on_placed=on_placed,
    )
)
