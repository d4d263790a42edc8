"""Preparing a course's certificate ZIP in Chromium: the button makes the missing PDFs step by
step, the progress bar and its live text follow, then the download is offered and holds them all.
axe-core checks the page before and after.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from lessons_support import Member
from playwright.sync_api import expect
from test_certificates_flow import _passed, _setup

pytestmark = pytest.mark.browser

LEARNERS = ("u-2003", "u-2004", "u-2005")
expect.set_options(timeout=20_000)


@pytest.fixture
def app_config(app_config) -> dict:
    # One PDF per request: three requests, so the page really shows progress in between.
    return {**app_config, "CERTIFICATE_PREPARE_BATCH": 1, "CERTIFICATE_PREPARE_SECONDS": 0}


def test_instructor_prepares_the_pdfs_with_progress_then_downloads_them(
    lti, context, a11y, shots
) -> None:
    link = _setup(lti)
    for sub in LEARNERS:
        _passed(lti, sub, link["id"])
    teacher = Member.launch(lti, "u-1001")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_console(msg) -> None:
        # The browser's own favicon probe (the tool has none) is not the page's doing.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{msg.location.get('url')}: {msg.text}")

    page.on("console", on_console)
    steps: list[str] = []
    page.on("request", lambda r: steps.append(r.method) if r.url.endswith("/prepare") else None)

    page.goto(f"{lti.tool_url}/certificates/course?lt={teacher.token}")
    bar = page.get_by_role("progressbar", name="PDFs ready")
    text = page.locator("#pp-cert-progress-text")
    expect(bar).to_have_attribute("max", "3")
    expect(bar).to_have_js_property("value", 0)
    expect(text).to_have_text("0 of 3 PDFs are ready.")
    shots.take(page, "before")
    a11y.check(page.main_frame, "certificates: before")

    button = page.get_by_role("button", name="Make the missing PDFs")
    button.focus()
    page.keyboard.press("Enter")  # keyboard works as well as a click
    expect(text).to_have_text("All 3 PDFs are ready: download the ZIP.")
    expect(bar).to_have_js_property("value", 3)
    assert steps == ["POST", "POST", "POST"], steps  # one bounded step per request
    download_link = page.get_by_role("link", name="Download all as ZIP")
    expect(download_link).to_be_focused()
    expect(button).to_be_hidden()
    shots.take(page, "ready")
    a11y.check(page.main_frame, "certificates: ready")

    with page.expect_download() as info:
        download_link.click()
    archive = zipfile.ZipFile(io.BytesIO(info.value.path().read_bytes()))
    names = archive.namelist()
    assert len(names) == 3 and all(archive.read(n).startswith(b"%PDF") for n in names)

    assert not errors, errors
    a11y.assert_clean()
