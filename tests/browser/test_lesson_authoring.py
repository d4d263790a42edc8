"""Lesson authoring in Chromium, framed in the dev LMS with third-party cookies blocked.

A learner finds the library from the not-ready page, starts from an example lesson, and the
editor's JavaScript does its job for real: debounced live preview (sanitised), problems with
line numbers, autosave that survives a reload, the "Lesson details" fields and the source
following each other, image upload at the cursor. A colleague reviews
with the checklist and approves; the author publishes; the lesson page credits both.
axe-core checks every page; any console error, page error or dialog fails the test.
"""

from __future__ import annotations

import io
import re
import time

import pytest
from journey_support import Journey, PageProblems, person
from PIL import Image
from playwright.sync_api import Frame, Request, expect

pytestmark = pytest.mark.browser

AUTHOR = person("u-2007")  # Siobhán Ó Súilleabháin
REVIEWER = person("u-2001")  # 佐藤 花子
EXAMPLE_TITLE = "Giving useful feedback"  # content/examples/01-giving-useful-feedback.md
MARKER = "Written in the browser: ¡hola!"
SCRIPT = "<script>alert(1)</script>"

expect.set_options(timeout=10_000)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def select_in_source(frame: Frame, text: str) -> None:
    """Put the editor's selection on the first occurrence of ``text`` (as a mouse drag would)."""
    found = frame.evaluate(
        """(text) => {
            const s = document.getElementById('pp-source');
            const at = s.value.indexOf(text);
            if (at < 0) return false;
            s.focus();
            s.setSelectionRange(at, at + text.length);
            return true;
        }""",
        text,
    )
    assert found, f"{text!r} is not in the editor"


def test_author_preview_autosave_upload_review_publish(lti, context, a11y, shots) -> None:
    started = time.monotonic()
    page = context.new_page()
    problems = PageProblems(page)
    previews: list[Request] = []
    page.on("request", lambda r: previews.append(r) if r.url.endswith("/preview") else None)
    journey = Journey(page, lti, a11y, shots)
    tool = journey.tool

    # 0. The reviewer has been in the course (a member), so the author can ask her later.
    journey.launch_to_library(REVIEWER)

    # 1. The author: not-ready page -> library -> start from an example lesson.
    journey.launch_to_library(AUTHOR)
    journey.check("library")
    tool.get_by_label(f"Example: {EXAMPLE_TITLE}").check()
    tool.get_by_role("button", name="Start writing").click()
    expect(tool.get_by_role("heading", level=1)).to_have_text(EXAMPLE_TITLE)
    source = tool.locator("#pp-source")
    preview = tool.locator("#pp-preview")
    status = tool.locator("#pp-save-status")
    assert "title: Giving useful feedback" in source.input_value()
    # Starting from an example credits the person writing, not the example's authors.
    assert f'authors: ["{AUTHOR.name}"]' in source.input_value()
    frame = journey.frame()
    journey.check("editor-from-example")

    # 2. Typing: the preview follows (debounced) and is sanitised; autosave says so.
    source.press("Control+End")
    before = len(previews)
    source.press_sequentially(f"\n\n{SCRIPT}\n\n{MARKER}\n", delay=15)
    expect(preview).to_contain_text(MARKER)
    assert 1 <= len(previews) - before <= 2, (
        f"{len(previews) - before} preview requests for one burst of typing: not debounced"
    )
    sent = previews[-1]
    assert (sent.headers.get("authorization") or "").startswith("Bearer ")
    assert sent.headers.get("x-csrf-token")
    expect(preview.locator("script")).to_have_count(0)
    assert "<script" not in preview.inner_html()
    expect(status).to_have_text("All changes saved")
    expect(tool.locator("#pp-problems-box")).to_contain_text("No problems found.")
    journey.check("editor-typed")

    # 3. A broken front-matter key: a problem with its line number; the line button selects it.
    select_in_source(frame, "summary:")
    frame.page.keyboard.type("sumary:")
    problem = tool.locator("#pp-problems li", has_text="unknown front-matter key 'sumary'")
    expect(problem).to_have_count(1)
    expect(problem.locator(".pp-problem-line")).to_have_text("Line 3")
    expect(problem).to_contain_text("did you mean 'summary'")
    expect(status).to_have_text("All changes saved")  # a draft with errors is saved too
    journey.check("editor-problem")
    problem.get_by_role("button", name="Line 3").click()
    expect(source).to_be_focused()
    selected = frame.evaluate(
        "() => { const s = document.getElementById('pp-source');"
        " return s.value.slice(s.selectionStart, s.selectionEnd); }"
    )
    assert selected.startswith("sumary:"), selected
    select_in_source(frame, "sumary:")
    frame.page.keyboard.type("summary:")
    # Until the debounced save is back the status must not claim everything is saved.
    expect(status).not_to_have_text("All changes saved", timeout=500)
    expect(tool.locator("#pp-problems-box")).to_contain_text("No problems found.")
    expect(status).to_have_text("All changes saved")

    # 4. Autosave persisted: a reload of the editor shows the typed text.
    frame.goto(frame.url)
    expect(source).to_contain_text(MARKER)
    assert f'authors: ["{AUTHOR.name}"]' in source.input_value()
    assert "\nsummary:" in source.input_value()

    # 4b. The "Lesson details" fields: typing in one rewrites its front-matter line (the
    # preview's problems follow); editing the source updates the field. No clicks: keyboard.
    frame = journey.frame()
    details = tool.get_by_role("form", name="Lesson details")
    expect(details.get_by_label("Authors, one per line")).to_have_value(AUTHOR.name)
    expect(details.get_by_label("Certificate for learners who pass")).to_be_checked()
    slug = details.get_by_label("Page name (slug)")
    slug.press_sequentially("Not a slug", delay=15)
    expect(source).to_have_value(re.compile(r"\npass_mark: 70\nslug: Not a slug\n---\n"))
    expect(tool.locator("#pp-problems li", has_text="slug 'Not a slug'")).to_have_count(1)
    slug.fill("")
    slug.press_sequentially("useful-feedback", delay=15)
    expect(source).to_have_value(re.compile(r"\nslug: useful-feedback\n---\n"))
    expect(tool.locator("#pp-problems-box")).to_contain_text("No problems found.")
    details.get_by_label("Level").select_option("intermediate")
    expect(source).to_have_value(re.compile(r"\nlevel: intermediate\n"))
    assert MARKER in source.input_value()  # the body is untouched
    select_in_source(frame, "summary:")
    frame.page.keyboard.type("summary: Edited in the source. ")
    expect(details.get_by_label("Summary", exact=True)).to_have_value(
        re.compile(r"^Edited in the source\. ")
    )
    expect(status).to_have_text("All changes saved")
    journey.check("editor-fields")

    # 5. Upload a PNG: the Markdown reference goes in at the cursor; the preview shows it.
    frame = journey.frame()
    anchor = "## Why peers give the best feedback"
    frame.evaluate(
        """(anchor) => { const s = document.getElementById('pp-source');
            const at = s.value.indexOf(anchor); s.focus(); s.setSelectionRange(at, at); }""",
        anchor,
    )
    tool.get_by_label("Image file").set_input_files(
        {"name": "team board.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    tool.get_by_label("What the picture shows (alt text)").fill("A blue team board")
    tool.get_by_role("button", name="Add image").click()
    expect(tool.locator("#pp-upload-status")).to_have_text(
        "Image added to the lesson at the cursor."
    )
    text = source.input_value()
    ref = text[text.index("![A blue team board](") :].split("\n", 1)[0]
    assert ref.endswith(".png)"), ref
    assert f"{ref}\n{anchor}" in text, "the image reference is not at the cursor"
    image = preview.get_by_role("img", name="A blue team board")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()  # loading="lazy"
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 8, "the uploaded image did not load"
    expect(status).to_have_text("All changes saved")
    journey.check("editor-image")

    # 6. Ask the colleague to review.
    tool.get_by_label(REVIEWER.name).check()
    tool.get_by_role("button", name="Ask for review").click()
    expect(tool.locator("#pp-status")).to_have_text("In review")

    # 7. The colleague (her own launch) reviews with the checklist and approves.
    journey.open_review(REVIEWER, EXAMPLE_TITLE)
    review_draft = tool.locator(".pp-review-draft")
    expect(review_draft).to_contain_text(MARKER)
    expect(review_draft.locator("script")).to_have_count(0)
    journey.check("review")
    journey.approve("Clear and kind. **Ready.**")
    expect(tool.locator(".pp-comments")).to_contain_text("Clear and kind.")
    expect(tool.get_by_label("Ready to publish")).to_be_checked()
    journey.check("review-sent")

    # 8. The author sees the approval and publishes; the lesson page credits both.
    journey.open_own_lesson(AUTHOR, EXAMPLE_TITLE)
    expect(tool.get_by_role("table", name="Reviewers and their answers")).to_contain_text(
        "Approved"
    )
    tool.get_by_role("button", name="Publish version 1").click()
    expect(tool.get_by_role("heading", level=1)).to_have_text(EXAMPLE_TITLE)
    credits = tool.locator(".pp-credits")
    expect(credits).to_contain_text(AUTHOR.name)
    expect(credits).to_contain_text(REVIEWER.name)
    lesson = tool.locator(".pp-lesson-page")
    expect(lesson).to_contain_text(MARKER)
    expect(lesson.locator("script")).to_have_count(0)
    published_image = lesson.get_by_role("img", name="A blue team board")
    published_image.scroll_into_view_if_needed()
    expect(published_image).to_have_js_property("complete", True)
    assert published_image.evaluate("img => img.naturalWidth") == 8
    journey.check("lesson-page")

    problems.assert_none()
    a11y.assert_clean()
    print(f"\nlesson authoring journey: {time.monotonic() - started:.1f} s")
