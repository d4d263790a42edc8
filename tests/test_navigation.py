"""After the launch: signed tokens in links and forms, CSRF, per-course and per-role access.

No cookie is involved: every request here is made by a client that keeps none.
"""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from lti_tool.devlms.browser import forms
from lti_tool.extensions import db
from lti_tool.models import Activity, Context, LaunchSession


def _welcome(lti, title="Hello", message="First"):
    """Set up the demo link as a welcome page; return the instructor's page result."""
    setup = lti.launch("u-1001")
    form = next(f for f in forms(setup.text) if f.method == "post")
    form.fields.update({"kind": "welcome", "welcome-title": title, "welcome-message": message})
    page = requests.post(setup.url.split("?")[0], data=form.fields, timeout=5)
    assert page.status_code == 200
    return page


def _activity(lti) -> Activity:
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity)).one()
        db.session.expunge(activity)
        return activity


def _edit_form(lti, page):
    link = next(a for a in page.text.split('href="')[1:] if a.startswith("/welcome/"))
    edit_url = lti.tool_url + link.split('"')[0].replace("&amp;", "&")
    edit = requests.get(edit_url, timeout=5)
    assert edit.status_code == 200
    return next(f for f in forms(edit.text) if f.method == "post"), edit


def test_links_carry_the_token_and_forms_save_without_cookies(lti):
    page = _welcome(lti)
    form, edit = _edit_form(lti, page)
    form.fields["message"] = "Updated message ✓"
    saved = requests.post(lti.tool_url + form.action.replace("&amp;", "&"), data=form.fields, timeout=5)
    assert saved.status_code == 200
    assert "Updated message ✓" in saved.text


def test_form_without_csrf_token_is_refused_and_changes_nothing(lti):
    page = _welcome(lti, message="Original")
    form, _edit = _edit_form(lti, page)
    form.fields["message"] = "Forged"
    del form.fields["csrf_token"]
    refused = requests.post(lti.tool_url + form.action.replace("&amp;", "&"), data=form.fields, timeout=5)
    assert refused.status_code == 400
    assert "not sent from your current PeerPath page" in refused.text
    assert _activity(lti).settings["message"] == "Original"


def test_form_with_another_sessions_csrf_token_is_refused(lti):
    page = _welcome(lti, message="Original")
    form, _edit = _edit_form(lti, page)
    other = lti.launch("u-1002")  # the second instructor's session
    other_form, _ = _edit_form(lti, other.response)
    form.fields["csrf_token"] = other_form.fields["csrf_token"]
    form.fields["message"] = "Forged"
    refused = requests.post(lti.tool_url + form.action.replace("&amp;", "&"), data=form.fields, timeout=5)
    assert refused.status_code == 400
    assert _activity(lti).settings["message"] == "Original"


def test_learner_cannot_edit_the_welcome_page(lti):
    _welcome(lti, message="Original")
    activity = _activity(lti)
    learner = lti.launch("u-2001")
    assert "Edit welcome page" not in learner.text
    token = learner.token
    page = requests.get(f"{lti.tool_url}/welcome/{activity.public_id}/edit", params={"lt": token}, timeout=5)
    assert page.status_code == 403
    assert "Only an instructor" in page.text


def test_page_without_a_token_explains_how_to_get_in(lti):
    _welcome(lti)
    response = requests.get(f"{lti.tool_url}/a/{_activity(lti).public_id}", timeout=5)
    assert response.status_code == 401
    assert "must be opened from your course" in response.text


def test_tampered_token_is_refused(lti):
    _welcome(lti)
    learner = lti.launch("u-2001")
    response = requests.get(learner.url.replace("lt=", "lt=x"), timeout=5)
    assert response.status_code == 401
    assert "not valid" in response.text


def test_token_in_authorization_header_is_accepted(lti):
    _welcome(lti, title="Header auth")
    learner = lti.launch("u-2001")
    response = requests.get(
        f"{lti.tool_url}/a/{_activity(lti).public_id}", headers={"Authorization": f"Bearer {learner.token}"}, timeout=5
    )
    assert response.status_code == 200
    assert "Header auth" in response.text


def test_ended_session_is_refused_even_with_a_fresh_token(lti):
    _welcome(lti)
    learner = lti.launch("u-2001")
    from lti_tool.models.base import utcnow

    with lti.app.app_context():
        session = db.session.scalars(select(LaunchSession).where(LaunchSession.roles == "learner")).one()
        session.expires_at = utcnow()
        db.session.commit()
    response = requests.get(learner.url, timeout=5)
    assert response.status_code == 401
    assert "session has ended" in response.text


@pytest.fixture
def short_tokens(app_config):
    app_config["LAUNCH_TOKEN_MAX_AGE"] = -1  # every token is already too old
    return app_config


def test_expired_token_asks_to_relaunch(short_tokens, lti):
    result = lti.launch("u-2001")
    assert result.response.status_code == 401
    assert "timed out" in result.text


def test_activity_of_another_course_is_refused(lti):
    _welcome(lti)
    learner = lti.launch("u-2001")
    with lti.app.app_context():
        home = db.session.scalars(select(Context)).one()
        other = Context(platform_id=home.platform_id, deployment_id=home.deployment_id, lms_context_id="other-course", title="Other")
        db.session.add(other)
        db.session.flush()
        foreign = Activity(context_id=other.id, kind="welcome", title="Secret", settings={"message": "hidden"})
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.public_id
    response = requests.get(f"{lti.tool_url}/a/{foreign_id}", params={"lt": learner.token}, timeout=5)
    assert response.status_code == 403
    assert "belongs to another course" in response.text
    assert "hidden" not in response.text


def test_pages_send_security_headers_and_stay_frameable(lti):
    _welcome(lti)
    learner = lti.launch("u-2001")
    headers = learner.response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors *" in csp
    assert "X-Frame-Options" not in headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert " on" not in learner.text.split("<body", 1)[1].replace(" one", "")  # no inline event handlers


def test_launch_redirects_with_see_other_so_a_reload_never_reposts(lti):
    browser, state, nonce = lti.start_login()
    response = lti.post_launch(browser, lti.sign(lti.claims(nonce)), state, json=False)
    assert response.status_code == 303
    assert "lt=" in response.headers["Location"]
