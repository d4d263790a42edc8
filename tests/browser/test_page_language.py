"""The tool's <html lang> and dir describe the language its interface is actually shown in.

axe-core only checks that lang is a valid tag, so WCAG 3.1.1 (language of page) is checked here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lti_tool.devlms import seed

pytestmark = pytest.mark.browser

ARABIC_LEARNER = next(p for p in seed.LEARNERS if p.id == "u-2004")  # locale ar-EG
NOT_READY_EN = "Your instructor has not set up this activity yet."


def test_english_fallback_page_is_not_declared_arabic(lti, context, shots) -> None:
    page = context.new_page()
    page.goto(f"{lti.lms_url}/courses/{lti.course.course_id}")
    page.get_by_role(
        "link", name=f"Launch “{seed.DEMO_LINK_TITLE}” as {ARABIC_LEARNER.name}", exact=True
    ).click()
    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.locator("main")).to_contain_text("has not set up this activity yet", timeout=15_000)
    shots.take(page, "arabic-learner-english-fallback")
    html = tool.locator("html")
    if NOT_READY_EN in tool.locator("main").inner_text():
        # The interface fell back to English: the page must say so, left to right.
        assert (html.get_attribute("lang") or "").split("-")[0] == "en", html.get_attribute("lang")
        assert html.get_attribute("dir") == "ltr"
    else:
        assert (html.get_attribute("lang") or "").split("-")[0] == "ar"
        assert html.get_attribute("dir") == "rtl"
