"""The instructor's view of a placed lesson and its CSV export, through real launches.

Reflections appear only when the learner shared them; learners and other courses are refused.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import requests
from sqlalchemy import event, select
from test_lessons_learning import LESSON, Learner
from test_lessons_placement import place, publish

from lti_tool.extensions import db
from lti_tool.lessons import reporting
from lti_tool.lti.session import issue_token, new_session_id
from lti_tool.models import Activity, Context, LaunchSession, User
from lti_tool.models.base import utcnow

PRIVATE = "PRIVATE-THOUGHT: I dislike stand-ups."
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"


def _class(lti) -> tuple[dict, Learner]:
    """Three learners on a placed lesson (passed in two attempts, failed, only opened it)."""
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id, max_attempts=3)
    passed = Learner(lti, "u-2003", link["id"])
    assert passed.answer("a").status_code == 200
    assert passed.answer("b").status_code == 200
    assert passed.post("reflect-change", {"r-change": "Start on time.", "share": "yes"}).status_code == 200
    failed = Learner(lti, "u-2004", link["id"])
    assert failed.answer("a").status_code == 200
    assert failed.post("reflect-change", {"r-change": PRIVATE}).status_code == 200
    opened = Learner(lti, "u-2002", link["id"])
    assert opened.post("reflect-change", {"r-change": FORMULA, "share": "yes"}).status_code == 200
    return link, passed


def _people_url(lti, link: dict) -> str:
    """The instructor launches the lesson and follows the learner page's link to the people view."""
    instructor = Learner(lti, "u-1001", link["id"])
    found = re.search(r'<a href="([^"]*/people\?lt=[^"]+)">See who is taking this lesson</a>', instructor.html)
    assert found, instructor.html
    return lti.tool_url + html.unescape(found.group(1))


def test_instructor_sees_progress_scores_attempts_and_only_shared_reflections(lti):
    link, _passed = _class(lti)
    page = requests.get(_people_url(lti, link), timeout=10)
    assert page.status_code == 200, page.text
    text = page.text
    assert "People taking Running a stand-up" in text
    # Counts are of learners; the instructor who opened it is listed but marked, not counted.
    assert re.search(r'data-count="started">.*?<td>3</td>', text)
    assert re.search(r'data-count="completed">.*?<td>2</td>', text)
    assert re.search(r'data-count="passed">.*?<td>1</td>', text)
    rows = {k.strip(): v for k, v in re.findall(r'<tr data-user="[^"]+">\s*<th scope="row" dir="auto">([^<]+)(.*?)</tr>', text, re.S)}
    assert set(rows) == {"Олена Коваленко", "فاطمة حسن", "José Ramírez Núñez", "Aoife Ní Bhriain"}
    olena, fatma, jose = rows["Олена Коваленко"], rows["فاطمة حسن"], rows["José Ramírez Núñez"]
    assert 'data-status="passed"' in olena and "2 of 2 (100%)" in olena
    assert "2 attempts, best 2 of 2" in olena and "Start on time." in olena
    assert 'data-status="completed"' in fatma and "Completed, not passed" in fatma and "0 of 2 (0%)" in fatma
    assert "1 attempt, best 0 of 2" in fatma and "not shared" in fatma
    assert 'data-status="started"' in jose and "In progress" in jose and "not answered" in jose
    assert html.escape(FORMULA, quote=False) in jose or "=HYPERLINK(&#34;" in jose
    assert "(instructor)" in rows["Aoife Ní Bhriain"]
    assert "PRIVATE-THOUGHT" not in text
    assert all("<td>1</td>" in r for r in (olena, fatma, jose))  # everyone is on version 1


def test_csv_export_is_excel_friendly_and_formula_safe(lti):
    link, _passed = _class(lti)
    people = _people_url(lti, link)
    page = requests.get(people, timeout=10).text
    href = html.unescape(re.search(r'<a href="([^"]*/people\.csv\?lt=[^"]+)" download>', page).group(1))
    response = requests.get(lti.tool_url + href, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = table[0], {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert header[:4] == ["Name", "Email", "Role", "Version"]
    assert "Attempts: length" in header and "Points: length" in header and "Reflection: change" in header
    olena = body["Олена Коваленко"]
    assert (olena["Passed"], olena["Points"], olena["Possible"], olena["Percent"]) == ("yes", "2", "2", "100")
    assert (olena["Attempts: length"], olena["Points: length"], olena["Reflection: change"]) == ("2", "2", "Start on time.")
    assert olena["Completed (UTC)"].endswith("Z") and olena["Role"] == "Learner"
    fatma = body["فاطمة حسن"]
    assert (fatma["Passed"], fatma["Attempts: length"], fatma["Reflection: change"]) == ("no", "1", "not shared")
    jose = body["José Ramírez Núñez"]
    assert (jose["Completed (UTC)"], jose["Passed"], jose["Attempts: length"]) == ("", "", "0")
    assert jose["Reflection: change"] == "'" + FORMULA  # a spreadsheet shows it as text
    assert body["Aoife Ní Bhriain"]["Role"] == "Instructor"
    assert PRIVATE not in response.content.decode("utf-8-sig")
    assert reporting.safe_cell("+1") == "'+1" and reporting.safe_cell("-2") == "'-2"
    assert reporting.safe_cell("@x") == "'@x" and reporting.safe_cell("a=b") == "a=b"


def test_learners_and_instructors_of_another_course_are_refused(lti):
    link, passed = _class(lti)
    people = _people_url(lti, link)
    path = people.split("?")[0]
    # A learner of the course, with a valid launch token.
    token = re.search(r'name="lt" value="([^"]+)"', passed.html).group(1)
    assert "See who is taking this lesson" not in passed.html
    for suffix in ("", ".csv"):
        refused = requests.get(path + suffix, params={"lt": token}, timeout=10)
        assert refused.status_code == 403 and "Start on time." not in refused.text
    # An instructor of another course of the same platform.
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).where(Activity.kind == "lesson")).one()
        here = db.session.get(Context, activity.context_id)
        other = Context(platform_id=here.platform_id, deployment_id=here.deployment_id, lms_context_id="other-course")
        db.session.add(other)
        db.session.flush()
        teacher = db.session.scalars(select(User).where(User.sub == "u-1002")).first()
        if teacher is None:
            teacher = User(platform_id=here.platform_id, sub="u-1002", name="Jürgen Weiß")
            db.session.add(teacher)
            db.session.flush()
        launch = LaunchSession(
            id=new_session_id(), user_id=teacher.id, context_id=other.id, roles="instructor",
            message_type="LtiResourceLinkRequest", binding="handle", expires_at=utcnow() + timedelta(hours=1),
        )
        db.session.add(launch)
        db.session.commit()
        with lti.app.test_request_context():
            foreign = issue_token(launch.id)
    for suffix in ("", ".csv"):
        refused = requests.get(path + suffix, params={"lt": foreign}, timeout=10)
        assert refused.status_code == 403 and "belongs to another course" in refused.text
    # The course's own instructor still gets in; an unknown activity is a 404.
    assert requests.get(people, timeout=10).status_code == 200
    assert requests.get(path.rsplit("/", 2)[0] + "/nope/people", params={"lt": people.split("lt=")[1]},
                        timeout=10).status_code == 404


def test_report_reads_each_table_once_whatever_the_class_size(lti):
    link, _passed = _class(lti)
    _people_url(lti, link)
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).where(Activity.kind == "lesson")).one()
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            report = reporting.lesson_report(activity)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(report.rows) == 4
        assert len(statements) == 6, statements  # progress, users, versions, memberships, answers, reflections
