"""Helpers for browser journeys through the dev LMS: launches, placing an activity with Deep
Linking, per-page checks, submitting forms under load, the grade sender and the gradebook.

Shared by the lesson authoring, lesson, coaching and peer review journey tests (import from
`journey_support`).
"""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import (
    ConsoleMessage,
    Dialog,
    Expect,
    Frame,
    FrameLocator,
    Locator,
    Page,
    expect,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from lti_tool.devlms import seed
from lti_tool.services import oauth, worker

TOOL_FRAME = "iframe[name=tool-frame]"
CHECKLIST = ("Accurate", "Clear", "Right length", "Inclusive language")


def person(person_id: str) -> seed.SeedPerson:
    """A seeded person of the demo course by id (learners and instructors)."""
    return next(p for p in (*seed.INSTRUCTORS, *seed.LEARNERS) if p.id == person_id)


def patient_expect(timeout: float = 30_000) -> Expect:
    """A test module's own `expect` with patient waits for what a person would see on a busy
    machine (`expect.set_options` is process-wide: it would change every other module's)."""
    own = Expect()
    own.set_options(timeout=timeout)
    return own


def deliver_grades(lti) -> worker.Totals:
    """Run the grade sender (as `peerpath worker` does) until the outbox is empty."""
    totals = worker.drain(lti.app, timeout=30)
    assert totals.counts.get("delivered", 0) >= 1, totals
    return totals


def placed_link(lti, title: str) -> dict[str, Any]:
    """The dev LMS's one link of the course with this title (with its line item, if graded)."""
    links = requests.get(f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/links", timeout=10)
    (placed,) = [link for link in links.json() if link["title"] == title]
    return placed


def scores_received(lti, line_item: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(learner, score given, maximum) of every score the dev LMS's AGS endpoint took, in order."""
    history = requests.get(
        f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/lineitems/{line_item['id']}/scores",
        timeout=10,
    ).json()
    return [(h["userId"], h["scoreGiven"], h["scoreMaximum"]) for h in history]


def line_items(lti) -> list[dict[str, Any]]:
    """The course's gradebook columns in the Gradebook page's order (id, label, maximum),
    a tool's extra line items (created through AGS) included."""
    book = requests.get(
        f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/gradebook", timeout=10
    ).json()
    return [
        {"id": c["lineitem_id"], "label": c["label"], "score_maximum": c["scoreMaximum"]}
        for c in book["line_items"]
    ]


def tick(target: Locator) -> None:
    """Check a radio button or a box; once more if the click was lost while the frame settled
    (on a loaded machine Playwright then says the click "did not change its state")."""
    try:
        target.check()
    except PlaywrightError as err:
        if "did not change its state" not in str(err):
            raise
        target.check()


class PageProblems:
    """Console errors, page errors and dialogs of one page: any of them fails the journey."""

    def __init__(self, page: Page):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("dialog", self._dialog)

    def _console(self, msg: ConsoleMessage) -> None:
        # The browser's own favicon probe of the dev LMS (which has none) is not the page's doing.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"console error on {msg.location.get('url')}: {msg.text}")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_none(self) -> None:
        assert not self.dialogs, f"dialogs fired: {self.dialogs}"
        assert not self.errors, "\n".join(self.errors)


class Journey:
    """One LMS page; each step launches or navigates, then screenshots and axe-checks."""

    def __init__(self, page: Page, lti: Any, a11y: Any, shots: Any):
        self.page, self.lti, self.a11y, self.shots = page, lti, a11y, shots
        self.course_url = f"{lti.lms_url}/courses/{lti.course.course_id}"
        self.problems: PageProblems | None = None

    @classmethod
    def start(cls, context: Any, lti: Any, a11y: Any, shots: Any, timeout: float) -> Journey:
        """A new page with patient actions (``timeout`` ms) and its problems recorded in
        ``journey.problems``; the grade sender's token cache emptied, so it asks this test's
        dev LMS for its own token."""
        oauth.tokens.clear()
        context.set_default_timeout(timeout)
        journey = cls(context.new_page(), lti, a11y, shots)
        journey.problems = PageProblems(journey.page)
        return journey

    @property
    def tool(self) -> FrameLocator:
        return self.page.frame_locator(TOOL_FRAME)

    def frame(self) -> Frame:
        frame = self.page.wait_for_selector(TOOL_FRAME).content_frame()
        assert frame is not None
        frame.wait_for_load_state("load")
        return frame

    def shot(self, step: str) -> None:
        # The viewport, not the full page: a full-page screenshot resizes the viewport and back,
        # which reflows the tool's frame (to width 0 for a moment), and the next click could
        # land where an element was before (a checkbox that "did not change its state").
        self.shots.take(self.page, step, full_page=False)

    def check(self, step: str, lms: bool = False) -> None:
        """Screenshot, then axe on the tool's frame (and on the LMS page around it with lms=True)."""
        frame = self.frame()
        self.shot(step)
        self.a11y.check(frame, step)
        if lms:
            self.a11y.check(self.page.main_frame, f"{step}: the LMS page around the tool")

    def check_page(self, step: str) -> None:
        """Screenshot and axe on a page without the tool's frame (an LMS page, a public page)."""
        self.page.wait_for_load_state("load")
        self.shot(step)
        self.a11y.check(self.page.main_frame, step)

    def click_until(self, target: Any, done: Any, timeout: float = 20_000) -> None:
        """Click, wait for ``done`` to be visible, and click once more if it is not: on a loaded
        CI machine a click that lands while the frame is still settling can be lost."""
        for attempt in range(2):
            target.click()
            try:
                expect(done).to_be_visible(timeout=timeout)
                return
            except AssertionError:
                if attempt == 1:
                    raise

    def submit(self, button: Any, done: Any, timeout: float = 45_000) -> None:
        """Press a form's button once, then wait for ``done`` to be visible. Pressed again only
        when no request left the browser (a click lost while the frame settled): a form is
        never sent twice, however slowly the server answers."""
        for attempt in range(2):
            try:
                with self.page.expect_request(lambda r: r.is_navigation_request(), timeout=10_000):
                    button.click()
            except PlaywrightTimeoutError:
                if attempt == 1:
                    raise
                continue
            expect(done).to_be_visible(timeout=timeout)
            return

    def open_picker(self, who: seed.SeedPerson) -> None:
        """On the course page: "Add an activity with PeerPath" as an instructor (Deep Linking)."""
        self.click_until(
            self.page.get_by_role("link", name=f"Add an activity with PeerPath as {who.name}"),
            self.tool.get_by_role("heading", level=1, name="Add a PeerPath activity"),
        )

    def add_to_course(self) -> None:
        """The picker's "Add to course": the tool posts the deep-linking response and the LMS
        takes the whole page back to the course."""
        self.tool.get_by_role("button", name="Add to course").click()
        self.page.wait_for_url(self.course_url, timeout=30_000)

    def place(self, title: str, points: float, step: str) -> dict[str, Any]:
        """ "Add to course" in the picker; the course page lists the activity graded out of
        ``points`` (checked as ``step``); returns the dev LMS's link with its gradebook column."""
        self.add_to_course()
        card = self.page.locator(".activity", has=self.page.get_by_role("heading", name=title))
        expect(card).to_contain_text(f"graded out of {points:g}", timeout=30_000)
        self.check_page(step)
        placed = placed_link(self.lti, title)
        assert placed["line_item"] is not None, placed
        assert placed["line_item"]["score_maximum"] == float(points), placed
        return placed

    def open_gradebook(self) -> None:
        """The course's Gradebook page, by its link on the course page."""
        self.page.get_by_role("link", name="Gradebook").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Gradebook")

    def launch(self, link_title: str, who: seed.SeedPerson) -> None:
        """From the course page, launch one of its activities as one of its people."""
        self.page.goto(self.course_url)
        self.page.get_by_role(
            "link", name=f"Launch “{link_title}” as {who.name}", exact=True
        ).click()
        self.page.wait_for_url("**/launch?**")

    def launch_to_library(self, who: seed.SeedPerson, check: str | None = None) -> None:
        """Launch the seeded (not yet set up) link and follow its link to the library;
        with ``check``, the not-ready page is checked (screenshot, axe) on the way."""
        self.launch(seed.DEMO_LINK_TITLE, who)
        expect(self.tool.locator("main")).to_contain_text("has not set up this activity yet")
        if check:
            self.check(check, lms=True)
        heading = self.tool.get_by_role("heading", level=1, name="Lesson library")
        self.click_until(
            self.tool.get_by_role("link", name="Meanwhile, browse the lesson library"), heading
        )

    def open_review(self, reviewer: seed.SeedPerson, title: str) -> None:
        """The reviewer's own launch: library → "Reviews asked of you" → the lesson."""
        self.launch_to_library(reviewer)
        asked = self.tool.get_by_role("region", name="Reviews asked of you")
        asked.get_by_role("link", name=title).click()
        expect(self.tool.get_by_role("heading", level=1)).to_have_text(f"Review: {title}")

    def approve(self, comment: str) -> None:
        """On the review page: tick the whole checklist, comment, "Ready to publish", send."""
        for label in CHECKLIST:
            self.tool.get_by_label(label).check()
        self.tool.get_by_label("Comment for the author").fill(comment)
        self.tool.get_by_label("Ready to publish").check()
        self.tool.get_by_role("button", name="Send review").click()

    def open_own_lesson(self, author: seed.SeedPerson, title: str) -> None:
        """The author's own launch: library → "Your lessons" → the lesson's editor."""
        self.launch_to_library(author)
        mine = self.tool.get_by_role("region", name="Your lessons")
        mine.get_by_role("link", name=title).click()
        expect(self.tool.get_by_role("heading", level=1)).to_have_text(title)
