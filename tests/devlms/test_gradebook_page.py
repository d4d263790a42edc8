"""The dev LMS gradebook page: each learner's current AGS result per column, on the column's scale."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lti_tool.devlms import seed
from lti_tool.devlms.api_models import CurrentResult, Score
from lti_tool.devlms.models import DevTool, LineItem, db

COURSE = seed.DEMO_COURSE_ID
OLENA, JOSE, HANAKO = "u-2003", "u-2002", "u-2001"


def _column(label: str, maximum: float) -> int:
    tool = db.session.query(DevTool).one()
    item = LineItem(course_id=COURSE, tool_id=tool.id, label=label, score_maximum=maximum)
    db.session.add(item)
    db.session.flush()
    return item.id


def _result(
    item_id: int, user: str, given: float | None, maximum: float, progress: str, grading: str
) -> None:
    """What the AGS score endpoint stores for an accepted score (history row + current result)."""
    now = datetime.now(UTC)
    tool = db.session.query(DevTool).one()
    score = Score(
        line_item_id=item_id,
        user_id=user,
        tool_id=tool.id,
        timestamp=now,
        activity_progress=progress,
        grading_progress=grading,
        score_given=given,
        score_given_sent=given,
        score_maximum=maximum,
    )
    db.session.add(score)
    db.session.flush()
    db.session.add(
        CurrentResult(
            line_item_id=item_id,
            user_id=user,
            score_id=score.id,
            timestamp=now,
            timestamp_seconds=int(now.timestamp()),
            activity_progress=progress,
            grading_progress=grading,
            score_given=given,
            score_maximum=maximum,
        )
    )


def _cells(page: str, person_id: str) -> list[str]:
    row = re.search(rf'<tr id="grades-{person_id}">(.*?)</tr>', page, re.S)
    assert row, f"no row for {person_id}"
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


def test_gradebook_shows_each_learners_current_score_on_the_columns_scale(devlms_app, course, lms):
    with devlms_app.app_context():
        lesson = _column("Kind code reviews", 5)
        review = _column("Peer review", 20)
        _result(lesson, OLENA, 4, 10, "Completed", "FullyGraded")  # sent out of 10, shown out of 5
        _result(review, OLENA, None, None, "Submitted", "Pending")  # no grade yet, only progress
        _result(lesson, "u-9999", 5, 5, "Completed", "FullyGraded")  # no longer enrolled
        db.session.commit()

    page = lms.get(f"/courses/{COURSE}/gradebook")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    heads = re.findall(r'<th scope="col" id="column-\d+">(.*?)</th>', text, re.S)
    assert [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip() for h in heads] == [
        "Kind code reviews out of 5",
        "Peer review out of 20",
    ]
    assert _cells(text, OLENA) == ["2 / 5 Completed, FullyGraded", "– Submitted, Pending"]
    assert _cells(text, JOSE) == ["– no grade yet", "– no grade yet"]
    assert _cells(text, "u-9999") == ["5 / 5 Completed, FullyGraded", "– no grade yet"]
    # Every enrolled learner has a row, in the course's order, then the others; no instructor.
    rows = re.findall(r'<tr id="grades-([^"]+)">', text)
    assert rows == [p.id for p in seed.LEARNERS] + ["u-9999"]
    assert '<span lang="ja" dir="auto">佐藤 花子</span>' in text
    # The course page links to it.
    assert f'href="/courses/{COURSE}/gradebook"' in lms.get(f"/courses/{COURSE}").get_data(
        as_text=True
    )


def test_gradebook_without_graded_activities_says_so(course, lms):
    page = lms.get(f"/courses/{COURSE}/gradebook").get_data(as_text=True)
    assert "No graded activities yet." in page
    assert "<table" not in page


def test_gradebook_of_an_unknown_course_is_404(course, lms):
    assert lms.get("/courses/no-such-course/gradebook").status_code == 404
