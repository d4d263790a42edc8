"""Rubric pages (`/rubrics/`): the course's rubrics and the organisation's templates, the editor,
import and export. Instructors and administrators only.

Thin: each view finds the rubric through `rubrics.find` (the course boundary), calls the
service and commits. The editor is a plain form; its add/remove buttons post an action
name, so it works without JavaScript (the page's script does the same in the browser).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, g, redirect, render_template, request
from flask_babel import gettext as _

from ..error_pages import refusal
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Rubric
from . import ReviewError, rubric_form, rubrics
from .rubric import COMMENT_MODES, MAX_CRITERIA, MAX_LEVELS, RubricError

bp = Blueprint("reviews_rubrics", __name__, url_prefix="/rubrics")

STAFF = ("instructor", "admin")

# What a redirect back to the list says happened (?done=...): codes, never free text.
NOTICES = {
    "deleted": lambda: _("The rubric was deleted."),
    "template": lambda: _(
        "Saved as an organisation template: every course of your organisation can now use it."
    ),
}

COMMENT_LABELS = {
    "off": lambda: _("No comment"),
    "optional": lambda: _("Comment optional"),
    "required": lambda: _("Comment required"),
}


def _message(err: RubricError) -> str:
    return _(err.message, **err.params)


def _back() -> tuple[str, str] | None:
    launch = g.get("launch")
    return (
        (launch_url("reviews_rubrics.index"), _("Back to the rubrics"))
        if launch and launch.is_instructor
        else None
    )


@bp.errorhandler(ReviewError)
def _refused(err: ReviewError):
    db.session.rollback()  # a refusal changes nothing
    return refusal(err.message, err.status, _back())


@bp.errorhandler(RubricError)
def _invalid(err: RubricError):
    db.session.rollback()
    return refusal(_message(err), 422, _back())


def _actor() -> rubrics.Actor:
    launch = g.launch
    return rubrics.Actor(
        platform_id=launch.context.platform_id,
        context_id=launch.context_id,
        user_id=launch.user_id,
        is_admin=launch.has_role("admin"),
    )


def _to_editor(rubric: Rubric, **args: Any):
    return redirect(launch_url("reviews_rubrics.edit", public_id=rubric.public_id, **args), 303)


# --- the list, new, import ---------------------------------------------------------------------


def _index_page(import_error: str | None = None, status: int = 200):
    actor = _actor()
    notice = NOTICES.get(request.args.get("done", ""))
    return render_template(
        "reviews/rubrics/index.html",
        course_rubrics=rubrics.course_rubrics(actor),
        templates=rubrics.templates(actor),
        may_change=lambda rubric: rubrics.may_change(rubric, actor),
        notice=notice() if notice else None,
        import_error=import_error,
        max_import_kb=rubrics.MAX_IMPORT_BYTES // 1024,
    ), status


@bp.get("/")
@launch_required(*STAFF)
def index():
    return _index_page()


@bp.post("/new")
@launch_required(*STAFF)
def new():
    rubric = rubrics.create(_actor())
    db.session.commit()
    return _to_editor(rubric)


@bp.post("/import")
@launch_required(*STAFF)
def import_file():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index_page(_("Choose a rubric file (.json) to import."), 400)
    data = upload.stream.read(rubrics.MAX_IMPORT_BYTES + 1)
    try:
        rubric = rubrics.import_json(data, _actor())
    except RubricError as err:
        db.session.rollback()
        status = 413 if len(data) > rubrics.MAX_IMPORT_BYTES else 422
        return _index_page(
            _("%(file)s was not imported: %(reason)s", file=upload.filename, reason=_message(err)),
            status,
        )
    db.session.commit()
    return _to_editor(rubric, done="imported")


# --- one rubric -----------------------------------------------------------------------------------


def _editor_page(
    rubric: Rubric,
    draft: dict[str, Any],
    error: RubricError | None = None,
    status: int = 200,
    focus: str = "",
):
    blank = rubric_form.new_criterion() | {"_n": "__N__"}
    blank["levels"] = [level | {"_n": m} for m, level in enumerate(blank["levels"], 1)]
    return render_template(
        "reviews/rubrics/edit.html",
        rubric=rubric,
        draft=draft,
        error=_message(error) if error else None,
        error_position=_criterion_position(error),
        focus=focus,
        saved=request.args.get("done") in ("saved", "imported"),
        imported=request.args.get("done") == "imported",
        comment_modes=COMMENT_MODES,
        comment_labels=COMMENT_LABELS,
        max_criteria=MAX_CRITERIA,
        max_levels=MAX_LEVELS,
        blank_criterion=blank,
        blank_level=rubric_form.new_level() | {"_n": "__M__"},
        used_in=rubrics.activities_using(rubric, _actor()),
    ), status


def _criterion_position(error: RubricError | None) -> int | None:
    """The criterion an error is about ("Criterion 2 (…): …"), for a link to its fieldset."""
    what = str(error.params.get("what", "")) if error else ""
    match = re.match(r"Criterion (\d+)\b", what)
    return int(match.group(1)) if match else None


def _show_page(rubric: Rubric, actor: rubrics.Actor):
    return render_template(
        "reviews/rubrics/show.html",
        rubric=rubric,
        document=rubric.definition,
        may_change=rubrics.may_change(rubric, actor),
        used=rubrics.usage(rubric),
        used_in=rubrics.activities_using(rubric, actor),
        comment_labels=COMMENT_LABELS,
    )


@bp.get("/<public_id>")
@launch_required(*STAFF)
def edit(public_id: str):
    actor = _actor()
    rubric = rubrics.find(public_id, actor)
    if rubric.frozen or not rubrics.may_change(rubric, actor):
        return _show_page(rubric, actor)
    return _editor_page(
        rubric, rubric_form.renumbered(rubric_form.draft_from_document(rubric.definition))
    )


def _focus_after(action: str, draft: dict[str, Any]) -> str:
    """The field a no-JS page puts the cursor in after an editor action (autofocus)."""
    if action == "add-criterion" and draft["criteria"]:
        return f"c{draft['criteria'][-1]['_n']}-title"
    if action.startswith("add-level-"):
        n = int(action.rsplit("-", 1)[1])
        row = next((c for c in draft["criteria"] if c["_n"] == n), None)
        if row and row["levels"]:
            return f"c{n}-l{row['levels'][-1]['_n']}-points"
    return "pp-add-criterion"


@bp.post("/<public_id>")
@launch_required(*STAFF)
def save(public_id: str):
    actor = _actor()
    rubric = rubrics.find(public_id, actor)
    action = request.form.get("action", rubric_form.SAVE)
    draft = rubric_form.draft_from_form(request.form)
    if action != rubric_form.SAVE:
        rubrics.check_editable(rubric, actor)
        try:
            rubric_form.apply_action(draft, action)
        except RubricError as err:
            return _editor_page(rubric, rubric_form.renumbered(draft), err, 422)
        # Numbers follow positions again; the focus target is named after the renumbering.
        rubric_form.renumbered(draft)
        return _editor_page(rubric, draft, focus=_focus_after(action, draft))
    try:
        rubrics.update_definition(rubric, draft, actor)
    except RubricError as err:
        db.session.rollback()
        return _editor_page(rubric, rubric_form.renumbered(draft), err, 422)
    db.session.commit()
    return _to_editor(rubric, done="saved")


@bp.post("/<public_id>/copy")
@launch_required(*STAFF)
def copy(public_id: str):
    actor = _actor()
    source = rubrics.find(public_id, actor)
    rubric = (
        rubrics.use_template(source, actor) if source.is_template else rubrics.copy(source, actor)
    )
    db.session.commit()
    return _to_editor(rubric)


@bp.post("/<public_id>/template")
@launch_required(*STAFF)
def save_as_template(public_id: str):
    actor = _actor()
    rubrics.save_as_template(rubrics.find(public_id, actor), actor)
    db.session.commit()
    return redirect(launch_url("reviews_rubrics.index", done="template"), 303)


@bp.get("/<public_id>/export.json")
@launch_required(*STAFF)
def export(public_id: str):
    rubric = rubrics.find(public_id, _actor())
    return Response(
        rubrics.export_json(rubric),
        mimetype="application/json",
        headers={"Content-Disposition": _attachment(rubric.title), "Cache-Control": "no-store"},
    )


def _attachment(title: str) -> str:
    """A download named after the title: an ASCII fallback, and the Unicode name (RFC 6266)."""
    words = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in title).split()
    ascii_name = "-".join(words)[:60].lower() or "rubric"
    return (
        f'attachment; filename="{ascii_name}.json"; '
        f"filename*=UTF-8''{quote(title[:80] + '.json', safe='')}"
    )


@bp.get("/<public_id>/delete")
@launch_required(*STAFF)
def confirm_delete(public_id: str):
    actor = _actor()
    rubric = rubrics.find(public_id, actor)
    return render_template(
        "reviews/rubrics/delete.html",
        rubric=rubric,
        may_change=rubrics.may_change(rubric, actor),
        used=rubrics.usage(rubric),
    )


@bp.post("/<public_id>/delete")
@launch_required(*STAFF)
def delete(public_id: str):
    actor = _actor()
    rubrics.delete(rubrics.find(public_id, actor), actor)
    db.session.commit()
    return redirect(launch_url("reviews_rubrics.index", done="deleted"), 303)
