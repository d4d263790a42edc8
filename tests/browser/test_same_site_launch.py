"""The cookie path in Chromium: dev LMS and tool on one site (127.0.0.1, two ports).

Ports don't make a site, so the tool's state cookie comes back and binds the launch.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from support import LiveServer

from lti_tool.devlms import seed
from lti_tool.extensions import db
from lti_tool.models import LaunchSession

pytestmark = pytest.mark.browser

LEARNER = next(p for p in seed.LEARNERS if p.id == "u-2003")  # Олена Коваленко


@pytest.fixture
def devlms_config(devlms_config: dict, devlms_port: int) -> dict:
    return {**devlms_config, "ISSUER": f"http://127.0.0.1:{devlms_port}"}


@pytest.fixture
def devlms_server(devlms_app, devlms_port) -> Iterator[LiveServer]:
    server = LiveServer(devlms_app, "127.0.0.1", devlms_port).start()
    yield server
    server.stop()


def test_same_site_launch_is_bound_by_the_state_cookie(lti, context, a11y, shots) -> None:
    assert lti.lms_url.startswith("http://127.0.0.1:")
    page = context.new_page()
    page.goto(f"{lti.lms_url}/courses/{lti.course.course_id}")
    page.get_by_role("link", name=f"Launch “{seed.DEMO_LINK_TITLE}” as {LEARNER.name}", exact=True).click()
    frame = page.wait_for_selector("iframe[name=tool-frame]").content_frame()
    expect(page.frame_locator("iframe[name=tool-frame]").locator("main")).to_contain_text(
        "has not set up this activity yet"
    )
    shots.take(page, "same-site-learner")
    a11y.check(frame, "same-site launch: tool page")
    a11y.assert_clean()
    with lti.app.app_context():
        assert db.session.scalars(select(LaunchSession.binding)).all() == ["cookie"]
