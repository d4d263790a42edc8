"""A learner taking a placed lesson: start or continue on a version, answers, reflections, completion.

State changes here; the caller commits. Scores go to the grade outbox in the same transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Row, bindparam, func, literal, select
from sqlalchemy.exc import IntegrityError

from content import score
from content.quiz import Question, Score

from ..certificates import service as certificates
from ..extensions import db
from ..models import Activity, Lesson, LessonVersion, ResourceLink, User
from ..models.base import utcnow
from ..models.lessons import LessonAnswer, LessonProgress, LessonReflectionAnswer
from ..services import outbox
from . import LessonError
from .workflow import completion_floor, latest_version, version_questions, version_reflections

KIND = "lesson"
DEFAULT_MAX_ATTEMPTS = 3
MAX_ATTEMPTS_LIMIT = 10
MAX_REFLECTION = 5000
MAX_SHORT_ANSWER = 500


@dataclass(frozen=True)
class AnswerOutcome:
    """What one attempt earned, and where the learner now stands."""

    answer: LessonAnswer
    score: Score
    attempts_left: int
    progress: LessonProgress


# --- which lesson, which version ---------------------------------------------------------


def lesson_gone() -> LessonError:
    return LessonError(_("The lesson placed here is no longer available."), 404)


def lesson_of(activity: Activity) -> Lesson:
    """The lesson an activity of kind "lesson" places; 404-style refusal when it is gone."""
    lesson = db.session.scalars(
        select(Lesson).where(Lesson.public_id == activity.settings.get("lesson", ""))
    ).first()
    if lesson is None or not lesson.is_published:
        raise lesson_gone()
    return lesson


def max_attempts(activity: Activity) -> int:
    """Attempts allowed per knowledge check (the placement's setting, default 3)."""
    return attempts_allowed(activity.settings)


def attempts_allowed(settings: dict) -> int:
    try:
        value = int(settings.get("max_attempts", DEFAULT_MAX_ATTEMPTS))
    except (TypeError, ValueError):
        value = DEFAULT_MAX_ATTEMPTS
    return min(max(value, 1), MAX_ATTEMPTS_LIMIT)


def _newest_progress(activity: Activity, user: User) -> LessonProgress | None:
    return db.session.scalars(
        select(LessonProgress)
        .where(LessonProgress.activity_id == activity.id, LessonProgress.user_id == user.id)
        .order_by(LessonProgress.id.desc())
        .limit(1)
    ).first()


def current_progress(activity: Activity, user: User, start: bool = True) -> LessonProgress | None:
    """The learner's run: the newest one while its version is at or above the completion floor
    (a learner who started version 1 finishes version 1), else a new start on the latest
    version (a substantive new version makes older runs, completed or not, out of date)."""
    lesson = lesson_of(activity)
    newest = _newest_progress(activity, user)
    if newest is not None and newest.version.number >= completion_floor(lesson):
        return newest
    if not start:
        return None
    version = latest_version(lesson)
    if version is None:
        raise lesson_gone()
    progress = LessonProgress(
        activity_id=activity.id,
        user_id=user.id,
        version_id=version.id,
        possible=version.points_total,
        sections_read=[],
    )
    try:
        with db.session.begin_nested():
            db.session.add(progress)
    except IntegrityError:  # the same learner started it in another tab a moment ago
        return _newest_progress(activity, user)
    return progress


# --- the page: everything one view needs, read in one statement -----------------------------


@dataclass(frozen=True)
class PageState:
    """A placed activity and one learner's newest run on it, as the lesson page needs them.

    Plain values read in one statement (no ORM objects): a returning learner's page is
    served from this, the cached page shell and at most two more reads, and writes nothing."""

    activity_id: int
    context_id: int
    kind: str
    settings: dict
    lesson_published: bool
    floor: int  # completions of this version number or newer count
    progress_id: int | None
    user_id: int
    version_id: int | None
    version_public_id: str | None
    version_number: int | None
    version_certificate: bool | None  # the version offers a certificate
    sections_read: list
    completed_at: datetime | None
    passed: bool
    points: float
    possible: int
    percent: float
    has_answers: bool
    has_reflections: bool

    @property
    def needs_start(self) -> bool:
        """No run yet, or the newest run is on a version a substantive one has replaced."""
        return self.progress_id is None or (self.version_number or 0) < self.floor


def _page_state_statement():
    activity, lesson = Activity.__table__, Lesson.__table__
    progress, version = LessonProgress.__table__, LessonVersion.__table__
    runs, versions = progress.alias("runs"), version.alias("versions")
    answers, reflections = LessonAnswer.__table__, LessonReflectionAnswer.__table__
    newest = (
        select(func.max(runs.c.id))
        .where(runs.c.activity_id == activity.c.id, runs.c.user_id == bindparam("user_id"))
        .scalar_subquery()
    )
    floor = select(func.max(versions.c.number)).where(
        versions.c.lesson_id == lesson.c.id, versions.c.substantive
    )
    return (
        select(
            activity.c.id.label("activity_id"),
            activity.c.context_id,
            activity.c.kind,
            activity.c.settings,
            (func.coalesce(lesson.c.latest_version, 0) > 0).label("lesson_published"),
            func.coalesce(floor.scalar_subquery(), 0).label("floor"),
            progress.c.id.label("progress_id"),
            progress.c.version_id,
            version.c.public_id.label("version_public_id"),
            version.c.number.label("version_number"),
            version.c.certificate.label("version_certificate"),
            progress.c.sections_read,
            progress.c.completed_at,
            progress.c.passed,
            progress.c.points,
            progress.c.possible,
            progress.c.percent,
            select(literal(1))
            .where(answers.c.progress_id == progress.c.id)
            .exists()
            .label("has_answers"),
            select(literal(1))
            .where(reflections.c.progress_id == progress.c.id)
            .exists()
            .label("has_reflections"),
        )
        .select_from(
            activity.outerjoin(
                lesson, lesson.c.public_id == activity.c.settings["lesson"].as_string()
            )
            .outerjoin(progress, progress.c.id == newest)
            .outerjoin(version, version.c.id == progress.c.version_id)
        )
        .where(activity.c.public_id == bindparam("public_id"))
    )


_PAGE_STATE = _page_state_statement()


def page_state(public_id: str, user_id: int) -> PageState | None:
    """The activity ``public_id`` and ``user_id``'s newest run on it; None when no such activity.

    The caller checks course, kind and publication, then ``needs_start``."""
    row = (
        db.session.connection()
        .execute(_PAGE_STATE, {"public_id": public_id, "user_id": user_id})
        .first()
    )
    if row is None:
        return None
    state = PageState(**row._mapping, user_id=user_id)
    return state if state.progress_id is not None else _without_run(state)


def _without_run(state: PageState) -> PageState:
    # Outer-joined columns of a missing run come back NULL; give them the defaults of a new run.
    return dataclasses.replace(
        state,
        sections_read=[],
        passed=False,
        points=0.0,
        possible=0,
        percent=0.0,
        has_answers=False,
        has_reflections=False,
    )


def require_version(progress: LessonProgress, version_public_id: str | None) -> None:
    """Refuse an answer sent from a page of another version than the learner's run."""
    if version_public_id and version_public_id != progress.version.public_id:
        raise LessonError(
            _("This lesson was updated since you opened the page. Reload it and answer again."), 409
        )


# --- answers -------------------------------------------------------------------------------


def answers_of(progress: LessonProgress) -> dict[str, list[LessonAnswer]]:
    """Every attempt of this run, per question id, oldest first."""
    rows = db.session.scalars(
        select(LessonAnswer)
        .where(LessonAnswer.progress_id == progress.id)
        .order_by(LessonAnswer.attempt)
    )
    return _by_question(rows)


_ATTEMPTS = (
    select(
        *(
            LessonAnswer.__table__.c[name]
            for name in ("question_id", "attempt", "answer", "points", "possible", "correct")
        )
    )
    .where(LessonAnswer.__table__.c.progress_id == bindparam("progress_id"))
    .order_by(LessonAnswer.__table__.c.attempt)
)


def attempts_of(progress_id: int) -> dict[str, list[Row]]:
    """Like ``answers_of``, as read-only rows (the page only shows them)."""
    return _by_question(db.session.connection().execute(_ATTEMPTS, {"progress_id": progress_id}))


def _by_question(rows) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row.question_id, []).append(row)
    return grouped


def scoring_input(question: Question, stored: list) -> str | list[str]:
    """A stored answer (always a list) back into what ``content.score`` expects."""
    return list(stored) if question.kind == "multiple" else (stored[0] if stored else "")


def _clean(question: Question, values: list[str]) -> list[str]:
    values = [v.strip() for v in values if v is not None and v.strip()]
    if question.kind == "short":
        if values and len(values[0]) > MAX_SHORT_ANSWER:
            raise LessonError(_("An answer can have at most %(n)d characters.", n=MAX_SHORT_ANSWER))
        return values[:1]
    known = {o.id for o in question.options}
    if any(v not in known for v in values):
        raise LessonError(_("Choose one of the options shown."))
    values = list(dict.fromkeys(values))
    return values if question.kind == "multiple" else values[:1]


def record_answer(
    activity: Activity,
    progress: LessonProgress,
    question_id: str,
    values: list[str],
    link: ResourceLink | None,
) -> AnswerOutcome:
    """Score one attempt on the server and store it, unless the attempts ran out (409, nothing
    stored). Completion and the grade are brought up to date in the same transaction."""
    question = next((q for q in version_questions(progress.version) if q.id == question_id), None)
    if question is None:
        raise LessonError(_("This knowledge check is not part of the lesson."), 404)
    cleaned = _clean(question, values)
    if not cleaned:
        raise LessonError(_("Choose or write an answer before checking it."))
    allowed = max_attempts(activity)
    used = (
        db.session.scalar(
            select(func.count())
            .select_from(LessonAnswer)
            .where(LessonAnswer.progress_id == progress.id, LessonAnswer.question_id == question.id)
        )
        or 0
    )
    if used >= allowed:
        raise LessonError(_attempts_used(allowed), 409)
    result = score(question, scoring_input(question, cleaned))
    row = LessonAnswer(
        progress_id=progress.id,
        question_id=question.id,
        attempt=used + 1,
        answer=cleaned,
        points=result.points,
        possible=result.possible,
        correct=result.correct,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as err:  # the same attempt sent twice at once
        raise LessonError(_("This answer was already sent. Reload the page."), 409) from err
    update_completion(activity, progress, link)
    return AnswerOutcome(row, result, allowed - used - 1, progress)


def _attempts_used(allowed: int) -> str:
    return ngettext(
        "You have used your %(num)d attempt at this knowledge check; your answer was not recorded.",
        "You have used all %(num)d attempts at this knowledge check; your answer was not recorded.",
        allowed,
    )


# --- completion and the grade -------------------------------------------------------------


def update_completion(
    activity: Activity, progress: LessonProgress, link: ResourceLink | None
) -> None:
    """Recompute the run's score (best attempt per check); complete it once every check is
    answered (or, without checks, every section is read); enqueue the grade when it changed."""
    version = progress.version
    questions = version_questions(version)
    before = (progress.completed_at is not None, progress.passed, progress.points)
    if questions:
        grouped = answers_of(progress)
        if not all(q.id in grouped for q in questions):
            return
        points = round(sum(max(a.points for a in grouped[q.id]) for q in questions), 2)
        possible = sum(q.points for q in questions)
        percent = round(100.0 * points / possible, 1) if possible else 100.0
        passed = percent >= version.pass_mark
    else:
        sections = {e["id"] for e in version.toc if e.get("level") == 2}
        if not sections <= set(progress.sections_read):
            return
        points, possible, percent, passed = 0.0, 0, 100.0, True
    progress.points, progress.possible, progress.percent, progress.passed = (
        points,
        possible,
        percent,
        passed,
    )
    if progress.completed_at is None:
        progress.completed_at = utcnow()
    certificates.issue_if_earned(progress)  # same transaction as the completion
    if before == (True, passed, points):
        return
    if activity.score_maximum:
        given = (
            activity.score_maximum
            if not possible
            else round(activity.score_maximum * points / possible, 2)
        )
        outbox.enqueue_score(
            user=db.session.get(User, progress.user_id),
            score_given=min(given, activity.score_maximum),
            score_maximum=activity.score_maximum,
            resource_link=link,
            activity=activity,
            activity_progress="Completed",
            grading_progress="FullyGraded",
        )


# --- sections and reflections -------------------------------------------------------------


def mark_read(
    activity: Activity, progress: LessonProgress, section_ids: list[str], link: ResourceLink | None
) -> None:
    """Replace the set of sections the learner marked as read (unknown ids are ignored)."""
    known = [e["id"] for e in progress.version.toc if e.get("level") == 2]
    chosen = set(section_ids)
    progress.sections_read = [s for s in known if s in chosen]
    update_completion(activity, progress, link)


def save_reflection(
    progress: LessonProgress, reflection_id: str, text: str, shared: bool
) -> LessonReflectionAnswer:
    """Keep what the learner wrote; ``shared`` lets the instructor see it."""
    if reflection_id not in {r.id for r in version_reflections(progress.version)}:
        raise LessonError(_("This reflection is not part of the lesson."), 404)
    text = (text or "").strip()
    if len(text) > MAX_REFLECTION:
        raise LessonError(_("A reflection can have at most %(n)d characters.", n=MAX_REFLECTION))
    row = db.session.scalars(
        select(LessonReflectionAnswer).where(
            LessonReflectionAnswer.progress_id == progress.id,
            LessonReflectionAnswer.reflection_id == reflection_id,
        )
    ).first()
    if row is None:
        row = LessonReflectionAnswer(progress_id=progress.id, reflection_id=reflection_id)
        db.session.add(row)
    row.text, row.shared = text, shared
    return row


_REFLECTIONS = select(
    *(LessonReflectionAnswer.__table__.c[name] for name in ("reflection_id", "text", "shared"))
).where(LessonReflectionAnswer.__table__.c.progress_id == bindparam("progress_id"))


def reflections_of(progress_id: int) -> dict[str, Row]:
    """What the learner wrote in this run, per reflection id (read-only rows for the page)."""
    rows = db.session.connection().execute(_REFLECTIONS, {"progress_id": progress_id})
    return {r.reflection_id: r for r in rows}
