"""The "lesson" activity kind: place a published lesson of the organisation in a course.

A lesson with knowledge checks is graded (score maximum = its points); one without is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..activities import registry
from ..activities.registry import ActivityFormError, ActivityKind, ActivitySpec
from ..extensions import db
from ..lti.session import launch_url
from ..models import Activity, LaunchSession, Lesson, LessonVersion
from . import library
from .learning import DEFAULT_MAX_ATTEMPTS, KIND, MAX_ATTEMPTS_LIMIT


@dataclass(frozen=True)
class LessonChoice:
    """One published lesson as the picker lists it."""

    public_id: str
    title: str
    summary: str
    points: int
    version: int


def _platform_id(launch: LaunchSession) -> int:
    return launch.context.platform_id


def choices(launch: LaunchSession) -> list[LessonChoice]:
    """The organisation's published lessons with their latest version's points, by title."""
    lessons = library.search(_platform_id(launch))
    if not lessons:
        return []
    latest = {
        v.lesson_id: v
        for v in db.session.scalars(
            select(LessonVersion)
            .join(Lesson, Lesson.id == LessonVersion.lesson_id)
            .where(Lesson.id.in_([lesson.id for lesson in lessons]), LessonVersion.number == Lesson.latest_version)
        )
    }
    out = []
    for lesson in lessons:
        version = latest.get(lesson.id)
        if version is not None:
            out.append(LessonChoice(lesson.public_id, version.title, version.summary, version.points_total, version.number))
    return out


def spec_from_form(fields: Mapping[str, str], launch: LaunchSession) -> ActivitySpec:
    """Check the chosen lesson is a published one of this organisation; graded when it has points."""
    public_id = (fields.get("lesson") or "").strip()
    if not public_id:
        raise ActivityFormError(_("Choose one of the published lessons."))
    lesson = db.session.scalars(select(Lesson).where(Lesson.public_id == public_id)).first()
    if lesson is None or lesson.platform_id != _platform_id(launch):
        raise ActivityFormError(_("This lesson is not in your organisation's library."))
    if not lesson.is_published:
        raise ActivityFormError(_("This lesson has not been published yet; only published lessons can be placed."))
    raw = (fields.get("max_attempts") or str(DEFAULT_MAX_ATTEMPTS)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ATTEMPTS_LIMIT:
        raise ActivityFormError(
            _("Attempts per knowledge check must be a whole number from 1 to %(n)d.", n=MAX_ATTEMPTS_LIMIT)
        )
    version = db.session.scalars(
        select(LessonVersion).where(LessonVersion.lesson_id == lesson.id, LessonVersion.number == lesson.latest_version)
    ).one()
    return ActivitySpec(
        title=version.title,
        # Learners get the latest published version when they start, and keep it.
        settings={"lesson": lesson.public_id, "max_attempts": int(raw), "version_policy": "latest_at_start"},
        score_maximum=float(version.points_total) if version.points_total else None,
    )


def render(activity: Activity, launch: LaunchSession):
    """The launch lands on /a/<id>; the lesson page (which its forms post back to) is its own URL."""
    return redirect(launch_url("lesson_learn.page", public_id=activity.public_id), 303)


def _blueprint():
    from .learner_views import bp

    bp.add_app_template_global(choices, "lesson_choices")
    return bp


LESSON = registry.register(
    ActivityKind(
        key=KIND,
        title=_l("Lesson"),
        description=_l("A short lesson written by a colleague, with knowledge checks and reflections."),
        render=render,
        spec_from_form=spec_from_form,
        picker_template="lessons/picker_fields.html",
        blueprint=_blueprint(),
    )
)
