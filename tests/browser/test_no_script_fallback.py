"""The pages that normally flash by (auto-posts, storage hand-offs) work by hand and pass axe-core.

Their scripts are stubbed out, so each stays on screen; the test presses each fallback button.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lti_tool.devlms import seed
from lti_tool.extensions import db
from lti_tool.models import LaunchSession

pytestmark = pytest.mark.browser

INSTRUCTOR = seed.INSTRUCTORS[1]  # Jürgen Weiß
TITLE = "Kennenlernen · getting to know each other"
# Everything that submits or navigates on its own, in the dev LMS and in the tool.
AUTO_SCRIPTS = re.compile(
    r"/static/(js/)?(autopost|autosubmit|platform-storage|top-nav|course)\.js$"
)

expect.set_options(timeout=15_000)


@pytest.fixture
def devlms_config(devlms_config: dict) -> dict:
    """Platform Storage on, so the tool's two storage hand-off pages are part of the journey."""
    return {**devlms_config, "PLATFORM_STORAGE": True}


def without_auto_scripts(wsgi_app: Callable) -> Callable:
    """Serve the auto-submitting scripts empty. Done server-side: Playwright's routing can miss
    the first requests of a cross-site (out-of-process) iframe right after it navigates."""

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if AUTO_SCRIPTS.search(environ.get("PATH_INFO", "")):
            start_response(
                "200 OK", [("Content-Type", "text/javascript"), ("Cache-Control", "no-store")]
            )
            return [b"/* stubbed by the test */"]
        return wsgi_app(environ, start_response)

    return app


@pytest.fixture
def tool_server(app, tool_port: int, serve) -> SimpleNamespace:
    serve(without_auto_scripts(app), tool_port)
    return SimpleNamespace(url=f"http://127.0.0.1:{tool_port}")


@pytest.fixture
def devlms_server(devlms_app, devlms_port: int, serve) -> SimpleNamespace:
    serve(without_auto_scripts(devlms_app), devlms_port)
    return SimpleNamespace(url=f"http://localhost:{devlms_port}")


def stop(page: Page, a11y: Any, shots: Any, step: str, heading: str) -> Any:
    """Wait for the tool frame to show heading; screenshot and axe-check both documents."""
    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_have_text(heading)
    frame = page.frame(name="tool-frame")
    assert frame is not None
    frame.wait_for_load_state("load")
    shots.take(page, step)
    a11y.check(page.main_frame, f"{step}: dev LMS page")
    a11y.check(frame, f"{step}: page in the tool iframe ({frame.url.split('?')[0]})")
    return tool


def test_every_hand_off_page_has_a_working_accessible_fallback(lti, context, a11y, shots) -> None:
    course_url = f"{lti.lms_url}/courses/{lti.course.course_id}"
    page = context.new_page()
    page.goto(course_url)
    page.get_by_role(
        "link", name=f"Add an activity with PeerPath as {INSTRUCTOR.name}", exact=True
    ).click()
    page.wait_for_url("**/launch?**")

    tool = stop(page, a11y, shots, "lms-login-initiation", "Opening PeerPath")
    tool.get_by_role("button", name="Continue to the tool").click()
    tool = stop(page, a11y, shots, "tool-storage-login", "Connecting to your course…")
    tool.get_by_role("link", name="Continue").click()
    tool = stop(page, a11y, shots, "lms-auth-response", "Signing you in to PeerPath")
    tool.get_by_role("button", name="Continue").click()
    tool = stop(page, a11y, shots, "tool-storage-launch", "Opening PeerPath…")
    tool.get_by_role("button", name="Continue").click()
    tool = stop(page, a11y, shots, "tool-picker", "Add a PeerPath activity")
    tool.get_by_label("Welcome page").check()
    tool.locator("#welcome-title").fill(TITLE)
    tool.get_by_role("button", name="Add to course").click()
    tool = stop(page, a11y, shots, "tool-deep-link-return", f"Adding “{TITLE}” to your course…")
    tool.get_by_role("button", name="Continue").click()
    tool = stop(page, a11y, shots, "lms-deep-link-done", "1 activity added")
    tool.get_by_role("link", name="Return to the course").click()

    page.wait_for_url(course_url)
    expect(page.get_by_role("heading", name=TITLE, exact=True)).to_have_count(1)
    shots.take(page, "course-page-with-new-link")
    a11y.check(page.main_frame, "course page after the manual deep-linking return")

    # Without the storage script no binding value came back: the one-time handle bound it.
    with lti.app.app_context():
        assert db.session.scalars(select(LaunchSession.binding)).all() == ["handle"]
    a11y.assert_clean()
