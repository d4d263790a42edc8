"""The peer review dashboard in Chromium: an instructor opens a flagged review, changes a grade
with the keyboard (a reason is required), sends the grades; the learner then sees both.
axe-core checks every page and state; any console or page error fails the test.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from reviews_grading_support import AUTHOR, busy_class, submission_public_id

from lti_tool.services import worker

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def test_dashboard_override_with_the_keyboard_send_and_the_learners_grades(lti, context, a11y):
    group = busy_class(lti)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # "Failed to load resource" is the browser noting an HTTP error answer: the refused
    # override (400, on purpose) and its favicon probe; script errors still fail the test.
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )

    page.goto(f"{lti.tool_url}{group.path}/dashboard?lt={group.teacher.token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard: Pitch review")
    a11y.check(page.main_frame, "dashboard")

    # The flagged review, read from its link.
    expect(page.locator("#flagged li")).to_contain_text("Score 0 is 100 points")
    page.locator("#flagged a").first.click()
    expect(page.locator("main")).to_contain_text("I did not like it.")
    page.go_back()

    # Change the author's grade with the keyboard: a blank reason is refused next to the form.
    # The form is folded under its row's "Change the grade" until it is opened.
    work = submission_public_id(group, AUTHOR)
    score = page.locator(f"#score-{work}")
    expect(score).to_be_hidden()
    page.locator(f'tr[data-submission="{work}"] summary').focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(score).to_be_focused()
    page.keyboard.type("88")
    page.keyboard.press("Tab")
    page.keyboard.type(" ")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#override-error-{work}")).to_contain_text("Give a reason")
    expect(page.locator(f"#score-{work}")).to_have_value("88")  # kept, its fold open
    a11y.check(page.main_frame, "dashboard with an override error")
    page.locator(f"#reason-{work}").fill("Checked the deck with the team.")
    page.locator(f"#reason-{work}").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#dashboard-message")).to_contain_text("the reason is kept with it")
    row = page.locator(f'tr[data-submission="{work}"]')
    expect(row).to_have_attribute("data-final", "88")
    expect(row).to_contain_text("Checked the deck with the team.")

    page.get_by_role("button", name="Send grades").click()
    expect(page.locator("#dashboard-message")).to_contain_text("grades queued for the gradebook")
    worker.drain(lti.app, timeout=30)
    page.reload()
    expect(page.locator('#outbox-counts tr[data-status="failed"] td')).to_have_text("0")
    a11y.check(page.main_frame, "dashboard after sending")

    learner = context.new_page()
    learner.goto(f"{lti.tool_url}{group.path}?lt={group[AUTHOR].token}")
    expect(learner.locator("#work-grade")).to_contain_text("Your work: 88 of 100")
    expect(learner.locator("#work-grade")).to_contain_text("Set by your instructor.")
    a11y.check(learner.main_frame, "the learner's page with grades")

    assert not problems, problems
    a11y.assert_clean()
