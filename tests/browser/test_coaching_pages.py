"""The coaching profile form and the pairing pages in Chromium, checked by axe-core: a
participant fills in their profile with labels only (checkboxes, priority selects, capacity),
the instructor previews matching, confirms the pairs, and the coachee reads why.

A quick accessibility check, not the whole coaching journey.
"""

from __future__ import annotations

import pytest
from coaching_pairing_support import NAMES, pairs, programme, stored_profile
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def _open(page: Page, member, path: str) -> None:
    page.goto(f"{member.base}{path}?lt={member.token}")
    page.wait_for_load_state("load")


def test_profile_form_and_pairing_pages_pass_axe(lti, context, a11y, shots) -> None:
    p = programme(lti)
    p.profile("u-2001", can=("SQL",), capacity=1)
    coachee = p.member("u-2003")
    page = context.new_page()

    # The participant's profile form, by its labels.
    _open(page, coachee, p.path)
    expect(page.get_by_role("heading", name="Your coaching profile")).to_be_visible()
    a11y.check(page.main_frame, "coaching page with the profile form")
    page.get_by_label("Priority for growing SQL").select_option("1")
    page.get_by_label("Priority for growing Negotiation").select_option("2")
    page.get_by_label("Can coach Excel").check()
    page.get_by_label("How many people you can coach at once").fill("1")
    page.get_by_label("Team").fill("Київ")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    shots.take(page, "profile-saved")
    a11y.check(page.main_frame, "profile saved")
    saved = stored_profile(lti, "u-2003")
    assert saved.wants == [p.skills["SQL"], p.skills["Negotiation"]] and saved.team == "Київ"

    # A refused form: the error is announced and the page still passes.
    page.get_by_label("Priority for growing Excel").select_option("1")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_role("alert")).to_contain_text("both have priority 1")
    a11y.check(page.main_frame, "profile form with an error")

    # The instructor: pairing page, preview, confirm.
    _open(page, p.teacher, f"{p.path}/pairing")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pairing")
    shots.take(page, "pairing-page")
    a11y.check(page.main_frame, "pairing page")
    page.get_by_role("button", name="Preview the pairs").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Proposed pairs")
    expect(page.get_by_text(f"Paired because {NAMES['u-2001']} can coach SQL")).to_be_visible()
    shots.take(page, "preview")
    a11y.check(page.main_frame, "matching preview")
    assert pairs(lti) == set()
    page.get_by_role("button", name="Confirm these pairs").click()
    expect(page.get_by_role("status")).to_contain_text("The new pairs are saved")
    a11y.check(page.main_frame, "pairing page after confirming")
    assert pairs(lti) == {("u-2001", "u-2003", "auto")}

    _open(page, p.teacher, f"{p.path}/people")
    expect(page.get_by_role("table", name="Participants and their profiles")).to_be_visible()
    a11y.check(page.main_frame, "people page")

    # The coachee reads who coaches them and why.
    _open(page, coachee, p.path)
    expect(page.locator("#my-coach")).to_contain_text(NAMES["u-2001"])
    expect(page.locator("#my-coach")).to_contain_text("can coach SQL")
    shots.take(page, "coachee-page")
    a11y.check(page.main_frame, "coachee's page with their coach")
    a11y.assert_clean()
