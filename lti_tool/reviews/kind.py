"""The "peer_review" activity kind: place a peer review (of work, or of people: 360) in a course.

Placing it creates the review assignment with its own copy of the chosen rubric (an
organisation template, one of the course's, or the starter rubric). Work reviews are graded:
the work's grade goes to the line item declared at deep linking, the reviewing grade to a
second line item of the same link (`grading.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..activities import registry
from ..activities.registry import ActivityFormError, ActivityKind, ActivitySpec
from ..extensions import db
from ..lti.session import launch_url
from ..models import Activity, LaunchSession, Rubric
from ..models.reviews import MODE_PEOPLE, MODE_WORK
from . import ReviewError, assignments

KIND = "peer_review"
MAX_TITLE = 200


def rubric_choices(launch: LaunchSession) -> list[Rubric]:
    """Organisation templates and this course's rubrics, by title."""
    return list(
        db.session.scalars(
            select(Rubric)
            .where(
                Rubric.platform_id == launch.context.platform_id,
                or_(Rubric.is_template.is_(True), Rubric.context_id == launch.context_id),
            )
            .order_by(Rubric.is_template.desc(), Rubric.title)
        )
    )


def spec_from_form(fields: Mapping[str, str], launch: LaunchSession) -> ActivitySpec:
    title = (fields.get("title") or "").strip()
    if not title:
        raise ActivityFormError(_("Give the peer review a title."))
    if len(title) > MAX_TITLE:
        raise ActivityFormError(_("The title can have at most %(n)d characters.", n=MAX_TITLE))
    mode = fields.get("mode") or MODE_WORK
    if mode not in (MODE_WORK, MODE_PEOPLE):
        raise ActivityFormError(
            _("Choose what is reviewed: a piece of work, or people (360 feedback).")
        )
    raw_k = (fields.get("k") or "3").strip()
    if not raw_k.isdigit() or not 1 <= int(raw_k) <= assignments.MAX_K:
        raise ActivityFormError(
            _("Reviews per submission must be a whole number from 1 to %(n)d.", n=assignments.MAX_K)
        )
    allocation = fields.get("allocation_mode") or "batch"
    if allocation not in assignments.CHOICES["allocation_mode"]:
        raise ActivityFormError(_("Choose how reviewers get submissions."))
    rubric = (fields.get("rubric") or "").strip()
    if rubric and rubric not in {r.public_id for r in rubric_choices(launch)}:
        raise ActivityFormError(
            _("This rubric is not one of your course's or your organisation's.")
        )
    return ActivitySpec(
        title=title,
        settings={"mode": mode, "k": int(raw_k), "allocation_mode": allocation, "rubric": rubric},
        # 360 feedback is not graded; reviewed work is (0-100, the work's grade).
        score_maximum=100.0 if mode == MODE_WORK else None,
    )


def on_placed(activity: Activity, spec: ActivitySpec, launch: LaunchSession) -> None:
    try:
        assignments.create_for_placement(
            activity, spec.settings, launch.user_id, launch.context.platform_id
        )
    except ReviewError as err:
        raise ActivityFormError(err.message) from None


def render(activity: Activity, launch: LaunchSession):
    return redirect(launch_url("reviews.page", public_id=activity.public_id), 303)


# View modules that add routes (and page sections) to the "reviews" blueprint.
VIEW_MODULES = ("views", "review_views", "instructor_views", "grade_views", "people_views")


def _housekeeping(now):
    from . import housekeeping

    return housekeeping.run(now)


def _blueprint():
    bp = registry.blueprint_of(__package__, VIEW_MODULES)
    bp.add_app_template_global(rubric_choices, "review_rubric_choices")
    return bp


PEER_REVIEW = registry.register(
    ActivityKind(
        key=KIND,
        title=_l("Peer review"),
        description=_l(
            "Colleagues review each other's work with a rubric, or give 360 feedback; grades go to the gradebook."
        ),
        render=render,
        spec_from_form=spec_from_form,
        picker_template="reviews/picker_fields.html",
        blueprint=_blueprint(),
        on_placed=on_placed,
        housekeeping=_housekeeping,
    )
)
