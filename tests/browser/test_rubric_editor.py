"""The rubric editor in Chromium, framed in the dev LMS with third-party cookies blocked.

An instructor opens the course's rubrics, starts a rubric, adds a criterion and a level with
the keyboard only (the page's script adds the rows, moves the focus and announces it), saves
with Enter, meets a validation error next to the form, and sees the frozen rubric read-only.
axe-core checks every state; any console error, page error or dialog fails the test.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Response, expect
from sqlalchemy import select

from lti_tool.devlms import seed
from lti_tool.extensions import db
from lti_tool.models import Rubric
from lti_tool.reviews import rubrics

pytestmark = pytest.mark.browser

INSTRUCTOR = next(p for p in seed.INSTRUCTORS if p.id == "u-1001")  # Aoife Ní Bhriain

expect.set_options(timeout=10_000)


def test_instructor_adds_a_criterion_with_the_keyboard_and_saves(lti, context, a11y, shots):
    page = context.new_page()
    problems: list[str] = []
    failed: list[tuple[int, str]] = []  # HTTP answers >= 400 (the browser logs them too)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error: {message.text}")

    def response(answer: Response) -> None:
        # The browser's own favicon probe of the dev LMS (which has none) is not the page's doing.
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            failed.append((answer.status, answer.url.split("?")[0]))

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def refuse(dialog: Dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", refuse)

    # Launch as the instructor inside the LMS page; the tool's frame carries its launch token.
    page.goto(f"{lti.lms_url}/courses/{lti.course.course_id}")
    page.get_by_role(
        "link", name=f"Launch “{seed.DEMO_LINK_TITLE}” as {INSTRUCTOR.name}", exact=True
    ).click()
    page.wait_for_url("**/launch?**")
    frame = page.wait_for_selector("iframe[name=tool-frame]").content_frame()
    assert frame is not None
    expect(frame.locator("main")).to_be_visible()
    frame.wait_for_url("**lt=*")
    token = parse_qs(urlsplit(frame.url).query)["lt"][0]
    tool = page.frame_locator("iframe[name=tool-frame]")

    def check(step: str) -> None:
        frame.wait_for_load_state("load")
        shots.take(page, step)
        a11y.check(frame, step)

    # 1. The list, then a new rubric from the starter.
    frame.goto(f"{lti.tool_url}/rubrics/?lt={token}")
    expect(tool.get_by_role("heading", level=1)).to_have_text("Rubrics")
    check("list-empty")
    tool.get_by_role("button", name="New rubric").click()
    expect(tool.get_by_role("heading", level=1)).to_have_text(
        "Edit rubric: Feedback on a piece of work"
    )
    criteria = tool.locator("#pp-criteria > fieldset")
    expect(criteria).to_have_count(3)
    check("editor")

    # 2. Keyboard only: Enter on "Add criterion" adds a fieldset in the page and focuses it.
    requests_sent: list[str] = []
    page.on("request", lambda r: requests_sent.append(r.url) if r.method == "POST" else None)
    add = tool.get_by_role("button", name="Add criterion")
    add.focus()
    page.keyboard.press("Enter")
    expect(criteria).to_have_count(4)
    fourth = criteria.nth(3)
    expect(fourth.locator("legend").first).to_have_text("Criterion 4")
    title = fourth.get_by_label("Title", exact=True)
    expect(title).to_be_focused()
    expect(tool.locator("#pp-rubric-status")).to_have_text("Criterion 4 added.")
    assert requests_sent == [], "adding a criterion should not need the server"
    page.keyboard.type("Listens to the room — ¡sí!")
    for _step in range(5):  # description, weight, comment, feedback only, first level's points
        page.keyboard.press("Tab")
    expect(fourth.get_by_label("Points (level 1)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(fourth.get_by_label("What this level looks like (level 1)")).to_be_focused()
    page.keyboard.type("Talks over questions.")
    page.keyboard.press("Tab")  # remove level 1
    page.keyboard.press("Tab")  # level 2 points
    page.keyboard.press("Tab")
    expect(fourth.get_by_label("What this level looks like (level 2)")).to_be_focused()
    page.keyboard.type("Answers questions.")
    page.keyboard.press("Tab")  # remove level 2
    page.keyboard.press("Tab")
    expect(fourth.get_by_role("button", name="Add level to criterion 4")).to_be_focused()
    page.keyboard.press("Space")
    level3_points = fourth.get_by_label("Points (level 3)")
    expect(level3_points).to_be_focused()
    expect(level3_points).to_have_value("2")
    expect(tool.locator("#pp-rubric-status")).to_have_text("Level added to criterion 4.")
    page.keyboard.press("Tab")
    page.keyboard.type("Invites the quiet voices in.")
    assert requests_sent == []
    check("criterion-added")

    # A criterion added by mistake goes again; the focus returns to the one before it.
    add.focus()
    page.keyboard.press("Enter")
    expect(criteria).to_have_count(5)
    remove = criteria.nth(4).get_by_role("button", name="Remove criterion 5")
    remove.focus()
    page.keyboard.press("Enter")
    expect(criteria).to_have_count(4)
    expect(title).to_be_focused()
    expect(tool.locator("#pp-rubric-status")).to_have_text("Criterion removed.")
    assert requests_sent == []

    # 3. Enter in a text field saves (the first button of the form is "Save rubric").
    page.keyboard.press("Enter")
    expect(tool.get_by_role("status").filter(has_text="Rubric saved.")).to_be_visible()
    expect(criteria).to_have_count(4)
    check("saved")
    with lti.app.app_context():
        rubric = db.session.scalars(select(Rubric)).one()
        added = rubric.definition["criteria"][3]
        assert added["title"] == "Listens to the room — ¡sí!"
        assert [(lv["points"], lv["descriptor"]) for lv in added["levels"]] == [
            (0, "Talks over questions."),
            (1, "Answers questions."),
            (2, "Invites the quiet voices in."),
        ]

    # 4. A level without its descriptor: the error is next to the form, typed values kept.
    fourth.get_by_label("What this level looks like (level 2)").fill("")
    tool.get_by_label("Title of the rubric").fill("Typed before the error")
    tool.get_by_role("button", name="Save rubric").first.click()
    error = tool.get_by_role("alert")
    expect(error).to_contain_text(
        "Criterion 4 (Listens to the room — ¡sí!), level 2: the descriptor is missing."
    )
    expect(tool.get_by_label("Title of the rubric")).to_have_value("Typed before the error")
    check("error")
    error.get_by_role("link", name="Go to criterion 4").click()

    # 5. Once a review uses it, it is frozen: read-only, with 'Copy to change'.
    with lti.app.app_context():
        rubric = db.session.scalars(select(Rubric)).one()
        rubrics.freeze_if_needed(rubric)
        db.session.commit()
        public_id = rubric.public_id
    frame.goto(f"{lti.tool_url}/rubrics/{public_id}?lt={token}")
    expect(tool.get_by_role("button", name="Copy to change")).to_be_visible()
    expect(tool.locator("#pp-rubric-form")).to_have_count(0)
    check("frozen")
    frame.goto(f"{lti.tool_url}/rubrics/?lt={token}")
    expect(tool.locator("#pp-course-rubrics")).to_contain_text("Frozen")
    check("list-frozen")

    assert problems == [], problems
    assert failed == [(422, f"{lti.tool_url}/rubrics/{public_id}")], failed
    a11y.assert_clean()
