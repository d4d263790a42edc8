"""Rubrics of a course and the organisation's rubric templates: create, edit, copy, share as a
template, freeze once reviewed, delete when unused, export and import as JSON.

The service behind the rubric pages (no request objects): every function takes the `Actor`
doing it, so the course boundary is checked here, once. A course's rubrics are invisible from
any other course; templates are shared by the courses of one platform (organisation), never
across platforms. Documents are validated by `rubric.parse` and only replaced as a whole.
Functions flush and never commit: the caller's transaction decides (the web edge commits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Activity, ReviewAssignment, Rubric
from ..models.base import utcnow
from . import ReviewError
from .rubric import MAX_TITLE, N_, STARTER, RubricError, parse, to_document

FORMAT_KEY = "peerpath_rubric"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 64 * 1024


@dataclass(frozen=True)
class Actor:
    """Who is acting, and in which course: taken from the launch by the web edge."""

    platform_id: int
    context_id: int
    user_id: int
    is_admin: bool = False


# --- finding ----------------------------------------------------------------------------------


def course_rubrics(actor: Actor) -> list[Rubric]:
    return list(
        db.session.scalars(
            select(Rubric)
            .where(Rubric.context_id == actor.context_id, Rubric.is_template.is_(False))
            .order_by(func.lower(Rubric.title), Rubric.id)
        )
    )


def templates(actor: Actor) -> list[Rubric]:
    """The organisation's templates: those of this platform only."""
    return list(
        db.session.scalars(
            select(Rubric)
            .where(Rubric.platform_id == actor.platform_id, Rubric.is_template.is_(True))
            .order_by(func.lower(Rubric.title), Rubric.id)
        )
    )


def find(public_id: str, actor: Actor) -> Rubric:
    """The rubric if this course may see it: its own, or a template of its organisation.

    Anything else is the same 404, so another course's rubric is not even disclosed.
    """
    rubric = db.session.scalars(
        select(Rubric).where(
            Rubric.public_id == public_id,
            Rubric.platform_id == actor.platform_id,
            or_(Rubric.is_template.is_(True), Rubric.context_id == actor.context_id),
        )
    ).first()
    if rubric is None:
        raise ReviewError(_("There is no such rubric in this course."), 404)
    return rubric


def may_change(rubric: Rubric, actor: Actor) -> bool:
    """A course rubric: any instructor of its course (find() checked the course). A template:
    the person who shared it, or an administrator."""
    if not rubric.is_template:
        return rubric.context_id == actor.context_id
    return actor.is_admin or (
        rubric.created_by_id is not None and rubric.created_by_id == actor.user_id
    )


def usage(rubric: Rubric) -> int:
    """How many peer review activities use this rubric."""
    return db.session.scalar(
        select(func.count())
        .select_from(ReviewAssignment)
        .where(ReviewAssignment.rubric_id == rubric.id)
    )


def activities_using(rubric: Rubric, actor: Actor) -> list[Activity]:
    """The peer review activities of the actor's course that use this rubric, by title: the
    rubric pages link back to them."""
    return list(
        db.session.scalars(
            select(Activity)
            .join(ReviewAssignment, ReviewAssignment.activity_id == Activity.id)
            .where(
                ReviewAssignment.rubric_id == rubric.id,
                ReviewAssignment.context_id == actor.context_id,
            )
            .order_by(Activity.title, Activity.id)
        )
    )


def _check_may_change(rubric: Rubric, actor: Actor) -> None:
    if not may_change(rubric, actor):
        raise ReviewError(
            _(
                "Only the person who shared this template, or an administrator, can change it. Use it in your course to make your own version."
            ),
            403,
        )


# --- creating ---------------------------------------------------------------------------------


def _new(
    actor: Actor, document: dict[str, Any], *, template: bool = False, source: Rubric | None = None
) -> Rubric:
    parsed = parse(document)
    rubric = Rubric(
        platform_id=actor.platform_id,
        context_id=None if template else actor.context_id,
        is_template=template,
        title=parsed.title,
        definition=to_document(parsed),
        copied_from_id=source.id if source is not None else None,
        created_by_id=actor.user_id,
    )
    db.session.add(rubric)
    db.session.flush()
    return rubric


def create(actor: Actor, document: dict[str, Any] | None = None) -> Rubric:
    """A new course rubric: the starter rubric, or the document given (RubricError if invalid)."""
    return _new(actor, document if document is not None else STARTER)


def _titled(document: dict[str, Any], title: str) -> dict[str, Any]:
    return {**document, "title": title[:MAX_TITLE]}


def copy(rubric: Rubric, actor: Actor) -> Rubric:
    """An unfrozen copy in this course, titled "Copy of …"; the original is untouched."""
    return _new(
        actor, _titled(rubric.definition, _("Copy of %(title)s", title=rubric.title)), source=rubric
    )


def use_template(template: Rubric, actor: Actor) -> Rubric:
    """A course rubric made from an organisation template, with the template's title."""
    if not template.is_template:
        raise ReviewError(_("This rubric is not an organisation template."), 400)
    return _new(actor, dict(template.definition), source=template)


def for_placement(
    source_public_id: str | None, actor: Actor, starter: dict[str, Any] | None = None
) -> Rubric:
    """A new peer review's own rubric: a copy of the chosen template or course rubric (same
    title), or the starter (``starter``, else the work starter). Each placement owns its copy,
    so freezing it or editing it before the first review never touches another activity."""
    if not source_public_id:
        return create(actor, starter)
    source = find(source_public_id, actor)
    return _new(actor, dict(source.definition), source=source)


def save_as_template(rubric: Rubric, actor: Actor) -> Rubric:
    """The organisation's template made from this course rubric (which stays as it is)."""
    if rubric.is_template:
        raise ReviewError(_("This rubric is already an organisation template."), 400)
    return _new(actor, dict(rubric.definition), template=True, source=rubric)


# --- changing ---------------------------------------------------------------------------------


def _frozen_error() -> ReviewError:
    return ReviewError(
        _(
            "This rubric is frozen: reviews have used it, so changing it would change what they mean. Copy it to make a changed version."
        ),
        409,
    )


def check_editable(rubric: Rubric, actor: Actor) -> None:
    """ReviewError unless this person may change the rubric now (403 a template of someone
    else, 409 frozen)."""
    _check_may_change(rubric, actor)
    if rubric.frozen:
        raise _frozen_error()


def update_definition(rubric: Rubric, document: dict[str, Any], actor: Actor) -> Rubric:
    """Replace the whole document after `parse` (RubricError names what is wrong; nothing is
    written then). Refused when frozen, also when a review froze it a moment ago: the write is
    conditional on the rubric still being unfrozen."""
    check_editable(rubric, actor)
    parsed = parse(document)
    definition = to_document(parsed)
    written = db.session.execute(
        update(Rubric)
        .where(Rubric.id == rubric.id, Rubric.frozen_at.is_(None))
        .values(title=parsed.title, definition=definition, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if written != 1:
        raise _frozen_error()
    db.session.refresh(rubric)
    return rubric


def freeze_if_needed(rubric: Rubric) -> bool:
    """Freeze the rubric (the first review using it is being submitted). Call it in the
    review's own transaction, before reading the definition to score: an editor's save that
    races it then finds the rubric frozen. True if this call froze it; never commits."""
    if rubric.frozen:
        return False
    now = utcnow()
    frozen = db.session.execute(
        update(Rubric)
        .where(Rubric.id == rubric.id, Rubric.frozen_at.is_(None))
        .values(frozen_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if frozen == 1:
        set_committed_value(rubric, "frozen_at", now)
        return True
    db.session.refresh(rubric, ["frozen_at"])
    return False


def delete(rubric: Rubric, actor: Actor) -> None:
    """Delete a rubric nothing uses; a frozen or used one stays (reviews and activities need it)."""
    check_editable(rubric, actor)
    used = usage(rubric)
    if used:
        raise ReviewError(
            ngettext(
                "This rubric is used by %(num)d peer review activity; choose another rubric there first.",
                "This rubric is used by %(num)d peer review activities; choose another rubric there first.",
                used,
            ),
            409,
        )
    db.session.delete(rubric)
    db.session.flush()


# --- export and import ------------------------------------------------------------------------


def export_document(rubric: Rubric) -> dict[str, Any]:
    """The exported file's content: the format marker, then the document."""
    return {FORMAT_KEY: FORMAT_VERSION, **to_document(parse(rubric.definition))}


def export_json(rubric: Rubric) -> bytes:
    return (json.dumps(export_document(rubric), ensure_ascii=False, indent=2) + "\n").encode(
        "utf-8"
    )


def read_import(data: bytes) -> dict[str, Any]:
    """A rubric document from an uploaded file, checked in order: size, UTF-8, JSON syntax
    (with line and column), format marker, then the rubric itself (RubricError each time)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise RubricError(
            N_("The file is larger than %(limit)d KB; a rubric file is much smaller."),
            limit=MAX_IMPORT_BYTES // 1024,
        )
    if not data.strip():
        raise RubricError(N_("The file is empty."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RubricError(
            N_("The file is not UTF-8 text, so it cannot be a rubric (.json).")
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise RubricError(
            N_("The file is not valid JSON: %(problem)s at line %(line)d, column %(column)d."),
            problem=err.msg,
            line=err.lineno,
            column=err.colno,
        ) from None
    except RecursionError:
        raise RubricError(N_("The file is nested too deeply to be a rubric.")) from None
    if not isinstance(document, dict):
        raise RubricError(N_("A rubric must be a JSON object with a title and criteria."))
    marker = document.pop(FORMAT_KEY, FORMAT_VERSION)
    if marker != FORMAT_VERSION:
        raise RubricError(
            N_("This file is in rubric format %(found)r; this PeerPath reads format %(known)d."),
            found=marker,
            known=FORMAT_VERSION,
        )
    return to_document(parse(document))


def import_json(data: bytes, actor: Actor) -> Rubric:
    """A new course rubric from an exported (or hand-written) JSON file."""
    return create(actor, read_import(data))
