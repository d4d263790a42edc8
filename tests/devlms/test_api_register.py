"""LTI Dynamic Registration on the dev LMS: single-use tokens, Moodle's metadata checks.

End to end: a tool registered this way gets an access token with its own JWKS.
"""

from __future__ import annotations

import copy

import pytest
import requests
from devlms_helpers import TOOL_KEY
from sqlalchemy import select

from lti_tool.devlms import oauth
from lti_tool.devlms.api import issue_registration_token
from lti_tool.devlms.models import DevTool, db

TOOL_CONF = "https://purl.imsglobal.org/spec/lti-tool-configuration"
_KEY = TOOL_KEY


@pytest.fixture
def base(devlms_app, devlms_server):
    return devlms_server.url


def metadata(jwks_url: str = "http://127.0.0.1:9/jwks") -> dict:
    """What the tool POSTs (LTI Dynamic Registration 1.0 §3.1)."""
    tool = "http://127.0.0.1:9"
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{tool}/lti/login",
        "redirect_uris": [f"{tool}/lti/launch"],
        "client_name": "PeerPath",
        "jwks_uri": jwks_url,
        "logo_uri": f"{tool}/static/logo.svg",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(
            [
                oauth.SCOPE_SCORE,
                oauth.SCOPE_LINEITEM,
                oauth.SCOPE_NRPS,
                "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting",
            ]
        ),
        TOOL_CONF: {
            "domain": "127.0.0.1:9",
            "target_link_uri": f"{tool}/lti/launch",
            "claims": ["iss", "sub", "name", "email"],
            "messages": [
                {"type": "LtiDeepLinkingRequest", "target_link_uri": f"{tool}/lti/launch"}
            ],
        },
    }


def register(base, token, body):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{base}/lti/register", json=body, headers=headers, timeout=10)


def test_a_registration_creates_the_tool_and_answers_client_id_and_deployment_id(base, devlms_app):
    token = issue_registration_token(devlms_app)
    body = metadata()
    r = register(base, token, body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["client_id"] and answer[TOOL_CONF]["deployment_id"]
    assert answer["client_name"] == "PeerPath" and answer["redirect_uris"] == body["redirect_uris"]
    # The tool-settings scope is not supported here, so it is not granted.
    assert answer["scope"].split() == [oauth.SCOPE_SCORE, oauth.SCOPE_LINEITEM, oauth.SCOPE_NRPS]
    with devlms_app.app_context():
        tool = db.session.scalars(
            select(DevTool).where(DevTool.client_id == answer["client_id"])
        ).one()
        assert tool.deployment_id == answer[TOOL_CONF]["deployment_id"]
        assert tool.jwks_url == body["jwks_uri"] and tool.login_url == body["initiate_login_uri"]
        assert tool.launch_url == body[TOOL_CONF]["target_link_uri"]
        assert tool.scopes == answer["scope"].split() and tool.registration == body


def test_a_registration_token_is_single_use(base, devlms_app):
    token = issue_registration_token(devlms_app)
    assert register(base, token, metadata()).status_code == 200
    again = register(base, token, metadata())
    assert again.status_code == 401 and again.json()["error"] == "token_already_used"


def test_a_missing_or_unknown_token_is_401(base):
    assert register(base, None, metadata()).json()["error"] == "missing_registration_token"
    r = register(base, "made-up", metadata())
    assert r.status_code == 401 and r.json()["error"] == "invalid_registration_token"


def broken(path: str, value):
    body = metadata()
    target = body[TOOL_CONF] if path.startswith("conf.") else body
    key = path.removeprefix("conf.")
    if value is KeyError:
        del target[key]
    else:
        target[key] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("application_type", "native", "application_type"),
        ("response_types", ["code"], "response_types"),
        ("response_types", KeyError, "response_types"),
        ("grant_types", ["implicit"], "grant_types"),
        ("token_endpoint_auth_method", "client_secret_basic", "token_endpoint_auth_method"),
        ("redirect_uris", "http://127.0.0.1:9/lti/launch", "redirect_uris"),
        ("redirect_uris", [], "redirect_uris"),
        ("initiate_login_uri", KeyError, "initiate_login_uri"),
        ("jwks_uri", "not a url", "jwks_uri"),
        ("client_name", "", "client_name"),
        (TOOL_CONF, KeyError, TOOL_CONF),
        ("conf.domain", KeyError, f"{TOOL_CONF}.domain"),
        ("conf.target_link_uri", KeyError, f"{TOOL_CONF}.target_link_uri"),
        ("conf.messages", [{"type": "LtiSomethingElse"}], f"{TOOL_CONF}.messages[0]"),
        ("conf.claims", "email", f"{TOOL_CONF}.claims"),
    ],
)
def test_bad_metadata_is_a_400_naming_the_field(base, devlms_app, path, value, field):
    token = issue_registration_token(devlms_app)
    r = register(base, token, broken(path, value))
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field and r.json()["error"] in (
        "invalid_client_metadata",
        "invalid_redirect_uri",
    )
    # A refused registration does not burn the token: the tool can fix its metadata and retry.
    assert register(base, token, metadata()).status_code == 200


def test_application_type_may_be_omitted_as_in_moodle(base, devlms_app):
    body = copy.deepcopy(metadata())
    del body["application_type"]
    assert register(base, issue_registration_token(devlms_app), body).status_code == 200


def test_a_dynamically_registered_tool_can_get_an_access_token(base, devlms_app, jwks_url):
    answer = register(base, issue_registration_token(devlms_app), metadata(jwks_url)).json()
    signed = oauth.make_client_assertion(_KEY, "k1", answer["client_id"], f"{base}/lti/token")
    r = requests.post(
        f"{base}/lti/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
            "client_assertion": signed,
            "scope": oauth.SCOPE_NRPS,
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text


def test_a_pending_registration_cannot_get_a_token(base, devlms_app, jwks_url):
    # Moodle's behaviour: a self-registered tool waits for an admin to activate it.
    devlms_app.config["DYNAMIC_REGISTRATION_STATUS"] = "pending"
    answer = register(base, issue_registration_token(devlms_app), metadata(jwks_url)).json()
    signed = oauth.make_client_assertion(_KEY, "k1", answer["client_id"], f"{base}/lti/token")
    r = requests.post(
        f"{base}/lti/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
            "client_assertion": signed,
            "scope": oauth.SCOPE_NRPS,
        },
        timeout=10,
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert "pending" in r.json()["error_description"]
