"""The whole peer review cycle in Chromium, framed in the dev LMS with third-party cookies blocked.

An instructor places a peer review with Deep Linking (two reviews per submission, a gradebook
column out of 100), changes the rubric in the editor, asks for one practice review and writes
the calibration example with its reference assessment and explanation, and opens submissions;
six learners launch from the course page and hand in Markdown work; reviewing opens (batch
allocation); each learner does the practice review and sees how it compares, then reviews the
two submissions given to them with the rubric form; grading opens (feedback released with it);
the instructor reads the grade preview and sends the grades; an author reads the feedback,
rates a review's helpfulness and writes a revision plan; the instructor recomputes (the rating
changes a reviewing grade, sent again by itself); the grade sender delivers, and the dev LMS
Gradebook shows both columns, the work's and "Reviewing", holding PeerPath's grades.
axe-core checks every page that stays on screen (for the first two learners: the other four
walk the same pages without screenshots or axe); any console error, page error or dialog fails.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from journey_support import (
    Journey,
    deliver_grades,
    line_items,
    patient_expect,
    person,
    scores_received,
    tick,
)
from sqlalchemy import select

from lti_tool.devlms import seed
from lti_tool.extensions import db
from lti_tool.models import (
    Activity,
    ReviewAssignment,
    ReviewerGrade,
    Submission,
    SubmissionGrade,
    User,
)

# A few minutes on an idle machine (six learners, 24 forms); far more when the machine is busy.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

WAIT = 30_000  # patient waits for what a person would see: the machine is shared
expect = patient_expect(WAIT)

SCREENSHOTS = Path("/tmp/review-journey")  # the `shots` fixture puts screenshots here
INSTRUCTOR = person("u-1001")  # Aoife Ní Bhriain
TITLE = "Pitch review: a proposal for the team"
K = 2  # reviews per submission
CLARITY = "Clear to its readers"  # the rubric's second criterion, renamed in the editor
GOAL = "Meets its goal"
NEXT = "One thing to try next"
POINTS = {"fully": "2 points", "partly": "1 point", "not-yet": "0 points"}
CLEAR = {"clear": "2 points", "mostly": "1 point", "hard": "0 points"}
REVIEWING = f"{TITLE} – Reviewing"  # the second gradebook column, made by the grade sender
EXAMPLE = "Example: a canteen on the third floor"
EXPLANATION = "It names the goal but never says who gains: half the points for the goal."


@dataclass(frozen=True)
class Work:
    """One learner's work and the levels every reviewer gives it (so the peers agree and its
    grade is known: (2 × goal + clarity) ÷ 6 of the starter rubric's points, in per cent)."""

    author: seed.SeedPerson
    title: str
    goal: str
    clarity: str
    grade: float
    practice_like_reference: bool  # the author's own practice review matches the reference


WORKS = (
    Work(person("u-2001"), "Shorter stand-ups", "fully", "clear", 100.0, True),
    Work(person("u-2002"), "Pair on every bug fix", "fully", "mostly", 83.33, False),
    Work(person("u-2003"), "Один спільний календар", "partly", "clear", 66.67, True),
    Work(person("u-2004"), "A quiet room for focus", "partly", "mostly", 50.0, False),
    Work(person("u-2005"), "Rotate the on-call week", "fully", "hard", 66.67, True),
    Work(person("u-2006"), "Δωρεάν φρούτα κάθε Δευτέρα", "not-yet", "mostly", 16.67, False),
)
BY_TITLE = {w.title: w for w in WORKS}
READER = WORKS[0]  # the author who reads the feedback, rates it and plans the revision


def markdown(work: Work) -> str:
    return (
        "# The proposal\n\n"
        f"{work.title}, from next month.\n\n"
        "## Why\n\n"
        "- fewer interruptions\n"
        "- **clear** owners\n\n"
        "[The team page](https://example.com/team)\n"
    )


def test_place_rubric_calibrate_submit_review_rate_and_grade(lti, context, a11y, shots) -> None:
    started = time.monotonic()
    journey = Journey.start(context, lti, a11y, shots, WAIT)
    page, tool = journey.page, journey.tool
    heading = tool.get_by_role("heading", level=1)
    status = tool.get_by_role("status")

    def to_the_review_page() -> None:
        journey.click_until(
            tool.get_by_role("link", name="Back to the peer review").first,
            heading.filter(has_text=re.compile(f"^{re.escape(TITLE)}$")),
        )

    def move_phase(label: str) -> None:
        tool.get_by_label("Phase", exact=True).select_option(label=label)
        journey.submit(
            tool.get_by_role("button", name="Move to this phase"),
            tool.locator("#phase .pp-badge").filter(has_text=label),
        )

    # 1. The instructor places a peer review from the dev LMS's picker: two reviews each.
    page.goto(journey.course_url)
    journey.check_page("course-before")
    journey.open_picker(INSTRUCTOR)
    tick(tool.get_by_label("Peer review", exact=True))
    fields = tool.locator(".pp-review-picker")
    fields.get_by_label("Title").fill(TITLE)
    tick(fields.get_by_label("A piece of work each person (or group) submits"))
    fields.get_by_label("Reviews per submission").fill(str(K))
    fields.get_by_label("How reviewers get submissions").select_option(
        label="All at once when reviewing opens"
    )
    journey.check("picker", lms=True)
    placed = journey.place(TITLE, 100, "course-with-the-peer-review")

    # 2. Her own launch: the rubric editor, one change (the second criterion's title).
    journey.launch(TITLE, INSTRUCTOR)
    expect(heading).to_have_text(TITLE)
    expect(tool.locator("#phase")).to_contain_text("Setting up")
    journey.check("instructor-page", lms=True)
    journey.click_until(
        tool.get_by_role("link", name="Rubric: Feedback on a piece of work"),
        heading.filter(has_text="Edit rubric: Feedback on a piece of work"),
    )
    second = tool.locator("#criterion-2")
    expect(second.get_by_label("Title", exact=True)).to_have_value("Clear to its audience")
    second.get_by_label("Title", exact=True).fill(CLARITY)
    journey.check("rubric-editor")
    journey.submit(
        tool.get_by_role("button", name="Save rubric").first,
        status.filter(has_text="Rubric saved."),
    )
    expect(tool.locator("#criterion-2").get_by_label("Title", exact=True)).to_have_value(CLARITY)
    journey.click_until(
        tool.get_by_role("link", name=f"Back to {TITLE}", exact=True),
        heading.filter(has_text=re.compile(f"^{re.escape(TITLE)}$")),
    )

    # 3. Settings: one practice review before reviewing peers; feedback released at grading.
    journey.click_until(
        tool.get_by_role("link", name=re.compile("^Settings: dates")),
        heading.filter(has_text=f"Settings: {TITLE}"),
    )
    tool.get_by_label("Practice reviews of examples before reviewing peers (0 = none)").fill("1")
    tool.get_by_label("Authors see their feedback").select_option(label="When grading opens")
    expect(tool.get_by_label("Who sees whose name")).to_have_value("double")
    journey.check("settings")
    journey.submit(
        tool.get_by_role("button", name="Save settings"),
        heading.filter(has_text=re.compile(f"^{re.escape(TITLE)}$")),
    )

    # 4. The calibration example, its reference assessment (with reasons) and explanation.
    journey.click_until(
        tool.get_by_role("link", name="Calibration examples and their reference assessments"),
        heading.filter(has_text="Calibration examples"),
    )
    tool.get_by_label("Title").fill(EXAMPLE)
    tool.get_by_label("The example work (Markdown)").fill(
        "# A canteen on the third floor\n\nWe should open a canteen. It would be *nice*.\n"
    )
    tool.get_by_label(
        "Why the reference assessment is what it is (shown after each practice review)"
    ).fill(EXPLANATION)
    journey.submit(
        tool.get_by_role("button", name="Add the example"),
        tool.get_by_role("link", name=f"Write the reference assessment ({EXAMPLE})"),
    )
    journey.check("examples")
    journey.click_until(
        tool.get_by_role("link", name=f"Write the reference assessment ({EXAMPLE})"),
        heading.filter(has_text=f"Reference assessment: {EXAMPLE}"),
    )
    goal = tool.get_by_role("group", name=GOAL)
    tick(goal.get_by_label(POINTS["partly"]))
    goal.get_by_role("textbox").fill("A goal, but not who it helps.")
    clarity = tool.get_by_role("group", name=CLARITY)
    tick(clarity.get_by_label(CLEAR["clear"]))
    clarity.get_by_role("textbox").fill("Two short sentences: easy to follow.")
    tool.get_by_role("group", name=NEXT).get_by_role("textbox").fill("Say who eats there.")
    journey.check("reference-form")
    journey.submit(
        tool.get_by_role("button", name="Submit review"),
        tool.get_by_role("link", name=f"Done (score 66.7) ({EXAMPLE})"),
    )

    # 5. Submissions open.
    to_the_review_page()
    move_phase("Submissions open")
    journey.check("submissions-open")

    # 6. Six learners launch from the course page and hand in Markdown work.
    for n, work in enumerate(WORKS):
        detailed = n < 2
        journey.launch(TITLE, work.author)
        expect(heading).to_have_text(TITLE)
        expect(tool.locator("#phase")).to_contain_text("Submissions open")
        tool.get_by_label("Title").fill(work.title)
        tool.get_by_label("Your text (Markdown)").fill(markdown(work))
        if detailed:
            journey.check(f"submission-form-{n + 1}", lms=True)
        journey.submit(
            tool.get_by_role("button", name="Submit for review"),
            status.filter(has_text="Submitted on"),
        )
        expect(tool.get_by_role("button", name="Save changes")).to_be_visible()
        if detailed:
            journey.check(f"submitted-{n + 1}")

    # 7. Reviewing opens: every submission gets its two reviewers at once.
    journey.launch(TITLE, INSTRUCTOR)
    move_phase("Reviewing")
    allocation = tool.locator("#allocation")
    expect(allocation).to_contain_text("Reviewing opened on")
    expect(allocation).to_contain_text("6 submissions so far.")
    journey.check("reviewing-open")

    # 8. Each learner: the practice review and its comparison, then the two reviews.
    def practise(work: Work, detailed: bool) -> None:
        practice = tool.get_by_role("region", name="Practice reviews")
        expect(practice).to_contain_text("1 to go.")
        expect(tool.locator("#reviews-to-do")).to_contain_text(
            "First complete 1 more practice review"
        )
        if detailed:
            journey.check(f"practice-to-do-{work.author.id}", lms=True)
        journey.click_until(
            practice.get_by_role("link", name=f"Practise on this example ({EXAMPLE})"),
            heading.filter(has_text=f"Practice review: {EXAMPLE}"),
        )
        goal_level = "partly" if work.practice_like_reference else "fully"
        tick(tool.get_by_role("group", name=GOAL).get_by_label(POINTS[goal_level]))
        tick(tool.get_by_role("group", name=CLARITY).get_by_label(CLEAR["clear"]))
        tool.get_by_role("group", name=NEXT).get_by_role("textbox").fill("Say who it helps.")
        if detailed:
            journey.check(f"practice-form-{work.author.id}")
        journey.submit(
            tool.get_by_role("button", name="Submit and compare"),
            tool.get_by_role("heading", name="How you compare with the reference"),
        )
        compared = tool.get_by_role(
            "table", name="Your levels next to the reference, criterion by criterion"
        )
        goal_row = compared.get_by_role("row", name=re.compile(f"^{GOAL}"))
        expect(goal_row).to_contain_text(
            "Same level" if work.practice_like_reference else "1 level more generous"
        )
        expect(goal_row).to_contain_text("A goal, but not who it helps.")
        expect(compared.get_by_role("row", name=re.compile(f"^{CLARITY}"))).to_contain_text(
            "Same level"
        )
        expect(tool.locator("main")).to_contain_text(EXPLANATION)
        if work.practice_like_reference:
            expect(tool.locator("main")).to_contain_text("Agreement with the instructor: 100%.")
        if detailed:
            journey.check(f"practice-comparison-{work.author.id}")
            # The formula the comparison feeds, stated on the page behind a disclosure.
            formula = tool.get_by_text(re.compile("^Reviewing quality = "))
            journey.click_until(
                tool.get_by_text("How the quality of your reviewing is measured"), formula
            )
            journey.check(f"practice-formula-{work.author.id}")
        to_the_review_page()
        expect(tool.get_by_role("region", name="Practice reviews")).to_contain_text(
            "Done: you can review your colleagues."
        )

    def review_allocated(work: Work, detailed: bool) -> None:
        to_do = tool.get_by_role("table", name="Reviews to do")
        write = to_do.get_by_role("link", name=re.compile("^Write your review"))
        expect(write).to_have_count(K)
        if detailed:
            journey.check(f"reviews-to-do-{work.author.id}")
        for done in range(1, K + 1):
            journey.click_until(
                write.first, heading.filter(has_text=re.compile(r"^Review of submission \d$"))
            )
            if detailed and done == 1:
                journey.check(f"review-form-{work.author.id}")
            reviewed = BY_TITLE[tool.locator(".pp-submission > h3").first.inner_text().strip()]
            assert reviewed.author != work.author, "never one's own work"
            expect(tool.locator(".pp-submission")).not_to_contain_text(reviewed.author.name)
            expect(tool.locator(".pp-submission strong")).to_have_text("clear")
            goal_group = tool.get_by_role("group", name=GOAL)
            tick(goal_group.get_by_label(POINTS[reviewed.goal]))
            tick(tool.get_by_role("group", name=CLARITY).get_by_label(CLEAR[reviewed.clarity]))
            tool.get_by_role("group", name=NEXT).get_by_role("textbox").fill(
                f"Add one number that shows why “{reviewed.title}” matters."
            )
            tool.get_by_label("Overall comment").fill("Thank you: a clear proposal.")
            if detailed and done == 1:
                journey.check(f"review-form-filled-{work.author.id}")
            journey.submit(
                tool.get_by_role("button", name="Submit review"),
                to_do.get_by_role("row").filter(has_text="Submitted").nth(done - 1),
            )
        expect(to_do.get_by_role("link", name=re.compile("^Edit your review"))).to_have_count(K)
        if detailed:
            journey.check(f"reviews-done-{work.author.id}")

    for n, work in enumerate(WORKS):
        journey.launch(TITLE, work.author)
        expect(heading).to_have_text(TITLE)
        practise(work, detailed=n < 2)
        review_allocated(work, detailed=n < 2)

    # 9. Grading opens (and with it the feedback); the dashboard's grade preview.
    journey.launch(TITLE, INSTRUCTOR)
    move_phase("Grading and feedback")
    journey.click_until(
        tool.get_by_role("link", name=re.compile("^Dashboard: progress")),
        heading.filter(has_text=f"Dashboard: {TITLE}"),
    )
    expect(tool.locator('#progress-counts tr[data-count="submitted"] td')).to_have_text(
        "6 of 6 participants"
    )
    expect(tool.locator('#progress-counts tr[data-count="reviews"] td')).to_contain_text(
        f"{6 * K} of {6 * K} allocated"
    )
    expect(tool.locator("#not-reviewed")).to_have_text("Nobody owes a review.")
    expect(tool.locator("#release-state")).to_contain_text("authors can read the reviews")
    preview = tool.get_by_role("table", name="Work grades, 0 to 100")
    for work in WORKS:
        row = preview.get_by_role("row").filter(has_text=work.author.name)
        expect(row).to_have_attribute("data-final", f"{round(work.grade, 1):g}")
    reviewing = tool.get_by_role("table", name="Reviewing grades, 0 to 100")
    expect(reviewing.locator("tbody tr")).to_have_count(6)
    for work in WORKS:
        if work.practice_like_reference:  # the reference's levels and the peers' consensus
            row = reviewing.get_by_role("row").filter(has_text=work.author.name)
            expect(row).to_have_attribute("data-grade", "100")
    tool.locator("#grades").scroll_into_view_if_needed()
    journey.check("dashboard-preview", lms=True)
    journey.submit(
        tool.get_by_role("button", name="Send grades"),
        status.filter(has_text=f"{6 + 6} grades queued for the gradebook."),
    )
    journey.check("dashboard-sent")

    # 10. An author reads the feedback, rates a review and writes a revision plan.
    journey.launch(TITLE, READER.author)
    received = tool.get_by_role("region", name="Reviews of your work")
    expect(received).to_contain_text(f"{K} reviews received.")
    expect(tool.locator("#work-grade")).to_contain_text(f"Your work: {READER.grade:g} of 100")
    expect(tool.locator("#reviewing-grade")).to_contain_text("Your reviewing: 100 of 100")
    journey.check("author-page", lms=True)
    journey.click_until(
        received.get_by_role("link", name=re.compile("^Read your feedback")),
        heading.filter(has_text="Feedback on your work"),
    )
    first = tool.get_by_role("region", name="Review 1")
    expect(tool.get_by_role("region", name="Review 2")).to_be_visible()
    expect(first).to_contain_text("Add one number that shows why")
    expect(first).not_to_contain_text("Review by")  # double-blind: no reviewer's name
    journey.check("feedback")
    tick(first.get_by_label("4: very helpful"))
    first.get_by_label("What made it helpful, or what would have (optional)").fill(
        "The number idea is exactly what the proposal lacks."
    )
    journey.submit(
        first.get_by_role("button", name="Save your rating"),
        first.get_by_text("You rated it 4 of 5."),
    )
    plan = "Add last quarter's stand-up minutes to show the time saved."
    tool.get_by_label("What will you change after reading this feedback? (a few lines)").fill(plan)
    journey.submit(
        tool.get_by_role("button", name="Save your plan"),
        status.filter(has_text="Your revision plan is saved."),
    )
    expect(
        tool.get_by_label("What will you change after reading this feedback? (a few lines)")
    ).to_have_value(plan)
    journey.check("feedback-rated-and-planned")

    # 11. The rating counts in its reviewer's grade: recomputing queues the changed grade.
    journey.launch(TITLE, INSTRUCTOR)
    journey.click_until(
        tool.get_by_role("link", name=re.compile("^Dashboard: progress")),
        heading.filter(has_text=f"Dashboard: {TITLE}"),
    )
    journey.submit(
        tool.get_by_role("button", name="Recompute grades now"),
        status.filter(has_text="Grades recomputed."),
    )
    # H, the helpfulness column: (4 − 1) ÷ 4 for the one reviewer rated, no data for the rest.
    helpfulness = reviewing.locator("tbody td:nth-of-type(4)")
    expect(helpfulness.filter(has_text="75%")).to_have_count(1)
    expect(helpfulness.filter(has_text="no data")).to_have_count(5)
    journey.check("dashboard-recomputed")

    # 12. The grade sender delivers; the dev LMS Gradebook holds both grades of everyone.
    deliver_grades(lti)
    page.goto(journey.course_url)
    journey.open_gradebook()
    columns = line_items(lti)
    ids = [c["id"] for c in columns]
    work_column = ids.index(placed["line_item"]["id"])
    reviewing_column = next(i for i, c in enumerate(columns) if c["label"] == REVIEWING)
    headers = page.get_by_role("columnheader")  # the learner's column first
    expect(headers.nth(1 + work_column)).to_have_text(
        re.compile(rf"^{re.escape(TITLE)}\s+out of 100$")
    )
    expect(headers.nth(1 + reviewing_column)).to_have_text(
        re.compile(rf"^{re.escape(REVIEWING)}\s+out of 100$")
    )
    work_grades, reviewing_grades = peerpath_grades(lti)
    assert set(work_grades) == set(reviewing_grades) == {w.author.id for w in WORKS}
    for work in WORKS:
        assert work_grades[work.author.id] == pytest.approx(work.grade, abs=0.01)
        cells = page.get_by_role("row", name=re.compile(re.escape(work.author.name))).get_by_role(
            "cell"
        )
        expect(cells.nth(work_column)).to_contain_text(f"{work_grades[work.author.id]:g} / 100")
        expect(cells.nth(reviewing_column)).to_contain_text(
            f"{reviewing_grades[work.author.id]:g} / 100"
        )
    journey.check_page("gradebook")
    # What the AGS score endpoint took: one score per learner and column, PeerPath's grade (the
    # rated reviewer's first grade was replaced in the outbox before it was ever sent).
    for column, grades in ((work_column, work_grades), (reviewing_column, reviewing_grades)):
        received = scores_received(lti, columns[column])
        assert sorted(received) == sorted((user, g, 100.0) for user, g in grades.items())

    journey.problems.assert_none()
    a11y.assert_clean(strict=True)
    print(
        f"\nwhole peer review journey: {time.monotonic() - started:.1f} s, "
        f"{len(a11y.checked)} pages checked"
    )


def peerpath_grades(lti) -> tuple[dict[str, float], dict[str, float]]:
    """PeerPath's work and reviewing grades of the journey's peer review, by LMS user id."""
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).where(Activity.title == TITLE)).one()
        assignment = db.session.scalars(
            select(ReviewAssignment).where(ReviewAssignment.activity_id == activity.id)
        ).one()
        work = [
            (sub, grade.final_score)
            for sub, grade in db.session.execute(
                select(User.sub, SubmissionGrade)
                .join(Submission, Submission.id == SubmissionGrade.submission_id)
                .join(User, User.id == Submission.author_id)
                .where(Submission.assignment_id == assignment.id)
            ).all()
        ]
        reviewing = db.session.execute(
            select(User.sub, ReviewerGrade.grade)
            .join(User, User.id == ReviewerGrade.user_id)
            .where(ReviewerGrade.assignment_id == assignment.id)
        ).all()
    return (
        {sub: round(score, 2) for sub, score in work},
        {sub: round(grade, 2) for sub, grade in reviewing},
    )
