"""The peer review page a launch lands on, the participant's submission, and the instructor's
settings and phase controls. Reviewing, grades and 360 nominations have their own view modules
on this blueprint (review_views.py, instructor_views.py, people_views.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..activities.views import get_activity_for_launch
from ..error_pages import _wants_json, refusal
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import (
    Activity,
    Membership,
    ReviewAssignment,
    Submission,
    SubmissionFile,
    User,
)
from ..models.base import utcnow
from . import ReviewError, assignments, groups, submissions
from .kind import KIND

bp = Blueprint("reviews", __name__, url_prefix="/review")


@bp.errorhandler(ReviewError)
def _refused(err: ReviewError):
    db.session.rollback()  # a refusal changes nothing
    public_id = (request.view_args or {}).get("public_id")
    back = (
        (launch_url("reviews.page", public_id=public_id), _("Back to the peer review"))
        if public_id and g.get("launch")
        else None
    )
    return refusal(err.message, err.status, back)


def activity_and_assignment(public_id: str) -> tuple[Activity, ReviewAssignment]:
    """The launch's course's peer review (404 unknown, 403 another course's), moved on by its
    dates if they passed since the last look."""
    activity = get_activity_for_launch(public_id)
    if activity.kind != KIND:
        abort(404, description=_("This activity is not a peer review."))
    assignment = assignments.assignment_for(activity)
    if assignments.advance_by_dates(assignment):
        db.session.commit()
    return activity, assignment


def me() -> User:
    return g.launch.user


def require_instructor() -> None:
    if not g.launch.is_instructor:
        abort(403, description=_("Only an instructor of this course can do this."))


def back(activity: Activity, anchor: str = ""):
    return redirect(
        launch_url("reviews.page", public_id=activity.public_id) + (f"#{anchor}" if anchor else ""),
        303,
    )


# --- the page ---------------------------------------------------------------------------------


@bp.get("/<public_id>")
@launch_required()
def page(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    now = utcnow()
    mine = submissions.submission_of(assignment, me()) if not g.launch.is_instructor else None
    context = {
        "activity": activity,
        "assignment": assignment,
        "phase_label": assignments.phase_label(assignment.phase),
        "deadline": submissions.deadline_state(assignment, now),
        "submission": mine,
        "files": submissions.files_of(mine) if mine is not None else [],
        "can_edit": mine is None or submissions.can_edit(mine, me()),
        "sections": [hook(activity, assignment) for hook in PAGE_SECTIONS],
    }
    return render_template("reviews/page.html", **context)


# Other view modules add sections to the page: fn(activity, assignment) -> Markup (rendered) or None.
PAGE_SECTIONS: list = []


# --- the participant's submission -------------------------------------------------------------


@bp.post("/<public_id>/submission")
@launch_required()
def save_submission(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    action = request.form.get("action", "save")
    if action == "withdraw":
        submissions.withdraw(assignment, me())
    else:
        submissions.save(
            assignment,
            me(),
            title=request.form.get("title", ""),
            source=request.form.get("source", ""),
            links=request.form.get("links", "").splitlines(),
            submit=action == "submit",
        )
    db.session.commit()
    if _wants_json():
        return jsonify({"saved": True})
    return back(activity, "submission")


@bp.post("/<public_id>/submission/files")
@launch_required()
def upload(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ReviewError(_("Choose a file to attach."))
    data = upload.stream.read(submissions.MAX_FILE_BYTES + 1)
    submissions.attach(assignment, me(), upload.filename, data)
    db.session.commit()
    return back(activity, "submission")


@bp.post("/<public_id>/submission/files/<file_id>/delete")
@launch_required()
def delete_file(public_id: str, file_id: str):
    activity, assignment = activity_and_assignment(public_id)
    submissions.remove_file(assignment, me(), file_id)
    db.session.commit()
    return back(activity, "submission")


@bp.get("/<public_id>/files/<file_id>")
@launch_required()
def download(public_id: str, file_id: str):
    _activity, assignment = activity_and_assignment(public_id)
    item = db.session.scalars(
        select(SubmissionFile).where(SubmissionFile.public_id == file_id)
    ).first()
    submission = db.session.get(Submission, item.submission_id) if item is not None else None
    if item is None or submission is None or submission.assignment_id != assignment.id:
        abort(404, description=_("This file does not exist (any more)."))
    # Reviewers open attachments through the reviewing pages, which name them as anonymity allows.
    if not (g.launch.is_instructor or submissions.can_edit(submission, me())):
        abort(403, description=_("Only the authors and the instructors can open this file here."))
    return file_response(item, item.filename)


def file_response(item: SubmissionFile, name: str) -> Response:
    """An attachment as a download that no browser runs or sniffs."""
    response = Response(item.data, mimetype=item.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


# --- instructor: settings and phases -------------------------------------------------------------


def course_people(assignment: ReviewAssignment) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.context_id == assignment.context_id, Membership.left_at.is_(None))
            .order_by(User.name)
        )
    )


@bp.route("/<public_id>/settings", methods=["GET", "POST"])
@launch_required("instructor", "admin")
def settings(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    error = None
    if request.method == "POST":
        try:
            assignments.update_settings(assignment, request.form, g.launch.user.timezone or "UTC")
        except ReviewError as err:
            db.session.rollback()
            error = err.message
        else:
            db.session.commit()
            return back(activity, "phase")
    return render_template(
        "reviews/settings.html",
        activity=activity,
        assignment=assignment,
        people=course_people(assignment),
        choices=assignments.CHOICES,
        error=error,
        form=request.form if request.method == "POST" else None,
    ), (400 if error else 200)


@bp.post("/<public_id>/phase")
@launch_required("instructor", "admin")
def move_phase(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    assignments.move_phase(assignment, request.form.get("phase", ""))
    db.session.commit()
    return back(activity, "phase")


@bp.route("/<public_id>/groups", methods=["GET", "POST"])
@launch_required("instructor", "admin")
def edit_groups(public_id: str):
    """Each learner's group, typed as a name; the same name (any case) is the same group."""
    activity, assignment = activity_and_assignment(public_id)
    people = [p for p in course_people(assignment) if not _is_staff(assignment, p)]
    if request.method == "POST":
        wanted = {person: request.form.get(f"group-{person.public_id}", "") for person in people}
        count = groups.set_groups(assignment, wanted)
        db.session.commit()
        return redirect(
            launch_url("reviews.edit_groups", public_id=activity.public_id, saved=count), 303
        )
    return render_template(
        "reviews/groups.html",
        activity=activity,
        assignment=assignment,
        people=people,
        current=groups.groups_of(assignment),
        saved=request.args.get("saved"),
    )


def _is_staff(assignment: ReviewAssignment, person: User) -> bool:
    roles = db.session.scalar(
        select(Membership.roles).where(
            Membership.user_id == person.id, Membership.context_id == assignment.context_id
        )
    )
    return bool(roles) and any(r in roles.split() for r in ("instructor", "admin"))
