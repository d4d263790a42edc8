"""The dev LMS token endpoint: RFC 7523 client assertions checked against the tool's JWKS.

The tool's side is real: an RSA key in the test, its JWKS served over HTTP on loopback.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select
from werkzeug.serving import make_server

from lti_tool.devlms import oauth, setup
from lti_tool.devlms.api_models import UsedAssertion
from lti_tool.devlms.models import db

CLIENT_ID = "peerpath-token-test"
ALL_SCOPES = " ".join(setup.DEFAULT_SCOPES)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ToolKeys:
    """The tool's RSA keys and a JWKS endpoint on loopback that counts its hits."""

    def __init__(self) -> None:
        self.private: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []
        self.hits = 0
        port = _port()
        self.url = f"http://127.0.0.1:{port}/jwks"
        self.server = make_server("127.0.0.1", port, self._wsgi, threaded=True)

    def add(self, kid: str, publish: bool = True) -> rsa.RSAPrivateKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private[kid] = key
        if publish:
            self.published.append(kid)
        return key

    def _wsgi(self, environ, start_response):
        self.hits += 1
        keys = []
        for kid in self.published:
            jwk = RSAAlgorithm.to_jwk(self.private[kid].public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"keys": keys}).encode()]


@pytest.fixture
def devlms_config(devlms_config):
    # Refetch on every unknown kid so the key-rotation test needs no sleep.
    return {**devlms_config, "JWKS_MIN_REFETCH_SECONDS": 0}


@pytest.fixture
def tool_keys():
    keys = ToolKeys()
    keys.add("k1")
    # A short poll interval: shutdown() waits for it at every teardown.
    thread = threading.Thread(
        target=keys.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield keys
    keys.server.shutdown()
    thread.join(5)


@pytest.fixture
def lms(devlms_app, tool_keys):
    setup.register_tool(
        devlms_app,
        client_id=CLIENT_ID,
        name="PeerPath",
        login_url="http://127.0.0.1:9/lti/login",
        launch_url="http://127.0.0.1:9/lti/launch",
        jwks_url=tool_keys.url,
    )
    return devlms_app


@pytest.fixture
def lms_url(lms, devlms_server):
    return devlms_server.url


def assertion(tool_keys, lms_url, kid="k1", key=None, **claims):
    return oauth.make_client_assertion(
        key or tool_keys.private[kid],
        kid,
        claims.pop("client_id", CLIENT_ID),
        f"{lms_url}/lti/token",
        **claims,
    )


def ask(lms_url, client_assertion, scope=ALL_SCOPES, **form):
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
        "client_assertion": client_assertion,
        "scope": scope,
        **form,
    }
    return requests.post(f"{lms_url}/lti/token", data=data, timeout=10)


def stats(lms_url):
    return requests.get(f"{lms_url}/api/_dev/stats", timeout=10).json()


def test_a_valid_assertion_gets_a_bearer_token(tool_keys, lms_url):
    r = ask(lms_url, assertion(tool_keys, lms_url), scope=oauth.SCOPE_SCORE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == oauth.SCOPE_SCORE and len(body["access_token"]) > 30
    assert r.headers["Cache-Control"] == "no-store"
    counts = stats(lms_url)
    assert counts["token_requests"] == 1 and counts["tokens_issued"] == 1


def test_aud_may_be_the_issuer_or_a_list_holding_the_token_url(tool_keys, lms_url):
    key = tool_keys.private["k1"]
    as_issuer = oauth.make_client_assertion(key, "k1", CLIENT_ID, lms_url)
    as_list = oauth.make_client_assertion(
        key, "k1", CLIENT_ID, ["https://other", f"{lms_url}/lti/token"]
    )
    assert ask(lms_url, as_issuer).status_code == 200
    assert ask(lms_url, as_list).status_code == 200


def test_the_jwks_is_fetched_once_and_cached(tool_keys, lms_url):
    for _ in range(3):
        assert ask(lms_url, assertion(tool_keys, lms_url)).status_code == 200
    assert tool_keys.hits == 1


def expect_invalid_client(response, fragment):
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "invalid_client"
    assert fragment in body["error_description"]


def test_a_bad_signature_is_rejected(tool_keys, lms_url):
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = ask(lms_url, assertion(tool_keys, lms_url, key=impostor))
    expect_invalid_client(r, "Signature verification failed")


def test_an_unknown_kid_refetches_once_then_is_rejected(tool_keys, lms_url):
    assert ask(lms_url, assertion(tool_keys, lms_url)).status_code == 200
    tool_keys.add("k-secret", publish=False)
    r = ask(lms_url, assertion(tool_keys, lms_url, kid="k-secret"))
    expect_invalid_client(r, "kid 'k-secret' is not in the tool's JWKS")
    assert tool_keys.hits == 2


def test_a_rotated_tool_key_is_found_by_refetching(tool_keys, lms_url):
    assert ask(lms_url, assertion(tool_keys, lms_url)).status_code == 200
    tool_keys.add("k2")
    assert ask(lms_url, assertion(tool_keys, lms_url, kid="k2")).status_code == 200


def test_a_refetch_is_rate_limited(lms):
    cache = oauth.JWKSCache(min_refetch_seconds=60)
    cache._keys["http://x/jwks"] = {}
    cache._fetched_at["http://x/jwks"] = time.monotonic()
    with pytest.raises(oauth.OAuthError, match="not in the tool's JWKS"):
        cache.get_key("http://x/jwks", "random-kid")
    assert cache.fetch_count == 0


def test_a_missing_kid_is_rejected(tool_keys, lms_url):
    token = jwt.encode(
        {
            "iss": CLIENT_ID,
            "sub": CLIENT_ID,
            "aud": lms_url,
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
            "jti": "a",
        },
        tool_keys.private["k1"],
        algorithm="RS256",
    )
    expect_invalid_client(ask(lms_url, token), "no kid")


def test_a_symmetric_assertion_is_rejected(lms_url):
    token = jwt.encode(
        {"iss": CLIENT_ID, "sub": CLIENT_ID},
        "shared-secret-" * 3,
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    expect_invalid_client(ask(lms_url, token), "RS256")


def test_a_wrong_audience_is_rejected(tool_keys, lms_url):
    r = ask(lms_url, assertion(tool_keys, lms_url, aud="https://lms.example.com/lti/token"))
    expect_invalid_client(r, "aud must contain")


def test_an_expired_assertion_is_rejected(tool_keys, lms_url):
    r = ask(lms_url, assertion(tool_keys, lms_url, now=time.time() - 120, lifetime=60))
    expect_invalid_client(r, "expired")


def test_an_old_iat_is_rejected_even_with_a_far_exp(tool_keys, lms_url):
    r = ask(lms_url, assertion(tool_keys, lms_url, now=time.time() - 3600, lifetime=86400))
    expect_invalid_client(r, "iat is older")


@pytest.mark.parametrize("claim", ["jti", "exp", "iat"])
def test_required_claims_must_be_present(tool_keys, lms_url, claim):
    r = ask(lms_url, assertion(tool_keys, lms_url, **{claim: None}))
    expect_invalid_client(r, claim)


def test_a_replayed_jti_is_rejected(tool_keys, lms_url, lms):
    signed = assertion(tool_keys, lms_url, jti="once-only")
    assert ask(lms_url, signed).status_code == 200
    expect_invalid_client(ask(lms_url, signed), "jti has already been used")
    # Same jti, freshly signed: still a replay.
    expect_invalid_client(ask(lms_url, assertion(tool_keys, lms_url, jti="once-only")), "jti")
    with lms.app_context():
        assert len(db.session.scalars(select(UsedAssertion)).all()) == 1


def test_iss_and_sub_must_be_the_same_registered_client(tool_keys, lms_url):
    expect_invalid_client(
        ask(lms_url, assertion(tool_keys, lms_url, sub="someone-else")), "iss and sub"
    )
    r = ask(lms_url, assertion(tool_keys, lms_url, client_id="not-registered"))
    expect_invalid_client(r, "not registered")


def test_scopes_beyond_the_grant_are_invalid_scope(tool_keys, lms_url, lms):
    with lms.app_context():
        tool = db.session.scalars(
            select(setup.DevTool).where(setup.DevTool.client_id == CLIENT_ID)
        ).one()
        tool.scopes = [oauth.SCOPE_SCORE]
        db.session.commit()
    r = ask(lms_url, assertion(tool_keys, lms_url), scope=f"{oauth.SCOPE_SCORE} {oauth.SCOPE_NRPS}")
    assert r.status_code == 400
    assert (
        r.json()["error"] == "invalid_scope" and oauth.SCOPE_NRPS in r.json()["error_description"]
    )
    assert ask(lms_url, assertion(tool_keys, lms_url), scope=oauth.SCOPE_SCORE).status_code == 200


def test_only_client_credentials_with_a_jwt_bearer_assertion(tool_keys, lms_url):
    r = ask(lms_url, assertion(tool_keys, lms_url), grant_type="password")
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = ask(lms_url, assertion(tool_keys, lms_url), client_assertion_type="secret")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_failed_requests_are_counted_too(tool_keys, lms_url):
    ask(lms_url, "not-a-jwt")
    ask(lms_url, assertion(tool_keys, lms_url))
    counts = stats(lms_url)
    assert counts["token_requests"] == 2 and counts["tokens_issued"] == 1


def test_used_jtis_are_purged_once_their_assertion_has_expired(tool_keys, lms_url, lms):
    with lms.app_context():
        db.session.add(
            UsedAssertion(
                client_id=CLIENT_ID,
                jti="ancient",
                expires_at=datetime.now(UTC) - timedelta(hours=1),
            )
        )
        db.session.commit()
    assert ask(lms_url, assertion(tool_keys, lms_url, jti="fresh")).status_code == 200
    with lms.app_context():
        assert [u.jti for u in db.session.scalars(select(UsedAssertion))] == ["fresh"]
