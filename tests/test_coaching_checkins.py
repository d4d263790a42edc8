"""Check-ins: the owner records them, only their coach gives feedback, none on a closed goal;
the cadence (due after the last check-in or the pairing's start, overdue for owner, coach and
instructor); the private calendar feed (RFC 5545) and resetting its address."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from babel.dates import format_datetime
from coaching_goals_support import circle
from reviews_support import said
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.models import CheckIn, CoachingProfile, GradeOutbox, User


def _count(lti, model) -> int:
    with lti.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _today() -> date:
    return datetime.now(UTC).date()


def test_the_owner_checks_in_and_only_their_coach_gives_feedback(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    page = c.check_in(
        "u-2002", goal, 35, went_well="First call done", blockers="No budget", next_step="Ask Ana"
    )
    assert page.status_code == 200 and "Your check-in is recorded." in page.text
    assert "35% done" in said(page)
    (row,) = c.checkins(goal)
    assert (row.progress, row.went_well, row.blockers, row.next_step) == (
        35,
        "First call done",
        "No budget",
        "Ask Ana",
    )
    feedback_path = f"{c.goal_path(goal)}/checkins/{row.public_id}/feedback"
    # Not the coach: the owner, another learner, the instructor; and the coach may not check in.
    for user in ("u-2002", "u-2003", "u-1001"):
        refused = c.member(user).post(feedback_path, {"coach_feedback": "Nice"})
        assert refused.status_code == 403, user
    assert "Only the goal owner's coach can give feedback" in said(
        c.member("u-2002").post(feedback_path, {"coach_feedback": "Nice"})
    )
    assert c.check_in("u-2001", goal).status_code == 403
    assert (
        c.check_in("u-2001", goal, 500).status_code == 403
    )  # refused as the coach, not as bad input
    coach = c.member("u-2001")
    empty = coach.post(feedback_path, {"coach_feedback": "  "})
    assert empty.status_code == 400 and "Write your feedback before sending it." in said(empty)
    sent = coach.post(feedback_path, {"coach_feedback": "Good start; book the second call"})
    assert sent.status_code == 200 and "Your feedback is saved." in sent.text
    (row,) = c.checkins(goal)
    assert row.coach_feedback == "Good start; book the second call"
    assert row.coach_feedback_at is not None and row.coach_feedback_by_id is not None
    assert "Good start; book the second call" in said(c.member("u-2002").get(c.goal_path(goal)))
    # Latest wins: the coach rewrites it.
    coach.post(feedback_path, {"coach_feedback": "Book the second call this week"})
    assert c.checkins(goal)[0].coach_feedback == "Book the second call this week"


def _section(page, section_id: str) -> str:
    """The HTML of one <section> of a page (the goal page's sections are not nested)."""
    found = re.search(rf'<section[^>]*\bid="{section_id}"[^>]*>(.*?)</section>', page.text, re.S)
    assert found, f"no section #{section_id} in the page"
    return found.group(1)


def test_each_change_is_confirmed_in_the_section_the_page_opens_at(lti):
    """A check-in, a milestone and closing the goal send the owner back to that section's
    anchor, below the top of the page: the confirmation is there, once, where they look."""
    c = circle(lti)
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    owner = c.member("u-2002")
    for path, data, section, text in (
        (
            "checkins",
            {"progress": "20", "went_well": "First call"},
            "checkins",
            "Your check-in is recorded.",
        ),
        ("milestones", {"milestone": "Shadow Ana"}, "milestones", "Milestones updated."),
        ("close", {"reflection": "I led one."}, "completion", "The goal is closed."),
    ):
        page = owner.post(f"{c.goal_path(goal)}/{path}", data)
        assert page.status_code == 200, page.text
        assert page.text.count('id="saved"') == 1, page.text
        assert text in _section(page, section), (section, page.text)


def test_a_bad_check_in_is_refused_with_the_reason_and_the_typed_text_kept(lti):
    c = circle(lti)
    goal = c.set_goal("u-2002")
    too_much = c.check_in("u-2002", goal, 101, went_well="Kept text")
    assert too_much.status_code == 400
    assert "Progress must be a whole number from 0 to 100 (per cent)." in said(too_much)
    assert ">Kept text</textarea>" in too_much.text
    nothing = c.member("u-2002").post(f"{c.goal_path(goal)}/checkins", {"progress": "20"})
    assert nothing.status_code == 400
    assert "Say at least one of: what went well, what blocks you, or your next step." in said(
        nothing
    )
    assert _count(lti, CheckIn) == 0


def test_no_check_in_on_a_closed_goal_and_nothing_is_written(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    assert c.check_in("u-2002", goal).status_code == 200
    closed = c.member("u-2002").post(
        f"{c.goal_path(goal)}/close", {"reflection": "I led both negotiations"}
    )
    assert closed.status_code == 200 and 'id="checkins-closed"' in closed.text
    assert 'id="checkin-form"' not in closed.text
    before = (_count(lti, CheckIn), _count(lti, GradeOutbox))
    refused = c.check_in("u-2002", goal, 90)
    assert refused.status_code == 409
    assert "This goal is closed, so it takes no more check-ins." in said(refused)
    assert (_count(lti, CheckIn), _count(lti, GradeOutbox)) == before
    # Nor edits or milestones while closed.
    assert c.member("u-2002").get(f"{c.goal_path(goal)}/edit").status_code == 409
    milestone = c.member("u-2002").post(f"{c.goal_path(goal)}/milestones", {"milestone": "x"})
    assert milestone.status_code == 409


def test_the_next_check_in_is_due_after_the_pairing_then_after_the_last_check_in(lti):
    c = circle(lti, cadence_days="14")
    c.pair("u-2001", "u-2002", days_ago=20)
    goal = c.set_goal("u-2002")
    due = (_today() - timedelta(days=20) + timedelta(days=14)).isoformat()
    # Six days overdue, for the owner, their coach and the instructor.
    owner_page = c.member("u-2002").get(c.path)
    assert 'data-overdue="6"' in owner_page.text
    assert "6 days overdue" in said(owner_page)
    assert 'data-overdue="6"' in c.member("u-2002").get(c.goal_path(goal)).text
    coach_page = c.member("u-2001").get(c.path)
    assert 'data-overdue="6"' in coach_page.text and "Their check-in was due" in said(coach_page)
    overview = c.teacher.get(f"{c.path}/overview")
    assert 'data-overdue="6"' in overview.text
    assert "1 with an overdue check-in" in said(overview)
    # A check-in moves the next one to 14 days after it.
    assert c.check_in("u-2002", goal).status_code == 200
    fresh = c.member("u-2002").get(c.path)
    assert "data-overdue" not in fresh.text
    assert f'data-due="{(_today() + timedelta(days=14)).isoformat()}"' in fresh.text
    assert due not in fresh.text
    # That check-in 16 days ago: 2 days overdue.
    c.backdate(goal, 16)
    assert 'data-overdue="2"' in c.member("u-2001").get(c.path).text


def test_without_an_open_goal_no_check_in_is_due(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002", days_ago=30)
    page = c.member("u-2002").get(c.path)
    assert 'id="no-goals"' in page.text and "data-overdue" not in page.text
    assert "data-due" not in page.text


# --- the calendar feed --------------------------------------------------------------------------


def _calendar_url(page) -> str:
    marker = 'id="calendar-url" readonly value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def _unfold(body: bytes) -> list[str]:
    """RFC 5545 content lines: every physical line ends in CRLF and is at most 75 octets;
    a line starting with a space continues the one before."""
    assert body.endswith(b"\r\n")
    physical = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical), max(physical, key=len)
    assert not any(b"\n" in line or b"\r" in line for line in physical)
    lines: list[str] = []
    for line in physical:
        text = line.decode("utf-8")  # a fold never splits a character
        if text.startswith(" "):
            lines[-1] += text[1:]
        else:
            lines.append(text)
    return lines


def _events(lines: list[str]) -> list[dict[str, str]]:
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events, current = [], None
    for line in lines[1:-1]:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return events


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def test_the_calendar_feed_is_valid_icalendar_with_check_ins_and_target_dates(lti):
    c = circle(lti, cadence_days="10")
    c.pair("u-2001", "u-2002", days_ago=3)
    what = 'Négocier seul, deux fois; avec "Ana" \\ sans aide,\nmême en visio — 日本語の交渉も含めて練習する'
    target = (_today() + timedelta(days=60)).isoformat()
    goal = c.set_goal("u-2002", what=what, target_date=target)
    c.member("u-2002").post(
        f"{c.goal_path(goal)}/milestones",
        {"milestone": "Shadow Ana", "milestone_due": (_today() + timedelta(days=20)).isoformat()},
    )
    url = _calendar_url(c.member("u-2002").get(c.path))
    feed = requests.get(url, timeout=10)  # no launch: the address is the key
    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    assert "no-store" in feed.headers["Cache-Control"]
    events = _events(_unfold(feed.content))
    for event in events:
        assert event["UID"] and event["DTSTAMP"].endswith("Z") and len(event["DTSTAMP"]) == 16
    by_summary = {_unescape(e["SUMMARY"]): e for e in events}
    due = (_today() - timedelta(days=3) + timedelta(days=10)).strftime("%Y%m%d")
    assert by_summary["Coaching check-in due"]["DTSTART;VALUE=DATE"] == due
    goal_event = by_summary[f"Goal target date: {what}"]  # escaped, folded, read back intact
    assert goal_event["DTSTART;VALUE=DATE"] == target.replace("-", "")
    assert "Milestone: Shadow Ana" in by_summary
    raw = feed.content.decode("utf-8")
    assert "\\;" in raw and "\\," in raw and "\\\\" in raw and "\\n" in raw

    # The coach's feed has their coachee's next check-in, not the coachee's goals.
    coach_events = _events(
        _unfold(requests.get(_calendar_url(c.member("u-2001").get(c.path)), timeout=10).content)
    )
    summaries = [_unescape(e["SUMMARY"]) for e in coach_events]
    assert summaries == ["Check-in with José Ramírez Núñez due"]
    assert coach_events[0]["DTSTART;VALUE=DATE"] == due


def test_resetting_the_calendar_address_retires_the_old_one(lti):
    c = circle(lti)
    learner = c.member("u-2003")
    old = _calendar_url(learner.get(c.path))
    assert requests.get(old, timeout=10).status_code == 200
    reset = learner.post(f"{c.path}/calendar/reset", {"confirm": "yes"})
    assert reset.status_code == 200 and 'id="calendar-status"' in reset.text
    new = _calendar_url(reset)
    assert new != old
    gone = requests.get(old, timeout=10)
    assert gone.status_code == 404 and "BEGIN:VCALENDAR" not in gone.text
    assert requests.get(new, timeout=10).status_code == 200
    unknown = requests.get(old.rsplit("/", 1)[0] + "/not-a-token.ics", timeout=10)
    assert unknown.status_code == 404
    with lti.app.app_context():
        (token,) = db.session.scalars(
            select(CoachingProfile.calendar_token)
            .join(User, User.id == CoachingProfile.user_id)
            .where(User.sub == "u-2003")
        ).all()
        assert new.endswith(f"/coach/ics/{token}.ics")


def test_check_in_times_are_shown_in_the_owners_timezone(lti):
    c = circle(lti)
    goal = c.set_goal("u-2002")
    with lti.app.app_context():
        user = db.session.scalars(select(User).where(User.sub == "u-2002")).one()
        user.timezone = "Pacific/Kiritimati"  # UTC+14: always another hour than UTC
        db.session.commit()
    page = c.check_in("u-2002", goal)
    (row,) = c.checkins(goal)
    stored = row.created_at.replace(tzinfo=UTC) if row.created_at.tzinfo is None else row.created_at
    # In the language the page is shown in (no Spanish catalogue yet: English), so the date
    # reads as part of the sentence around it.
    shown = format_datetime(stored, "short", tzinfo=ZoneInfo("Pacific/Kiritimati"), locale="en")
    in_utc = format_datetime(stored, "short", tzinfo=ZoneInfo("UTC"), locale="en")
    assert f"Check-in of {shown}" in said(page) and f"Check-in of {in_utc}" not in said(page)
