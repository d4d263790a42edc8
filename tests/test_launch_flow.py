"""Launches through the dev LMS: what learners and instructors land on, and what is stored."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.devlms.browser import ScriptedBrowser, forms
from lti_tool.extensions import db
from lti_tool.models import (
    Activity,
    Context,
    LaunchSession,
    Membership,
    OidcState,
    ResourceLink,
    User,
)


def test_learner_launch_of_an_unset_link_says_it_is_not_ready(lti):
    result = lti.launch("u-2001")
    assert result.response.status_code == 200
    assert "has not set up this activity yet" in result.text
    assert "佐藤 花子" in result.text  # the header greets the learner by name


def test_launch_stores_user_context_membership_and_link(lti):
    lti.launch("u-2003")
    with lti.app.app_context():
        user = db.session.scalars(select(User).where(User.sub == "u-2003")).one()
        assert user.name == "Олена Коваленко"
        assert user.email == "olena.kovalenko@example.com"
        assert user.locale == "uk-UA"
        assert user.last_launch_at is not None
        context = db.session.scalars(select(Context)).one()
        assert context.title == "Peer Learning at Work"
        assert context.nrps_claim["context_memberships_url"].endswith("/memberships")
        membership = db.session.scalars(select(Membership)).one()
        assert membership.roles == "learner"
        assert any(r.endswith("membership#Learner") for r in membership.lis_roles)
        link = db.session.scalars(select(ResourceLink)).one()
        assert link.lms_resource_link_id == lti.course.link_id
        assert link.ags_claim["lineitems"].endswith("/lineitems")


def test_a_login_is_used_once_and_deleted(lti):
    lti.launch("u-2001")
    assert lti.count(OidcState) == 0
    assert lti.count(LaunchSession) == 1


def test_instructor_sets_up_a_welcome_page_that_learners_then_see(lti):
    result = lti.launch("u-1001")
    assert "Set up this activity" in result.text
    form = next(f for f in forms(result.text) if f.method == "post")
    form.fields.update(
        {"kind": "welcome", "welcome-title": "Willkommen, welcome, 欢迎", "welcome-message": "Hello all.\n\nSecond paragraph."}
    )
    page = ScriptedBrowser().submit(form, result.url)
    assert page.status_code == 200
    assert "<h1>Willkommen, welcome, 欢迎</h1>" in page.text
    assert "<p>Second paragraph.</p>" in page.text
    assert "Edit welcome page" in page.text

    learner = lti.launch("u-2002")
    assert "Willkommen, welcome, 欢迎" in learner.text
    assert "Edit welcome page" not in learner.text
    assert "Aoife Ní Bhriain" in learner.text  # instructors who joined are listed
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity)).one()
        assert activity.kind == "welcome"
        assert db.session.scalars(select(ResourceLink)).one().activity_id == activity.id


def test_page_declares_the_language_it_is_shown_in_not_the_wanted_one(lti):
    # No Arabic catalogue ships yet: the English fallback must not be declared lang=ar, dir=rtl.
    result = lti.launch("u-2004")
    assert '<html lang="en" dir="ltr">' in result.text
    assert '<span dir="auto">فاطمة حسن</span>' in result.text
