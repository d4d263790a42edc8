"""The goal page and the check-in form in Chromium, framed in the dev LMS with third-party
cookies blocked: a coachee sets a goal ("Check my goal" lists what is missing first), saves it,
adds a milestone, records a check-in by the form's labels; the coach gives feedback. axe-core
(no violation at all) on each page; any console error, page error or dialog fails the test.
"""

from __future__ import annotations

import pytest
from coaching_goals_support import Circle, in_days
from coaching_support import place_coaching
from journey_support import Journey, PageProblems, person
from playwright.sync_api import expect
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Goal

pytestmark = pytest.mark.browser

COACH = person("u-2001")  # 佐藤 花子
COACHEE = person("u-2002")  # José Ramírez Núñez
TITLE = "Coaching circle"

expect.set_options(timeout=10_000)


def test_set_a_goal_check_it_check_in_and_get_feedback(lti, context, a11y, shots) -> None:
    circle = Circle(lti, place_coaching(lti, TITLE))
    circle.pair(COACH.id, COACHEE.id)
    page = context.new_page()
    problems = PageProblems(page)
    journey = Journey(page, lti, a11y, shots)
    tool = journey.tool

    # 1. The coachee's coaching page: no goal yet.
    journey.launch(TITLE, COACHEE)
    expect(tool.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(tool.locator("#no-goals")).to_be_visible()
    journey.check("coaching-page")

    # 2. A vague goal: "Check my goal" lists what is missing and saves nothing.
    journey.click_until(
        tool.get_by_role("link", name="Set a new goal"),
        tool.get_by_role("heading", level=1, name="Set a goal"),
    )
    tool.get_by_label("What do you want to achieve?").fill("Get better at negotiating")
    tool.get_by_label("How will you measure success?").fill("More deals")
    tool.get_by_role("button", name="Check my goal").click()
    findings = tool.locator("#smart-findings")
    expect(findings).to_contain_text("Say why it matters.")
    expect(findings).to_contain_text("Set a target date.")
    expect(tool.get_by_label("What do you want to achieve?")).to_have_value(
        "Get better at negotiating"
    )
    journey.check("goal-form-with-findings")

    # 3. Completed and saved: the goal page, SMART check clean.
    tool.get_by_label("Why does it matter?").fill("My team needs a second negotiator")
    tool.get_by_label("How will you measure success?").fill(
        "Two signed contracts at a discount under 5%"
    )
    tool.get_by_label("Target date").fill(in_days(60))
    tool.get_by_label("What do you want to achieve?").fill(
        "Lead two client negotiations on my own this quarter"
    )
    tool.get_by_role("button", name="Save goal").click()
    expect(tool.locator("#saved")).to_have_text("Your goal is saved.")
    expect(tool.locator("#smart-findings-ok")).to_be_visible()
    tool.get_by_label("New milestone").fill("Shadow Ana in one negotiation")
    tool.get_by_label("By (optional)").fill(in_days(20))
    tool.get_by_role("button", name="Add milestone").click()
    expect(tool.locator("#milestone-list")).to_contain_text("Shadow Ana in one negotiation")
    journey.check("goal-page")

    # 4. The check-in form, filled by its labels; a bad progress is refused by the browser
    #    first (min/max), so send a good one.
    form = tool.get_by_role("group", name="Record a check-in")
    form.get_by_label("Progress towards the goal (0 to 100 per cent)").fill("30")
    form.get_by_label("What went well").fill("Prepared the first call with Ana")
    form.get_by_label("Blockers").fill("Legal takes a week to answer")
    form.get_by_label("Next step").fill("Book the call, agenda ready")
    form.get_by_role("button", name="Record check-in").click()
    expect(tool.locator("#saved")).to_have_text("Your check-in is recorded.")
    expect(tool.locator(".pp-checkin h3")).to_contain_text("30% done")
    journey.check("goal-page-with-check-in")

    # 5. The coach opens it from their coaching page and gives feedback.
    journey.launch(TITLE, COACH)
    tool.get_by_role("link", name="Lead two client negotiations on my own this quarter").click()
    expect(tool.get_by_role("heading", level=1)).to_have_text(f"Goal of {COACHEE.name}")
    expect(tool.locator("#edit-goal")).to_have_count(0)
    tool.get_by_label("Your feedback").fill("Good preparation: send the agenda in advance")
    tool.get_by_role("button", name="Send feedback").click()
    expect(tool.locator("#saved")).to_have_text("Your feedback is saved.")
    expect(tool.locator(".pp-feedback")).to_contain_text("send the agenda in advance")
    journey.check("coach-goal-page")

    problems.assert_none()
    a11y.assert_clean(strict=True)
    with lti.app.app_context():
        goal_id = db.session.scalars(select(Goal.public_id)).one()
    (row,) = circle.checkins(goal_id)
    assert (row.progress, row.coach_feedback) == (
        30,
        "Good preparation: send the agenda in advance",
    )
