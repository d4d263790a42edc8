"""The dev LMS gradebook as people read it: one row per learner, one column per line item.

Values are on each line item's own scale, the way Moodle shows a rescaled AGS score.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from . import ags
from .api_models import CurrentResult
from .models import Course, LineItem, Person, db


@dataclass(frozen=True)
class Cell:
    """One learner's current result in one column (None: nothing received yet)."""

    score: float | None
    maximum: float
    activity_progress: str
    grading_progress: str


@dataclass(frozen=True)
class Row:
    person_id: str
    person: Person | None
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class Gradebook:
    columns: tuple[LineItem, ...]
    rows: tuple[Row, ...]


def gradebook(course: Course, learners: list[Person]) -> Gradebook:
    """The course's line items and every learner's current result; people who are not
    (or no longer) enrolled as learners but hold a result get a row too, after them."""
    columns = tuple(
        db.session.scalars(
            select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.id)
        )
    )
    results: dict[tuple[int, str], CurrentResult] = {}
    if columns:
        for r in db.session.scalars(
            select(CurrentResult).where(CurrentResult.line_item_id.in_([c.id for c in columns]))
        ):
            results[(r.line_item_id, r.user_id)] = r
    people = {p.id: p for p in learners}
    others = sorted({user for _item, user in results} - set(people))
    rows = []
    for person_id in [p.id for p in learners] + others:
        cells = []
        for item in columns:
            r = results.get((item.id, person_id))
            cells.append(
                None
                if r is None
                else Cell(
                    score=ags.scaled_result(r.score_given, r.score_maximum, item.score_maximum),
                    maximum=item.score_maximum,
                    activity_progress=r.activity_progress,
                    grading_progress=r.grading_progress,
                )
            )
        person = people.get(person_id) or db.session.get(Person, person_id)
        rows.append(Row(person_id, person, tuple(cells)))
    return Gradebook(columns, tuple(rows))
