"""A learner taking a placed lesson through real launches: answers, attempts, reflections, grade.

Scores travel through the grade outbox to the dev LMS gradebook; answers never reach the page.
"""

from __future__ import annotations

import re

import requests
from sqlalchemy import func, select
from test_lessons_placement import UNGRADED_LESSON, place, publish, republish

from lti_tool.extensions import db
from lti_tool.models import Activity, Context, GradeOutbox, User
from lti_tool.models.lessons import LessonAnswer, LessonProgress, LessonReflectionAnswer
from lti_tool.services import oauth, outbox

LESSON = """---
title: Running a stand-up
summary: Fifteen minutes, three questions.
authors: [Ana Souza]
pass_mark: 50
---

## Why

Short meetings help.

::: quiz single id=length points=2
How long is a stand-up?

- [ ] An hour
  > SECRET-FEEDBACK-HOUR: far too long.
- [x] Fifteen minutes
  > SECRET-FEEDBACK-RIGHT: yes.

SECRET-EXPLANATION: people stand, so it stays short.
:::

## Practice

::: reflection id=change
What will you change in your next stand-up?
:::
"""
SECRETS = ("SECRET-FEEDBACK-HOUR", "SECRET-FEEDBACK-RIGHT", "SECRET-EXPLANATION")


class Learner:
    """A learner's launch of a placed lesson, posting the page's own forms back."""

    def __init__(self, lti, sub: str, link_id: str) -> None:
        self.lti, self.sub = lti, sub
        result = lti.launch(sub, link=link_id)
        assert result.response.status_code == 200, result.text
        assert "/learn/" in result.url, result.url
        self.url = result.url.split("?")[0]
        self.html = result.text

    def fields(self, form_id: str) -> dict[str, str]:
        """The hidden fields the page joins to one of the lesson's stored forms (form=…)."""
        found = dict(re.findall(rf'<input type="hidden" form="{form_id}" name="(\w+)" value="([^"]*)">', self.html))
        assert {"csrf_token", "lt", "v"} <= set(found), found
        return found

    def post(self, form_id: str, data: dict, json: bool = False) -> requests.Response:
        headers = {"Accept": "application/json"} if json else {}
        response = requests.post(self.url, data={**self.fields(form_id), **data}, headers=headers, timeout=10)
        if response.status_code == 200 and not json:
            self.html = response.text
        return response

    def answer(self, value: str, json: bool = False) -> requests.Response:
        return self.post("kc-length", {"q-length": value}, json=json)

    def reload(self) -> str:
        token = re.search(r'name="lt" value="([^"]+)"', self.html).group(1)
        self.html = requests.get(self.url, params={"lt": token}, timeout=10).text
        return self.html


def _progress(lti, sub: str) -> list[LessonProgress]:
    with lti.app.app_context():
        rows = list(db.session.scalars(
            select(LessonProgress).join(User, User.id == LessonProgress.user_id)
            .where(User.sub == sub).order_by(LessonProgress.id)
        ))
        for row in rows:
            _ = row.version.number
            db.session.expunge(row)
        return rows


def _count(lti, model) -> int:
    with lti.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _deliver(lti) -> None:
    oauth.tokens.clear()
    with lti.app.app_context():
        while outbox.run_batch().claimed:
            pass


def _gradebook(lti) -> dict[str, dict]:
    body = requests.get(f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/gradebook", timeout=10).json()
    return {column["label"]: column["results"] for column in body["line_items"]}


def test_learner_fails_then_passes_and_the_score_reaches_the_gradebook(lti):
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id, max_attempts=3)
    learner = Learner(lti, "u-2003", link["id"])
    page = learner.html
    assert "Running a stand-up" in page and "How long is a stand-up?" in page
    assert "0 of 2 sections read, 0 of 1 knowledge checks answered" in page
    # Nothing that gives the answer away is in the page.
    assert not any(s in page for s in SECRETS)
    assert "checked" not in page.split('class="pp-lesson"')[1]

    wrong = learner.answer("a")
    assert wrong.status_code == 200
    assert "Not quite." in wrong.text and "SECRET-FEEDBACK-HOUR" in wrong.text
    assert "2 attempts left." in wrong.text
    assert "SECRET-EXPLANATION" not in wrong.text and "SECRET-FEEDBACK-RIGHT" not in wrong.text
    (progress,) = _progress(lti, "u-2003")
    assert progress.completed_at is not None and not progress.passed and progress.points == 0
    assert "Completed, not passed yet" in wrong.text

    right = learner.answer("b", json=True)
    assert right.status_code == 200, right.text
    body = right.json()
    assert body["correct"] and body["attempt"] == 2 and body["attempts_left"] == 1
    assert body["completed"] and body["passed"] and body["points"] == 2.0 and body["percent"] == 100.0
    page = learner.reload()
    assert "Correct." in page and "SECRET-EXPLANATION" in page and "Completed and passed" in page
    (progress,) = _progress(lti, "u-2003")
    assert progress.passed and progress.points == 2.0 and progress.version.number == 1

    # Both grades were queued with the answers; the latest one wins at the LMS.
    with lti.app.app_context():
        rows = list(db.session.scalars(select(GradeOutbox).order_by(GradeOutbox.id)))
        assert [r.score_given for r in rows] == [0.0, 2.0]
        assert all(r.score_maximum == 2.0 and r.lms_user_id == "u-2003" for r in rows)
    _deliver(lti)
    result = _gradebook(lti)["Running a stand-up"]["u-2003"]
    assert result["scoreGiven"] == 2.0 and result["scoreMaximum"] == 2.0
    assert result["activityProgress"] == "Completed" and result["gradingProgress"] == "FullyGraded"


def test_answers_after_the_attempts_ran_out_are_refused_and_change_nothing(lti):
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id, max_attempts=1)
    learner = Learner(lti, "u-2003", link["id"])
    assert learner.answer("a").status_code == 200
    assert "No attempts left." in learner.html and "SECRET-EXPLANATION" in learner.html
    before = (_count(lti, LessonAnswer), _count(lti, GradeOutbox), _progress(lti, "u-2003")[0].points)

    again = learner.answer("b")
    assert again.status_code == 409
    assert "You have used your 1 attempt at this knowledge check; your answer was not recorded." in again.text
    as_json = learner.answer("b", json=True)
    assert as_json.status_code == 409 and "not recorded" in as_json.json()["error"]
    assert (_count(lti, LessonAnswer), _count(lti, GradeOutbox), _progress(lti, "u-2003")[0].points) == before

    # Nonsense is refused too: an option that does not exist, an empty answer, an unknown check.
    assert learner.post("kc-length", {"q-length": "z"}).status_code == 400
    assert learner.post("kc-length", {}).status_code == 400
    assert learner.post("kc-length", {"question": "nope", "q-nope": "a"}).status_code == 404
    assert _count(lti, LessonAnswer) == before[0]


def test_reflection_is_saved_and_shared_only_when_the_learner_says_so(lti):
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id)
    learner = Learner(lti, "u-2003", link["id"])
    assert 'name="share"' in learner.html and "Share with my instructor" in learner.html
    saved = learner.post("reflect-change", {"r-change": "Start on time <b>always</b>."})
    assert saved.status_code == 200
    assert "Start on time &lt;b&gt;always&lt;/b&gt;.</textarea>" in saved.text
    assert "Saved. Only you can read it." in saved.text
    learner.post("reflect-change", {"r-change": "Start on time.", "share": "yes"})
    assert "Saved. Your instructor can read it." in learner.html
    with lti.app.app_context():
        row = db.session.scalars(select(LessonReflectionAnswer)).one()
        assert (row.reflection_id, row.text, row.shared) == ("change", "Start on time.", True)
    assert learner.post("reflect-change", {"r-change": "x" * 5001}).status_code == 400
    with lti.app.app_context():
        assert db.session.scalars(select(LessonReflectionAnswer)).one().text == "Start on time."


def test_learner_finishes_the_version_they_started_until_a_substantive_one(lti):
    author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id)
    early = Learner(lti, "u-2003", link["id"])
    assert "Short meetings help." in early.html

    # Version 2, a fix: the learner who started keeps version 1; a newcomer gets version 2.
    republish(author, lesson_id, LESSON.replace("Short meetings help.", "Short meetings help everyone."), False)
    assert "Short meetings help." in early.reload() and "help everyone" not in early.html
    late = Learner(lti, "u-2004", link["id"])
    assert "help everyone" in late.html
    assert late.answer("b").status_code == 200
    assert [p.version.number for p in _progress(lti, "u-2004")] == [2]
    assert early.answer("a").status_code == 200  # still on version 1
    assert [p.version.number for p in _progress(lti, "u-2003")] == [1]

    # Version 3, substantive: everyone starts again on it, completed or not; old runs stay.
    republish(author, lesson_id, LESSON.replace("Short meetings help.", "Stand-ups are for blockers."), True)
    stale = early.answer("b")  # a form from the version-1 page
    assert stale.status_code == 409 and "updated since you opened the page" in stale.text
    assert "Stand-ups are for blockers." in early.reload()
    assert [p.version.number for p in _progress(lti, "u-2003")] == [1, 3]
    assert _progress(lti, "u-2003")[1].completed_at is None
    assert "Stand-ups are for blockers." in late.reload()
    assert [p.version.number for p in _progress(lti, "u-2004")] == [2, 3]


def test_sections_read_complete_an_ungraded_lesson_without_a_grade(lti):
    _author, lesson_id = publish(lti, UNGRADED_LESSON)
    link = place(lti, lesson_id)
    learner = Learner(lti, "u-2003", link["id"])
    token = re.search(r'name="lt" value="([^"]+)"', learner.html).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', learner.html).group(1)
    version = re.search(r'name="v" value="([^"]+)"', learner.html).group(1)
    done = requests.post(learner.url, data={"lt": token, "csrf_token": csrf, "v": version, "action": "read", "read": "look"},
                         timeout=10)
    assert done.status_code == 200
    assert "1 of 1 sections read" in done.text and "Completed." in done.text
    (progress,) = _progress(lti, "u-2003")
    assert progress.completed_at is not None and progress.passed and progress.sections_read == ["look"]
    assert _count(lti, GradeOutbox) == 0


def test_learner_of_another_course_is_refused(lti):
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id)
    learner = Learner(lti, "u-2003", link["id"])
    with lti.app.app_context():
        mine = db.session.scalars(select(Activity).where(Activity.kind == "lesson")).one()
        here = db.session.get(Context, mine.context_id)
        other = Context(platform_id=here.platform_id, deployment_id=here.deployment_id, lms_context_id="other-course")
        db.session.add(other)
        db.session.flush()
        theirs = Activity(context_id=other.id, kind="lesson", title="Theirs", settings=dict(mine.settings))
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.public_id
    token = re.search(r'name="lt" value="([^"]+)"', learner.html).group(1)
    url = learner.url.rsplit("/", 1)[0] + f"/{theirs_id}"
    assert requests.get(url, params={"lt": token}, timeout=10).status_code == 403
    fields = {**learner.fields("kc-length"), "q-length": "b"}
    assert requests.post(url, data=fields, timeout=10).status_code == 403
    assert _count(lti, LessonAnswer) == 0
    assert len(_progress(lti, "u-2003")) == 1
