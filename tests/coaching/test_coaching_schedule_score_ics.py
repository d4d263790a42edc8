"""The pure rules behind goals and check-ins: the cadence (due, overdue, stalled), the score by
the programme's rule, and the iCalendar writer (escaping, folding at 75 octets)."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from lti_tool.coaching import cadence, ics, scoring
from lti_tool.coaching.scoring import GoalFacts


def test_these_modules_import_no_web_or_database_code():
    folder = Path(cadence.__file__).parent
    for name in ("cadence.py", "scoring.py", "ics.py"):
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        roots = {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        } | {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        assert not roots & {"flask", "flask_babel", "sqlalchemy", "lti_tool"}, name


# --- cadence ------------------------------------------------------------------------------------


def test_the_next_check_in_counts_from_the_last_one_else_from_the_start():
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    last = datetime(2026, 3, 10, 9, tzinfo=UTC)
    assert cadence.next_due(last, start, 14, "UTC") == date(2026, 3, 24)
    assert cadence.next_due(None, start, 14, "UTC") == date(2026, 3, 15)
    assert cadence.next_due(None, None, 14, "UTC") is None


def test_dates_are_on_the_persons_own_calendar():
    # 23:30 UTC on 1 March is already 2 March in Tokyo, still 1 March in New York.
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert cadence.next_due(moment, None, 7, "Asia/Tokyo") == date(2026, 3, 9)
    assert cadence.next_due(moment, None, 7, "America/New_York") == date(2026, 3, 8)
    assert cadence.local_date(moment, "Not/AZone") == date(2026, 3, 1)  # unknown: UTC
    assert cadence.local_date(datetime(2026, 3, 1, 23, 30), "Asia/Tokyo") == date(2026, 3, 2)


def test_overdue_days_start_the_day_after_the_due_date():
    due = date(2026, 3, 15)
    assert cadence.days_overdue(due, date(2026, 3, 15)) == 0
    assert cadence.days_overdue(due, date(2026, 3, 16)) == 1
    assert cadence.days_overdue(due, date(2026, 3, 1)) == 0
    assert cadence.days_overdue(None, date(2026, 3, 16)) == 0


def test_a_pair_stalls_after_two_periods_without_activity():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert not cadence.is_stalled(None, start, start + timedelta(days=14), 7)
    assert cadence.is_stalled(None, start, start + timedelta(days=14, seconds=1), 7)
    last = start + timedelta(days=10)
    assert not cadence.is_stalled(last, start, start + timedelta(days=20), 7)
    assert cadence.is_stalled(last, start, start + timedelta(days=25), 7)


def test_stored_times_come_back_aware_whatever_the_database_hands_over():
    expected = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert cadence.aware("2026-03-01 12:00:00.000000") == expected
    assert cadence.aware(datetime(2026, 3, 1, 12)) == expected
    assert cadence.latest(None, "2026-03-01 12:00:00", datetime(2026, 2, 1, tzinfo=UTC)) == expected
    assert cadence.latest(None, None) is None


# --- the score -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checkins", "complete", "score"),
    [(0, False, 0.0), (0, True, 100.0), (5, False, 0.0), (5, True, 100.0)],
)
def test_rule_closed_is_all_or_nothing(checkins, complete, score):
    assert scoring.goal_score("closed", 2, GoalFacts(checkins, complete)) == score


@pytest.mark.parametrize(
    ("checkins", "complete", "score"),
    [
        (0, False, 0.0),
        (1, False, 33.33),
        (2, False, 66.67),
        (3, False, 66.67),
        (0, True, 33.33),
        (1, True, 66.67),
        (2, True, 100.0),
        (9, True, 100.0),
    ],
)
def test_rule_checkins_counts_up_to_the_minimum_and_closing_adds_the_rest(
    checkins, complete, score
):
    assert scoring.goal_score("checkins", 2, GoalFacts(checkins, complete)) == score


def test_rule_checkins_with_no_minimum_is_completion_alone():
    assert scoring.goal_score("checkins", 0, GoalFacts(4, False)) == 0.0
    assert scoring.goal_score("checkins", 0, GoalFacts(0, True)) == 100.0
    assert scoring.per_checkin(0) == 100.0 and scoring.per_checkin(3) == 25.0


def test_a_person_scores_their_best_goal():
    goals = [GoalFacts(1, False), GoalFacts(2, True), GoalFacts(0, False)]
    assert scoring.person_score("checkins", 3, goals) == 75.0
    assert scoring.person_score("closed", 3, goals) == 100.0
    assert scoring.person_score("closed", 3, []) == 0.0
    with pytest.raises(ValueError, match="unknown completion rule"):
        scoring.goal_score("attendance", 1, GoalFacts(1, True))


# --- the iCalendar writer ----------------------------------------------------------------------------


def test_text_values_escape_backslash_semicolon_comma_and_newlines():
    assert ics.escape_text("a\\b;c,d\r\ne\nf\rg") == "a\\\\b\\;c\\,d\\ne\\nf\\ng"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "SUMMARY:" + "日本語" * 30  # 3 octets per character
    folded = ics.fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert pieces[0] + "".join(p[1:] for p in pieces[1:]) == line
    assert ics.fold("SHORT:line") == "SHORT:line"
    exact = "X:" + "a" * 73
    assert ics.fold(exact) == exact and ics.fold(exact + "b") == exact + "\r\n b"


def test_a_calendar_has_the_required_properties_and_crlf_lines():
    stamp = datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC)
    text = ics.calendar_text(
        "Coaching, spring",
        [ics.Event("goal-1@peerpath", date(2026, 4, 30), "Target; done", "Why, how")],
        stamp,
    )
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert lines[:6] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{ics.PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Coaching\\, spring",
    ]
    assert lines[6:15] == [
        "BEGIN:VEVENT",
        "UID:goal-1@peerpath",
        "DTSTAMP:20260301T080509Z",
        "DTSTART;VALUE=DATE:20260430",
        "DTEND;VALUE=DATE:20260501",
        "SUMMARY:Target\\; done",
        "DESCRIPTION:Why\\, how",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]
    assert lines[-1] == "END:VCALENDAR"
