"""The instructor's peer review dashboard through the dev LMS: progress per phase with names,
flagged and escalated reviews with links, the grade preview, the reviewing-quality formula,
the CSV export (BOM, formula-safe), and who is refused: learners, and an instructor of
another course of the same LMS.
"""

from __future__ import annotations

import csv
import io
import re

from lessons_support import Member
from reviews_grading_support import AUTHOR, busy_class, cohort, review, submission_public_id, user
from reviews_support import move_phase, said
from sqlalchemy import select

from lti_tool.devlms.models import INSTRUCTOR as LMS_INSTRUCTOR
from lti_tool.devlms.models import LEARNER as LMS_LEARNER
from lti_tool.devlms.models import Course, DevTool, Enrolment, Person, ResourceLink
from lti_tool.devlms.models import db as lms_db
from lti_tool.extensions import db
from lti_tool.models import SubmissionGrade
from lti_tool.reviews import calibration

NAMES = {
    "u-2001": "佐藤 花子",
    "u-2002": "José Ramírez Núñez",
    "u-2003": "Олена Коваленко",
    "u-2004": "فاطمة حسن",
    "u-2005": "Nguyễn Thị Lan",
    "u-2006": "Γιώργος Παπαδόπουλος",
}


def _row(page: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(0)


def test_the_dashboard_shows_progress_names_flags_escalations_and_the_formula(lti):
    group = busy_class(lti)
    panel = group.teacher.get(group.path)
    link = re.search(r'<a href="([^"]+)" id="dashboard-link">', panel.text)
    assert link, "the instructor panel links to the dashboard"
    page = said(group.teacher.get(link.group(1).replace("&amp;", "&").split("?")[0]))
    assert "Dashboard: Pitch review" in page

    counts = _row(page, "data-count", "submitted")
    assert "4 of 6 participants" in counts
    assert "5 of 6 allocated" in _row(page, "data-count", "reviews")
    not_submitted = re.search(r'<p id="not-submitted">(.*?)</p>', page, re.S).group(1)
    assert NAMES["u-2005"] in not_submitted and NAMES["u-2006"] in not_submitted
    assert NAMES["u-2002"] not in not_submitted
    owing = re.search(r'<p id="not-reviewed">(.*?)</p>', page, re.S).group(1)
    assert NAMES["u-2005"] in owing and NAMES["u-2004"] not in owing
    with lti.app.app_context():
        ids = {sub: user(sub).public_id for sub in NAMES}
    assert 'data-reviews="2/2"' in _row(page, "data-user", ids["u-2004"])
    assert 'data-reviews="1/2"' in _row(page, "data-user", ids["u-2005"])
    assert 'data-submitted="no"' in _row(page, "data-user", ids["u-2006"])

    # Flagged: only the review far from the other two, with its reason and a link to read it.
    flagged = re.search(r'<section aria-labelledby="flagged-heading".*?</section>', page, re.S)
    items = re.findall(
        r'<li data-review="[^"]+"><a href="([^"]+)">([^<]+)</a>: ([^<]+)</li>', flagged.group(0)
    )
    assert len(items) == 1
    href, label, reason = items[0]
    assert label == f"Review by {NAMES['u-2004']}"
    assert reason.startswith("Score 0 is 100 points from the median of the other reviews (100)")
    escalated = re.search(r'<section aria-labelledby="escalated-heading".*?</section>', page, re.S)
    assert "The reviews range from 0 to 100" in escalated.group(0)
    # A link to each review of that work.
    assert len(re.findall(r"/review/[^/]+/reviews/", escalated.group(0))) == 4

    read = said(group.teacher.get(href.replace("&amp;", "&").split("?")[0]))
    assert f"By {NAMES['u-2004']}" in read and "I did not like it." in read
    assert "Does not yet do what it set out to do." in read  # the level's descriptor

    # Grade preview: median of 100, 100, 0; the formula of the reviewing grade is stated.
    preview = _row(page, "data-submission", submission_public_id(group, AUTHOR))
    assert 'data-final="100"' in preview and "escalated" in preview
    assert "Method: median." in page
    assert calibration.FORMULA_TEXT.split(".")[0] in page  # "Reviewing quality = (0.4 × C …"
    assert "Not sent yet" in page
    # The learner sees no grade before the instructor sends them.
    assert "Your grades appear here" in said(group[AUTHOR].get(group.path))


def test_learners_are_refused_the_dashboard_its_actions_and_the_export(lti):
    group = busy_class(lti)
    learner = group[AUTHOR]
    work = submission_public_id(group, AUTHOR)
    for path in ("/dashboard", "/dashboard.csv"):
        refused = learner.get(group.path + path)
        assert refused.status_code == 403, path
        assert "Only an instructor of this course can do this." in said(refused)
        assert NAMES["u-2004"] not in said(refused)
    posts = {
        "/grades/override": {"submission": work, "score": "100", "reason": "Mine"},
        "/grades/compute": {},
        "/grades/send": {},
        "/feedback/release": {},
    }
    for path, data in posts.items():
        assert learner.post(group.path + path, data).status_code == 403, path
    with lti.app.app_context():
        assert db.session.scalars(select(SubmissionGrade.override_score)).all() == [
            None,
            None,
            None,
            None,
        ]
        assert all(g.sent_at is None for g in db.session.scalars(select(SubmissionGrade)))


def _second_course(lti) -> Member:
    """Jürgen teaches another course of the same dev LMS, with its own PeerPath link."""
    with lti.devlms_app.app_context():
        tool = lms_db.session.scalars(
            select(DevTool).where(DevTool.client_id == lti.client_id)
        ).one()
        lms_db.session.add(Course(id="plw-202", label="PLW202", title="Coaching at Work"))
        lms_db.session.flush()
        lms_db.session.add(Enrolment(course_id="plw-202", person_id="u-1002", role=LMS_INSTRUCTOR))
        lms_db.session.add(
            ResourceLink(
                id="plw-202-peerpath",
                course_id="plw-202",
                tool_id=tool.id,
                title="PeerPath",
                custom={},
            )
        )
        lms_db.session.commit()
    return Member.launch(lti, "u-1002", "plw-202-peerpath")


def test_an_instructor_of_another_course_cannot_open_or_change_this_dashboard(lti):
    group = busy_class(lti)
    other = _second_course(lti)
    work = submission_public_id(group, AUTHOR)
    for path in ("/dashboard", "/dashboard.csv"):
        refused = other.get(group.path + path)
        assert refused.status_code == 403 and "belongs to another course" in said(refused)
        assert NAMES[AUTHOR] not in said(refused)
    changed = other.post(
        f"{group.path}/grades/override", {"submission": work, "score": "0", "reason": "Because"}
    )
    assert changed.status_code == 403
    assert other.post(f"{group.path}/grades/send").status_code == 403
    with lti.app.app_context():
        assert all(g.override_score is None for g in db.session.scalars(select(SubmissionGrade)))
    # The course's own instructor still gets in.
    assert group.teacher.get(f"{group.path}/dashboard").status_code == 200


def test_csv_export_has_a_bom_a_header_a_row_per_participant_and_no_formulas(lti):
    with lti.devlms_app.app_context():
        lms_db.session.add(
            Person(
                id="u-3001",
                name='=HYPERLINK("http://evil.example","Click")',
                given_name="=Eve",
                family_name="Formula",
                email="eve@example.com",
            )
        )
        lms_db.session.add(
            Enrolment(course_id=lti.course.course_id, person_id="u-3001", role=LMS_LEARNER)
        )
        lms_db.session.commit()
    group = cohort(lti, [AUTHOR, "u-3001", "u-2002"], aggregation="median")
    review(group, "u-3001", AUTHOR, 100.0)
    review(group, "u-2002", AUTHOR, 50.0)
    move_phase(group.teacher, group.placed, "grading")
    group.teacher.post(
        f"{group.path}/grades/override",
        {
            "submission": submission_public_id(group, "u-2002"),
            "score": "70",
            "reason": "-checked by hand",
        },
    )

    response = group.teacher.get(f"{group.path}/dashboard.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:4] == ["Name", "Email", "Group", "Submitted (UTC)"]
    assert "Work grade (0-100)" in header and "Reviewing grade (0-100)" in header
    body = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(body) == {
        NAMES[AUTHOR],
        NAMES["u-2002"],
        '\'=HYPERLINK("http://evil.example","Click")',
    }
    mine = body[NAMES[AUTHOR]]
    assert (mine["Peer score"], mine["Method"], mine["Work grade (0-100)"]) == (
        "75",
        "median",
        "75",
    )
    assert mine["Reviews received"] == "2" and mine["Escalated"] == "yes"
    assert mine["Reviews done"] == "0" and mine["Submitted (UTC)"].endswith("Z")
    overridden = body[NAMES["u-2002"]]
    assert overridden["Override"] == "70" and overridden["Override reason"] == "'-checked by hand"
    eve = body['\'=HYPERLINK("http://evil.example","Click")']
    assert eve["Reviews done"] == "1" and eve["Reviewing grade (0-100)"] != ""
    # No cell of the file starts a formula.
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert eve["Email"] == "eve@example.com"
