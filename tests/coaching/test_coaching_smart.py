"""The SMART check of a goal, example by example."""

from __future__ import annotations

from datetime import date

import pytest

from lti_tool.coaching.smart import Goal, Milestone, Rules, add_months, check_goal, word_count

TODAY = date(2026, 3, 10)
GOOD = Goal(
    what="Lead two client negotiations on my own this quarter",
    why="My team needs a second negotiator",
    measure="Two signed contracts at a discount under 5%",
    target_date=date(2026, 6, 30),
    milestones=(Milestone("Shadow Ana in one negotiation", date(2026, 4, 15)),),
)


def codes(goal: Goal, today: date = TODAY, rules: Rules | None = None) -> list[str]:
    return [finding.code for finding in check_goal(goal, today, rules)]


def test_a_smart_goal_has_no_findings():
    assert check_goal(GOOD, TODAY) == []


def test_an_empty_goal_is_missing_everything():
    findings = check_goal(Goal(), TODAY)
    assert [(f.code, f.field, f.letter, f.severity) for f in findings] == [
        ("smart.what_missing", "what", "S", "missing"),
        ("smart.why_missing", "why", "R", "missing"),
        ("smart.measure_missing", "measure", "M", "missing"),
        ("smart.target_date_missing", "target_date", "T", "missing"),
    ]
    assert findings[3].message.text == "Set a target date."


def test_whitespace_counts_as_missing():
    assert "smart.what_missing" in codes(Goal(what="  \n\t", why=GOOD.why, measure=GOOD.measure))


def test_a_vague_what_says_how_many_words_it_has():
    (finding,) = check_goal(
        Goal(what="Get better", why=GOOD.why, measure=GOOD.measure, target_date=GOOD.target_date),
        TODAY,
    )
    assert finding.code == "smart.what_too_vague"
    assert dict(finding.message.params) == {"words": 2, "min_words": 5}
    assert (
        finding.message.text
        == "Say more about what you want to achieve: 2 word(s), at least 5 make it clear."
    )


def test_the_minimum_length_is_a_rule_the_course_can_change():
    goal = Goal(what="Get better", why=GOOD.why, measure=GOOD.measure, target_date=GOOD.target_date)
    assert codes(goal, rules=Rules(min_what_words=2)) == []


def test_a_measure_without_a_number_is_weak():
    goal = Goal(
        what=GOOD.what,
        why=GOOD.why,
        measure="Feel more confident in meetings",
        target_date=GOOD.target_date,
    )
    (finding,) = check_goal(goal, TODAY)
    assert (finding.code, finding.severity, finding.letter) == (
        "smart.measure_without_number",
        "weak",
        "M",
    )


@pytest.mark.parametrize(
    ("target", "code", "params"),
    [
        (date(2026, 3, 9), "smart.target_date_past", {"date": "2026-03-09"}),
        (date(2026, 3, 10), "smart.target_date_too_soon", {"date": "2026-03-10", "min_days": 7}),
        (date(2026, 3, 16), "smart.target_date_too_soon", {"date": "2026-03-16", "min_days": 7}),
        (date(2026, 3, 17), None, None),
        (date(2027, 3, 10), None, None),
        (date(2027, 3, 11), "smart.target_date_too_far", {"date": "2027-03-11", "max_months": 12}),
    ],
)
def test_target_date_bounds(target, code, params):
    goal = Goal(what=GOOD.what, why=GOOD.why, measure=GOOD.measure, target_date=target)
    findings = check_goal(goal, TODAY)
    if code is None:
        assert findings == []
    else:
        (finding,) = findings
        assert (finding.code, dict(finding.message.params)) == (code, params)


def test_past_target_date_text():
    goal = Goal(what=GOOD.what, why=GOOD.why, measure=GOOD.measure, target_date=date(2025, 12, 31))
    assert check_goal(goal, TODAY)[0].message.text == "The target date 2025-12-31 is in the past."


def test_twelve_months_from_the_end_of_a_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    goal = Goal(what=GOOD.what, why=GOOD.why, measure=GOOD.measure, target_date=date(2025, 3, 1))
    assert codes(goal, today=date(2024, 2, 29)) == ["smart.target_date_too_far"]
    goal = Goal(what=GOOD.what, why=GOOD.why, measure=GOOD.measure, target_date=date(2025, 2, 28))
    assert codes(goal, today=date(2024, 2, 29)) == []


def test_milestones_need_a_title_and_a_date_before_the_target():
    goal = Goal(
        what=GOOD.what,
        why=GOOD.why,
        measure=GOOD.measure,
        target_date=date(2026, 6, 30),
        milestones=(
            Milestone(" ", date(2026, 4, 1)),
            Milestone("Present the results", date(2026, 7, 15)),
            Milestone("Read the book", None),
        ),
    )
    findings = check_goal(goal, TODAY)
    assert [(f.field, f.code) for f in findings] == [
        ("milestones[1]", "smart.milestone_title_missing"),
        ("milestones[2]", "smart.milestone_after_target"),
    ]
    assert (
        findings[1].message.text
        == "Milestone 2 is due on 2026-07-15, after the target date 2026-06-30."
    )


def test_an_overdue_milestone_is_flagged_until_done():
    late = Milestone("Shadow Ana", date(2026, 3, 1))
    goal = Goal(
        what=GOOD.what,
        why=GOOD.why,
        measure=GOOD.measure,
        target_date=GOOD.target_date,
        milestones=(late,),
    )
    assert codes(goal) == ["smart.milestone_overdue"]
    done = Milestone("Shadow Ana", date(2026, 3, 1), done=True)
    goal = Goal(
        what=GOOD.what,
        why=GOOD.why,
        measure=GOOD.measure,
        target_date=GOOD.target_date,
        milestones=(done,),
    )
    assert codes(goal) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Lead two client negotiations", 4),
        ("don't stop — e-mail twice", 4),
        ("Провести два раунда переговоров", 4),
        ("提高谈判技巧", 3),  # no spaces in Chinese: two characters to a word
        ("交渉力を高める for sales", 6),  # 7 characters count 4, then 2 spaced words
        ("   ", 0),
    ],
)
def test_words_are_counted_in_any_script(text, words):
    assert word_count(text) == words


def test_a_goal_written_in_chinese_can_pass():
    goal = Goal(
        what="在本季度独立完成两次客户谈判",
        why="团队需要第二位谈判者",
        measure="签订两份合同，折扣低于5%",
        target_date=date(2026, 6, 30),
    )
    assert check_goal(goal, TODAY) == []
