"""The whole lesson flow in Chromium, framed in the dev LMS with third-party cookies blocked.

A colleague writes a graded lesson with a certificate in the editor, another reviews it with the
checklist, the author publishes it; an instructor places it with Deep Linking (a gradebook column
worth the lesson's points); a learner fails, then passes within the attempts the placement
allows; the grade sender delivers both scores to the dev LMS gradebook; the learner downloads the
certificate PDF, and its public verification page names learner, lesson, organisation, authors.
axe-core checks every page that stays on screen (tool frames and the LMS pages around them);
any console error, page error or dialog fails the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from journey_support import (
    Journey,
    PageProblems,
    deliver_grades,
    person,
    scores_received,
)
from playwright.sync_api import expect

from lti_tool.services import oauth

# About 30 s on an idle machine; three times that on a busy one: room beyond the 180 s default.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

AUTHOR = person("u-2007")  # Siobhán Ó Súilleabháin
REVIEWER = person("u-2001")  # 佐藤 花子
INSTRUCTOR = person("u-1001")  # Aoife Ní Bhriain
LEARNER = person("u-2003")  # Олена Коваленко
ORGANISATION = "PeerPath Dev LMS"  # the platform's name in PeerPath (tests/conftest.py)
SCREENSHOTS = Path("/tmp/journey")  # the `shots` fixture puts this module's screenshots here

TITLE = "Kind code reviews"
POINTS = 5  # 2 + 3: the gradebook column must be worth exactly this
ATTEMPTS = 2  # the instructor's choice when placing it: one retry per knowledge check
LESSON = f"""---
title: {TITLE}
summary: Review a colleague's change so that they want to ask you again.
tags: [code review, teamwork]
---

A review is a conversation between colleagues, not an exam.

## Start with what works

Name one thing the change does well before anything else.

::: quiz single id=first points=2
What do you say first in a kind review?

- [ ] Every problem you found, most serious first
  > A list of faults first makes people defensive.
- [x] One thing the change does well
  > Yes: it shows you read the change with care.
:::

## Ask, do not order

A question invites the author to think with you.

::: quiz multiple id=questions points=3
Which comments invite a conversation? Choose all that apply.

- [x] Could this loop stop earlier?
- [x] What happens when the list is empty?
- [ ] Rewrite this.
  > An order without a reason teaches nothing.
:::
"""
CODE = re.compile(r"PP(?:-[0-9A-Z]{4}){7}")

expect.set_options(timeout=10_000)


def pdf_text(path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils", pytrace=False)
    done = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=30
    )
    return done.stdout.decode("utf-8")


def test_write_review_publish_place_fail_pass_grade_certificate_verify(lti, context, a11y, shots):
    started = time.monotonic()
    oauth.tokens.clear()  # the grade sender asks this test's dev LMS for its own token
    page = context.new_page()
    problems = PageProblems(page)
    journey = Journey(page, lti, a11y, shots)
    tool = journey.tool

    # 0. The reviewer has been in the course (a member), so the author can ask her later.
    journey.launch_to_library(REVIEWER, check="not-ready")

    # 1. The author writes a blank lesson over with her own text, typed into the editor.
    journey.launch_to_library(AUTHOR)
    journey.check("library", lms=True)
    tool.get_by_label("A blank lesson").check()
    tool.get_by_role("button", name="Start writing").click()
    source = tool.locator("#pp-source")
    expect(source).to_be_visible()
    source.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(LESSON)
    status = tool.locator("#pp-save-status")
    preview = tool.locator("#pp-preview")
    expect(tool.locator("#pp-problems-box")).to_contain_text("No problems found.")
    expect(preview.locator("form.knowledge-check")).to_have_count(2)
    expect(preview).to_contain_text("Which comments invite a conversation?")
    expect(status).to_have_text("All changes saved")
    assert source.input_value() == LESSON
    # The certificate and the pass mark through the "Lesson details" fields: they write the
    # front matter of the source, which is previewed and saved like typed text.
    tool.get_by_label("Certificate for learners who pass").check()
    pass_mark = tool.get_by_label("Pass mark in percent")
    pass_mark.click()
    pass_mark.press_sequentially("80")
    expect(source).to_have_value(re.compile(r"\ncertificate: true\n"))
    expect(source).to_have_value(re.compile(r"\npass_mark: 80\n"))
    expect(status).to_have_text("All changes saved")
    expect(tool.locator("#pp-problems-box")).to_contain_text("No problems found.")
    journey.check("editor-written")
    # Trying a check in the preview keeps her in the editor (it used to post to a 405 page).
    editor_url = journey.frame().url
    preview.locator("#kc-first").get_by_label("One thing the change does well").check()
    preview.locator("#kc-first").get_by_role("button", name="Check answer").click()
    expect(source).to_be_visible()
    assert journey.frame().url == editor_url

    # 2. She asks her colleague for a review.
    tool.get_by_label(REVIEWER.name).check()
    tool.get_by_role("button", name="Ask for review").click()
    expect(tool.locator("#pp-status")).to_have_text("In review")
    expect(tool.get_by_role("heading", level=1)).to_have_text(TITLE)
    journey.check("editor-in-review")

    # 3. The colleague reviews it: checklist, comment, ready to publish.
    journey.open_review(REVIEWER, TITLE)
    expect(tool.locator(".pp-review-draft")).to_contain_text("What do you say first")
    draft_checks = tool.locator(".pp-review-draft").get_by_role("button", name="Check answer")
    expect(draft_checks).to_have_count(2)
    for button in draft_checks.all():
        expect(button).to_be_disabled()
    key = tool.get_by_role("region", name="Answer key")
    expect(key).to_contain_text("Right: One thing the change does well")
    expect(key).to_contain_text(
        "Wrong: Rewrite this. Feedback: An order without a reason teaches nothing."
    )
    key.scroll_into_view_if_needed()
    journey.check("review", lms=True)
    journey.approve("Short and kind. **Ready.**")
    expect(tool.locator(".pp-review-sent")).to_contain_text("ready to publish")
    expect(tool.locator(".pp-comments")).to_contain_text("Short and kind.")
    expect(tool.get_by_label("Ready to publish")).to_be_checked()
    journey.check("review-sent")

    # 4. The author sees the approval and publishes version 1.
    journey.open_own_lesson(AUTHOR, TITLE)
    reviews = tool.get_by_role("table", name="Reviewers and their answers")
    expect(reviews).to_contain_text("Approved")
    expect(reviews).to_contain_text(REVIEWER.name)
    tool.get_by_role("button", name="Publish version 1").click()
    expect(tool.get_by_role("heading", level=1)).to_have_text(TITLE)
    credits = tool.locator(".pp-credits")
    expect(credits).to_contain_text(AUTHOR.name)
    expect(credits).to_contain_text(REVIEWER.name)
    expect(tool.locator(".pp-lesson-page")).to_contain_text("Certificate at 80%")
    expect(
        tool.locator(".pp-lesson-page").get_by_role("button", name="Check answer").first
    ).to_be_disabled()
    journey.check("lesson-published")

    # 5. The instructor places it with Deep Linking; the picker lists the published lesson.
    page.goto(journey.course_url)
    journey.check_page("course-before")
    journey.open_picker(INSTRUCTOR)
    choice = tool.get_by_label(TITLE)
    expect(choice).to_have_count(1)
    expect(tool.locator(".pp-lesson-picker")).to_contain_text(f"graded, {POINTS} points")
    journey.check("picker", lms=True)
    tool.get_by_label("Lesson", exact=True).check()
    choice.check()
    attempts = tool.get_by_label("Attempts per knowledge check")
    attempts.fill(str(ATTEMPTS))
    placed = journey.place(TITLE, POINTS, "course-with-the-lesson")

    # 6. The learner: one check right, the other wrong -> completed, not passed.
    journey.launch(TITLE, LEARNER)
    expect(tool.get_by_role("heading", level=1)).to_have_text(TITLE)
    learn = tool.locator(".pp-learn")
    expect(learn).to_contain_text("Pass mark 80%")
    expect(learn).to_contain_text(f"{ATTEMPTS} attempts per check")
    expect(tool.get_by_role("link", name="Download your certificate (PDF)")).to_have_count(0)
    journey.check("learner-start", lms=True)
    first, second = tool.locator("#kc-first"), tool.locator("#kc-questions")
    first.get_by_label("One thing the change does well").check()
    first.get_by_role("button", name="Check answer").click()
    expect(tool.locator("#kc-first-feedback")).to_contain_text("Correct.")
    second.get_by_label("Rewrite this.").check()
    second.get_by_role("button", name="Check answer").click()
    feedback = tool.locator("#kc-questions-feedback")
    expect(feedback).to_contain_text("Not quite.")
    expect(feedback).to_contain_text("An order without a reason teaches nothing.")
    expect(feedback).to_contain_text("1 attempt left.")
    status = tool.locator(".pp-learn-status")
    expect(status).to_contain_text("Completed, not passed yet: 2 of 5 points (40%).")
    expect(tool.get_by_role("link", name="Download your certificate (PDF)")).to_have_count(0)
    journey.check("learner-failed")

    # 7. The grade sender delivers the failing score: the LMS gradebook shows 2 out of 5.
    deliver_grades(lti)
    journey.open_gradebook()
    expect(page.get_by_role("columnheader", name=TITLE)).to_contain_text(f"out of {POINTS}")
    row = page.get_by_role("row", name=LEARNER.name)
    expect(row).to_contain_text("2 / 5")
    expect(row).to_contain_text("Completed, FullyGraded")
    journey.check_page("gradebook-failed")

    # 8. The learner comes back and uses her second attempt: passed, certificate offered.
    journey.launch(TITLE, LEARNER)
    expect(status).to_contain_text("Completed, not passed yet")
    second.get_by_label("Could this loop stop earlier?").check()
    second.get_by_label("What happens when the list is empty?").check()
    second.get_by_role("button", name="Check answer").click()
    expect(feedback).to_contain_text("Correct.")
    expect(feedback).to_contain_text("No attempts left.")
    expect(status).to_contain_text("Completed and passed: 5 of 5 points (100%).")
    download_link = tool.get_by_role("link", name="Download your certificate (PDF)")
    expect(download_link).to_be_visible()
    journey.check("learner-passed", lms=True)

    # 9. The certificate: a real PDF with her name, the lesson and a verification code.
    with page.expect_download(timeout=60_000) as info:  # rendered on first download
        download_link.click()
    download = info.value
    assert re.fullmatch(
        r"certificate-kind-code-reviews-PP-[0-9A-Z]{4}\.pdf", download.suggested_filename
    )
    pdf = SCREENSHOTS / "certificate.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert LEARNER.name in text, text
    assert TITLE in text, text
    assert AUTHOR.name in text, text
    # The code is printed on its own and in the verification URL under the QR code.
    (code,) = set(CODE.findall(text))
    printed_url = lti.tool_url.split("://", 1)[1] + f"/verify/{code}"
    assert printed_url in text, text

    # 10. The passing score replaces the failing one in the LMS gradebook.
    deliver_grades(lti)
    page.goto(f"{journey.course_url}/gradebook")
    expect(row).to_contain_text("5 / 5")
    journey.check_page("gradebook-passed")
    # Both scores reached the AGS score endpoint, the failing one first.
    assert scores_received(lti, placed["line_item"]) == [
        (LEARNER.id, 2.0, float(POINTS)),
        (LEARNER.id, float(POINTS), float(POINTS)),
    ]

    # 11. Anyone holding the certificate types the printed address: the public check page.
    page.goto(f"http://{printed_url}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate check")
    expect(page.get_by_role("status")).to_contain_text("Valid certificate.")
    details = page.locator(".pp-verify")
    expect(details).to_contain_text(LEARNER.name)
    expect(details).to_contain_text(TITLE)
    expect(details).to_contain_text(ORGANISATION)
    expect(details).to_contain_text(AUTHOR.name)
    expect(details).to_contain_text(code)
    journey.check_page("verify")

    problems.assert_none()
    a11y.assert_clean(strict=True)
    print(f"\nwhole lesson journey: {time.monotonic() - started:.1f} s, {len(a11y.checked)} pages")
