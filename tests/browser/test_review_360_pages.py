"""360 feedback pages in Chromium, checked by axe-core: a person nominates a colleague on the
nomination page (keyboard), the instructor's nominations page, the colleague's "Feedback for"
form, the results page below and above the threshold, and a development goal made from it.

A quick accessibility check of the 360 pages; the rules are tested in tests/test_reviews_360.py.
"""

from __future__ import annotations

import re

import pytest
from coaching_support import place_coaching
from playwright.sync_api import Page, expect
from reviews_support import move_phase
from test_reviews_360 import COLLEAGUES, NAMES, SUBJECT, circle, names_in

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def _open(page: Page, member, path: str) -> None:
    page.goto(f"{member.base}{path}?lt={member.token}")
    page.wait_for_load_state("load")


def test_nomination_and_results_pages_pass_axe(lti, context, a11y, shots) -> None:
    c = circle(lti, [SUBJECT, *COLLEAGUES[:3]])
    coaching = place_coaching(lti, "Coaching circle")
    for reviewer in COLLEAGUES[1:3]:
        assert c.nominate(SUBJECT, c.pid(reviewer)).status_code == 200
    subject = c.people[SUBJECT]
    page = context.new_page()

    # The person nominates one more colleague, by keyboard.
    _open(page, subject, c.path)
    page.get_by_role("link", name="Nominate colleagues").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nominate colleagues")
    a11y.check(page.main_frame, "nomination page")
    choice = page.get_by_label("Colleague", exact=True)
    choice.focus()
    choice.select_option(label=NAMES[COLLEAGUES[0]])
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Nominate", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Nominated. Your instructor decides on it.")
    expect(page.get_by_role("cell", name=NAMES[COLLEAGUES[0]], exact=True)).to_be_visible()
    shots.take(page, "nominations")
    a11y.check(page.main_frame, "nomination page with nominations")

    # The instructor approves all three at once.
    teacher = context.new_page()
    _open(teacher, c.teacher, f"{c.path}/people/manage")
    a11y.check(teacher.main_frame, "instructor's nominations page")
    teacher.get_by_role("button", name="Approve all 3 waiting nominations").click()
    expect(teacher.get_by_role("status")).to_have_text("3 nominations approved.")
    a11y.check(teacher.main_frame, "instructor's nominations page after approving")
    move_phase(c.teacher, c.placed, "review")

    # A colleague's form says whom the feedback is for.
    colleague = c.people[COLLEAGUES[0]]
    _open(page, colleague, c.path)
    page.get_by_role("link", name=f"Give feedback ({NAMES[SUBJECT]})").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Feedback for {NAMES[SUBJECT]}")
    a11y.check(page.main_frame, "360 feedback form")
    for name, level in (
        ("Communication", "3 points"),
        ("Collaboration", "4 points"),
        ("Ownership", "2 points"),
        ("Growth", "3 points"),
    ):
        page.get_by_role("group", name=name).get_by_label(level).check()
    page.get_by_role("group", name="One thing to keep doing").get_by_role("textbox").fill(
        "Keeps the stand-up short."
    )
    page.get_by_role("group", name="One thing to try").get_by_role("textbox").fill(
        "Say earlier when a date slips."
    )
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_role("cell", name="Answered")).to_be_visible()

    # One answer: the person sees the count only.
    _open(page, subject, f"{c.path}/people/results")
    expect(page.locator("#waiting")).to_have_text(
        "1 of 3 colleagues has answered; your results appear when at least 3 have."
    )
    assert "Keeps the stand-up short." not in page.content()
    a11y.check(page.main_frame, "results page below the threshold")

    for reviewer in COLLEAGUES[1:3]:
        assert c.answer(reviewer).status_code == 200
    move_phase(c.teacher, c.placed, "grading")  # results show once answering has ended
    _open(page, subject, f"{c.path}/people/results")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your 360 feedback")
    expect(page.get_by_role("heading", name="Ownership")).to_be_visible()
    expect(page.get_by_text("Keeps the stand-up short.")).to_be_visible()
    assert names_in(page.content(), COLLEAGUES[:3]) == []
    shots.take(page, "results")
    a11y.check(page.main_frame, "results page")

    # Turned into a development goal, prefilled from the lowest-rated competency.
    expect(page.get_by_label("What you want to achieve")).to_have_value(
        "Grow in Ownership, towards: Usually delivers what was promised and says early when something slips."
    )
    page.get_by_label("Target date (optional)").fill("2030-06-30")
    page.get_by_role("button", name="Create the goal").click()
    expect(page).to_have_url(re.compile(rf"/coach/{coaching.activity_id}/goals/[0-9a-f-]+\?"))
    expect(page.get_by_text("Grow in Ownership")).to_be_visible()
    shots.take(page, "goal")
    a11y.assert_clean(strict=True)
