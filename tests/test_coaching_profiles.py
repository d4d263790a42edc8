"""Coaching profiles for matching: a participant's own profile (skills, priorities, capacity,
team, new here, opting out), its validation, and the instructor's People page (the course
roster with people who have not launched yet, their profiles and flags, invitations)."""

from __future__ import annotations

from coaching_pairing_support import NAMES, programme, public_id, stored_profile
from reviews_support import said


def test_a_participant_saves_their_profile_and_the_form_shows_it_again(lti):
    p = programme(lti)
    p.profile(
        "u-2001",
        can=("SQL", "Excel"),
        wants=("Public speaking", "Negotiation"),
        capacity=2,
        team="Ventes Île-de-France",
        preferences="Mornings; 日本語 or English",
        new_hire=True,
    )
    saved = stored_profile(lti, "u-2001")
    s = p.skills
    assert sorted(saved.can_coach) == sorted([s["SQL"], s["Excel"]])
    assert saved.wants == [s["Public speaking"], s["Negotiation"]]  # most wanted first
    assert (saved.capacity, saved.team, saved.new_hire, saved.opted_out) == (
        2,
        "Ventes Île-de-France",
        True,
        False,
    )
    assert saved.experienced is False  # only the instructor sets it
    page = said(p.member("u-2001").get(p.path))
    assert f'id="can-{s["SQL"]}" name="can_coach" value="{s["SQL"]}" checked' in page
    assert f'id="can-{s["Negotiation"]}" name="can_coach" value="{s["Negotiation"]}" >' in page
    assert '<option value="1" selected>1 (most wanted)</option>' in page
    assert "Mornings; 日本語 or English" in page


def test_wanted_skills_follow_the_priority_numbers_not_the_form_order(lti):
    p = programme(lti)
    form = p.form(wants=("SQL",))
    form[f"want-{p.skills['Excel']}"] = "1"
    form[f"want-{p.skills['SQL']}"] = "3"
    form[f"want-{p.skills['Negotiation']}"] = "2"
    assert p.member("u-2002").post(f"{p.path}/profile", form).status_code == 200
    s = p.skills
    assert stored_profile(lti, "u-2002").wants == [s["Excel"], s["Negotiation"], s["SQL"]]


def test_a_bad_profile_is_refused_with_a_reason_and_nothing_is_saved(lti):
    p = programme(lti)
    me = p.member("u-2003")
    cases = [
        ({**p.form(), "can_coach": ["999999"]}, "'999999' is not on this programme's skill list"),
        ({**p.form(), "want-999999": "1"}, "'999999' is not on this programme's skill list"),
        (p.form(capacity=6), "must be a whole number from 0 to 5"),
        (p.form(capacity="-1"), "must be a whole number from 0 to 5"),
        (p.form(capacity="two"), "must be a whole number from 0 to 5"),
        (
            {**p.form(wants=("SQL",)), f"want-{p.skills['Excel']}": "1"},
            "'Excel' and 'SQL' both have priority 1",
        ),
        (
            {**p.form(), f"want-{p.skills['Excel']}": "11"},
            "The priority of 'Excel' must be a whole number from 1 to 10.",
        ),
        (p.form(preferences="x" * 2001), "Preferences can have at most 2000 characters."),
    ]
    for form, reason in cases:
        form["team"] = "Équipe typed before the error"
        refused = me.post(f"{p.path}/profile", form)
        assert refused.status_code == 400 and reason in said(refused), (reason, said(refused))
        assert 'role="alert"' in refused.text
        assert 'value="Équipe typed before the error"' in said(refused)  # kept as typed
    untouched = stored_profile(lti, "u-2003")  # the page may hold a row for the calendar
    assert untouched is None or (untouched.can_coach, untouched.wants, untouched.team) == (
        [],
        [],
        "",
    )


def test_instructors_run_the_programme_and_have_no_profile_of_their_own(lti):
    p = programme(lti)
    refused = p.teacher.post(f"{p.path}/profile", p.form(can=("SQL",)))
    assert refused.status_code == 403 and "only participants have a profile" in said(refused)
    page = said(p.teacher.get(p.path))
    assert "Your coaching profile" not in page and "People and profiles" in page


def test_the_people_page_lists_the_roster_with_who_has_not_launched_and_invites_them(lti):
    p = programme(lti)
    p.member("u-2001")  # the one learner who has opened the activity
    page = p.teacher.get(f"{p.path}/people")
    assert page.status_code == 200
    text = said(page)
    for sub in ("u-2001", "u-2002", "u-2008"):
        assert NAMES[sub] in text  # synced from the LMS roster (NRPS)
    assert NAMES["u-1002"] not in text  # instructors run it, they are not in the pool
    launched = public_id(lti, "u-2001")
    assert f'data-user="{launched}" data-launched="yes"' in text
    waiting = public_id(lti, "u-2005")
    assert f'data-user="{waiting}" data-launched="no"' in text
    assert text.count(">not yet launched<") == 7

    one = p.teacher.post(f"{p.path}/people/invite", {"user": waiting})
    assert one.status_code == 200 and "People newly marked as invited: 1." in said(one)
    assert stored_profile(lti, "u-2005").invited_at is not None
    assert "invited " in said(one).split(f'data-user="{waiting}"')[1].split("</tr>")[0]
    everyone = p.teacher.post(f"{p.path}/people/invite", {"all": "yes"})
    assert "People newly marked as invited: 6." in said(everyone)
    launched_profile = stored_profile(lti, "u-2001")  # launched: no invitation needed
    assert launched_profile is None or launched_profile.invited_at is None
    again = p.teacher.post(f"{p.path}/people/invite", {"all": "yes"})
    assert "People newly marked as invited: 0." in said(again)


def test_the_instructor_fills_in_a_not_launched_persons_profile_and_flags(lti):
    p = programme(lti, mode="onboarding")
    p.teacher.get(f"{p.path}/people")  # the roster sync brings u-2006 in
    p.edit("u-2006", can=("Negotiation",), capacity=3, team="Ops", experienced=True)
    saved = stored_profile(lti, "u-2006")
    assert (saved.capacity, saved.team, saved.experienced, saved.new_hire) == (
        3,
        "Ops",
        True,
        False,
    )
    assert saved.can_coach == [p.skills["Negotiation"]]
    form = said(p.teacher.get(f"{p.path}/people/{public_id(lti, 'u-2006')}"))
    assert (
        "Not yet launched" in form
        and 'id="experienced" name="experienced" value="yes" checked' in form
    )

    # A participant's own form cannot make them experienced.
    p.profile("u-2002", capacity=1, experienced=True, new_hire=True)
    assert stored_profile(lti, "u-2002").experienced is False
    # ...but the instructor can, and can unmark "new here".
    p.edit("u-2002", capacity=1, experienced=True)
    mine = stored_profile(lti, "u-2002")
    assert (mine.experienced, mine.new_hire) == (True, False)


def test_the_people_page_and_profiles_are_for_this_courses_instructors_only(lti):
    p = programme(lti)
    learner = p.member("u-2001")
    assert learner.get(f"{p.path}/people").status_code == 403
    other = public_id(lti, "u-2001")
    assert learner.post(f"{p.path}/people/{other}", p.form(capacity=5)).status_code == 403
    assert learner.post(f"{p.path}/people/invite", {"all": "yes"}).status_code == 403
    # Someone who is not a participant of this course: 404, nothing written.
    teacher_id = public_id(lti, "u-1001")
    refused = p.teacher.get(f"{p.path}/people/{teacher_id}")
    assert refused.status_code == 404 and "not a participant of this course" in said(refused)
    assert p.teacher.get(f"{p.path}/people/no-such-person").status_code == 404
    other_profile = stored_profile(lti, "u-2001")
    assert other_profile is None or other_profile.capacity != 5
    assert stored_profile(lti, "u-1001") is None or stored_profile(lti, "u-1001").capacity != 5


def test_forms_without_the_csrf_token_are_refused(lti):
    p = programme(lti)
    me = p.member("u-2004")
    response = me.post(f"{p.path}/profile", {**p.form(capacity=2), "csrf_token": "forged"})
    assert response.status_code == 400
    untouched = stored_profile(lti, "u-2004")
    assert untouched is None or untouched.capacity != 2
