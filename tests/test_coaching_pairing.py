"""Coaching pairing through the dev LMS: a matching run is previewed (nothing written), then
confirmed (one new cycle); the rules hold (no reciprocal pairs, across teams, no repeat of last
cycle, onboarding with experienced colleagues and LMS mentors); pairs are explained; opting
out ends pairs and tells the partner; pairs by hand are checked and kept by later runs; nobody
eligible writes nothing; learners and other courses are refused."""

from __future__ import annotations

import csv
import io

from coaching_goals_support import GOOD_GOAL, in_days
from coaching_pairing_support import NAMES, Programme, pairing_rows, pairs, programme, public_id
from coaching_support import program
from reviews_support import said
from sqlalchemy import select
from test_nrps import enrolment, in_lms
from test_reviews_dashboard import _second_course

from lti_tool.extensions import db
from lti_tool.models import Pairing


def _small_cohort(p: Programme) -> None:
    """Two people who could only coach each other, one more who wants SQL, one nobody can help."""
    p.profile("u-2001", can=("SQL",), wants=("Negotiation",), capacity=1)
    p.profile("u-2002", can=("Negotiation",), wants=("SQL",), capacity=1)
    p.profile("u-2003", wants=("SQL",), capacity=0, preferences="Tuesdays after 15:00")
    p.profile("u-2004", can=("Public speaking",), wants=("Excel",), capacity=2)


def test_the_preview_writes_nothing_and_confirming_writes_explained_pairs(lti):
    p = programme(lti)
    _small_cohort(p)
    preview = p.preview()
    assert preview.status_code == 200
    text = said(preview)
    assert lti.count(Pairing) == 0  # a preview writes nothing
    assert program(lti, p.placed).cycle == 0
    assert "nothing is saved until you confirm" in text
    assert "Proposed pairs: 2. Left without a coach: 2." in text
    assert (
        f"Paired because {NAMES['u-2001']} can coach SQL, which {NAMES['u-2003']} wants to grow."
        in text
    )
    assert (
        f"Paired because {NAMES['u-2002']} can coach Negotiation, which {NAMES['u-2001']} wants to grow."
        in text
    )
    # The small cohort said plainly: why each person has no coach, and the choices.
    b, d = public_id(lti, "u-2002"), public_id(lti, "u-2004")
    assert f'data-person="{b}" data-reason="only_reciprocal"' in text
    assert (
        f"Everyone else who can coach SQL is coached by {NAMES['u-2002']}, and reciprocal pairs are not allowed."
        in text
    )
    assert "Allow two people to coach each other in this run." in text
    assert f'data-person="{d}" data-reason="no_skill_match"' in text
    assert f"Nobody who coaches can coach Excel, which {NAMES['u-2004']} wants to grow." in text

    done = p.confirm(preview)
    assert done.status_code == 200 and "The new pairs are saved: cycle 1." in said(done)
    # No reciprocal pair, never self, capacities respected.
    assert pairs(lti) == {("u-2001", "u-2003", "auto"), ("u-2002", "u-2001", "auto")}
    assert program(lti, p.placed).cycle == 1
    twice = p.confirm(preview)  # the same preview again (a second tab, a double click)
    assert twice.status_code == 409 and "changed since your preview" in said(twice)
    assert len(pairing_rows(lti)) == 2 and program(lti, p.placed).cycle == 1
    stored = {(r["coach"], r["coachee"]): r for r in pairing_rows(lti)}
    why = stored[("u-2001", "u-2003")]["explanation"]
    assert why["code"] == "pair.skill_fit" and why["shared_skills"] == [str(p.skills["SQL"])]
    assert stored[("u-2001", "u-2003")]["cycle"] == 1

    coachee_page = said(p.member("u-2003").get(p.path))
    assert "Your coach" in coachee_page and NAMES["u-2001"] in coachee_page
    assert (
        f"Paired because {NAMES['u-2001']} can coach SQL, which {NAMES['u-2003']} wants to grow."
        in coachee_page
    )
    coach_page = said(p.member("u-2001").get(p.path))
    assert "You coach" in coach_page and "Tuesdays after 15:00" in coach_page  # her preferences
    assert "Your coach" in coach_page and NAMES["u-2002"] in coach_page
    lonely = said(p.member("u-2004").get(p.path))
    assert "You are not paired yet." in lonely

    # The instructor's page: current pairs with why, the rule about runs, last activity.
    page = said(p.teacher.get(f"{p.path}/pairing"))
    assert (
        "it replaces the pairs matching made last time and keeps the pairs you made by hand" in page
    )
    assert page.count('data-source="auto"') == 2 and "nothing yet" in page


def test_confirming_a_preview_that_no_longer_holds_writes_nothing(lti):
    p = programme(lti)
    _small_cohort(p)
    preview = p.preview()
    p.profile("u-2003", wants=("Negotiation",), capacity=0)  # the proposal changes meanwhile
    refused = p.confirm(preview)
    assert refused.status_code == 409
    assert "The proposed pairs changed since your preview" in said(refused)
    assert lti.count(Pairing) == 0 and program(lti, p.placed).cycle == 0
    assert "Confirm these pairs" in said(refused)  # the new preview, to confirm instead
    assert p.confirm(refused).status_code == 200
    assert pairs(lti) == {("u-2001", "u-2002", "auto"), ("u-2002", "u-2003", "auto")}


def test_a_new_cycle_avoids_last_cycles_pairs_and_replaces_automatic_pairs(lti):
    p = programme(lti)
    p.profile("u-2001", can=("SQL",), capacity=1)
    p.profile("u-2005", can=("SQL",), capacity=1)
    p.profile("u-2003", wants=("SQL",), capacity=0)
    p.run()
    ((first, _c, _s),) = pairs(lti)
    p.run()
    ((second, _c, _s),) = pairs(lti)
    assert {first, second} == {"u-2001", "u-2005"}  # not the same coach twice in a row
    rows = pairing_rows(lti)
    assert [(r["cycle"], r["status"], r["coach"]) for r in rows] == [
        (1, "ended", first),
        (2, "active", second),
    ]
    ended = said(p.member("u-2003").get(p.path))
    assert "A new matching run replaced" not in ended  # a replaced pair is no news

    # Only last cycle's coach is left: avoiding repeats leaves her without a coach, said why.
    p.profile(first, can=("SQL",), capacity=0)
    preview = said(p.preview())
    assert 'data-reason="only_last_cycle"' in preview
    assert (
        f"Everyone else who can coach SQL was paired with {NAMES['u-2003']} last cycle." in preview
    )
    assert "No pair can be made with these rules" in preview
    assert "Confirm these pairs" not in preview
    assert "Allow last cycle&#39;s pairs again in this run." in preview.replace("'", "&#39;")
    again = said(p.preview(allow_repeats="yes"))
    assert "Proposed pairs: 1." in again
    p.run(allow_repeats="yes")
    assert pairs(lti) == {(second, "u-2003", "auto")}


def test_across_teams_pairs_never_share_a_team(lti):
    p = programme(lti, across_teams="yes")
    p.profile("u-2001", can=("SQL",), capacity=1, team="Sales")
    p.profile("u-2005", can=("SQL",), capacity=1, team="Ops")
    p.profile("u-2003", wants=("SQL",), capacity=0, team=" sales ")
    p.profile("u-2006", wants=("SQL",), capacity=0, team="OPS")
    p.run()
    assert pairs(lti) == {("u-2005", "u-2003", "auto"), ("u-2001", "u-2006", "auto")}
    assert all("across_teams" in r["explanation"]["rules"] for r in pairing_rows(lti))
    # The instructor can allow pairs within a team for one run.
    preview = said(p.preview(across_teams="no"))
    assert 'id="run-across_teams" name="across_teams" value="yes" >' in preview  # unticked


def test_onboarding_pairs_new_hires_with_experienced_colleagues_and_prefers_lms_mentors(lti):
    in_lms(lti, lambda: setattr(enrolment("u-2008"), "role", "Mentor"))
    p = programme(lti, mode="onboarding")
    p.teacher.get(f"{p.path}/people")  # the roster: u-2008 is the LMS's mentor, not launched
    p.profile("u-2001", wants=("SQL",), capacity=0, new_hire=True)  # "I'm new here"
    p.profile("u-2002", capacity=0)
    p.edit("u-2002", capacity=0, new_hire=True)  # marked new by the instructor
    p.edit("u-2003", can=("SQL",), capacity=1, experienced=True)
    p.edit("u-2005", capacity=1, experienced=True)
    p.edit("u-2008", capacity=1)  # the LMS mentor
    p.profile("u-2004", can=("SQL",), capacity=2)  # neither new nor experienced: not a mentor
    people = said(p.teacher.get(f"{p.path}/people"))
    mentor_row = people.split(f'data-user="{public_id(lti, "u-2008")}"')[1].split("</tr>")[0]
    assert "LMS mentor" in mentor_row and "not yet launched" in mentor_row

    preview = said(p.preview())
    assert (
        f"{NAMES['u-2001']} is new and {NAMES['u-2003']} is an experienced colleague who can coach SQL, which {NAMES['u-2001']} wants to grow."
        in preview
    )
    assert (
        f"{NAMES['u-2002']} is new and {NAMES['u-2008']} is a mentor who can help them settle in; they share no listed skill."
        in preview
    )
    p.run()
    assert pairs(lti) == {("u-2003", "u-2001", "auto"), ("u-2008", "u-2002", "auto")}
    assert "Your mentor" in said(p.member("u-2002").get(p.path))


def test_opting_out_ends_the_pairing_and_the_partner_is_told(lti):
    p = programme(lti)
    _small_cohort(p)
    p.run()
    out = p.member("u-2003").post(f"{p.path}/opt-out", {"opted_out": "yes"})
    assert out.status_code == 200 and "You are out of matching." in said(out)
    assert pairs(lti) == {("u-2002", "u-2001", "auto")}
    ended = [r for r in pairing_rows(lti) if r["status"] == "ended"]
    assert [(r["coach"], r["coachee"]) for r in ended] == [("u-2001", "u-2003")]
    assert ended[0]["explanation"]["ended"]["code"] == "ended.opted_out"
    coach_page = said(p.member("u-2001").get(p.path))
    assert f"Your pairing with {NAMES['u-2003']} ended on" in coach_page
    assert f"{NAMES['u-2003']} opted out of matching, so this pairing ended." in coach_page
    assert "opted out of matching, so" not in said(p.member("u-2003").get(p.path))
    preview = said(p.preview())
    assert f"{NAMES['u-2003']} opted out of coaching this cycle." in preview

    # Opting out from the profile form ends pairs too; opting back in is one button.
    p.profile("u-2002", can=("Negotiation",), wants=("SQL",), capacity=1, opted_out=True)
    assert pairs(lti) == set()
    back = p.member("u-2003").post(f"{p.path}/opt-out", {"opted_out": "no"})
    assert "You take part in matching again" in said(back)
    assert "Opt out of matching" in said(back)


def test_pairs_by_hand_are_checked_kept_by_a_matching_run_and_can_end(lti):
    p = programme(lti)
    p.profile("u-2001", can=("SQL",), capacity=1)
    p.profile("u-2003", wants=("SQL",), capacity=1)
    p.profile("u-2004", wants=("SQL",), capacity=0)
    p.profile("u-2006", capacity=1, opted_out=True)
    ids = {sub: public_id(lti, sub) for sub in ("u-2001", "u-2003", "u-2004", "u-2006", "u-1001")}
    manual = f"{p.path}/pairing/manual"

    def pair(coach: str, coachee: str):
        return p.teacher.post(manual, {"coach": ids[coach], "coachee": ids[coachee]})

    refused = pair("u-2001", "u-2001")
    assert refused.status_code == 400 and "Someone cannot coach themselves" in said(refused)
    refused = pair("u-2006", "u-2004")
    assert refused.status_code == 400 and "opted out of matching" in said(refused)
    refused = pair("u-1001", "u-2004")
    assert (
        refused.status_code == 400
        and "Choose the coach from this course's participants" in said(refused)
    )

    made = pair("u-2001", "u-2003")
    assert made.status_code == 200 and "The pair is saved." in said(made)
    assert "you, by hand" in said(made)
    shown = said(p.member("u-2003").get(p.path))
    assert (
        f"Paired by the instructor: {NAMES['u-2001']} can coach SQL, which {NAMES['u-2003']} wants to grow."
        in shown
    )

    refused = pair("u-2001", "u-2004")
    assert refused.status_code == 409
    assert f"{NAMES['u-2001']} has no place left (capacity 1, pairs now 1). Raise their" in said(
        refused
    )
    assert f'<option value="{ids["u-2004"]}" selected>' in refused.text  # the choice is kept
    refused = pair("u-2003", "u-2001")
    assert refused.status_code == 409
    assert "does not allow two people to coach each other" in said(refused)
    refused = pair("u-2004", "u-2003")
    assert refused.status_code == 409 and f"{NAMES['u-2003']} already has a coach" in said(refused)
    assert pairs(lti) == {("u-2001", "u-2003", "manual")}

    # A matching run keeps the pair made by hand (moved into the new cycle) and its coach's
    # load: u-2004 gets the other SQL coach, not u-2001 whose place is taken.
    p.profile("u-2005", can=("SQL",), capacity=1)
    preview = said(p.preview())
    assert "Pairs made by hand that stay: 1." in preview
    p.run()
    assert {
        (r["coach"], r["coachee"], r["cycle"], r["status"], r["source"]) for r in pairing_rows(lti)
    } == {
        ("u-2001", "u-2003", 1, "active", "manual"),
        ("u-2005", "u-2004", 1, "active", "auto"),
    }

    # Ending it, then pairing the same coachee again in the same cycle.
    with lti.app.app_context():
        pid = db.session.scalars(select(Pairing.public_id).where(Pairing.source == "manual")).one()
    ended = p.teacher.post(f"{p.path}/pairing/{pid}/end")
    assert ended.status_code == 200 and "The pairing has ended." in said(ended)
    assert "The instructor ended this pairing." in said(p.member("u-2003").get(p.path))
    again = p.teacher.post(f"{p.path}/pairing/{pid}/end")
    assert again.status_code == 409 and "has ended already" in said(again)
    assert pair("u-2001", "u-2003").status_code == 200
    assert pairs(lti) == {("u-2001", "u-2003", "manual"), ("u-2005", "u-2004", "auto")}


def test_nobody_eligible_is_said_plainly_and_nothing_is_written(lti):
    p = programme(lti)
    p.profile("u-2001", can=("SQL",), capacity=2)  # a coach, but nobody wants anything
    empty = said(p.preview())
    assert "Nobody needs a coach yet" in empty and "Confirm these pairs" not in empty
    forged = p.teacher.post(
        f"{p.path}/pairing/confirm", {"fingerprint": "x", "allow_zero_fit": "yes"}
    )
    assert forged.status_code == 409 and "Nobody needs a coach yet" in said(forged)
    p.profile("u-2001", wants=("SQL",), capacity=0)  # someone wants, nobody coaches
    nobody = said(p.preview())
    assert "Nobody can coach yet" in nobody and "Confirm these pairs" not in nobody
    assert 'data-reason="no_coaches"' in nobody
    assert "Nobody can coach in this cycle: no one has offered a place." in nobody
    # Someone who only opened the page (no skill offered) is not made a coach, even when pairs
    # without a shared skill are allowed.
    p.member("u-2005").get(p.path)
    zero_fit = said(p.preview(allow_zero_fit="yes"))
    assert "Nobody can coach yet" in zero_fit and "Confirm these pairs" not in zero_fit
    assert lti.count(Pairing) == 0 and program(lti, p.placed).cycle == 0


def test_the_csv_export_and_the_pairing_page_show_why_and_last_activity(lti):
    p = programme(lti)
    _small_cohort(p)
    p.run()
    # The coachee of u-2001 sets a goal: that pair's last activity; the other pair has none.
    goal = p.member("u-2003").post(
        f"{p.path}/goals/new", {**GOOD_GOAL, "target_date": in_days(60), "action": "save"}
    )
    assert goal.status_code == 200 and "Your goal is saved." in goal.text
    page = said(p.teacher.get(f"{p.path}/pairing"))
    active_row = page.split(f'data-coachee="{public_id(lti, "u-2003")}"')[1].split("</tr>")[0]
    assert "nothing yet" not in active_row
    other_row = page.split(f'data-coachee="{public_id(lti, "u-2001")}"')[1].split("</tr>")[0]
    assert "nothing yet" in other_row
    response = p.teacher.get(f"{p.path}/pairings.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffCycle,Coach,Coach email,Coachee")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 3
    by_coach = {r[1]: r for r in rows[1:]}
    row = by_coach[NAMES["u-2001"]]
    assert row[3] == NAMES["u-2003"] and row[5] == "matching" and row[6] == "active"
    assert row[9] == "SQL" and row[10].startswith("Paired because")
    assert row[7].endswith("Z") and row[11].endswith("Z")
    assert by_coach[NAMES["u-2002"]][11] == ""


def test_learners_cannot_run_matching_or_see_the_pairing_pages(lti):
    p = programme(lti)
    _small_cohort(p)
    learner = p.member("u-2001")
    for path in ("/pairing", "/pairing/preview", "/pairings.csv"):
        assert learner.get(p.path + path).status_code == 403, path
    assert learner.post(f"{p.path}/pairing/confirm", {"fingerprint": "x"}).status_code == 403
    me, other = public_id(lti, "u-2001"), public_id(lti, "u-2003")
    refused = learner.post(f"{p.path}/pairing/manual", {"coach": me, "coachee": other})
    assert refused.status_code == 403
    assert lti.count(Pairing) == 0


def test_an_instructor_of_another_course_cannot_see_or_change_this_programme(lti):
    p = programme(lti)
    _small_cohort(p)
    p.run()
    outsider = _second_course(lti)
    for path in ("", "/pairing", "/pairing/preview", "/pairings.csv", "/people"):
        refused = outsider.get(p.path + path)
        assert refused.status_code == 403 and "belongs to another course" in said(refused), path
        assert NAMES["u-2003"] not in said(refused)
    with lti.app.app_context():
        pid = db.session.query(Pairing.public_id).first()[0]
    assert outsider.post(f"{p.path}/pairing/{pid}/end").status_code == 403
    assert outsider.post(f"{p.path}/pairing/confirm", {"fingerprint": "x"}).status_code == 403
    assert len(pairs(lti)) == 2
