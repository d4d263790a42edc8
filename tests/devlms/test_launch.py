"""The dev LMS as an OIDC/LTI platform: login initiation, the auth endpoint's checks, id_tokens.

A real platform refuses a bad authentication request; these prove ours does too.
"""

from __future__ import annotations

import jwt
import pytest
from devlms_helpers import auth_params, auth_url, form_of
from jwt.algorithms import RSAAlgorithm

from lti_tool.devlms import seed, setup, tokens

LTI = tokens.LTI


def _login(lms, user: str, link: str = seed.DEMO_LINK_ID) -> tuple[str, dict[str, str]]:
    response = lms.get(f"/lti/initiate?user={user}&link={link}")
    assert response.status_code == 200
    return form_of(response.get_data(as_text=True))


def _id_token(lms, tool, login: dict[str, str], **overrides) -> str:
    response = lms.get(auth_url(auth_params(login, tool, **overrides)))
    assert response.status_code == 200, response.get_data(as_text=True)
    action, fields = form_of(response.get_data(as_text=True))
    assert action == tool.launch_url
    assert fields["state"] == "state-456"
    return fields["id_token"]


def _verify(lms, token: str, client_id: str) -> dict:
    jwks = lms.get("/lti/certs").get_json()
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(
        token,
        RSAAlgorithm.from_jwk(jwk),
        algorithms=["RS256"],
        audience=client_id,
        options={"require": ["exp", "iat", "iss", "sub", "aud", "nonce"]},
    )


def test_login_initiation_posts_every_oidc_parameter_to_the_tool(lms, tool, course, devlms_config):
    action, fields = _login(lms, seed.LEARNERS[0].id)
    assert action == tool.login_url
    assert fields["iss"] == devlms_config["ISSUER"]
    assert fields["login_hint"] == seed.LEARNERS[0].id
    assert fields["target_link_uri"] == tool.launch_url
    assert fields["client_id"] == tool.client_id
    assert fields["lti_deployment_id"] == "1"
    assert fields["lti_message_hint"]
    # Platform Storage is off in this configuration: no storage target is offered.
    assert "lti_storage_target" not in fields


def test_login_initiation_page_has_no_inline_script_and_a_button_fallback(lms, tool, course):
    response = lms.get(f"/lti/initiate?user={seed.LEARNERS[0].id}&link={seed.DEMO_LINK_ID}")
    page = response.get_data(as_text=True)
    assert '<button type="submit"' in page
    assert "onload=" not in page and "onclick=" not in page
    assert "autopost.js" in page
    assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]


def test_learner_id_token_verifies_against_the_jwks_and_carries_the_lti_claims(
    lms, tool, course, devlms_config
):
    learner = seed.LEARNERS[0]
    _, login = _login(lms, learner.id)
    claims = _verify(lms, _id_token(lms, tool, login), tool.client_id)
    issuer = devlms_config["ISSUER"]
    assert claims["iss"] == issuer
    assert claims["aud"] == tool.client_id and claims["azp"] == tool.client_id
    assert claims["sub"] == learner.id
    assert claims["nonce"] == "nonce-123"
    assert claims["exp"] - claims["iat"] == 60
    assert (
        claims["name"] == "佐藤 花子"
        and claims["given_name"] == "花子"
        and claims["family_name"] == "佐藤"
    )
    assert claims["email"] == learner.email and claims["locale"] == "ja-JP"
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == "1"
    assert claims[LTI + "target_link_uri"] == tool.launch_url
    assert claims[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    assert claims[LTI + "context"] == {
        "id": seed.DEMO_COURSE_ID,
        "label": seed.DEMO_COURSE_LABEL,
        "title": "Peer Learning at Work",
        "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
    }
    assert claims[LTI + "resource_link"]["id"] == seed.DEMO_LINK_ID
    assert claims[LTI + "resource_link"]["title"] == "PeerPath"
    assert claims[LTI + "custom"] == {}
    platform = claims[LTI + "tool_platform"]
    assert platform["product_family_code"] == "peerpath-devlms" and platform["guid"]
    assert claims[LTI + "launch_presentation"] == {
        "document_target": "iframe",
        "return_url": f"{issuer}/courses/{seed.DEMO_COURSE_ID}",
        "locale": "ja-JP",
    }
    ags = claims[tokens.AGS_CLAIM]
    assert ags["lineitems"] == f"{issuer}/api/courses/{seed.DEMO_COURSE_ID}/lineitems"
    assert "lineitem" not in ags  # the seeded link has no gradebook column
    assert set(ags["scope"]) == set(tokens.AGS_SCOPES)
    assert claims[tokens.NRPS_CLAIM] == {
        "context_memberships_url": f"{issuer}/api/courses/{seed.DEMO_COURSE_ID}/memberships",
        "service_versions": ["2.0"],
    }


def test_instructor_roles_are_full_uris_with_faculty(lms, tool, course):
    _, login = _login(lms, seed.INSTRUCTORS[1].id)
    claims = _verify(lms, _id_token(lms, tool, login), tool.client_id)
    assert claims[LTI + "roles"] == [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
    ]
    assert claims["name"] == "Jürgen Weiß"


def test_auth_also_accepts_post(lms, tool, course):
    _, login = _login(lms, seed.LEARNERS[1].id)
    response = lms.post("/lti/auth", data=auth_params(login, tool))
    assert response.status_code == 200
    _, fields = form_of(response.get_data(as_text=True))
    assert _verify(lms, fields["id_token"], tool.client_id)["sub"] == seed.LEARNERS[1].id


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"redirect_uri": "http://127.0.0.1:1/evil"}, "redirect_uri"),
        ({"login_hint": seed.INSTRUCTORS[0].id}, "login_hint does not match"),
        ({"nonce": None}, "nonce is missing"),
        ({"state": None}, "state is missing"),
        ({"client_id": "someone-else"}, "client_id"),
        ({"scope": "profile"}, "scope"),
        ({"response_type": "code"}, "response_type"),
        ({"response_mode": "query"}, "response_mode"),
        ({"prompt": "login"}, "prompt"),
        ({"lti_message_hint": "forged"}, "lti_message_hint"),
    ],
)
def test_auth_refuses_a_bad_authentication_request(lms, tool, course, override, reason):
    _, login = _login(lms, seed.LEARNERS[0].id)
    response = lms.get(auth_url(auth_params(login, tool, **override)))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert reason in page
    assert 'name="id_token"' not in page


def test_a_hint_tampered_to_name_another_user_is_refused(lms, tool, course):
    # A learner cannot become an instructor by editing the login_hint and re-using the signed hint.
    _, learner_login = _login(lms, seed.LEARNERS[0].id)
    _, instructor_login = _login(lms, seed.INSTRUCTORS[0].id)
    params = auth_params(learner_login, tool, lti_message_hint=instructor_login["lti_message_hint"])
    response = lms.get(auth_url(params))
    assert response.status_code == 400


def test_custom_params_and_line_item_reach_the_id_token(
    devlms_app, lms, tool, course, devlms_config
):
    from lti_tool.devlms.models import LineItem, ResourceLink, db

    with devlms_app.app_context():
        link = db.session.get(ResourceLink, seed.DEMO_LINK_ID)
        link.custom = {"activity": "review-42"}
        item = LineItem(
            course_id=link.course_id,
            tool_id=link.tool_id,
            resource_link=link,
            label="Review",
            score_maximum=10,
        )
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    _, login = _login(lms, seed.LEARNERS[2].id)
    claims = _verify(lms, _id_token(lms, tool, login), tool.client_id)
    assert claims[LTI + "custom"] == {"activity": "review-42"}
    assert claims[tokens.AGS_CLAIM]["lineitem"] == (
        f"{devlms_config['ISSUER']}/api/courses/{seed.DEMO_COURSE_ID}/lineitems/{item_id}/lineitem?type_id={tool.id}"
    )


def test_deep_linking_request_for_an_instructor(lms, tool, course, devlms_config):
    instructor = seed.INSTRUCTORS[0]
    response = lms.get(
        f"/lti/initiate?user={instructor.id}&course={seed.DEMO_COURSE_ID}&deep_link=1&tool={tool.client_id}"
    )
    _, login = form_of(response.get_data(as_text=True))
    claims = _verify(lms, _id_token(lms, tool, login), tool.client_id)
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    settings = claims[tokens.DL + "deep_linking_settings"]
    assert settings["deep_link_return_url"] == f"{devlms_config['ISSUER']}/lti/deep-link-return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is True and settings["auto_create"] is True
    assert settings["data"]
    assert LTI + "resource_link" not in claims


def test_learners_cannot_start_deep_linking(lms, tool, course):
    response = lms.get(
        f"/lti/initiate?user={seed.LEARNERS[0].id}&course={seed.DEMO_COURSE_ID}&deep_link=1&tool={tool.client_id}"
    )
    assert response.status_code == 403


def test_rotating_the_platform_key_publishes_the_new_kid_and_signs_with_it(
    devlms_app, lms, tool, course
):
    old = setup.current_kid(devlms_app)
    new = setup.rotate_platform_key(devlms_app)
    assert new != old
    kids = [k["kid"] for k in lms.get("/lti/certs").get_json()["keys"]]
    assert kids == [old, new]
    _, login = _login(lms, seed.LEARNERS[0].id)
    assert jwt.get_unverified_header(_id_token(lms, tool, login))["kid"] == new
    setup.rotate_platform_key(devlms_app, retire_old=True)
    assert len(lms.get("/lti/certs").get_json()["keys"]) == 1


def test_jwks_entries_are_rs256_signing_keys(lms):
    keys = lms.get("/lti/certs").get_json()["keys"]
    assert keys and all(
        k["alg"] == "RS256" and k["use"] == "sig" and k["kty"] == "RSA" for k in keys
    )
    assert all("d" not in k for k in keys)  # never the private part
