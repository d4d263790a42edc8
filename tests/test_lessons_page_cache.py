"""The lesson page is rendered once per version and kind of viewer, then filled per view.

These prove the cached shell never shows stale or someone else's content, and that a
returning learner's view only reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import requests
from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from sqlalchemy import event, select
from test_lessons_learning import LESSON, Learner
from test_lessons_placement import place, publish, republish

from lti_tool.certificates import service as certificates
from lti_tool.extensions import babel, db
from lti_tool.lti.session import csrf_token_for, load_launch
from lti_tool.models import Activity, Certificate, LaunchSession, Lesson, LessonVersion, User
from lti_tool.models.lessons import LessonProgress

SLOT_MARKER = re.compile(r"pp[0-9a-f]{16}s[0-9]+x")


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    """A small Esperanto catalogue (no test or seed person uses "eo") to see the language."""
    catalog = Catalog(locale="eo")
    catalog.add("Your progress", "Via progreso")
    folder = tmp_path / "translations" / "eo" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as out:
        write_mo(out, catalog)
    yield {
        **app_config,
        "BABEL_TRANSLATION_DIRECTORIES": f"translations;{tmp_path / 'translations'}",
    }
    babel.domain_instance.cache.pop(("eo", "messages"), None)


@contextmanager
def statements(lti) -> Iterator[list[str]]:
    """Every SQL statement (and "COMMIT") the tool's engine runs meanwhile, in any thread."""
    seen: list[str] = []
    with lti.app.app_context():
        engine = db.engine

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    def on_commit(_conn) -> None:
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="lt" value="([^"]+)"', html)) | set(
        re.findall(r"[?&]lt=([\w.\-]+)", html)
    )


def _owner(lti, html: str) -> set[str]:
    """Whose launch every token in the page belongs to (user subs)."""
    with lti.app.test_request_context():
        return {load_launch(token).user.sub for token in _tokens(html)}


def _name(lti, sub: str) -> str:
    with lti.app.app_context():
        return db.session.scalars(select(User).where(User.sub == sub)).one().display_name


def _session(lti, html: str) -> str:
    token = next(iter(_tokens(html)))
    with lti.app.test_request_context():
        return load_launch(token).id


def _viewer(lti, learner: Learner, locale: str = "en-US", timezone: str = "") -> None:
    """Set the language and time zone the learner's next views are in (the LMS sends both at
    launch); people given the same ones share one cached shell."""
    with lti.app.app_context():
        launch = db.session.get(LaunchSession, _session(lti, learner.html))
        launch.locale = locale
        db.session.get(User, launch.user_id).timezone = timezone
        db.session.commit()


def test_a_returning_learner_s_view_only_reads_in_at_most_four_statements(lti):
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id)
    with statements(lti) as first:
        learner = Learner(lti, "u-2003", link["id"])
    assert "COMMIT" in first and any(s.startswith("INSERT INTO lesson_progress") for s in first)

    with statements(lti) as seen:
        page = learner.reload()
    assert "0 of 2 sections read" in page
    assert seen and all(s.startswith("SELECT") for s in seen), seen
    assert len(seen) <= 2, seen  # the launch, the page's state

    assert learner.answer("a").status_code == 200
    assert learner.post("reflect-change", {"r-change": "Be on time."}).status_code == 200
    with lti.app.app_context():
        before = [
            (p.id, p.updated_at, p.points) for p in db.session.scalars(select(LessonProgress))
        ]
    with statements(lti) as seen:
        page = learner.reload()
    assert (
        "Not quite." in page
        and "Be on time.</textarea>" in page
        and "Saved. Only you can read it." in page
    )
    assert all(s.startswith("SELECT") for s in seen), seen
    assert len(seen) <= 4, seen  # + the attempts, + the reflections
    with lti.app.app_context():
        assert [
            (p.id, p.updated_at, p.points) for p in db.session.scalars(select(LessonProgress))
        ] == before


def test_another_learner_gets_only_their_own_name_answers_and_tokens(lti):
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id)
    first = Learner(lti, "u-2003", link["id"])
    second = Learner(lti, "u-2004", link["id"])
    _viewer(lti, first)
    _viewer(lti, second)
    assert (
        first.post(
            "reflect-change", {"r-change": "FIRST-PRIVATE <note>", "share": "yes"}
        ).status_code
        == 200
    )

    for page in (second.reload(), second.reload()):
        assert (
            "FIRST-PRIVATE" not in page
            and "Saved." not in page
            and "checked" not in page.split("pp-lesson")[-1]
        )
        assert "0 of 1 knowledge checks answered" in page
        assert _name(lti, "u-2004") in page and _name(lti, "u-2003") not in page
        assert _owner(lti, page) == {"u-2004"}
        csrf = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        session_id = _session(lti, page)
        with lti.app.app_context():
            assert csrf == {csrf_token_for(session_id)}
        assert not SLOT_MARKER.search(page)

    assert first.answer("a").status_code == 200
    again = first.reload()
    assert (
        "FIRST-PRIVATE &lt;note&gt;</textarea>" in again
        and "Not quite." in again
        and "Completed, not passed" in again
    )
    assert (
        "Saved. Your instructor can read it." in again
        and 'id="reflect-change-share" name="share" value="yes" checked>' in again
    )
    assert _name(lti, "u-2003") in again and _owner(lti, again) == {"u-2003"}
    page = second.reload()  # the first learner completed the lesson; this one did not
    assert "Not quite." not in page and "Completed" not in page and "FIRST-PRIVATE" not in page


def test_a_new_version_a_changed_placement_or_a_removed_lesson_is_never_served_from_an_old_shell(
    lti,
):
    author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id, max_attempts=3)
    early = Learner(lti, "u-2003", link["id"])
    assert "Short meetings help." in early.reload() and "Version 1" in early.html

    republish(
        author,
        lesson_id,
        LESSON.replace("Short meetings help.", "Short meetings help everyone."),
        False,
    )
    late = Learner(lti, "u-2004", link["id"])
    assert "help everyone" in late.reload() and "Version 2" in late.html
    assert (
        "help everyone" not in early.reload() and "Version 1" in early.html
    )  # a fix: they finish version 1

    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).where(Activity.kind == "lesson")).one()
        activity.settings = {**activity.settings, "max_attempts": 5}
        db.session.commit()
    assert "5 attempts per check" in late.reload() and "3 attempts per check" not in late.html

    with lti.app.app_context():
        db.session.delete(
            db.session.scalars(select(Lesson).where(Lesson.public_id == lesson_id)).one()
        )
        db.session.commit()
        assert db.session.scalar(select(LessonVersion.id)) is None
    token = next(iter(_tokens(late.html)))
    gone = requests.get(late.url, params={"lt": token}, timeout=10)
    assert gone.status_code == 404 and "no longer available" in gone.text


def test_language_time_zone_and_role_each_get_their_own_shell(lti):
    _author, lesson_id = publish(lti, LESSON)
    link = place(lti, lesson_id)
    one, other, teacher = (Learner(lti, sub, link["id"]) for sub in ("u-2003", "u-2005", "u-1001"))
    with lti.app.app_context():
        published = db.session.scalars(select(LessonVersion)).one().published_at
    utc = format_datetime(published, tzinfo=ZoneInfo("UTC"), locale="en_US")
    tokyo = format_datetime(published, tzinfo=ZoneInfo("Asia/Tokyo"), locale="en_US")
    for person in (one, other, teacher):
        _viewer(lti, person)  # all alike; then each differs from `one` in one thing only
    page = one.reload()
    assert '<html lang="en"' in page and "Your progress" in page and utc in page

    _viewer(lti, other, locale="eo")
    page = other.reload()
    assert '<html lang="eo"' in page and "Via progreso" in page and "Your progress" not in page

    _viewer(lti, other, timezone="Asia/Tokyo")
    page = other.reload()
    assert tokyo in page and utc not in page and "Your progress" in page

    page = teacher.reload()
    assert "See who is taking this lesson" in page and "Certificates of this course" in page
    assert _owner(lti, page) == {"u-1001"}
    page = one.reload()
    assert "See who is taking this lesson" not in page and "Certificates of this course" not in page
    assert '<html lang="en"' in page and utc in page and tokyo not in page


def test_a_revoked_certificate_leaves_the_page_at_once(lti):
    _author, lesson_id = publish(lti)  # certificate: true, pass mark 50
    link = place(lti, lesson_id)
    learner = Learner(lti, "u-2003", link["id"])
    assert learner.post("kc-length", {"q-length": "b"}).status_code == 200
    page = learner.reload()
    with lti.app.app_context():
        cert = db.session.scalars(select(Certificate)).one()
        cert_id = cert.public_id
    assert "Completed and passed: 2 of 2 points (100%)." in page
    assert f"/certificates/{cert_id}.pdf?lt=" in page and "Download your certificate (PDF)" in page

    with lti.app.app_context():
        cert = db.session.scalars(select(Certificate)).one()
        teacher = db.session.scalars(select(User).where(User.sub == "u-1001")).one()
        certificates.revoke(cert, teacher, "Issued by mistake")
        db.session.commit()
    page = learner.reload()
    assert "Completed and passed: 2 of 2 points (100%)." in page
    assert "Download your certificate" not in page and cert_id not in page
