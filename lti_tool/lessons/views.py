"""Web pages and JSON endpoints of the lesson library, the editor and the review workflow.

Thin: each view finds the lesson, checks access in `_lesson_for`, then calls a service module.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from content.frontmatter import KEYS as FRONT_MATTER_KEYS
from content.frontmatter import LEVELS
from content.frontmatter_edit import FLAG_KEYS

from ..error_pages import _wants_json
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Lesson, LessonAsset
from ..models.lessons import AUTHORING_EVERYONE, AUTHORING_INSTRUCTORS, CHECKLIST
from . import LessonError, assets, authoring, importing, library, workflow

bp = Blueprint("lessons", __name__, url_prefix="/lessons")

CHECKLIST_LABELS = {
    "accurate": lambda: _("Accurate: the facts and examples are right"),
    "clear": lambda: _("Clear: a colleague new to the topic can follow it"),
    "right_length": lambda: _("Right length: nothing essential missing, nothing to cut"),
    "inclusive_language": lambda: _("Inclusive language: welcoming to every colleague"),
}


@bp.errorhandler(LessonError)
def _lesson_error(err: LessonError):
    problems = authoring.problem_dicts(err.problems)
    if _wants_json() or request.is_json:
        return jsonify({"error": err.message, "problems": problems}), err.status
    return render_template("lessons/refused.html", message=err.message, problems=problems), err.status


def _me():
    return g.launch.user


def _lesson_for(public_id: str, *, edit: bool = False, review: bool = False) -> Lesson:
    """The lesson if this person may see it; 404 for other organisations (never disclose it),
    403 for a colleague who is not its author (edit) or not an invited reviewer (review)."""
    lesson = db.session.scalars(select(Lesson).where(Lesson.public_id == public_id)).first()
    me = _me()
    if lesson is None or not workflow.same_organisation(lesson, me):
        abort(404, description=_("This lesson does not exist (any more)."))
    if edit and not workflow.is_author(lesson, me):
        abort(403, description=_("Only the author of this lesson can edit its draft."))
    if review and workflow.review_of(lesson, me) is None:
        abort(403, description=_("Only colleagues the author invited can review this lesson."))
    if not (edit or review) and not workflow.may_see(lesson, me):
        abort(404, description=_("This lesson does not exist (any more)."))
    return lesson


def _to_edit(lesson: Lesson):
    return redirect(launch_url("lessons.edit", public_id=lesson.public_id), 303)


# --- library -------------------------------------------------------------------------------


@bp.get("/")
@launch_required()
def index():
    me = _me()
    q, tag, author = (request.args.get(k, "").strip()[:200] for k in ("q", "tag", "author"))
    return render_template(
        "lessons/library.html",
        lessons=library.search(me.platform_id, q, tag, author),
        q=q, tag=tag, author=author,
        tags=library.all_tags(me.platform_id),
        drafts=library.drafts_of(me),
        reviews=library.reviews_asked_of(me),
        examples=authoring.examples(),
        may_author=authoring.may_author(g.launch.context_id, g.launch.is_instructor),
        policy=authoring.authoring_policy(g.launch.context_id),
        everyone=AUTHORING_EVERYONE, instructors_only=AUTHORING_INSTRUCTORS,
        imported=request.args.get("imported", type=int),
        import_limits={"mb": importing.MAX_ZIP_BYTES // 1_000_000, "files": importing.MAX_ZIP_ENTRIES},
    )


@bp.post("/new")
@launch_required()
def new():
    example = request.form.get("example", "")
    launch = g.launch
    if example:
        lesson = authoring.create_from_example(_me(), launch.context_id, launch.is_instructor, example)
    else:
        lesson = authoring.create_lesson(_me(), launch.context_id, launch.is_instructor)
    return _to_edit(lesson)


@bp.post("/import")
@launch_required()
def import_file():
    """One .md file becomes a draft (then its editor); a library ZIP becomes a draft per lesson."""
    if (request.content_length or 0) > importing.MAX_ZIP_BYTES + 64_000:
        raise LessonError(_("The file is larger than %(limit)d MB. Import the library in parts.",
                            limit=importing.MAX_ZIP_BYTES // 1_000_000), 413)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise LessonError(_("Choose a .md file or a library .zip to import."))
    launch = g.launch
    data = upload.stream.read(importing.MAX_ZIP_BYTES + 1)
    if importing.is_zip(upload.filename, data):
        lessons = importing.import_library(_me(), launch.context_id, launch.is_instructor, data)
        return redirect(launch_url("lessons.index", imported=len(lessons)), 303)
    if len(data) > authoring.MAX_LESSON_BYTES:
        data = data[: authoring.MAX_LESSON_BYTES + 1]  # decode_lesson names the limit
    lesson = authoring.import_lesson(_me(), launch.context_id, launch.is_instructor, data, upload.filename)
    return _to_edit(lesson)


@bp.post("/settings")
@launch_required("instructor", "admin")
def settings():
    authoring.set_authoring_policy(g.launch.context_id, request.form.get("authoring", ""), _me())
    return redirect(launch_url("lessons.index"), 303)


def _zip_response(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export.zip")
@launch_required()
def export_all():
    return _zip_response(library.export_library(_me().platform_id), "lesson-library.zip")


# --- one lesson ------------------------------------------------------------------------------


@bp.get("/<public_id>")
@launch_required()
def show(public_id: str):
    lesson = _lesson_for(public_id)
    version = workflow.latest_version(lesson)
    me = _me()
    return render_template(
        "lessons/show.html",
        lesson=lesson,
        version=version,
        versions=workflow.versions_of(lesson),
        is_author=workflow.is_author(lesson, me),
        review=workflow.review_of(lesson, me),
    )


@bp.get("/<public_id>/export.zip")
@launch_required()
def export_one(public_id: str):
    lesson = _lesson_for(public_id)
    item = library.exported(lesson, use_draft=not lesson.is_published)
    return _zip_response(library.zip_lessons([item]), item.filename.removesuffix(".md") + ".zip")


# --- editor ----------------------------------------------------------------------------------


@bp.get("/<public_id>/edit")
@launch_required()
def edit(public_id: str):
    lesson = _lesson_for(public_id, edit=True)
    me = _me()
    preview = authoring.render_draft(lesson, lesson.source)
    return render_template(
        "lessons/edit.html",
        lesson=lesson,
        preview=preview,
        problems=authoring.problem_dicts(preview.problems),
        images=assets.assets_of(lesson.id),
        asset_path=assets.asset_path,
        reviews=workflow.reviews_of(lesson),
        comments=workflow.comments_of(lesson),
        candidates=workflow.reviewer_candidates(g.launch.context_id, me),
        versions=workflow.versions_of(lesson),
        checklist_labels=CHECKLIST_LABELS,
        max_image_mb=assets.MAX_IMAGE_BYTES // 1_000_000,
        fields=authoring.front_matter_fields(lesson.source),
        levels=LEVELS,
    )


def _posted_source() -> tuple[str, int | None]:
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data or {}
    source = data.get("source")
    if not isinstance(source, str):
        raise LessonError(_("Send the lesson text as 'source'."))
    revision = data.get("revision")
    try:
        return source.replace("\r\n", "\n"), (int(revision) if revision not in (None, "") else None)
    except (TypeError, ValueError):
        raise LessonError(_("The draft revision is not a number.")) from None


@bp.post("/<public_id>/source")
@launch_required()
def save(public_id: str):
    lesson = _lesson_for(public_id, edit=True)
    source, revision = _posted_source()
    result = authoring.save_draft(lesson, _me(), source, revision)
    if not request.is_json:
        return _to_edit(lesson)
    return jsonify({
        "revision": result.revision,
        "saved_at": result.saved_at.isoformat(),
        "status": result.status,
        "problems": authoring.problem_dicts(result.problems),
    })


@bp.post("/<public_id>/preview")
@launch_required()
def preview(public_id: str):
    lesson = _lesson_for(public_id, edit=True)
    source, _revision = _posted_source()
    result = authoring.render_draft(lesson, source)
    return jsonify({"html": result.html, "title": result.title, "ok": result.ok,
                    "problems": authoring.problem_dicts(result.problems),
                    "fields": authoring.front_matter_fields(source)})


def _posted_fields() -> dict:
    """The front-matter fields of a JSON request ({"fields": {...}}) or of the editor's form."""
    if request.is_json:
        fields = (request.get_json(silent=True) or {}).get("fields")
        if not isinstance(fields, dict) or not all(isinstance(v, (str, bool)) for v in fields.values()):
            raise LessonError(_("Send the fields as 'fields': an object of texts (true or false for 'certificate')."))
        return fields
    fields = {key: request.form.get(key, "") for key in FRONT_MATTER_KEYS if key not in FLAG_KEYS}
    return {**fields, **{key: request.form.get(key) == "true" for key in FLAG_KEYS}}


@bp.post("/<public_id>/front-matter")
@launch_required()
def front_matter(public_id: str):
    """Write the form's fields into the front matter. JSON: rewrite the sent source and return
    it (the editor then previews and autosaves it as typed text); a form: rewrite and save the
    stored draft (revision-checked), then back to the editor."""
    lesson = _lesson_for(public_id, edit=True)
    if request.is_json:
        source, _revision = _posted_source()
        rewritten = authoring.rewrite_front_matter(source, _posted_fields())
        return jsonify({"source": rewritten, "changed": rewritten != source,
                        "fields": authoring.front_matter_fields(rewritten)})
    revision = request.form.get("revision", "")
    if not revision.isdigit():
        raise LessonError(_("The draft revision is not a number."))
    rewritten = authoring.rewrite_front_matter(lesson.source, _posted_fields())
    authoring.save_draft(lesson, _me(), rewritten, int(revision))
    return _to_edit(lesson)


@bp.post("/<public_id>/assets")
@launch_required()
def upload(public_id: str):
    lesson = _lesson_for(public_id, edit=True)
    # Refuse an oversized body before reading it (a 50 MB "image" never reaches memory whole).
    if (request.content_length or 0) > assets.MAX_IMAGE_BYTES + 64_000:
        raise LessonError(
            _("The image is larger than %(limit)d MB. Make it smaller and try again.",
              limit=assets.MAX_IMAGE_BYTES // 1_000_000), 413)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        raise LessonError(_("Choose an image to upload."))
    data = upload_file.stream.read(assets.MAX_IMAGE_BYTES + 1)
    asset = assets.store_image(lesson, _me(), upload_file.filename, data)
    alt = (request.form.get("alt") or "").strip().replace("]", "")[:200] or _("Describe the picture")
    if not (_wants_json() or request.headers.get("X-Requested-With")):
        return _to_edit(lesson)
    return jsonify({
        "filename": asset.filename,
        "url": assets.asset_path(asset),
        "markdown": f"![{alt}]({asset.filename})",
        "content_type": asset.content_type,
        "size": asset.size,
    }), 201


@bp.get("/assets/<asset_id>/<name>")
def asset(asset_id: str, name: str):
    """Serve an uploaded image. No launch: <img> cannot send one; the random id is the key."""
    found = db.session.scalars(select(LessonAsset).where(LessonAsset.public_id == asset_id)).first()
    if found is None or found.filename.removeprefix(assets.ASSET_PREFIX) != name:
        abort(404)
    if found.content_type not in assets.CONTENT_TYPES:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Content-addressed names: the bytes behind a URL never change.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


# --- review workflow -------------------------------------------------------------------------


@bp.post("/<public_id>/review-requests")
@launch_required()
def request_review(public_id: str):
    lesson = _lesson_for(public_id, edit=True)
    workflow.request_review(lesson, _me(), g.launch.context_id, request.form.getlist("reviewer"))
    return _to_edit(lesson)


@bp.route("/<public_id>/review", methods=["GET", "POST"])
@launch_required()
def review(public_id: str):
    lesson = _lesson_for(public_id, review=True)
    me = _me()
    if request.method == "POST":
        checklist = {key: request.form.get(f"check-{key}") == "yes" for key in CHECKLIST}
        workflow.submit_review(
            lesson, me, checklist, request.form.get("comment", ""), request.form.get("verdict") == "approve"
        )
        return redirect(launch_url("lessons.review", public_id=lesson.public_id), 303)
    preview = authoring.render_draft(lesson, lesson.source)
    return render_template(
        "lessons/review.html",
        lesson=lesson,
        preview=preview,
        review=workflow.review_of(lesson, me),
        comments=workflow.comments_of(lesson),
        checklist_labels=CHECKLIST_LABELS,
    )


@bp.post("/<public_id>/comments")
@launch_required()
def comment(public_id: str):
    lesson = _lesson_for(public_id)
    workflow.add_comment(lesson, _me(), request.form.get("comment", ""))
    if workflow.is_author(lesson, _me()):
        return _to_edit(lesson)
    return redirect(launch_url("lessons.review", public_id=lesson.public_id), 303)


@bp.post("/<public_id>/publish")
@launch_required()
def publish(public_id: str):
    lesson = _lesson_for(public_id, edit=True)
    workflow.publish(lesson, _me(), request.form.get("substantive") == "yes")
    return redirect(launch_url("lessons.show", public_id=lesson.public_id), 303)
