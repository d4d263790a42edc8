"""The reviewing pages in Chromium, checked by axe-core: the participant page with its "Reviews
to do", the rubric review form (filled with the keyboard and submitted), the comparison after a
practice review, and the author's feedback page with its helpfulness rating.

A quick accessibility check, not the full cycle (that is the peer review journey test).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from reviewing_support import cohort, move_phase, pairs, review, submission_of
from reviews_support import LEARNERS

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def _open(page: Page, member, path: str) -> None:
    page.goto(f"{member.base}{path}?lt={member.token}")
    page.wait_for_load_state("load")


def test_review_form_comparison_and_feedback_pages_pass_axe(lti, context, a11y, shots) -> None:
    c = cohort(
        lti, LEARNERS[:3], settings={"reviews_per_submission": "1", "calibration_examples": "1"}
    )
    added = c.teacher.post(
        f"{c.path}/examples",
        {"title": "Canteen pitch", "source": "We should open a canteen.", "explanation": "Why."},
    )
    assert added.status_code == 200
    example = added.text.split(f"{c.path}/reviewing/")[1].split("?")[0]
    assert review(c.teacher, c.placed, example, goal="partly", clarity="clear").status_code == 200
    move_phase(c.teacher, c.placed, "review")
    author, reviewer, _s = pairs(lti, c.placed)[0]
    work = submission_of(lti, c.placed, author)
    learner = c.people[reviewer]
    page = context.new_page()

    _open(page, learner, c.path)
    expect(page.get_by_role("heading", name="Practice reviews")).to_be_visible()
    shots.take(page, "participant-page")
    a11y.check(page.main_frame, "participant page with reviews to do")

    # Practice: the form by keyboard, then the comparison.
    page.get_by_role("link", name="Practise on this example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice review: Canteen pitch")
    a11y.check(page.main_frame, "practice review form")
    goal = page.get_by_role("group", name="Meets its goal")
    goal.get_by_label("2 points").check()
    page.get_by_role("group", name="Clear to its audience").get_by_label("2 points").check()
    page.get_by_role("group", name="One thing to try next").get_by_role("textbox").fill(
        "Say who it helps."
    )
    page.get_by_role("button", name="Submit and compare").click()
    expect(page.get_by_role("heading", name="How you compare with the reference")).to_be_visible()
    shots.take(page, "comparison")
    a11y.check(page.main_frame, "comparison after a practice review")

    # The peer review form, submitted.
    _open(page, learner, f"{c.path}/reviewing/{work}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of submission 1")
    shots.take(page, "review-form")
    a11y.check(page.main_frame, "review form")
    page.get_by_role("group", name="Meets its goal").get_by_label("1 point").check()
    page.get_by_role("group", name="Clear to its audience").get_by_label("2 points").check()
    page.get_by_role("group", name="One thing to try next").get_by_role("textbox").fill(
        "Add one customer quote."
    )
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_role("cell", name="Submitted")).to_be_visible()

    move_phase(c.teacher, c.placed, "grading")
    _open(page, c.people[author], f"{c.path}/feedback")
    expect(page.get_by_role("heading", name="Review 1")).to_be_visible()
    shots.take(page, "feedback")
    a11y.check(page.main_frame, "feedback page")
    page.get_by_role("group", name="How helpful was this review?").get_by_label(
        "4: very helpful"
    ).check()
    page.get_by_role("button", name="Save your rating").click()
    expect(page.get_by_text("You rated it 4 of 5.")).to_be_visible()
    a11y.check(page.main_frame, "feedback page after rating")
    a11y.assert_clean()
