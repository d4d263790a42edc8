"""Every launch check of the LTI 1.3 security framework and the certification suite.

Each refused launch must name the failed check, answer 4xx, and write nothing.
"""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.lti import claims as c
from lti_tool.lti.tool_conf import registry_cache
from lti_tool.models import Context, LaunchSession, Membership, OidcState, User


def _nothing_written(lti, state_kept: bool = True) -> None:
    assert lti.count(User) == 0
    assert lti.count(Context) == 0
    assert lti.count(Membership) == 0
    assert lti.count(LaunchSession) == 0
    assert lti.count(OidcState) == (1 if state_kept else 0)


def _refused(lti, claims=None, *, check: str, status: int, sign_kwargs=None, state=None, token=None, browser_nonce=None):
    browser, real_state, nonce = lti.start_login()
    body = claims(nonce) if callable(claims) else claims
    id_token = token if token is not None else lti.sign(body, **(sign_kwargs or {}))
    response = lti.post_launch(browser, id_token, real_state if state is None else state)
    assert response.status_code == status, response.text
    assert response.json()["check"] == check
    _nothing_written(lti)
    return response


def _rogue_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# -- signature and algorithm ------------------------------------------------------


def test_alg_none_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n), check="algorithm", status=401, sign_kwargs={"alg": "none"})


def test_hs256_signed_with_the_public_key_is_rejected(lti):
    import jwt

    browser, state, nonce = lti.start_login()
    # The classic confusion attack: HMAC keyed with the platform's public key.
    token = jwt.encode(lti.claims(nonce), "platform-public-key-used-as-an-hmac-secret", algorithm="HS256", headers={"kid": "x"})
    response = lti.post_launch(browser, token, state)
    assert response.status_code == 401
    assert response.json()["check"] == "algorithm"
    _nothing_written(lti)


def test_token_signed_by_another_key_with_the_platform_kid_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n), check="signature", status=401, sign_kwargs={"key": _rogue_key()})


def test_unknown_kid_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n), check="signature", status=401, sign_kwargs={"key": _rogue_key(), "kid": "not-a-platform-kid"})


def test_missing_kid_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n), check="kid", status=401, sign_kwargs={"kid": None})


def test_not_a_jwt_is_rejected(lti):
    _refused(lti, None, check="format", status=400, token="this.is-not-a-jwt")


def test_platform_key_rotation_is_picked_up_on_the_unknown_kid(lti):
    from lti_tool.devlms import setup

    assert lti.launch("u-2001").response.status_code == 200  # caches the current key set
    new_kid = setup.rotate_platform_key(lti.devlms_app, retire_old=True)
    result = lti.launch("u-2002")
    assert result.response.status_code == 200, result.text
    assert lti.platform_key()[0] == new_kid


# -- issuer, audience, azp ------------------------------------------------------


def test_unregistered_issuer_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, iss="https://evil.example.com"), check="registration", status=403)


def test_unregistered_client_id_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, aud="someone-else", azp="someone-else"), check="registration", status=403)


def test_several_audiences_without_azp_are_rejected(lti):
    def claims(n):
        body = lti.claims(n, aud=[lti.client_id, "another-tool"])
        body.pop("azp", None)
        return body

    _refused(lti, claims, check="azp", status=400)


def test_azp_that_is_not_an_audience_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, aud=[lti.client_id, "other"], azp="third"), check="azp", status=400)


def test_azp_different_from_single_audience_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, azp="another-tool"), check="azp", status=400)


def test_several_audiences_with_our_azp_are_accepted(lti):
    browser, state, nonce = lti.start_login()
    token = lti.sign(lti.claims(nonce, aud=[lti.client_id, "lms-internal"], azp=lti.client_id))
    assert lti.post_launch(browser, token, state).status_code == 303


# -- times --------------------------------------------------------------------------


def test_expired_token_is_rejected(lti):
    now = int(time.time())
    _refused(lti, lambda n: lti.claims(n, iat=now - 600, exp=now - 300), check="exp", status=401)


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_token_without_exp_or_iat_is_rejected(lti, claim):
    def claims(n):
        body = lti.claims(n)
        del body[claim]
        return body

    _refused(lti, claims, check=claim, status=401)


def test_token_issued_in_the_future_is_rejected(lti):
    now = int(time.time())
    _refused(lti, lambda n: lti.claims(n, iat=now + 3600, exp=now + 3700), check="iat", status=401)


def test_token_issued_long_ago_with_a_far_exp_is_rejected(lti):
    now = int(time.time())
    _refused(lti, lambda n: lti.claims(n, iat=now - 30 * 86400, exp=now + 3600), check="iat", status=401)


def test_small_clock_skew_is_tolerated(lti):
    browser, state, nonce = lti.start_login()
    now = int(time.time())
    token = lti.sign(lti.claims(nonce, iat=now + 20, exp=now + 80))
    assert lti.post_launch(browser, token, state).status_code == 303


# -- state and nonce ------------------------------------------------------------------


def test_missing_state_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n), check="state", status=400, state="")


def test_unknown_state_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n), check="state", status=400, state="forged-state")


def test_nonce_not_issued_at_this_login_is_rejected(lti):
    _refused(lti, lambda n: lti.claims("a-nonce-from-elsewhere"), check="nonce", status=400)


def test_replayed_launch_is_rejected_and_the_first_one_stands(lti):
    browser, state, nonce = lti.start_login()
    token = lti.sign(lti.claims(nonce))
    assert lti.post_launch(browser, token, state).status_code == 303
    again = lti.post_launch(browser, token, state)
    assert again.status_code == 400
    assert again.json()["check"] == "state"
    assert lti.count(LaunchSession) == 1


def test_old_nonce_with_a_fresh_login_is_rejected(lti):
    browser, state, nonce = lti.start_login()
    assert lti.post_launch(browser, lti.sign(lti.claims(nonce)), state).status_code == 303
    browser2, state2, _fresh_nonce = lti.start_login()
    replay = lti.post_launch(browser2, lti.sign(lti.claims(nonce)), state2)
    assert replay.status_code == 400
    assert replay.json()["check"] == "nonce"
    assert lti.count(LaunchSession) == 1


def test_expired_login_is_rejected(lti, app):
    from datetime import timedelta

    from lti_tool.extensions import db

    browser, state, nonce = lti.start_login()
    with app.app_context():
        row = db.session.get(OidcState, state)
        row.expires_at = row.expires_at - timedelta(hours=1)
        db.session.commit()
    response = lti.post_launch(browser, lti.sign(lti.claims(nonce)), state)
    assert response.status_code == 400
    assert response.json()["check"] == "state"
    assert "expired" in response.json()["message"]


def test_state_cookie_from_another_browser_is_rejected(lti):
    from lti_tool.lti.login import state_cookie_name

    browser, state, nonce = lti.start_login()
    browser.http.cookies.set(state_cookie_name(state), "not-the-secret")
    response = lti.post_launch(browser, lti.sign(lti.claims(nonce)), state)
    assert response.status_code == 403
    assert response.json()["check"] == "state"
    _nothing_written(lti)


# -- deployment, message, claims ---------------------------------------------------------


def test_unknown_deployment_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, **{c.DEPLOYMENT_ID: "not-deployed"}), check="deployment", status=403)


def test_platform_that_teaches_deployments_gets_the_new_one_recorded(lti, app):
    from lti_tool.extensions import db
    from lti_tool.lti import platforms
    from lti_tool.models import Deployment

    with app.app_context():
        platform = platforms.find(lti.lms_url, lti.client_id)
        platform.accept_new_deployments = True
        db.session.commit()
    registry_cache.clear()  # another process's change: this one would see it within 30 s
    browser, state, nonce = lti.start_login()
    token = lti.sign(lti.claims(nonce, **{c.DEPLOYMENT_ID: "canvas-like-42"}))
    assert lti.post_launch(browser, token, state).status_code == 303
    assert lti.count(Deployment) == 2


@pytest.mark.parametrize(
    ("claim", "check"),
    [
        (c.MESSAGE_TYPE, "message_type"),
        (c.VERSION, "version"),
        (c.ROLES, "roles"),
        (c.DEPLOYMENT_ID, "deployment_id"),
        (c.RESOURCE_LINK, "resource_link"),
        (c.TARGET_LINK_URI, "target_link_uri"),
        ("sub", "sub"),
        ("nonce", "nonce"),
    ],
)
def test_missing_required_claim_is_rejected(lti, claim, check):
    def claims(n):
        body = lti.claims(n)
        del body[claim]
        return body

    _refused(lti, claims, check=check, status=400)


def test_wrong_lti_version_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, **{c.VERSION: "1.1"}), check="version", status=400)


def test_unsupported_message_type_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, **{c.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}), check="message_type", status=400)


def test_resource_link_without_id_is_rejected(lti):
    _refused(lti, lambda n: lti.claims(n, **{c.RESOURCE_LINK: {"title": "no id"}}), check="resource_link", status=400)


def test_target_link_uri_on_another_host_is_rejected(lti):
    _refused(
        lti, lambda n: lti.claims(n, **{c.TARGET_LINK_URI: "https://evil.example.com/phish"}), check="target_link_uri", status=400
    )


def test_login_with_target_link_uri_on_another_host_is_refused_before_any_redirect(lti):
    browser = lti.browser()
    response = browser.http.post(
        f"{lti.tool_url}/lti/login",
        data={"iss": lti.lms_url, "login_hint": "u-2001", "client_id": lti.client_id, "target_link_uri": "https://evil.example.com/"},
        headers={"Accept": "application/json"},
        allow_redirects=False,
    )
    assert response.status_code == 400
    assert response.json()["check"] == "target_link_uri"
    assert lti.count(OidcState) == 0


def test_login_from_unknown_issuer_is_refused(lti):
    response = lti.browser().http.get(
        f"{lti.tool_url}/lti/login",
        params={"iss": "https://unknown.example.com", "login_hint": "1", "target_link_uri": f"{lti.tool_url}/lti/launch"},
        headers={"Accept": "application/json"},
        allow_redirects=False,
    )
    assert response.status_code == 403
    assert response.json()["check"] == "registration"
    assert lti.count(OidcState) == 0


def test_deep_linking_request_without_return_url_is_rejected(lti):
    def claims(n):
        body = lti.claims(n, **{c.MESSAGE_TYPE: c.DEEP_LINKING_REQUEST})
        del body[c.RESOURCE_LINK]
        body[c.DL_SETTINGS] = {"accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["iframe"]}
        return body

    _refused(lti, claims, check="deep_link_return_url", status=400)


def test_platform_error_response_is_shown_not_crashed(lti):
    browser, state, _nonce = lti.start_login()
    response = browser.http.post(
        f"{lti.tool_url}/lti/launch",
        data={"error": "login_required", "error_description": "The user is not logged in", "state": state},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["check"] == "platform_error"
    assert "not logged in" in response.json()["message"]


def test_failed_launch_page_names_the_check_for_it(lti):
    browser, state, nonce = lti.start_login()
    token = lti.sign(lti.claims(nonce, **{c.DEPLOYMENT_ID: "nope"}))
    response = lti.post_launch(browser, token, state, json=False)
    assert response.status_code == 403
    assert "This launch could not be completed" in response.text
    assert "<code>deployment</code>" in response.text
    assert "deployment_id &#39;nope&#39; is not registered" in response.text
    assert lti.lms_url in response.text


# -- what the certification suite expects us to accept -------------------------------------


@pytest.mark.parametrize(
    "roles",
    [
        [],
        ["Learner"],
        ["Instructor", "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        ["http://example.com/roles#Unknown"],
    ],
)
def test_accepted_role_shapes(lti, roles):
    browser, state, nonce = lti.start_login()
    assert lti.post_launch(browser, lti.sign(lti.claims(nonce, **{c.ROLES: roles})), state).status_code == 303


def test_launch_without_pii_or_context_is_accepted(lti, app):
    from sqlalchemy import select

    from lti_tool.extensions import db

    def claims(n):
        body = lti.claims(n)
        for key in ("name", "given_name", "family_name", "email", c.CONTEXT):
            body.pop(key, None)
        return body

    browser, state, nonce = lti.start_login()
    response = lti.post_launch(browser, lti.sign(claims(nonce)), state)
    assert response.status_code == 303
    page = browser.http.get(response.headers["Location"] if response.headers["Location"].startswith("http") else lti.tool_url + response.headers["Location"])
    assert page.status_code == 200
    with app.app_context():
        context = db.session.scalars(select(Context)).one()
        assert context.lms_context_id == "__deployment__"
        assert db.session.scalars(select(User)).one().name == ""


def test_a_storm_of_unknown_kids_refetches_the_key_set_at_most_once(lti):
    from lti_tool.lti.platform_keys import platform_keys

    assert lti.launch("u-2001").response.status_code == 200
    fetched = platform_keys.fetch_count
    for i in range(5):
        _browser, state, nonce = lti.start_login()
        token = lti.sign(lti.claims(nonce), key=_rogue_key(), kid=f"forged-{i}")
        assert lti.post_launch(_browser, token, state).status_code == 401
    assert platform_keys.fetch_count == fetched + 1
