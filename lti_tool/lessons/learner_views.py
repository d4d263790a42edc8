"""The lesson page a learner lands on from the LMS, and the answers its forms post back.

Nothing is rendered per view: the page around the version's stored HTML is rendered once per
version, placement, language, time zone and role (a "shell"), and each view fills its slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from content import score
from content.quiz import Question, Reflection

from ..activities.views import get_activity_for_launch
from ..certificates import service as certificates
from ..error_pages import _wants_json
from ..extensions import db
from ..i18n import select_locale, select_timezone
from ..lti.session import TOKEN_PARAM, csrf_token_for, launch_required, launch_url, request_token
from ..models import Activity, LaunchSession, LessonVersion, ResourceLink
from ..models.lessons import LessonProgress
from ..security import csp_nonce
from . import LessonError, learning
from .page_shell import BoundedCache, SlotPage, Slots
from .workflow import version_questions, version_reflections

bp = Blueprint("lesson_learn", __name__, url_prefix="/learn")

# Shells kept per worker process. One is ~20 KB; a key is one placed version as seen in one
# language, time zone and role, so a few hundred cover every lesson a course is taking at once.
SHELL_CACHE_SIZE = 256


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


def _question_feedback(question: Question, attempts: list, allowed: int) -> str:
    """This learner's latest attempt at one check: points, the feedback of what they picked, and
    the explanation once they got it right or have no attempts left (never the answer itself)."""
    last = attempts[-1]
    result = score(question, learning.scoring_input(question, last.answer))
    left = allowed - len(attempts)
    verdict = _("Correct.") if last.correct else _("Not quite.")
    detail = _(
        "Attempt %(n)d of %(total)d: %(points)s of %(possible)d points.",
        n=last.attempt,
        total=allowed,
        points=f"{last.points:g}",
        possible=last.possible,
    )
    parts = [
        Markup('<p class="kc-result kc-result-{}"><strong>{}</strong> {}</p>').format(
            "right" if last.correct else "wrong", verdict, detail
        )
    ]
    parts.extend(f'<div class="kc-option-feedback">{html}</div>' for html in result.feedback_html)
    if (last.correct or left <= 0) and result.explanation_html:
        parts.append(f'<div class="kc-explanation">{result.explanation_html}</div>')
    if left <= 0:
        parts.append(Markup('<p class="kc-no-attempts">{}</p>').format(_("No attempts left.")))
    else:
        parts.append(
            Markup('<p class="kc-attempts-left">{}</p>').format(
                ngettext("%(num)d attempt left.", "%(num)d attempts left.", left)
            )
        )
    return "".join(parts)


def lesson_with_slots(version: LessonVersion, slot: Slots) -> Markup:
    """The stored HTML with a slot in each check's feedback area (``kc:<id>``), and in each
    reflection: the text (``text:<id>``), a "share with my instructor" box (``shared:<id>``,
    " checked" or nothing) and the saved note (``note:<id>``)."""
    html = version.html
    for question in version_questions(version):
        empty, filled = _feedback_div("kc", question.id, slot(f"kc:{question.id}"))
        html = html.replace(empty, filled, 1)
    for reflection in version_reflections(version):
        rid = escape(reflection.id)
        pattern = re.compile(
            r'(<textarea id="reflect-' + re.escape(str(rid)) + r'-text"[^>]*>)</textarea>'
        )
        share = (
            f'<div class="pp-share"><input type="checkbox" id="reflect-{rid}-share" name="share" value="yes"'
            f"{slot(f'shared:{reflection.id}')}>"
            f'<label for="reflect-{rid}-share">{escape(_("Share with my instructor"))}</label></div>'
        )
        text = slot(f"text:{reflection.id}")
        html = pattern.sub(
            lambda m, t=text, s=share: f"{m.group(1)}{t}</textarea>{s}", html, count=1
        )
        empty, filled = _feedback_div("reflect", reflection.id, slot(f"note:{reflection.id}"))
        html = html.replace(empty, filled, 1)
    return Markup(html)  # noqa: S704 - stored HTML was sanitised at publication; slots are filled escaped


@dataclass(frozen=True)
class Shell:
    """The lesson page of one version as one kind of viewer sees it, with slots for the learner,
    and the sentences the slots are filled with, already translated (the language is in the key)."""

    page: SlotPage
    questions: tuple[Question, ...]
    reflections: tuple[Reflection, ...]
    sections: int
    progress_text: str
    passed_text: str
    not_passed_text: str


def _sentences() -> dict[str, str]:
    """The progress sentences in the viewer's language, with their %-placeholders still open."""
    return {
        "progress_text": _(
            "%(read)d of %(sections)d sections read, %(answered)d of %(checks)d knowledge checks answered."
        ),
        "passed_text": _(
            "Completed and passed: %(points)s of %(possible)d points (%(percent)s%%)."
        ),
        "not_passed_text": _(
            "Completed, not passed yet: %(points)s of %(possible)d points (%(percent)s%%). "
            "Try the checks you missed again."
        ),
    }


_shells: BoundedCache[tuple, Shell] = BoundedCache(SHELL_CACHE_SIZE)


def _shell_key(
    state: learning.PageState, launch: LaunchSession, public_id: str, has_certificate: bool
) -> tuple:
    """Everything the shell depends on. The version's public id names immutable content (a new
    version, even a fix, is a new id); nothing personal is in the shell, only slots for it."""
    return (
        state.version_public_id,
        public_id,
        learning.attempts_allowed(state.settings),
        launch.is_instructor,
        bool(launch.context.title),
        select_locale(),
        select_timezone(),
        state.completed_at is not None,
        has_certificate,
        request.script_root,
    )


def _render_shell(
    state: learning.PageState, launch: LaunchSession, public_id: str, has_certificate: bool
) -> Shell:
    version = db.session.get(LessonVersion, state.version_id)
    slot = Slots()
    token = slot("lt")
    # What base.html's header reads of the launch, with the person's names as slots (anything
    # else it starts to read fails loudly here instead of being cached for everyone).
    viewer = SimpleNamespace(
        is_instructor=launch.is_instructor,
        context=SimpleNamespace(title=slot("course") if launch.context.title else ""),
        user=SimpleNamespace(display_name=slot("user")),
    )
    questions = version_questions(version)
    reflections = version_reflections(version)
    sections = [e for e in version.toc if e.get("level") == 2]
    html = render_template(
        "lessons/learn.html",
        slot=slot,
        csp_nonce=lambda: slot("nonce"),
        launch=viewer,
        launch_url=lambda endpoint, **values: url_for(endpoint, **values, **{TOKEN_PARAM: token}),
        launch_token=token,
        csrf_token=slot("csrf"),
        activity_public_id=public_id,
        version=version,
        lesson_html=lesson_with_slots(version, slot),
        sections=sections,
        questions=questions,
        reflection_ids=[r.id for r in reflections],
        allowed=learning.attempts_allowed(state.settings),
        completed=state.completed_at is not None,
        certificate=has_certificate,
        form_token=token,
        form_csrf=slot("csrf"),
        action=url_for("lesson_learn.act", public_id=public_id, **{TOKEN_PARAM: token}),
    )
    return Shell(slot.page(html), questions, reflections, len(sections), **_sentences())


def _personal(
    state: learning.PageState, shell: Shell, launch: LaunchSession, certificate
) -> dict[str, str]:
    """This learner's values for the shell's slots, escaped."""
    values = {
        "lt": request_token(),
        "csrf": csrf_token_for(launch.id),
        "nonce": csp_nonce(),
        "course": escape(launch.context.title or ""),
        "user": escape(launch.user.display_name),
    }
    read = set(state.sections_read)
    values.update((f"read:{section}", "checked") for section in read)
    attempts = learning.attempts_of(state.progress_id) if state.has_answers else {}
    allowed = learning.attempts_allowed(state.settings)
    answered = 0
    for question in shell.questions:
        if question.id in attempts:
            answered += 1
            values[f"kc:{question.id}"] = _question_feedback(
                question, attempts[question.id], allowed
            )
    saved = learning.reflections_of(state.progress_id) if state.has_reflections else {}
    for reflection in shell.reflections:
        row = saved.get(reflection.id)
        if row is not None:
            note = (
                _("Saved. Your instructor can read it.")
                if row.shared
                else _("Saved. Only you can read it.")
            )
            values[f"text:{reflection.id}"] = escape(row.text)
            values[f"shared:{reflection.id}"] = " checked" if row.shared else ""
            values[f"note:{reflection.id}"] = f"<p>{escape(note)}</p>"
    total = shell.sections + len(shell.questions)
    values["done"] = str(len(read) + answered if total else (1 if state.completed_at else 0))
    values["progress"] = escape(
        shell.progress_text
        % {
            "read": len(read),
            "sections": shell.sections,
            "answered": answered,
            "checks": len(shell.questions),
        }
    )
    if state.completed_at is not None and shell.questions:
        result = {
            "points": f"{state.points:g}",
            "possible": state.possible,
            "percent": f"{state.percent:g}",
        }
        values["result"] = escape(
            (shell.passed_text if state.passed else shell.not_passed_text) % result
        )
    if certificate is not None:
        values["certificate"] = certificate.public_id
    return values


def _certificate(state: learning.PageState):
    """The learner's valid certificate for this run's version (completed runs of versions that offer one)."""
    if state.completed_at is None or not state.version_certificate:
        return None
    cert = certificates.current_for(state.user_id, state.version_id)
    return cert if cert is not None and cert.is_valid else None


def _page_state(public_id: str) -> learning.PageState:
    """The page's state after the same checks as every activity page; starts the run (and
    commits) only when there is none to continue, so a returning learner's view writes nothing."""
    launch = g.launch
    state = learning.page_state(public_id, launch.user_id)
    if state is None or state.context_id != launch.context_id or state.kind != learning.KIND:
        # The usual refusal: 404 unknown, 403 another course's, 404 not a lesson.
        _activity(public_id)
        abort(404)  # only if the activity changed between the two reads
    if not state.lesson_published:
        raise learning.lesson_gone()
    if state.needs_start:
        learning.current_progress(db.session.get(Activity, state.activity_id), launch.user)
        db.session.commit()  # the start is recorded
        state = learning.page_state(public_id, launch.user_id)
        if state is None or state.progress_id is None:
            abort(404)  # removed in between
    return state


@bp.get("/<public_id>")
@launch_required()
def page(public_id: str):
    state = _page_state(public_id)
    launch = g.launch
    certificate = _certificate(state)
    key = _shell_key(state, launch, public_id, certificate is not None)
    shell = _shells.get(key)
    if shell is None:
        shell = _render_shell(state, launch, public_id, certificate is not None)
        _shells.put(key, shell)
    return shell.page.fill(_personal(state, shell, launch, certificate))


# --- what the page posts -------------------------------------------------------------------


def _back(activity: Activity, anchor: str):
    return redirect(
        launch_url("lesson_learn.page", public_id=activity.public_id, _anchor=anchor), 303
    )


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
        outcome = learning.record_answer(
            activity, progress, qid, form.getlist(f"q-{qid}"), _link(activity)
        )
        db.session.commit()
        if _wants_json():
            return jsonify(
                {
                    "attempt": outcome.answer.attempt,
                    "attempts_left": outcome.attempts_left,
                    "points": outcome.score.points,
                    "possible": outcome.score.possible,
                    "correct": outcome.score.correct,
                    "feedback_html": list(outcome.score.feedback_html),
                    **_state(progress),
                }
            )
        return _back(activity, f"kc-{qid}")
    if form.get("reflection"):
        rid = form["reflection"]
        row = learning.save_reflection(
            progress, rid, form.get(f"r-{rid}", ""), form.get("share") == "yes"
        )
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
