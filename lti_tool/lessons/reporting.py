"""What instructors see of a placed lesson: who started, completed, scores, attempts, shared reflections.

Pure queries and aggregation (one query per table, grouped in Python); no request code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..csv_export import csv_bytes, safe_cell  # noqa: F401 - safe_cell: kept importable from here
from ..extensions import db
from ..models import Activity, LessonVersion, User
from ..models.lessons import LessonAnswer, LessonProgress, LessonReflectionAnswer
from ..models.people import Membership
from .workflow import version_questions, version_reflections


@dataclass(frozen=True)
class Column:
    """A knowledge check or reflection prompt shown as a column (by id, with its prompt)."""

    id: str
    prompt: str
    points: int = 0


@dataclass
class PersonRow:
    """One person's current run of the lesson (their newest progress row), aggregated."""

    user: User
    progress: LessonProgress
    version_number: int
    earlier_runs: int
    staff: bool
    last_activity: datetime
    attempts: dict[str, int] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    # reflection id -> text when shared; absent when not shared, or not written.
    shared: dict[str, str] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)

    @property
    def completed(self) -> bool:
        return self.progress.completed_at is not None


@dataclass
class Report:
    """Everyone who started a placed lesson, with the check and reflection columns to show."""

    rows: list[PersonRow]
    questions: list[Column]
    reflections: list[Column]

    @property
    def learners(self) -> list[PersonRow]:
        """The rows of learners (instructors trying the lesson out are not counted)."""
        return [r for r in self.rows if not r.staff]

    @property
    def started(self) -> int:
        return len(self.learners)

    @property
    def completed(self) -> int:
        return sum(1 for r in self.learners if r.completed)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.learners if r.completed and r.progress.passed)


def _columns(versions: Iterable[LessonVersion]) -> tuple[list[Column], list[Column]]:
    """Checks and reflections of the versions in use, newest version's order first, no repeats."""
    questions: dict[str, Column] = {}
    reflections: dict[str, Column] = {}
    for version in sorted(versions, key=lambda v: -v.number):
        for q in version_questions(version):
            questions.setdefault(q.id, Column(q.id, q.prompt, q.points))
        for r in version_reflections(version):
            reflections.setdefault(r.id, Column(r.id, r.prompt))
    return list(questions.values()), list(reflections.values())


def lesson_report(activity: Activity) -> Report:
    """Everyone who started ``activity`` (a placed lesson), on their newest run, by name.

    Five queries whatever the class size: progress, users, versions, answers, reflections
    (plus one for memberships, to tell staff previews apart)."""
    runs = list(db.session.scalars(
        select(LessonProgress).where(LessonProgress.activity_id == activity.id).order_by(LessonProgress.id)
    ))
    newest: dict[int, LessonProgress] = {}
    counts: dict[int, int] = {}
    for run in runs:
        newest[run.user_id] = run
        counts[run.user_id] = counts.get(run.user_id, 0) + 1
    if not newest:
        return Report([], [], [])
    user_ids = set(newest)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(LessonVersion).where(LessonVersion.id.in_({p.version_id for p in newest.values()}))
        )
    }
    staff = {
        m.user_id
        for m in db.session.scalars(
            select(Membership).where(Membership.context_id == activity.context_id, Membership.user_id.in_(user_ids))
        )
        if {"instructor", "admin"} & set(m.roles.split())
    }
    by_progress = {p.id: p for p in newest.values()}
    rows: dict[int, PersonRow] = {}
    for user_id, run in newest.items():
        rows[run.id] = PersonRow(
            user=users[user_id], progress=run, version_number=versions[run.version_id].number,
            earlier_runs=counts[user_id] - 1, staff=user_id in staff,
            last_activity=max(run.started_at, run.updated_at, run.completed_at or run.started_at),
        )
    for answer in db.session.scalars(select(LessonAnswer).where(LessonAnswer.progress_id.in_(by_progress))):
        row = rows[answer.progress_id]
        row.attempts[answer.question_id] = row.attempts.get(answer.question_id, 0) + 1
        row.best[answer.question_id] = max(row.best.get(answer.question_id, 0.0), answer.points)
        row.last_activity = max(row.last_activity, answer.created_at)
    for reflection in db.session.scalars(
        select(LessonReflectionAnswer).where(LessonReflectionAnswer.progress_id.in_(by_progress))
    ):
        row = rows[reflection.progress_id]
        if reflection.text:
            row.written.add(reflection.reflection_id)
            if reflection.shared:
                row.shared[reflection.reflection_id] = reflection.text
        row.last_activity = max(row.last_activity, reflection.updated_at)
    questions, reflections = _columns(versions.values())
    ordered = sorted(rows.values(), key=lambda r: (r.staff, r.user.display_name.casefold(), r.user.id))
    return Report(ordered, questions, reflections)


# --- CSV ---------------------------------------------------------------------------------


def report_csv(report: Report, labels: dict[str, str], when: Callable[[datetime | None], str]) -> bytes:
    """The report as CSV bytes: UTF-8 with a BOM (Excel then reads names right), formula-safe.

    ``labels`` gives the translated header and value words; ``when`` formats a UTC time."""
    header = [labels[k] for k in ("name", "email", "role", "version", "started", "last_activity",
                                  "completed", "passed", "points", "possible", "percent")]
    header += [f"{labels['attempts']}: {q.id}" for q in report.questions]
    header += [f"{labels['points']}: {q.id}" for q in report.questions]
    header += [f"{labels['reflection']}: {r.id}" for r in report.reflections]
    lines: list[list[object]] = [header]
    for row in report.rows:
        p = row.progress
        cells: list[object] = [
            row.user.display_name, row.user.email, labels["staff"] if row.staff else labels["learner"],
            row.version_number, when(p.started_at), when(row.last_activity),
            when(p.completed_at) if p.completed_at else "",
            (labels["yes"] if p.passed else labels["no"]) if p.completed_at else "",
            f"{p.points:g}", p.possible, f"{p.percent:g}" if p.completed_at else "",
        ]
        cells += [row.attempts.get(q.id, 0) for q in report.questions]
        cells += [f"{row.best[q.id]:g}" if q.id in row.best else "" for q in report.questions]
        cells += [
            row.shared.get(r.id, labels["not_shared"] if r.id in row.written else "") for r in report.reflections
        ]
        lines.append(cells)
    return csv_bytes(lines)
