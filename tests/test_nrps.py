"""Roster sync (NRPS) against the dev LMS: paging, people who never launched, differences,
the freshness limit, faults and missing scopes. Every call goes over real HTTP.
"""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select
from support import LiveServer, free_port

from lti_tool.devlms import seed
from lti_tool.devlms.models import DevTool, Enrolment, Person
from lti_tool.devlms.models import db as lms_db
from lti_tool.extensions import db
from lti_tool.lti import claims as c
from lti_tool.models import Context, Membership, Platform, RosterChange, RosterSync, User
from lti_tool.services import nrps, oauth
from lti_tool.services.roster_cli import roster_cli

EVERYONE = [p.id for p in (*seed.INSTRUCTORS, *seed.LEARNERS)]


@pytest.fixture(autouse=True)
def _fresh_tokens():
    oauth.tokens.clear()
    yield
    oauth.tokens.clear()


@pytest.fixture
def course(lti) -> Context:
    """The demo course as PeerPath knows it after one learner's launch."""
    lti.launch(seed.LEARNERS[0].id)
    with lti.app.app_context():
        context = db.session.scalars(
            select(Context).where(Context.lms_context_id == seed.DEMO_COURSE_ID)
        ).one()
        assert context.nrps_claim["context_memberships_url"].endswith("/memberships")
        return context


def sync(lti, context: Context) -> nrps.SyncResult:
    with lti.app.app_context():
        return nrps.sync_roster(db.session.get(Context, context.id))


def stats(lti) -> dict:
    return requests.get(f"{lti.lms_url}/api/_dev/stats", timeout=10).json()


def arm(lti, **spec) -> None:
    r = requests.post(f"{lti.lms_url}/api/_dev/faults", json=spec, timeout=10)
    assert r.status_code == 201, r.text


def people(lti, context: Context) -> dict[str, tuple[str, bool, bool]]:
    """sub -> (PeerPath roles, has launched, has left) for everyone PeerPath knows here."""
    with lti.app.app_context():
        rows = db.session.execute(
            select(User.sub, Membership.roles, User.last_launch_at, Membership.left_at)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.context_id == context.id)
        )
        return {
            s: (roles, launched is not None, left is not None) for s, roles, launched, left in rows
        }


def changes(lti, sync_id: int) -> set[tuple[str, str, str, str]]:
    with lti.app.app_context():
        rows = db.session.execute(
            select(User.sub, RosterChange.change, RosterChange.old_roles, RosterChange.new_roles)
            .join(User, User.id == RosterChange.user_id)
            .where(RosterChange.sync_id == sync_id)
        )
        return set(rows)


def in_lms(lti, fn) -> None:
    """Change the dev LMS's own data (what an LMS admin does in the course)."""
    with lti.devlms_app.app_context():
        fn()
        lms_db.session.commit()


def enrolment(person_id: str) -> Enrolment:
    return lms_db.session.scalars(
        select(Enrolment).where(
            Enrolment.course_id == seed.DEMO_COURSE_ID, Enrolment.person_id == person_id
        )
    ).one()


def test_people_who_never_launched_exist_after_a_sync_with_their_roles(lti, course):
    result = sync(lti, course)
    assert result.ok, result.reason
    # The learner who launched was known already; the nine others joined.
    assert (result.members, result.joined, result.left, result.changed) == (10, 9, 0, 0)
    known = people(lti, course)
    assert sorted(known) == sorted(EVERYONE)
    for p in seed.INSTRUCTORS:
        assert known[p.id] == ("instructor", False, False)
    for p in seed.LEARNERS:
        assert known[p.id] == ("learner", p.id == seed.LEARNERS[0].id, False)
    with lti.app.app_context():
        aoife = db.session.scalars(select(User).where(User.sub == "u-1001")).one()
        assert (aoife.name, aoife.given_name, aoife.family_name, aoife.email) == (
            "Aoife Ní Bhriain",
            "Aoife",
            "Ní Bhriain",
            "aoife.nibhriain@example.com",
        )
        assert aoife.last_launch_at is None
        summary = nrps.summary(db.session.get(Context, course.id))
        assert (summary.members, summary.not_launched, summary.left) == (10, 9, 0)


def test_paging_follows_link_next_verbatim(lti, course):
    # The dev LMS's page tokens always hold an upper-case letter and 404 when lower-cased.
    lti.app.config["ROSTER_PAGE_SIZE"] = 3
    before = stats(lti)["membership_requests"]
    result = sync(lti, course)
    assert result.ok, result.reason
    assert (result.pages, result.members) == (4, 10)
    assert stats(lti)["membership_requests"] - before == 4
    assert sorted(people(lti, course)) == sorted(EVERYONE)


def test_a_second_sync_reports_who_joined_left_and_changed_role(lti, course):
    first = sync(lti, course)
    assert first.ok and first.joined == 9

    def change_the_course() -> None:
        newcomer = Person(
            id="u-3001",
            name="Ngozi Okafor",
            given_name="Ngozi",
            family_name="Okafor",
            email="ngozi.okafor@example.com",
        )
        lms_db.session.add(newcomer)
        lms_db.session.add(
            Enrolment(course_id=seed.DEMO_COURSE_ID, person_id="u-3001", role="Learner")
        )
        lms_db.session.delete(enrolment("u-2002"))  # unenrolled
        enrolment("u-2003").role = "Instructor"  # promoted
        enrolment("u-2004").status = "Inactive"  # suspended: counts as left

    in_lms(lti, change_the_course)
    second = sync(lti, course)
    assert second.ok, second.reason
    assert (second.members, second.joined, second.left, second.changed) == (9, 1, 2, 1)
    assert changes(lti, second.sync_id) == {
        ("u-3001", "joined", "", "learner"),
        ("u-2002", "left", "learner", ""),
        ("u-2004", "left", "learner", ""),
        ("u-2003", "role_changed", "learner", "instructor"),
    }
    known = people(lti, course)
    # Nobody is deleted: those who left keep their rows, marked.
    assert known["u-2002"] == ("learner", False, True)
    assert known["u-2004"] == ("learner", False, True)
    assert known["u-2003"] == ("instructor", False, False)
    assert known["u-3001"] == ("learner", False, False)

    third = sync(lti, course)
    assert (third.joined, third.left, third.changed) == (0, 0, 0)
    assert changes(lti, third.sync_id) == set()

    in_lms(
        lti,
        lambda: lms_db.session.add(
            Enrolment(course_id=seed.DEMO_COURSE_ID, person_id="u-2002", role="Learner")
        ),
    )
    fourth = sync(lti, course)
    assert (fourth.joined, fourth.left, fourth.changed) == (1, 0, 0)
    assert people(lti, course)["u-2002"] == ("learner", False, False)


def test_the_freshness_limit_keeps_pages_from_calling_the_lms(lti, course):
    lti.app.config["ROSTER_MAX_AGE_SECONDS"] = 900
    before = stats(lti)["membership_requests"]
    with lti.app.app_context():
        context = db.session.get(Context, course.id)
        first = nrps.ensure_fresh(context)
        assert first.ok and first.fetched
        for _ in range(5):
            again = nrps.ensure_fresh(context)
            assert again.ok and not again.fetched and again.sync_id == first.sync_id
        assert stats(lti)["membership_requests"] - before == 1
        # Past the limit the next view syncs again.
        refetched = nrps.ensure_fresh(context, max_age=0)
        assert refetched.fetched and refetched.sync_id != first.sync_id
    assert stats(lti)["membership_requests"] - before == 2


def test_a_failed_sync_says_why_and_leaves_the_roster_as_it_was(lti, course):
    assert sync(lti, course).ok
    before = people(lti, course)
    in_lms(lti, lambda: lms_db.session.delete(enrolment("u-2005")))
    arm(lti, kind="nrps", mode="503", count=1, retry_after=7)

    failed = sync(lti, course)
    assert not failed.ok
    assert "503" in failed.reason and "retry after 7 s" in failed.reason
    assert people(lti, course) == before  # nothing half-written
    with lti.app.app_context():
        row = db.session.get(RosterSync, failed.sync_id)
        assert (row.status, row.reason, row.left_count) == ("failed", failed.reason, 0)
        assert row.finished_at is not None
        # A fresh failure is not retried on every page view, but it is not "fresh" either.
        context = db.session.get(Context, course.id)
        assert nrps.ensure_fresh(context).sync_id == failed.sync_id

    recovered = sync(lti, course)
    assert recovered.ok and (recovered.joined, recovered.left) == (0, 1)
    assert people(lti, course)["u-2005"][2] is True


def test_a_fault_on_a_later_page_writes_nothing(lti, course):
    lti.app.config["ROSTER_PAGE_SIZE"] = 4
    assert sync(lti, course).ok  # also warms the token cache: no token call below
    before = people(lti, course)
    in_lms(lti, lambda: lms_db.session.delete(enrolment("u-2006")))
    in_lms(lti, lambda: setattr(enrolment("u-2007"), "role", "Instructor"))

    # Page 1 arrives, then the LMS drops the connection on page 2: arm the fault in the
    # dev LMS as soon as the first page's answer is in.
    http = requests.Session()
    answers: list[int] = []

    def arm_after_first_page(response, *args, **kwargs):
        answers.append(response.status_code)
        if len(answers) == 1:
            arm(lti, kind="nrps", mode="drop", count=1)

    http.hooks["response"].append(arm_after_first_page)
    with lti.app.app_context():
        result = nrps.sync_roster(db.session.get(Context, course.id), session=http)
    assert answers == [200]
    assert not result.ok and "could not be reached" in result.reason
    assert people(lti, course) == before


def test_a_revoked_token_is_refreshed_once(lti, course):
    assert sync(lti, course).ok
    tokens_before = stats(lti)["token_requests"]
    arm(lti, kind="nrps", mode="401", count=1)
    result = sync(lti, course)
    assert result.ok, result.reason
    assert stats(lti)["token_requests"] - tokens_before == 1


def test_a_scope_the_lms_did_not_grant_is_a_clear_reason(lti, course):
    def revoke_nrps() -> None:
        tool = lms_db.session.scalars(
            select(DevTool).where(DevTool.client_id == lti.client_id)
        ).one()
        tool.scopes = [s for s in tool.scopes if s != c.SCOPE_NRPS]

    in_lms(lti, revoke_nrps)
    result = sync(lti, course)
    assert not result.ok
    assert "refused PeerPath a token for reading the roster" in result.reason
    assert c.SCOPE_NRPS in result.reason and "invalid_scope" in result.reason
    assert people(lti, course) == {seed.LEARNERS[0].id: ("learner", True, False)}

    # A registration that recorded its granted scopes fails before asking the LMS.
    with lti.app.app_context():
        platform = db.session.get(Platform, course.platform_id)
        platform.scopes = f"{c.SCOPE_SCORE} {c.SCOPE_LINEITEM}"
        db.session.commit()
    before = stats(lti)["token_requests"]
    early = sync(lti, course)
    assert not early.ok and "did not grant PeerPath the scope" in early.reason
    assert stats(lti)["token_requests"] == before


def test_a_course_without_the_nrps_claim_is_a_clear_reason(lti, course):
    with lti.app.app_context():
        context = db.session.get(Context, course.id)
        context.nrps_claim = None
        db.session.commit()
        result = nrps.sync_roster(context)
    assert not result.ok and "roster service (NRPS) claim" in result.reason


@pytest.mark.parametrize(
    "media_type",
    ["application/vnd.ims.lis.v2.membershipcontainer+json", "application/json; charset=utf-8"],
)
def test_canvas_media_type_and_plain_json_are_accepted(lti, course, media_type):
    """A Canvas-like roster server: its own media type, short role names, mixed-case pages."""
    seen: list[str] = []
    pages = {
        None: (["Instructor"], "u-1001", "?Page=Two"),
        "Two": (
            ["Learner", "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"],
            "u-2001",
            None,
        ),
    }

    def wsgi(environ, start_response):
        seen.append(environ.get("QUERY_STRING", ""))
        if not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b"{}"]
        query = environ.get("QUERY_STRING", "")
        key = query.split("=", 1)[1] if query.startswith("Page=") else None
        if query and key not in pages:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "not_found"}']
        roles, user, nxt = pages[key]
        headers = [("Content-Type", media_type)]
        if nxt:
            headers.append(("Link", f'<{nxt}>; rel="next"'))  # relative: resolved, not rebuilt
        start_response("200 OK", headers)
        member = {"user_id": user, "roles": roles, "status": "Active"}
        return [json.dumps({"id": url, "members": [member]}).encode()]

    server = LiveServer(wsgi, "127.0.0.1", free_port()).start()
    url = f"{server.url}/api/lti/courses/1/names_and_roles"
    try:
        with lti.app.app_context():
            context = db.session.get(Context, course.id)
            context.nrps_claim = {"context_memberships_url": url, "service_versions": ["2.0"]}
            db.session.commit()
            result = nrps.sync_roster(context)
    finally:
        server.stop()
    assert result.ok, result.reason
    assert seen == ["", "Page=Two"]
    known = people(lti, course)
    assert known["u-1001"] == ("instructor", False, False)
    assert known["u-2001"] == ("learner mentor", True, False)


def test_roster_sync_command(lti, course):
    runner = lti.app.test_cli_runner()
    out = runner.invoke(roster_cli, args=["sync", "--context", course.public_id])
    assert out.exit_code == 0, out.output
    assert "10 members: 9 joined, 0 left, 0 changed roles (1 pages)" in out.output
    again = runner.invoke(roster_cli, args=["sync", "--all", "--if-stale"])
    assert again.exit_code == 0 and "LMS not asked" in again.output
    status = runner.invoke(roster_cli, args=["status", "--context", course.public_id])
    assert "10 members, 9 not launched yet, 0 left" in status.output

    arm(lti, kind="nrps", mode="500", count=1)
    failed = runner.invoke(roster_cli, args=["sync", "--all"])
    assert (
        failed.exit_code == 1
        and "failed: The LMS answered the roster request with 500" in failed.output
    )
    assert runner.invoke(roster_cli, args=["sync"]).exit_code == 2
    assert runner.invoke(roster_cli, args=["sync", "--context", "nope"]).exit_code == 2


def test_peerpath_has_the_roster_commands():
    from lti_tool.cli import main

    assert set(main.commands["roster"].commands) == {"sync", "status"}


def test_instructors_see_the_roster_on_the_welcome_page_and_leavers_drop_off(lti):
    from lti_tool.devlms.browser import forms

    lti.app.config["ROSTER_MAX_AGE_SECONDS"] = 0  # every view syncs, to see changes at once
    lti.launch("u-2002")
    setup = lti.launch("u-1001")
    form = next(f for f in forms(setup.text) if f.method == "post")
    form.fields.update({"kind": "welcome", "welcome-title": "Hello", "welcome-message": "Hi"})
    page = requests.post(setup.url.split("?")[0], data=form.fields, timeout=10)
    assert page.status_code == 200
    assert (
        "10 people are in the course roster; 8 of them have not opened PeerPath yet." in page.text
    )
    assert "José Ramírez Núñez" in page.text

    in_lms(lti, lambda: lms_db.session.delete(enrolment("u-2002")))
    again = lti.launch("u-1001")
    assert "9 people are in the course roster; 8 of them" in again.text
    assert "José Ramírez Núñez" not in again.text  # left the course: no longer "here"

    arm(lti, kind="nrps", mode="503", count=1)
    failing = lti.launch("u-1001")
    assert "The roster could not be updated from the LMS" in failing.text
    assert "9 people are in the course roster" in failing.text  # the last good roster

    learner = lti.launch("u-2003")
    assert "course roster" not in learner.text
