"""Reviewing pages on the `reviews` blueprint: the participant's "Reviews to do" section, the
rubric form, reading a review, the author's feedback page, the instructor's allocation
overview (manual reassignment) and calibration examples.

Thin: the rules live in reviewing.py and allocating.py; these only turn requests into calls.
"""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Review, ReviewAssignment, ReviewGroup, Submission, SubmissionFile, User
from ..models.base import utcnow
from ..models.reviews import (
    MODE_PEOPLE,
    MODE_WORK,
    REVIEW_PRACTICE,
    REVIEW_REFERENCE,
    SUBMISSION_EXAMPLE,
)
from . import ReviewError, allocating, assignments, grading, phases, reviewing, submissions
from . import allocation as alloc
from .views import (
    PAGE_SECTIONS,
    activity_and_assignment,
    back,
    bp,
    course_people,
    file_response,
    me,
)


def _staff() -> bool:
    return g.launch.is_instructor


def _require_staff() -> None:
    if not _staff():
        abort(403, description=_("Only an instructor of this course can do this."))


# --- the section on the peer review page ------------------------------------------------------


def _reviewing_section(activity, assignment: ReviewAssignment) -> Markup | None:
    if assignment.mode != MODE_WORK:
        return None
    now = utcnow()
    if allocating.complete_stranded(assignment, now):
        db.session.commit()
    user = me()
    context: dict = {
        "activity": activity,
        "assignment": assignment,
        "now": now,
        "formula": reviewing.formula_text(),
        "required": reviewing.practice_required(assignment),
        "queue_message": _queue_message(request.args.get("queue", "")),
        "open_now": lambda item: _open_for(assignment, item.kind),
    }
    if _staff():
        c = allocating.cohort(assignment)
        context.update(
            staff=True,
            items=reviewing.to_do(assignment, user, staff=True, now=now),
            submitted=len(c.submissions),
            stranded=allocating.shortfall(assignment, c) if c.submissions else {},
            examples=reviewing.examples(assignment),
        )
        context["with_reference"] = sum(
            1 for e in context["examples"] if reviewing.reference_of(e) is not None
        )
    else:
        mine = submissions.submission_of(assignment, user)
        context.update(
            staff=False,
            items=reviewing.to_do(assignment, user, now=now),
            practice=_practice_rows(assignment, user),
            missing=reviewing.practice_missing(assignment, user),
            mine=mine,
            note=allocating.cohort_note(assignment, mine) if mine is not None else None,
            released=assignments.feedback_released(assignment),
            received=len(reviewing.received(assignment, mine)) if mine is not None else 0,
        )
    return Markup(render_template("reviews/_reviewing.html", **context))  # noqa: S704 - a rendered template


PAGE_SECTIONS.append(_reviewing_section)


def _practice_rows(
    assignment: ReviewAssignment, user: User
) -> list[tuple[Submission, Review | None]]:
    """Examples with a reference assessment, each with this person's practice review if any."""
    if reviewing.practice_required(assignment) == 0:
        return []
    rows = []
    for example in reviewing.examples(assignment):
        if reviewing.reference_of(example) is None:
            continue
        rows.append((example, reviewing.existing_review(example, user, REVIEW_PRACTICE)))
    return rows


def _queue_message(reason: str) -> str:
    try:
        return allocating.Pulled(None, alloc.PickReason(reason)).message()
    except ValueError:
        return ""


@bp.post("/<public_id>/queue")
@launch_required()
def queue_next(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    pulled = reviewing.pull_next(assignment, me())
    db.session.commit()
    if pulled.allocation is None:
        return redirect(
            launch_url("reviews.page", public_id=activity.public_id, queue=pulled.reason.value)
            + "#reviews-to-do",
            303,
        )
    return redirect(
        launch_url(
            "reviews.review_form",
            public_id=activity.public_id,
            submission_id=pulled.allocation.submission.public_id,
        ),
        303,
    )


# --- the rubric form --------------------------------------------------------------------------


def _label(assignment: ReviewAssignment, target: reviewing.Target, user: User) -> str:
    sub = target.submission
    if target.kind == REVIEW_PRACTICE:
        return _("Practice review: %(title)s", title=sub.title)
    if target.kind == REVIEW_REFERENCE:
        return _("Reference assessment: %(title)s", title=sub.title)
    if assignment.mode == MODE_PEOPLE:  # 360: the reviewer knows whom they give feedback
        if target.kind == "self":
            return _("Assess yourself")
        return _("Feedback for %(name)s", name=sub.author.display_name)
    if target.kind == "self":
        return _("Assess your own work")
    number = next(
        (
            i.number
            for i in reviewing.to_do(assignment, user, _staff())
            if i.submission.id == sub.id
        ),
        0,
    )
    return _("Review of submission %(n)d", n=number)


def _authors(assignment: ReviewAssignment, sub: Submission) -> str:
    """Who wrote it, for pages that may show it: the group's name, or the author's."""
    if sub.kind == SUBMISSION_EXAMPLE:
        return ""
    if sub.group_id is not None:
        group = db.session.get(ReviewGroup, sub.group_id)
        if group is not None:
            return group.name
    return sub.author.display_name


def _submission_context(assignment: ReviewAssignment, sub: Submission) -> dict:
    return {
        "work": sub,
        "work_files": submissions.files_of(sub),
        "work_authors": _authors(assignment, sub)
        if reviewing.author_names_shown(assignment, _staff())
        else "",
        "blind_files": not reviewing.author_names_shown(assignment, _staff()),
    }


def _render_form(activity, assignment, sub, target, review, values, error="", saved=False):
    rubric = reviewing.rubric_of(assignment)
    if values is None:
        values = {}
        if review is not None:
            values["overall"] = review.overall_comment
            for row in review.criteria:
                values[f"level-{row.criterion_key}"] = row.level_key or ""
                values[f"comment-{row.criterion_key}"] = row.comment
    return render_template(
        "reviews/review_form.html",
        activity=activity,
        assignment=assignment,
        target=target,
        review=review,
        rubric=rubric,
        values=values,
        error=error,
        saved=saved,
        heading=_label(assignment, target, me()),
        **_submission_context(assignment, sub),
    ), (400 if error else 200)


@bp.get("/<public_id>/reviewing/<submission_id>")
@launch_required()
def review_form(public_id: str, submission_id: str):
    activity, assignment = activity_and_assignment(public_id)
    sub = reviewing.find_submission(assignment, submission_id)
    target = reviewing.target_for(assignment, me(), sub, _staff())
    review = reviewing.existing_review(sub, me(), target.kind)
    if target.kind == REVIEW_PRACTICE and review is not None and review.submitted_at:
        return redirect(
            launch_url("reviews.review_show", public_id=public_id, review_id=review.public_id), 303
        )
    reviewing.check_open(assignment, target.kind)
    if target.kind == "peer":
        reviewing.check_practice_done(assignment, me())
    return _render_form(
        activity, assignment, sub, target, review, None, saved=request.args.get("saved") == "1"
    )


@bp.post("/<public_id>/reviewing/<submission_id>")
@launch_required()
def review_save(public_id: str, submission_id: str):
    activity, assignment = activity_and_assignment(public_id)
    sub = reviewing.find_submission(assignment, submission_id)
    submit = request.form.get("action") == "submit"
    try:
        review = reviewing.save_review(
            assignment, me(), sub, request.form, submit=submit, staff=_staff()
        )
    except ReviewError as err:
        if err.status != 400:
            raise
        db.session.rollback()  # nothing of a refused review is kept
        target = reviewing.target_for(assignment, me(), sub, _staff())
        existing = reviewing.existing_review(sub, me(), target.kind)
        return _render_form(
            activity, assignment, sub, target, existing, request.form, error=err.message
        )
    db.session.commit()
    if review.submitted_at is None:
        return redirect(
            launch_url(
                "reviews.review_form", public_id=public_id, submission_id=submission_id, saved="1"
            ),
            303,
        )
    if review.kind == REVIEW_PRACTICE:  # straight to how it compares with the reference
        return redirect(
            launch_url("reviews.review_show", public_id=public_id, review_id=review.public_id), 303
        )
    if review.kind == REVIEW_REFERENCE:
        return redirect(launch_url("reviews.examples", public_id=public_id), 303)
    return back(activity, "reviews-to-do")


@bp.get("/<public_id>/reviewing/<submission_id>/files/<file_id>")
@launch_required()
def review_file(public_id: str, submission_id: str, file_id: str):
    """An attachment for its reviewer; under double-blind review named by its number only."""
    _activity, assignment = activity_and_assignment(public_id)
    sub = reviewing.find_submission(assignment, submission_id)
    if not (_staff() or submissions.can_edit(sub, me())):
        reviewing.target_for(assignment, me(), sub, _staff())
    files = submissions.files_of(sub)
    number = next((i for i, f in enumerate(files, 1) if f.public_id == file_id), None)
    if number is None:
        abort(404, description=_("This file does not exist (any more)."))
    item = db.session.scalars(
        select(SubmissionFile).where(SubmissionFile.public_id == file_id)
    ).one()
    name = item.filename
    if not reviewing.author_names_shown(assignment, _staff()):
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "bin"
        name = f"attachment-{number}.{ext}"
    return file_response(item, name)


# --- reading one review -----------------------------------------------------------------------


@bp.get("/<public_id>/reviews/<review_id>")
@launch_required()
def review_show(public_id: str, review_id: str):
    activity, assignment = activity_and_assignment(public_id)
    review = reviewing.readable(assignment, review_id, me(), _staff())
    sub = review.submission
    mine = review.reviewer_id == me().id
    rubric = reviewing.rubric_of(assignment)
    return render_template(
        "reviews/review_show.html",
        activity=activity,
        assignment=assignment,
        review=review,
        answers=reviewing.answers(rubric, review),
        comparison=reviewing.comparison(assignment, review),
        formula=reviewing.formula_text(),
        reviewer_name=review.reviewer.display_name
        if mine or reviewing.reviewer_names_shown(assignment, _staff())
        else "",
        mine=mine,
        may_edit=mine
        and review.kind not in (REVIEW_PRACTICE,)
        and _open_for(assignment, review.kind),
        **_submission_context(assignment, sub),
    )


def _open_for(assignment: ReviewAssignment, kind: str) -> bool:
    try:
        reviewing.check_open(assignment, kind)
    except ReviewError:
        return False
    return True


# --- feedback for the author ------------------------------------------------------------------


@bp.get("/<public_id>/feedback")
@launch_required()
def feedback(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    if assignment.mode == MODE_PEOPLE:  # 360: only the anonymous aggregate, never one review
        return redirect(launch_url("reviews.people_results", public_id=public_id), 303)
    sub = submissions.submission_of(assignment, me())
    if sub is None or sub.submitted_at is None:
        raise ReviewError(_("You have not submitted work in this peer review."), 404)
    if not assignments.feedback_released(assignment):
        raise ReviewError(_("The reviews of your work are shown once feedback is released."), 409)
    rubric = reviewing.rubric_of(assignment)
    names = reviewing.reviewer_names_shown(assignment, _staff())
    received = [
        {
            "review": r,
            "number": n,
            "who": r.reviewer.display_name if names else "",
            "answers": reviewing.answers(rubric, r),
        }
        for n, r in enumerate(reviewing.received(assignment, sub), 1)
    ]
    own = reviewing.self_assessment_of(sub)
    return render_template(
        "reviews/review_feedback.html",
        activity=activity,
        assignment=assignment,
        work=sub,
        received=received,
        own=own,
        own_answers=reviewing.answers(rubric, own) if own is not None else [],
        plan_saved=request.args.get("saved") == "plan",
    )


@bp.post("/<public_id>/reviews/<review_id>/rating")
@launch_required()
def rate_review(public_id: str, review_id: str):
    activity, assignment = activity_and_assignment(public_id)
    review = reviewing.rate(
        assignment,
        me(),
        review_id,
        request.form.get("helpfulness", ""),
        request.form.get("helpfulness_comment", ""),
    )
    if assignment.mode == "work" and phases.passed(assignment.phase, phases.GRADING):
        # A rating changes its reviewer's reviewing grade: the preview follows at once, and
        # once grades were sent the new grade is queued in this same transaction.
        grading.compute_grades(assignment)
    db.session.commit()
    return redirect(
        launch_url("reviews.feedback", public_id=activity.public_id) + f"#r-{review.public_id}", 303
    )


@bp.post("/<public_id>/feedback/plan")
@launch_required()
def revision_plan(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    reviewing.save_revision_plan(assignment, me(), request.form.get("revision_plan", ""))
    db.session.commit()
    return redirect(
        launch_url("reviews.feedback", public_id=activity.public_id, saved="plan") + "#plan", 303
    )


# --- instructor: allocations ------------------------------------------------------------------


@bp.get("/<public_id>/allocations")
@launch_required("instructor", "admin")
def allocations(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    return _allocations_page(activity, assignment)


def _allocations_page(activity, assignment: ReviewAssignment, error: str = ""):
    now = utcnow()
    work = submissions.submitted(assignment)
    by_sub: dict[int, list] = {s.id: [] for s in work}
    reviews = {
        (r.submission_id, r.reviewer_id): r
        for r in db.session.scalars(
            select(Review).where(
                Review.assignment_id == assignment.id, Review.kind.in_(reviewing.RECEIVED_KINDS)
            )
        )
    }
    for a in allocating.current_allocations(assignment):
        if a.submission_id in by_sub:
            by_sub[a.submission_id].append((a, reviews.get((a.submission_id, a.reviewer_id))))
    stranded = allocating.shortfall(assignment) if work else {}
    return render_template(
        "reviews/review_allocations.html",
        activity=activity,
        assignment=assignment,
        rows=[(s, _authors(assignment, s), by_sub[s.id]) for s in work],
        people=course_people(assignment),
        stranded=stranded,
        completes_at=allocating.completes_at(assignment),
        now=now,
        error=error,
    ), (400 if error else 200)


@bp.post("/<public_id>/allocations")
@launch_required("instructor", "admin")
def change_allocation(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    form = request.form
    action = form.get("action", "")
    try:
        if action == "withdraw":
            allocating.withdraw(assignment, form.get("submission", ""), form.get("reviewer", ""))
        elif action == "assign":
            allocating.assign(assignment, form.get("submission", ""), form.get("to", ""))
        elif action == "reassign":
            allocating.reassign(
                assignment, form.get("submission", ""), form.get("reviewer", ""), form.get("to", "")
            )
        elif action == "complete":
            allocating.complete_stranded(assignment)
        else:
            raise ReviewError(_("Choose what to do with this allocation."))
    except ReviewError as err:
        if err.status != 400:
            raise
        db.session.rollback()
        return _allocations_page(activity, assignment, err.message)
    db.session.commit()
    return redirect(launch_url("reviews.allocations", public_id=activity.public_id), 303)


# --- instructor: calibration examples ---------------------------------------------------------


@bp.get("/<public_id>/examples")
@launch_required("instructor", "admin")
def examples(public_id: str):
    activity, assignment = activity_and_assignment(public_id)
    return _examples_page(activity, assignment)


def _examples_page(activity, assignment, example=None, error="", form=None):
    rows = [(e, reviewing.reference_of(e)) for e in reviewing.examples(assignment)]
    return render_template(
        "reviews/review_examples.html",
        activity=activity,
        assignment=assignment,
        rows=rows,
        editing=example,
        error=error,
        form=form,
        required=reviewing.practice_required(assignment),
    ), (400 if error else 200)


@bp.post("/<public_id>/examples")
@bp.post("/<public_id>/examples/<example_id>")
@launch_required("instructor", "admin")
def save_example(public_id: str, example_id: str | None = None):
    activity, assignment = activity_and_assignment(public_id)
    example = reviewing.find_example(assignment, example_id) if example_id else None
    try:
        saved = reviewing.save_example(
            assignment,
            me(),
            example,
            title=request.form.get("title", ""),
            source=request.form.get("source", ""),
            explanation=request.form.get("explanation", ""),
        )
    except ReviewError as err:
        if err.status not in (400, 413):
            raise
        db.session.rollback()
        return _examples_page(activity, assignment, example, err.message, request.form)
    db.session.commit()
    return redirect(
        launch_url("reviews.examples", public_id=activity.public_id) + f"#e-{saved.public_id}", 303
    )


@bp.get("/<public_id>/examples/<example_id>")
@launch_required("instructor", "admin")
def edit_example(public_id: str, example_id: str):
    activity, assignment = activity_and_assignment(public_id)
    example = reviewing.find_example(assignment, example_id)
    return _examples_page(activity, assignment, example)
