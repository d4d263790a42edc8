"""Coaching: placement, settings and the curated skill list."""

from __future__ import annotations

from coaching_support import INSTRUCTOR, join, place_coaching, program
from reviews_support import said

from lti_tool.extensions import db
from lti_tool.models import Skill


def test_placing_creates_the_programme_and_a_graded_line_item(lti):
    placed = place_coaching(lti, mode="onboarding", cadence_days="7")
    assert placed.line_item and placed.line_item["score_maximum"] == 100
    p = program(lti, placed)
    assert (p.mode, p.cadence_days, p.goal_visibility) == ("onboarding", 7, "course")
    page = join(lti, placed, "u-2001").get(placed.path)
    assert page.status_code == 200 and "Onboarding mentoring" in page.text
    assert "Skill list" not in page.text  # instructors only


def test_the_picker_refuses_a_bad_cadence_with_a_reason(lti):
    from test_lessons_placement import choose, picker

    page = choose(
        picker(lti, INSTRUCTOR),
        kind="coaching",
        **{"coaching-title": "x", "coaching-cadence_days": "0"},
    )
    assert (
        page.status_code == 400
        and "Days between check-ins must be a whole number from 1 to 90" in said(page)
    )


def test_skill_list_refuses_duplicates_naming_the_lines_and_saves_nothing(lti):
    placed = place_coaching(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    bad = teacher.post(
        f"{placed.path}/skills", {"skills": "Negotiation\nSQL\n  sql \nPublic speaking"}
    )
    assert bad.status_code == 400 and "Line 3: 'sql' is already on line 2." in said(bad)
    with lti.app.app_context():
        assert db.session.query(Skill).count() == 0
    ok = teacher.post(
        f"{placed.path}/skills", {"skills": "Negotiation\nSQL\n\nPublic speaking\nÉcoute active"}
    )
    assert ok.status_code == 200 and "The skill list is saved." in said(ok)
    with lti.app.app_context():
        assert sorted(s.name for s in db.session.query(Skill)) == [
            "Negotiation",
            "Public speaking",
            "SQL",
            "Écoute active",
        ]
    # Renaming by case keeps the skill; removing one drops it.
    teacher.post(f"{placed.path}/skills", {"skills": "negotiation\nSQL"})
    with lti.app.app_context():
        assert sorted(s.name for s in db.session.query(Skill)) == ["SQL", "negotiation"]


def test_settings_validate_and_learners_are_refused(lti):
    placed = place_coaching(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    form = {
        "mode": "peer",
        "goal_visibility": "pair",
        "skills_scope": "course",
        "completion_rule": "checkins",
        "cadence_days": "10",
        "min_checkins": "3",
        "across_teams": "yes",
    }
    bad = teacher.post(f"{placed.path}/settings", {**form, "cadence_days": "120"})
    assert (
        bad.status_code == 400
        and "Days between check-ins must be a whole number from 1 to 90" in said(bad)
    )
    assert program(lti, placed).cadence_days == 14
    saved = teacher.post(f"{placed.path}/settings", form)
    assert saved.status_code == 200 and "The settings are saved." in said(saved), said(saved)
    p = program(lti, placed)
    assert (
        p.goal_visibility,
        p.completion_rule,
        p.cadence_days,
        p.min_checkins,
        p.across_teams,
    ) == ("pair", "checkins", 10, 3, True)
    learner = join(lti, placed, "u-2001")
    assert learner.get(f"{placed.path}/settings").status_code == 403
    assert learner.post(f"{placed.path}/skills", {"skills": "x"}).status_code == 403
