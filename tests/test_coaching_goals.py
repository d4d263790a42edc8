"""Coaching goals: setting and editing them with the SMART check, milestones, and who may read
or change a goal (owner, their coach, instructors; owner and coach only in "pair" mode)."""

from __future__ import annotations

import re

from coaching_goals_support import GOOD_GOAL, circle, in_days
from reviews_support import said
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.models import Goal


def _goal_count(lti) -> int:
    with lti.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Goal))


def _codes(page) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', page.text)


def test_check_my_goal_lists_what_is_missing_without_saving(lti):
    c = circle(lti)
    learner = c.member("u-2002")
    form = {
        "what": "Get better",
        "why": "",
        "measure": "More",
        "target_date": "",
        "action": "check",
    }
    page = learner.post(f"{c.path}/goals/new", form)
    assert page.status_code == 200
    assert _codes(page) == [
        "smart.what_too_vague",
        "smart.why_missing",
        "smart.measure_too_vague",
        "smart.measure_without_number",
        "smart.target_date_missing",
    ]
    text = said(page)
    assert "Say more about what you want to achieve: 2 word(s), at least 5 make it clear." in text
    assert "Set a target date." in text and "Nothing is saved yet." in text
    assert 'value="More"' not in page.text and ">More</textarea>" in page.text  # kept in the form
    assert _goal_count(lti) == 0


def test_a_saved_goal_shows_its_smart_findings_and_a_good_one_has_none(lti):
    c = circle(lti)
    vague = c.set_goal("u-2002", measure="Better contracts than before", target_date=in_days(3))
    page = c.member("u-2002").get(c.goal_path(vague))
    assert _codes(page) == ["smart.measure_without_number", "smart.target_date_too_soon"]
    assert "less than 7 days away: is the goal achievable by then?" in said(page)

    good = c.set_goal("u-2002")
    page = c.member("u-2002").get(c.goal_path(good))
    assert _codes(page) == [] and 'id="smart-findings-ok"' in page.text
    row = c.goal(good)
    assert (row.what, row.why, row.measure) == (
        GOOD_GOAL["what"],
        GOOD_GOAL["why"],
        GOOD_GOAL["measure"],
    )
    assert row.target_date.isoformat() == in_days(60) and row.status == "open"
    listed = c.member("u-2002").get(c.path)
    assert f'id="goal-{good}"' in listed.text and f'id="goal-{vague}"' in listed.text


def test_a_goal_needs_what_and_a_real_date_and_nothing_is_written_otherwise(lti):
    c = circle(lti)
    learner = c.member("u-2003")
    empty = learner.post(f"{c.path}/goals/new", {**GOOD_GOAL, "what": "  ", "action": "save"})
    assert empty.status_code == 400
    assert "Say what you want to achieve: a goal needs at least that." in said(empty)
    bad_date = learner.post(
        f"{c.path}/goals/new", {**GOOD_GOAL, "target_date": "2026-02-30", "action": "save"}
    )
    assert bad_date.status_code == 400
    assert "Target date: '2026-02-30' is not a date. Use the form YYYY-MM-DD." in said(bad_date)
    assert GOOD_GOAL["why"] in said(bad_date)  # what was typed comes back
    too_long = learner.post(
        f"{c.path}/goals/new", {**GOOD_GOAL, "what": "x" * 1001, "action": "save"}
    )
    assert too_long.status_code == 400 and "at most 1000 characters" in said(too_long)
    assert _goal_count(lti) == 0


def test_instructors_do_not_own_goals(lti):
    c = circle(lti)
    refused = c.teacher.post(f"{c.path}/goals/new", {**GOOD_GOAL, "action": "save"})
    assert refused.status_code == 403
    assert "goals belong to its participants" in said(refused)
    assert _goal_count(lti) == 0


def test_the_owner_edits_their_goal(lti):
    c = circle(lti)
    goal = c.set_goal("u-2002")
    edited = c.member("u-2002").post(
        f"{c.goal_path(goal)}/edit",
        {
            **GOOD_GOAL,
            "what": "Lead three negotiations on my own",
            "target_date": in_days(30),
            "action": "save",
        },
    )
    assert edited.status_code == 200 and "Your goal is saved." in edited.text
    row = c.goal(goal)
    assert row.what == "Lead three negotiations on my own"
    assert row.target_date.isoformat() == in_days(30)


def test_the_coach_cannot_change_the_coachees_goal_text(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    coach = c.member("u-2001")
    assert coach.get(c.goal_path(goal)).status_code == 200  # the coach reads it
    form = {**GOOD_GOAL, "what": "Something the coach prefers", "action": "save"}
    refused = coach.post(f"{c.goal_path(goal)}/edit", form)
    assert refused.status_code == 403
    assert "Only José Ramírez Núñez can change their goal." in said(refused)
    assert "give feedback on their check-ins" in said(refused)
    assert coach.get(f"{c.goal_path(goal)}/edit").status_code == 403
    milestone = coach.post(f"{c.goal_path(goal)}/milestones", {"milestone": "Coach's step"})
    assert milestone.status_code == 403
    row = c.goal(goal)
    assert row.what == GOOD_GOAL["what"] and row.milestones == []
    assert 'id="edit-goal"' not in coach.get(c.goal_path(goal)).text


def test_milestones_are_added_marked_done_and_removed_by_the_owner(lti):
    c = circle(lti)
    goal = c.set_goal("u-2002")
    owner = c.member("u-2002")
    first = owner.post(
        f"{c.goal_path(goal)}/milestones",
        {"milestone": "Shadow Ana once", "milestone_due": in_days(10)},
    )
    assert first.status_code == 200 and "Milestones updated." in first.text
    owner.post(f"{c.goal_path(goal)}/milestones", {"milestone": "Run a call", "milestone_due": ""})
    late = owner.post(
        f"{c.goal_path(goal)}/milestones", {"milestone": "Too late", "milestone_due": in_days(90)}
    )
    assert late.status_code == 200
    assert "smart.milestone_after_target" in _codes(late)  # the SMART check sees milestones
    blank = owner.post(f"{c.goal_path(goal)}/milestones", {"milestone": " "})
    assert blank.status_code == 400 and "Say what the milestone is." in said(blank)
    rows = c.goal(goal).milestones
    assert [(m.position, m.text) for m in rows] == [
        (1, "Shadow Ana once"),
        (2, "Run a call"),
        (3, "Too late"),
    ]
    done = owner.post(f"{c.goal_path(goal)}/milestones/{rows[0].id}", {"action": "done"})
    assert done.status_code == 200 and 'data-done="yes"' in done.text
    owner.post(f"{c.goal_path(goal)}/milestones/{rows[2].id}", {"action": "remove"})
    rows = c.goal(goal).milestones
    assert [(m.text, m.done_at is not None) for m in rows] == [
        ("Shadow Ana once", True),
        ("Run a call", False),
    ]
    undone = owner.post(f"{c.goal_path(goal)}/milestones/{rows[0].id}", {"action": "undone"})
    assert undone.status_code == 200 and c.goal(goal).milestones[0].done_at is None
    unknown = owner.post(f"{c.goal_path(goal)}/milestones/999999", {"action": "done"})
    assert unknown.status_code == 404


def test_who_may_read_a_goal_in_course_mode(lti):
    c = circle(lti)
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    assert c.member("u-2002").get(c.goal_path(goal)).status_code == 200  # owner
    assert c.member("u-2001").get(c.goal_path(goal)).status_code == 200  # their coach
    teacher = c.teacher.get(c.goal_path(goal))
    assert teacher.status_code == 200 and GOOD_GOAL["what"] in said(teacher)
    assert 'id="checkin-form"' not in teacher.text and 'id="close-form"' not in teacher.text
    other = c.member("u-2003").get(c.goal_path(goal))
    assert other.status_code == 403
    assert (
        "Only the goal's owner, their coach and the course's instructors can read this goal."
        in said(other)
    )
    assert GOOD_GOAL["what"] not in said(other)
    # The owner's coach is the current one: once the pairing ends, the old coach is refused.
    c.end_pairs()
    assert c.member("u-2001").get(c.goal_path(goal)).status_code == 403


def test_in_pair_mode_instructors_see_only_that_a_goal_exists(lti):
    c = circle(lti)
    c.settings(goal_visibility="pair")
    c.pair("u-2001", "u-2002")
    goal = c.set_goal("u-2002")
    assert c.member("u-2002").get(c.goal_path(goal)).status_code == 200
    assert c.member("u-2001").get(c.goal_path(goal)).status_code == 200
    assert c.member("u-2003").get(c.goal_path(goal)).status_code == 403
    teacher = c.teacher.get(c.goal_path(goal))
    assert teacher.status_code == 403
    assert "kept between its owner and their coach" in said(teacher)
    overview = c.teacher.get(f"{c.path}/overview")
    assert overview.status_code == 200 and f'data-goal="{goal}"' in overview.text
    assert GOOD_GOAL["what"] not in said(overview) and 'id="pair-only"' in overview.text
    owner_page = c.member("u-2002").get(c.path)
    assert "seen by you and your coach only" in said(owner_page)


def test_a_goal_of_another_coaching_activity_is_not_found(lti):
    first, second = circle(lti, title="Circle A"), circle(lti, title="Circle B")
    goal = first.set_goal("u-2002")
    elsewhere = second.member("u-2002").get(f"{second.path}/goals/{goal}")
    assert elsewhere.status_code == 404
