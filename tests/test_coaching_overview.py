"""Completion and the instructor's view: closing a goal with a reflection and the coach's note,
the score by the programme's rule queued with the change and received by the dev LMS (latest
wins on reopening), the overview (last activity, stalled pairs, overdue check-ins), its CSV,
and who is refused (learners, an instructor of another course)."""

from __future__ import annotations

import csv
import io
import re

import requests
from coaching_goals_support import GOOD_GOAL, circle
from reviews_support import said
from sqlalchemy import select
from test_reviews_dashboard import _second_course

from lti_tool.extensions import db
from lti_tool.models import GradeOutbox
from lti_tool.services import oauth, worker


def _queued(lti, sub: str) -> list[float]:
    with lti.app.app_context():
        return [
            r.score_given
            for r in db.session.scalars(
                select(GradeOutbox).where(GradeOutbox.lms_user_id == sub).order_by(GradeOutbox.id)
            )
        ]


def _received(lti, c, sub: str) -> dict:
    """What the dev LMS gradebook holds for ``sub`` in the coaching activity's column."""
    oauth.tokens.clear()
    worker.drain(lti.app, timeout=30)
    body = requests.get(
        f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/gradebook", timeout=10
    ).json()
    (column,) = [li for li in body["line_items"] if li.get("resourceLinkId") == c.placed.link_id]
    return column["results"][sub]


def _close(c, user: str, goal: str, reflection: str = "I led both negotiations alone"):
    return c.member(user).post(f"{c.goal_path(goal)}/close", {"reflection": reflection})


def _note(c, coach: str, goal: str, note: str = "Ready for the big accounts"):
    return c.member(coach).post(f"{c.goal_path(goal)}/note", {"coach_note": note})


def test_a_closed_goal_with_the_coachs_note_scores_100_at_the_lms_and_reopening_takes_it_back(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    page = c.member("u-2002").get(c.goal_path(goal))
    assert "Grade: 100 once a goal is complete" in said(page)

    no_reflection = _close(c, "u-2002", goal, "  ")
    assert no_reflection.status_code == 400
    assert "Write a reflection to close the goal" in said(no_reflection)
    too_early = _note(c, "u-2001", goal)
    assert too_early.status_code == 409 and "The goal is still open" in said(too_early)
    assert c.goal(goal).status == "open" and _queued(lti, "u-2002") == []

    assert _close(c, "u-2001", goal).status_code == 403  # only the owner closes their goal
    closed = _close(c, "u-2002", goal)
    assert closed.status_code == 200 and "The goal is closed." in closed.text
    assert "waiting for the coach" in said(closed)
    assert _queued(lti, "u-2002") == []  # not complete yet: nothing changes
    assert _note(c, "u-2003", goal).status_code == 403  # not their coach
    assert _note(c, "u-2002", goal).status_code == 403  # the owner cannot write the coach's note
    assert _note(c, "u-2001", goal, " ").status_code == 400
    noted = _note(c, "u-2001", goal)
    assert noted.status_code == 200 and 'id="coach-note"' in noted.text
    row = c.goal(goal)
    assert (row.status, row.reflection, row.coach_note) == (
        "closed",
        "I led both negotiations alone",
        "Ready for the big accounts",
    )
    assert row.closed_at is not None
    assert _queued(lti, "u-2002") == [100.0]
    result = _received(lti, c, "u-2002")
    assert (result["scoreGiven"], result["scoreMaximum"]) == (100.0, 100.0)
    assert result["activityProgress"] == "Completed"

    # The coach rewording the note changes no score; reopening takes completion back.
    _note(c, "u-2001", goal, "Ready for any account")
    assert _queued(lti, "u-2002") == [100.0]
    reopened = c.member("u-2002").post(f"{c.goal_path(goal)}/reopen")
    assert reopened.status_code == 200 and "The goal is open again." in reopened.text
    row = c.goal(goal)
    assert (row.status, row.closed_at, row.coach_note) == ("open", None, "")
    assert c.member("u-2002").post(f"{c.goal_path(goal)}/reopen").status_code == 409
    assert _received(lti, c, "u-2002")["scoreGiven"] == 0.0
    # Closed again with a new note: full marks again, the latest at the LMS.
    _close(c, "u-2002", goal, "Second try, with two signed contracts")
    _note(c, "u-2001", goal, "Well earned")
    assert _queued(lti, "u-2002") == [100.0, 0.0, 100.0]
    assert _received(lti, c, "u-2002")["scoreGiven"] == 100.0


def test_under_the_checkins_rule_each_check_in_counts_and_closing_adds_the_rest(lti):
    c = circle(lti)
    c.settings(completion_rule="checkins", min_checkins=2)
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    page = said(c.member("u-2002").get(c.goal_path(goal)))
    assert "each check-in on a goal is worth 33.33 points, for up to 2 check-ins" in page
    for _ in range(3):
        assert c.check_in("u-2002", goal).status_code == 200
    assert _queued(lti, "u-2002") == [33.33, 66.67]  # the third check-in adds nothing
    assert _received(lti, c, "u-2002")["activityProgress"] == "InProgress"
    _close(c, "u-2002", goal)
    _note(c, "u-2001", goal)
    assert _queued(lti, "u-2002") == [33.33, 66.67, 100.0]
    assert _received(lti, c, "u-2002")["scoreGiven"] == 100.0
    # A second, empty goal does not lower it: the best goal counts.
    c.set_goal("u-2002", what="Present the quarterly results to the board")
    assert _queued(lti, "u-2002") == [33.33, 66.67, 100.0]
    assert "Your grade so far: 100" in said(c.member("u-2002").get(c.path))


def test_the_overview_shows_last_activity_stalled_pairs_and_overdue_check_ins(lti):
    c = circle(lti, cadence_days="7")
    stalled = c.pair("u-2001", "u-2002", days_ago=20)  # nothing since: stalled after 14 days
    busy = c.pair("u-2003", "u-2004", days_ago=20)
    c.pair("u-2005", "u-2006")  # paired today
    goal = c.set_goal("u-2004")
    c.check_in("u-2004", goal)
    page = c.teacher.get(f"{c.path}/overview")
    assert page.status_code == 200
    text = said(page)
    assert "3 active pairs; 1 stalled; 0 with an overdue check-in." in text
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<tr data-pairing="([^"]+)".*?</tr>', page.text, re.S)
    }
    assert 'data-stalled="yes"' in rows[stalled] and "Stalled" in rows[stalled]
    assert 'data-stalled="no"' in rows[busy] and "<time" in rows[busy].split("</td>")[2]
    assert "nothing yet" in rows[stalled]
    # The stalled pair's coachee has no goal, so no check-in is due; u-2006's is not due yet;
    # u-2002 sets a goal: due 7 days after the pairing (20 days ago), so 13 days overdue.
    c.set_goal("u-2002")
    page = c.teacher.get(f"{c.path}/overview")
    assert 'data-overdue="13"' in page.text
    assert "3 active pairs; 0 stalled; 1 with an overdue check-in." in said(page)
    # The instructor's section on the coaching page links here.
    assert 'id="overview-link"' in c.teacher.get(c.path).text


def test_the_csv_has_a_bom_a_header_a_row_per_goal_and_pairs_without_goals(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002", days_ago=40)
    c.pair("u-2003", "u-2004")
    goal = c.set_goal("u-2002", what='=HYPERLINK("http://evil.example") is not a goal at all')
    c.check_in("u-2002", goal)
    response = c.teacher.get(f"{c.path}/overview.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:6] == ["Owner", "Owner email", "Coach", "Coach email", "Goal", "Status"]
    body = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(r["Owner"], r["Coach"], r["Status"]) for r in body] == [
        ("José Ramírez Núñez", "佐藤 花子", "open"),
        ("فاطمة حسن", "Олена Коваленко", "no goal yet"),
    ]
    first = body[0]
    assert first["Goal"].startswith("'=HYPERLINK")  # shown as text, never run as a formula
    assert first["Check-ins"] == "1" and first["Last check-in (UTC)"].endswith("Z")
    assert first["Days overdue"] == "0" and first["Pair stalled"] == "no"
    assert first["Owner email"] == "jose.ramirez@example.com"
    # In "pair" mode the goal's text stays out of the file too.
    c.settings(goal_visibility="pair")
    hidden = c.teacher.get(f"{c.path}/overview.csv").content.decode("utf-8-sig")
    assert "HYPERLINK" not in hidden and "(kept between the pair)" in hidden


def test_learners_and_instructors_of_other_courses_are_refused_the_overview(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002")
    c.set_goal("u-2002")
    for user in ("u-2001", "u-2002", "u-2003"):
        for path in ("/overview", "/overview.csv"):
            refused = c.member(user).get(c.path + path)
            assert refused.status_code == 403, (user, path)
            assert GOOD_GOAL["what"] not in said(refused)
    assert 'id="overview-link"' not in c.member("u-2003").get(c.path).text
    other = _second_course(lti)
    for path in ("/overview", "/overview.csv"):
        refused = other.get(c.path + path)
        assert refused.status_code == 403 and "belongs to another course" in said(refused)
