"""The whole peer coaching flow in Chromium, framed in the dev LMS with third-party cookies blocked.

An instructor places a coaching activity with Deep Linking (a gradebook column out of 100),
types the skill list and chooses the grade rule (marks per check-in, two needed); four learners
launch from the course page and fill in their profiles by the form's labels; the instructor
previews matching, reads why each pair was made, and confirms; the coachee sets a goal (the
SMART check first lists what is missing), records two check-ins, the coach gives feedback on
one, the coachee closes the goal with a reflection and the coach adds the closing note; the
grade sender delivers the scores and the dev LMS gradebook shows them. axe-core checks every
page that stays on screen; any console error, page error or dialog fails the test.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from journey_support import (
    Journey,
    deliver_grades,
    patient_expect,
    person,
    scores_received,
)

from lti_tool.devlms import seed

# About a minute on an idle machine; several times that when the machine is busy.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

WAIT = 30_000  # patient waits for what a person would see: the machine is shared
expect = patient_expect(WAIT)

INSTRUCTOR = person("u-1001")  # Aoife Ní Bhriain
COACH = person("u-2001")  # 佐藤 花子: coaches SQL
COACHEE = person("u-2003")  # Олена Коваленко: wants to grow SQL
OTHER_COACH = person("u-2008")  # Björn Großmann: coaches negotiation
OTHER_COACHEE = person("u-2005")  # Nguyễn Thị Lan: wants negotiation, then public speaking
SCREENSHOTS = Path("/tmp/coaching-journey")  # the `shots` fixture puts screenshots here

TITLE = "Coaching circle: spring"
SKILLS = ("SQL", "Negotiation", "Public speaking", "Excel")
GOAL = "Write the monthly sales report queries in SQL on my own"
PREFERENCES = "Mornings (Kyiv time), in English or Ukrainian"
WHY_SQL = f"Paired because {COACH.name} can coach SQL, which {COACHEE.name} wants to grow."
WHY_NEGOTIATION = (
    f"Paired because {OTHER_COACH.name} can coach Negotiation, "
    f"which {OTHER_COACHEE.name} wants to grow."
)


def in_days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def test_place_profile_match_goal_check_in_close_and_grade(lti, context, a11y, shots) -> None:
    started = time.monotonic()
    journey = Journey.start(context, lti, a11y, shots, WAIT)
    page, tool = journey.page, journey.tool
    heading = tool.get_by_role("heading", level=1)

    def save(button: str, confirmation: str, within=tool) -> None:
        """Press the form's button; the page the form leads to confirms it (role status)."""
        journey.submit(
            within.get_by_role("button", name=button),
            tool.get_by_role("status").filter(has_text=confirmation),
        )

    # 1. The instructor places a coaching activity from the dev LMS's picker.
    page.goto(journey.course_url)
    journey.check_page("course-before")
    journey.open_picker(INSTRUCTOR)
    tool.get_by_label("Peer coaching", exact=True).check()
    fields = tool.locator(".pp-coaching-picker")
    fields.get_by_label("Title").fill(TITLE)
    fields.get_by_label("Peer coaching: anyone coaches the skills they offer").check()
    fields.get_by_label("Days between check-ins").fill("14")
    journey.check("picker", lms=True)
    placed = journey.place(TITLE, 100, "course-with-coaching")

    # 2. Her own launch: the skill list, typed one per line, and the grade rule.
    journey.launch(TITLE, INSTRUCTOR)
    expect(heading).to_have_text(TITLE)
    journey.check("instructor-coaching-page", lms=True)
    journey.click_until(
        tool.get_by_role("link", name="Skill list"),
        tool.get_by_role("heading", level=1, name=f"Skill list: {TITLE}"),
    )
    skill_box = tool.get_by_label("Skills people can coach and want to grow, one per line")
    skill_box.click()
    for i, skill in enumerate(SKILLS):
        if i:
            skill_box.press("Enter")
        skill_box.press_sequentially(skill)
    expect(skill_box).to_have_value("\n".join(SKILLS))
    save("Save the skill list", "The skill list is saved.")
    journey.check("skill-list-saved")
    journey.click_until(
        tool.get_by_role("link", name="Back to coaching"), tool.get_by_role("link", name="Settings")
    )
    journey.click_until(
        tool.get_by_role("link", name="Settings"),
        tool.get_by_role("heading", level=1, name=f"Settings: {TITLE}"),
    )
    tool.get_by_label("Rule").select_option(
        label="Marks for each check-in up to the number below; closing the goal adds the rest"
    )
    tool.get_by_label("Check-ins needed").fill("2")
    journey.check("settings")
    save("Save settings", "The settings are saved.")

    def open_goal(who: seed.SeedPerson, heading_text: str, launch: bool = True) -> None:
        """From their coaching page (launched first unless already there), the goal's page."""
        if launch:
            journey.launch(TITLE, who)
        journey.click_until(
            tool.get_by_role("link", name=GOAL),
            tool.get_by_role("heading", level=1, name=heading_text),
        )

    # 3. Four learners launch from the course page and fill in their profiles.
    def fill_profile(
        who: seed.SeedPerson,
        can: tuple[str, ...] = (),
        wants: tuple[str, ...] = (),
        capacity: int = 0,
        preferences: str = "",
        step: str = "",
    ) -> None:
        journey.launch(TITLE, who)
        expect(heading).to_have_text(TITLE)
        expect(tool.locator("#no-pairs")).to_contain_text("You are not paired yet.")
        profile = tool.get_by_role("region", name="Your coaching profile")
        for skill in can:
            profile.get_by_label(f"Can coach {skill}", exact=True).check()
        for rank, skill in enumerate(wants, 1):
            profile.get_by_label(f"Priority for growing {skill}", exact=True).select_option(
                str(rank)
            )
        profile.get_by_label("How many people you can coach at once").fill(str(capacity))
        if preferences:
            profile.get_by_label(
                "Preferences (times, language, anything your partner should know)"
            ).fill(preferences)
        if step:
            journey.check(f"{step}-filled")
        save("Save my profile", "Your profile is saved.", within=profile)
        for skill in can:
            expect(profile.get_by_label(f"Can coach {skill}", exact=True)).to_be_checked()
        if step:
            journey.check(f"{step}-saved")

    fill_profile(COACH, can=("SQL", "Excel"), capacity=1, step="coach-profile")
    fill_profile(COACHEE, wants=("SQL",), preferences=PREFERENCES, step="coachee-profile")
    fill_profile(OTHER_COACH, can=("Negotiation",), capacity=1)
    fill_profile(OTHER_COACHEE, wants=("Negotiation", "Public speaking"))

    # 4. The instructor previews matching, reads why, and confirms.
    journey.launch(TITLE, INSTRUCTOR)
    journey.click_until(
        tool.get_by_role("link", name="Pairing", exact=True),
        tool.get_by_role("heading", level=1, name=f"Pairing: {TITLE}"),
    )
    expect(
        tool.get_by_role("table", name="Active pairs (matching has not run yet)")
    ).to_contain_text("No pairs yet.")
    journey.check("pairing-page")
    journey.submit(
        tool.get_by_role("button", name="Preview the pairs"),
        tool.get_by_role("heading", level=1, name=f"Proposed pairs: {TITLE}"),
    )
    proposed = tool.get_by_role("table", name="Proposed pairs")
    expect(proposed.get_by_role("row")).to_have_count(3)  # the header and two pairs
    expect(proposed.get_by_role("row").filter(has_text=COACHEE.name)).to_contain_text(WHY_SQL)
    expect(proposed.get_by_role("row").filter(has_text=OTHER_COACHEE.name)).to_contain_text(
        WHY_NEGOTIATION
    )
    journey.check("matching-preview")
    save("Confirm these pairs", "The new pairs are saved: cycle 1.")
    current = tool.get_by_role("table", name="Active pairs, cycle 1")
    expect(current.get_by_role("row")).to_have_count(3)
    expect(current.get_by_role("row").filter(has_text=COACHEE.name)).to_contain_text(WHY_SQL)
    journey.check("pairs-confirmed")

    # 5. The coachee reads who coaches her and why, and sets a goal: the SMART check first.
    journey.launch(TITLE, COACHEE)
    my_coach = tool.locator("#my-coach")
    expect(my_coach).to_contain_text(COACH.name)
    expect(my_coach).to_contain_text(WHY_SQL)
    journey.check("coachee-paired", lms=True)
    journey.click_until(
        tool.get_by_role("link", name="Set a new goal"),
        tool.get_by_role("heading", level=1, name="Set a goal"),
    )
    tool.get_by_label("What do you want to achieve?").fill("Get better at SQL")
    tool.get_by_label("How will you measure success?").fill("Fewer questions")
    journey.submit(
        tool.get_by_role("button", name="Check my goal"),
        tool.get_by_role("heading", name="What the SMART check found"),
    )
    findings = tool.locator("#smart-findings")
    expect(findings).to_contain_text("Say why it matters.")
    expect(findings).to_contain_text("Set a target date.")
    expect(tool.get_by_label("What do you want to achieve?")).to_have_value("Get better at SQL")
    journey.check("goal-smart-findings")
    tool.get_by_label("What do you want to achieve?").fill(GOAL)
    tool.get_by_label("Why does it matter?").fill("The team waits two days for each report")
    tool.get_by_label("How will you measure success?").fill(
        "3 monthly reports in a row with no help from the data team"
    )
    tool.get_by_label("Target date").fill(in_days(90))
    save("Save goal", "Your goal is saved.")
    expect(tool.locator("#smart-findings-ok")).to_be_visible()
    expect(tool.locator("#goal-what")).to_have_text(GOAL)
    journey.check("goal-saved")

    # 6. Two check-ins by the form's labels.
    checkins = tool.locator(".pp-checkin")
    for n, (progress, went_well, blockers, next_step) in enumerate(
        (
            (
                "30",
                "Wrote the first report's joins with 花子",
                "Window functions",
                "Read about OVER",
            ),
            ("60", "Ranked the regions with a window function", "", "The whole April report"),
        ),
        1,
    ):
        form = tool.get_by_role("group", name="Record a check-in")
        form.get_by_label("Progress towards the goal (0 to 100 per cent)").fill(progress)
        form.get_by_label("What went well").fill(went_well)
        form.get_by_label("Blockers").fill(blockers)
        form.get_by_label("Next step").fill(next_step)
        journey.submit(
            form.get_by_role("button", name="Record check-in"),
            tool.get_by_role("article", name=re.compile(f": {progress}% done$")),
        )
        expect(tool.locator("#saved")).to_have_text("Your check-in is recorded.")
        expect(checkins).to_have_count(n)
    expect(tool.locator("#grade-rule")).to_contain_text(
        "each check-in on a goal is worth 33.33 points, for up to 2 check-ins"
    )
    journey.check("two-check-ins")

    # Two of the three parts of the grade: the dev LMS gradebook shows 66.67 out of 100.
    deliver_grades(lti)
    page.goto(journey.course_url)
    journey.open_gradebook()
    expect(page.get_by_role("columnheader", name=TITLE)).to_contain_text("out of 100")
    row = page.get_by_role("row", name=COACHEE.name)
    expect(row).to_contain_text("66.67 / 100")
    expect(row).to_contain_text("InProgress, FullyGraded")
    journey.check_page("gradebook-two-check-ins")

    # 7. The coach reads the coachee's preferences, opens the goal and gives feedback on one.
    journey.launch(TITLE, COACH)
    coachees = tool.locator("#my-coachees")
    expect(coachees).to_contain_text(COACHEE.name)
    expect(coachees).to_contain_text(WHY_SQL)
    expect(coachees).to_contain_text(PREFERENCES)
    journey.check("coach-page", lms=True)
    open_goal(COACH, f"Goal of {COACHEE.name}", launch=False)
    expect(tool.locator("#edit-goal")).to_have_count(0)
    first = tool.get_by_role("article", name=re.compile(r": 30% done$"))
    first.get_by_label("Your feedback").fill("Good joins. Try OVER (PARTITION BY region) next.")
    save("Send feedback", "Your feedback is saved.", within=first)
    expect(first.locator(".pp-feedback")).to_contain_text("Try OVER (PARTITION BY region) next.")
    expect(tool.locator("#note-later")).to_contain_text(f"When {COACHEE.name} closes the goal")
    journey.check("coach-feedback")

    # 8. The coachee reads the feedback and closes the goal with a reflection.
    open_goal(COACHEE, "Your goal")
    expect(tool.locator(".pp-feedback")).to_contain_text("Try OVER (PARTITION BY region) next.")
    tool.get_by_label("Your reflection: what did you achieve and learn?").fill(
        "I write the report queries myself now; window functions were the key."
    )
    save("Close the goal", "The goal is closed.")
    expect(tool.locator("#goal-status")).to_contain_text("waiting for the coach's note")
    expect(tool.locator("#checkins-closed")).to_be_visible()
    journey.check("goal-closed")

    # 9. The coach adds the closing note: the goal is complete.
    open_goal(COACH, f"Goal of {COACHEE.name}")
    expect(tool.locator("#reflection")).to_contain_text("window functions were the key")
    tool.get_by_label("Your note as their coach").fill(
        "Олена now helps others with their queries. Well done!"
    )
    save("Save note", "Your note is saved.")
    expect(tool.locator("#goal-status")).to_have_text("Complete")
    journey.check("goal-complete")

    # 10. The instructor's overview: the pair's goal is complete, with its two check-ins.
    journey.launch(TITLE, INSTRUCTOR)
    journey.click_until(
        tool.get_by_role("link", name="Overview of pairs, check-ins and goals"),
        tool.get_by_role("heading", level=1, name=f"Overview: {TITLE}"),
    )
    goal_row = tool.get_by_role(
        "table", name="Every goal with its status and check-ins"
    ).get_by_role("row", name=re.compile(re.escape(COACHEE.name)))
    expect(goal_row).to_contain_text("Complete")
    expect(goal_row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^\s*2(?!\d)"))
    journey.check("overview")

    # 11. The grade sender delivers the full score: 100 out of 100 in the LMS gradebook.
    deliver_grades(lti)
    page.goto(f"{journey.course_url}/gradebook")
    expect(row).to_contain_text("100 / 100")
    expect(row).to_contain_text("Completed, FullyGraded")
    for other in (COACH, OTHER_COACH, OTHER_COACHEE):
        expect(page.get_by_role("row", name=other.name)).to_contain_text("no grade yet")
    journey.check_page("gradebook-complete")
    # Each delivery sent the latest score only (the per-check-in 33.33 was superseded).
    assert scores_received(lti, placed["line_item"]) == [
        (COACHEE.id, 66.67, 100.0),
        (COACHEE.id, 100.0, 100.0),
    ]

    journey.problems.assert_none()
    a11y.assert_clean(strict=True)
    print(
        f"\nwhole coaching journey: {time.monotonic() - started:.1f} s, {len(a11y.checked)} pages"
    )
