"""The page a launch lands on: /a/<activity id>, dispatched to the activity's kind.

Access is checked here once: the activity must belong to the launch's course.
"""

from __future__ import annotations

from flask import Blueprint, abort, g
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..lti.session import launch_required
from ..models import Activity
from . import registry

bp = Blueprint("activities", __name__)


def get_activity_for_launch(public_id: str) -> Activity:
    """The activity, or 404 when it does not exist and 403 when it is another course's."""
    activity = db.session.scalars(select(Activity).where(Activity.public_id == public_id)).first()
    if activity is None:
        abort(404, description=_("This activity does not exist (any more)."))
    if activity.context_id != g.launch.context_id:
        abort(403, description=_("This activity belongs to another course."))
    return activity


@bp.get("/a/<public_id>")
@launch_required()
def show(public_id: str):
    activity = get_activity_for_launch(public_id)
    kind = registry.get(activity.kind)
    if kind is None:
        abort(404, description=_("This type of activity is not available on this PeerPath server."))
    return kind.render(activity, g.launch)
