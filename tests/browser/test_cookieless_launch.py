"""The whole LTI journey in Chromium with third-party cookies blocked: dev LMS and tool on two sites.

Runs with the dev LMS's Platform Storage on and off; axe-core checks every page it stops on.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Frame, Page, Response, expect
from sqlalchemy import select

from lti_tool.devlms import seed
from lti_tool.extensions import db
from lti_tool.models import LaunchSession

pytestmark = pytest.mark.browser

INSTRUCTOR = seed.INSTRUCTORS[0]  # Aoife Ní Bhriain
NOT_READY_LEARNER = next(p for p in seed.LEARNERS if p.id == "u-2004")  # فاطمة حسن (Arabic, RTL)
LEARNER = next(p for p in seed.LEARNERS if p.id == "u-2001")  # 佐藤 花子 (Japanese)

TITLE = "Welcome to Peer Learning at Work"
FIRST_MESSAGE = "Hello everyone. Introduce yourself to a peer this week."
EDITED_MESSAGE = "Updated: pair up by Friday — ¡hola!, こんにちは, привіт."

expect.set_options(timeout=15_000)


@pytest.fixture(params=[False, True], ids=["storage-off", "storage-on"])
def devlms_config(request, devlms_config: dict) -> dict:
    """Both ways a cookie-less browser can launch: one-time handle, and LTI Platform Storage."""
    return {**devlms_config, "PLATFORM_STORAGE": request.param}


def tool_frame(page: Page) -> Frame:
    """The tool's iframe on the LMS page that is loading now (waits for it to appear)."""
    page.wait_for_url("**/launch?**")
    frame = page.wait_for_selector("iframe[name=tool-frame]").content_frame()
    assert frame is not None, f"the tool-frame iframe on {page.url} has no frame"
    return frame


def settle(page: Page, frame: Frame | None = None) -> None:
    page.wait_for_load_state("load")
    if frame is not None:
        frame.wait_for_load_state("load")


def visit_step(page: Page, a11y: Any, shots: Any, step: str, frame: Frame | None = None) -> None:
    """Screenshot and axe-check the LMS page and, when framed, the tool page inside it."""
    settle(page, frame)
    shots.take(page, step)
    a11y.check(page.main_frame, f"{step}: dev LMS page")
    if frame is not None:
        a11y.check(frame, f"{step}: tool page in the iframe")
    storage = page.frame(name="post_message_forwarding")
    if storage is not None:
        settle(page, storage)
        a11y.check(storage, f"{step}: dev LMS platform-storage frame (hidden)")


def launch_link_as(page: Page, title: str, person_name: str) -> None:
    page.get_by_role("link", name=f"Launch “{title}” as {person_name}", exact=True).click()


def test_cookieless_launch_deep_link_edit_and_learner_view(
    lti, context, a11y, shots, devlms_config: dict
) -> None:
    storage_on = devlms_config["PLATFORM_STORAGE"]
    course_url = f"{lti.lms_url}/courses/{lti.course.course_id}"
    page = context.new_page()
    state_cookies_sent: list[str] = []  # Set-Cookie headers of the tool's login responses

    def record_login(response: Response) -> None:
        if response.url.startswith(f"{lti.tool_url}/lti/login"):
            state_cookies_sent.append(response.header_value("set-cookie") or "")

    page.on("response", record_login)

    # 0. The course page on the LMS site (localhost); the tool lives on 127.0.0.1.
    page.goto(course_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(seed.DEMO_COURSE_TITLE)
    visit_step(page, a11y, shots, "course-page")

    # 2. A learner opens the seeded link before any activity exists.
    launch_link_as(page, seed.DEMO_LINK_TITLE, NOT_READY_LEARNER.name)
    frame = tool_frame(page)
    expect(page.frame_locator("iframe[name=tool-frame]").locator("main")).to_contain_text(
        "has not set up this activity yet"
    )
    expect(page.frame_locator("iframe[name=tool-frame]").locator(".pp-user")).to_contain_text(
        NOT_READY_LEARNER.name
    )
    visit_step(page, a11y, shots, "learner-not-ready", frame)

    # 3. The instructor adds a welcome page through Deep Linking.
    page.goto(course_url)
    page.get_by_role(
        "link", name=f"Add an activity with PeerPath as {INSTRUCTOR.name}", exact=True
    ).click()
    frame = tool_frame(page)
    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_have_text("Add a PeerPath activity")
    visit_step(page, a11y, shots, "deep-link-picker", frame)
    tool.get_by_label("Welcome page").check()
    tool.locator("#welcome-title").fill(TITLE)
    tool.locator("#welcome-message").fill(FIRST_MESSAGE)
    tool.get_by_role("button", name="Add to course").click()
    # The tool auto-posts the signed response; the LMS then takes the whole page back to the course.
    page.wait_for_url(course_url)
    new_card = page.locator("li.activity", has=page.get_by_role("heading", name=TITLE, exact=True))
    expect(new_card).to_have_count(1)
    visit_step(page, a11y, shots, "course-page-with-new-link")

    # 4. The instructor opens the new link and edits the message inside the tool.
    launch_link_as(page, TITLE, INSTRUCTOR.name)
    frame = tool_frame(page)
    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(tool.locator("main")).to_contain_text(FIRST_MESSAGE)
    visit_step(page, a11y, shots, "instructor-welcome-page", frame)
    tool.get_by_role("link", name="Edit welcome page").click()
    expect(tool.get_by_role("heading", level=1)).to_have_text("Edit welcome page")
    visit_step(page, a11y, shots, "instructor-edit-page", frame)
    tool.get_by_label("Welcome message").fill(EDITED_MESSAGE)
    tool.get_by_role("button", name="Save").click()
    expect(tool.locator("main")).to_contain_text(EDITED_MESSAGE)
    expect(tool.locator("main")).not_to_contain_text(FIRST_MESSAGE)
    assert "/a/" in frame.url, frame.url  # back on the activity page, still authenticated
    visit_step(page, a11y, shots, "instructor-after-save", frame)

    # 5. A learner with a non-Latin name sees the instructor's message and no edit button.
    page.goto(course_url)
    launch_link_as(page, TITLE, LEARNER.name)
    frame = tool_frame(page)
    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(tool.locator("main")).to_contain_text(EDITED_MESSAGE)
    expect(tool.locator(".pp-user")).to_contain_text(LEARNER.name)
    expect(tool.locator(".pp-user")).to_contain_text("Learner")
    expect(tool.get_by_role("link", name="Edit welcome page")).to_have_count(0)
    visit_step(page, a11y, shots, "learner-welcome-page", frame)

    # 6. How each launch was bound to the browser: never by a cookie (none reached the tool).
    with lti.app.app_context():
        bindings = db.session.scalars(select(LaunchSession.binding)).all()
    expected = "platform_storage" if storage_on else "handle"
    assert bindings == [expected] * 4, bindings
    # The tool did try: each login sent a state cookie, which the browser refused to keep.
    assert len(state_cookies_sent) == 4, state_cookies_sent
    assert all(h.startswith("pp_lti_") for h in state_cookies_sent), state_cookies_sent
    assert context.cookies(lti.tool_url) == [], context.cookies(lti.tool_url)

    # 7. Accessibility of every page above.
    a11y.assert_clean()
