"""Deep Linking 2.0 through the dev LMS: picker, signed response, placement, then launch."""

from __future__ import annotations

import jwt
import pytest
import requests

from lti_tool.activities import registry
from lti_tool.activities.registry import ActivityKind, ActivitySpec
from lti_tool.devlms.browser import ScriptedBrowser, forms
from lti_tool.lti import claims as c
from lti_tool.models import Activity


def _picker(lti, user="u-1001"):
    result = lti.launch(user, deep_link=True)
    assert result.response.status_code == 200, result.text
    return result


def _choose(result, **fields):
    form = next(f for f in forms(result.text) if f.method == "post")
    form.fields.update(fields)
    return ScriptedBrowser().submit(form, result.url)


def test_instructor_deep_link_places_a_welcome_page_in_the_course(lti):
    picker = _picker(lti)
    assert "Add a PeerPath activity" in picker.text
    assert "Welcome page" in picker.text
    response_page = _choose(picker, kind="welcome", **{"welcome-title": "Bienvenue à tous", "welcome-message": "Salut"})
    assert response_page.status_code == 200
    form = forms(response_page.text)[0]
    assert form.action == f"{lti.lms_url}/lti/deep-link-return"
    # The platform's own checks run when the form reaches it.
    placed = ScriptedBrowser().submit(form, response_page.url)
    assert placed.status_code == 200, placed.text
    links = requests.get(f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/links", timeout=5).json()
    new = [link for link in links if link["title"] == "Bienvenue à tous"]
    assert len(new) == 1
    assert new[0]["line_item"] is None  # the welcome page is not graded
    assert set(new[0]["custom"]) == {"peerpath_activity"}
    # Launching the placed link lands on the activity, for a learner too.
    learner = lti.launch("u-2004", link=new[0]["id"])
    assert "Bienvenue à tous" in learner.text
    assert "Salut" in learner.text


def test_response_jwt_carries_what_the_certification_suite_checks(lti):
    picker = _picker(lti)
    page = _choose(picker, kind="welcome", **{"welcome-title": "T"})
    token = forms(page.text)[0].fields["JWT"]
    jwks = requests.get(f"{lti.tool_url}/lti/jwks", timeout=5).json()
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    body = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=lti.lms_url)
    assert body["iss"] == lti.client_id
    assert body["aud"] == lti.lms_url
    assert body["exp"] > body["iat"]
    assert len(body["nonce"]) >= 16
    assert body[c.DEPLOYMENT_ID] == "1"
    assert body[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert body[c.VERSION] == "1.3.0"
    assert body[c.DL_DATA]  # echoed verbatim (the dev LMS checks it equals what it sent)
    item = body[c.DL_CONTENT_ITEMS][0]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == f"{lti.tool_url}/lti/launch"
    assert "lineItem" not in item


@pytest.fixture
def graded_kind():
    """A second, graded kind registered the way later packages will register theirs."""
    kind = ActivityKind(
        key="graded-check",
        title="Graded check",
        description="A graded activity",
        render=lambda activity, launch: f"graded {activity.title}",
        spec_from_form=lambda fields, launch: ActivitySpec(title=fields.get("title") or "Graded", score_maximum=10.0),
    )
    registry.register(kind)
    yield kind
    registry.KINDS.pop(kind.key)


def test_graded_kind_declares_a_line_item_and_the_platform_creates_it(lti, graded_kind):
    picker = _picker(lti)
    page = _choose(picker, kind="graded-check")
    placed = ScriptedBrowser().submit(forms(page.text)[0], page.url)
    assert placed.status_code == 200, placed.text
    links = requests.get(f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/links", timeout=5).json()
    graded = next(link for link in links if link["title"] == "Graded")
    assert graded["line_item"]["score_maximum"] == 10.0
    assert graded["line_item"]["tag"] == "graded-check"
    with lti.app.app_context():
        from sqlalchemy import select

        from lti_tool.extensions import db

        activity = db.session.scalars(select(Activity).where(Activity.kind == "graded-check")).one()
        assert graded["line_item"]["resource_id"] == activity.public_id


def test_learner_cannot_open_the_picker(lti):
    result = lti.launch("u-2001")
    token = result.token
    page = requests.get(f"{lti.tool_url}/lti/deep-link", params={"lt": token}, timeout=5)
    assert page.status_code == 403
    assert "Only an instructor" in page.text


def test_picker_refuses_an_unknown_kind_and_creates_nothing(lti):
    picker = _picker(lti)
    page = _choose(picker, kind="no-such-kind")
    assert page.status_code == 400
    assert "Choose one of the activity types listed" in page.text
    assert lti.count(Activity) == 0


def test_picker_refuses_an_empty_title_and_creates_nothing(lti):
    picker = _picker(lti)
    page = _choose(picker, kind="welcome", **{"welcome-title": "   "})
    assert page.status_code == 400
    assert "Give the welcome page a title" in page.text
    assert lti.count(Activity) == 0
