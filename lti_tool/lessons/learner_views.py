"""The lesson page a learner lands on from the LMS, and the answers its forms post back.

The version's stored HTML is served as is, plus a few string splices for this learner's results.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from content import score

from ..activities.views import get_activity_for_launch
from ..error_pages import _wants_json
from ..extensions import db
from ..lti.session import csrf_token_for, issue_token, launch_required, launch_url
from ..models import Activity, LessonVersion, ResourceLink
from ..models.lessons import LessonAnswer, LessonProgress, LessonReflectionAnswer
from . import LessonError, learning
from .workflow import version_questions, version_reflections

bp = Blueprint("lesson_learn", __name__, url_prefix="/learn")


@bp.errorhandler(LessonError)
def _refused(err: LessonError):
    db.session.rollback()  # a refusal changes nothing
    if _wants_json():
        return jsonify({"error": err.message}), err.status
    return render_template("lessons/refused.html", message=err.message, problems=[]), err.status


def _activity(public_id: str) -> Activity:
    activity = get_activity_for_launch(public_id)  # 404 unknown, 403 another course's
    if activity.kind != learning.KIND:
        abort(404, description=_("This activity is not a lesson."))
    return activity


def _link(activity: Activity) -> ResourceLink | None:
    """The LMS link this launch came through, when it shows this activity (its line item)."""
    if g.launch.resource_link_id is None:
        return None
    link = db.session.get(ResourceLink, g.launch.resource_link_id)
    return link if link is not None and link.activity_id == activity.id else None


# --- the page -----------------------------------------------------------------------------


def _feedback_div(prefix: str, item_id: str, inner: str) -> tuple[str, str]:
    empty = f'<div class="kc-feedback" id="{prefix}-{item_id}-feedback" role="status" aria-live="polite"></div>'
    return empty, empty.replace("></div>", f">{inner}</div>", 1)


def _question_feedback(question, attempts: list[LessonAnswer], allowed: int) -> str:
    """This learner's latest attempt at one check: points, the feedback of what they picked, and
    the explanation once they got it right or have no attempts left (never the answer itself)."""
    last = attempts[-1]
    result = score(question, learning.scoring_input(question, last.answer))
    left = allowed - len(attempts)
    verdict = _("Correct.") if last.correct else _("Not quite.")
    detail = _("Attempt %(n)d of %(total)d: %(points)s of %(possible)d points.",
               n=last.attempt, total=allowed, points=f"{last.points:g}", possible=last.possible)
    parts = [Markup('<p class="kc-result kc-result-{}"><strong>{}</strong> {}</p>').format(
        "right" if last.correct else "wrong", verdict, detail)]
    parts.extend(f'<div class="kc-option-feedback">{html}</div>' for html in result.feedback_html)
    if (last.correct or left <= 0) and result.explanation_html:
        parts.append(f'<div class="kc-explanation">{result.explanation_html}</div>')
    if left <= 0:
        parts.append(Markup('<p class="kc-no-attempts">{}</p>').format(_("No attempts left.")))
    else:
        parts.append(Markup('<p class="kc-attempts-left">{}</p>').format(
            ngettext("%(num)d attempt left.", "%(num)d attempts left.", left)))
    return "".join(parts)


def personal_html(
    version: LessonVersion,
    answers: dict[str, list[LessonAnswer]],
    reflections: dict[str, LessonReflectionAnswer],
    allowed: int,
) -> Markup:
    """The stored HTML with this learner's results spliced into the empty feedback areas, their
    reflections into the text boxes, and a "share with my instructor" box in each reflection."""
    html = version.html
    for question in version_questions(version):
        attempts = answers.get(question.id)
        if attempts:
            empty, filled = _feedback_div("kc", question.id, _question_feedback(question, attempts, allowed))
            html = html.replace(empty, filled, 1)
    for reflection in version_reflections(version):
        saved = reflections.get(reflection.id)
        rid = escape(reflection.id)
        pattern = re.compile(r'(<textarea id="reflect-' + re.escape(str(rid)) + r'-text"[^>]*>)</textarea>')
        share = (
            f'<div class="pp-share"><input type="checkbox" id="reflect-{rid}-share" name="share" value="yes"'
            f'{" checked" if saved and saved.shared else ""}>'
            f'<label for="reflect-{rid}-share">{escape(_("Share with my instructor"))}</label></div>'
        )
        text = escape(saved.text) if saved else ""
        html = pattern.sub(lambda m, t=text, s=share: f"{m.group(1)}{t}</textarea>{s}", html, count=1)
        if saved:
            note = _("Saved. Your instructor can read it.") if saved.shared else _("Saved. Only you can read it.")
            empty, filled = _feedback_div("reflect", reflection.id, f"<p>{escape(note)}</p>")
            html = html.replace(empty, filled, 1)
    return Markup(html)  # noqa: S704 - stored HTML was sanitised at publication; splices are escaped


@bp.get("/<public_id>")
@launch_required()
def page(public_id: str):
    activity = _activity(public_id)
    progress = learning.current_progress(activity, g.launch.user)
    db.session.commit()  # the start is recorded
    version = progress.version
    allowed = learning.max_attempts(activity)
    answers = learning.answers_of(progress)
    reflections = learning.reflections_of(progress)
    sections = [e for e in version.toc if e.get("level") == 2]
    questions = version_questions(version)
    token = issue_token(g.launch.id)
    response = render_template(
        "lessons/learn.html",
        activity=activity,
        progress=progress,
        version=version,
        lesson_html=personal_html(version, answers, reflections, allowed),
        sections=sections,
        read=set(progress.sections_read),
        questions=questions,
        answered=sum(1 for q in questions if q.id in answers),
        reflection_ids=[r.id for r in version_reflections(version)],
        allowed=allowed,
        form_token=token,
        form_csrf=csrf_token_for(g.launch.id),
        action=launch_url("lesson_learn.act", public_id=activity.public_id),
    )
    return response


# --- what the page posts -------------------------------------------------------------------


def _back(activity: Activity, anchor: str):
    return redirect(launch_url("lesson_learn.page", public_id=activity.public_id, _anchor=anchor), 303)


def _state(progress: LessonProgress) -> dict:
    return {
        "completed": progress.completed_at is not None,
        "passed": progress.passed,
        "points": progress.points,
        "possible": progress.possible,
        "percent": progress.percent,
        "version": progress.version.number,
    }


@bp.post("/<public_id>")
@launch_required()
def act(public_id: str):
    """One form of the page: a knowledge check, a reflection, or the sections read."""
    activity = _activity(public_id)
    progress = learning.current_progress(activity, g.launch.user)
    learning.require_version(progress, request.form.get("v"))
    form = request.form
    if form.get("question"):
        qid = form["question"]
        outcome = learning.record_answer(activity, progress, qid, form.getlist(f"q-{qid}"), _link(activity))
        db.session.commit()
        if _wants_json():
            return jsonify({
                "attempt": outcome.answer.attempt,
                "attempts_left": outcome.attempts_left,
                "points": outcome.score.points,
                "possible": outcome.score.possible,
                "correct": outcome.score.correct,
                "feedback_html": list(outcome.score.feedback_html),
                **_state(progress),
            })
        return _back(activity, f"kc-{qid}")
    if form.get("reflection"):
        rid = form["reflection"]
        row = learning.save_reflection(progress, rid, form.get(f"r-{rid}", ""), form.get("share") == "yes")
        db.session.commit()
        if _wants_json():
            return jsonify({"saved": True, "shared": row.shared})
        return _back(activity, f"reflect-{rid}")
    if form.get("action") == "read":
        learning.mark_read(activity, progress, form.getlist("read"), _link(activity))
        db.session.commit()
        if _wants_json():
            return jsonify(_state(progress))
        return _back(activity, "progress")
    raise LessonError(_("This form could not be understood. Reload the page and try again."))
