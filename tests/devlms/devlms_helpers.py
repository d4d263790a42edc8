"""Helpers for dev LMS tests: read auto-submitting forms, build the tool's auth request.

Imported by test modules as `devlms_helpers` (tests/ has no __init__.py; pytest puts this folder on sys.path).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from support import LiveServer, free_port

_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ACTION = re.compile(r'<form id="autopost" method="post" action="([^"]+)">')


def form_of(page: str) -> tuple[str, dict[str, str]]:
    """(action, fields) of an auto-submitting form page."""
    action = _ACTION.search(page)
    assert action, page
    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in _INPUT.findall(page)}


def auth_params(login: dict[str, str], tool, **overrides: str | None) -> dict[str, str]:
    """The tool's authentication request for a login initiation (what /lti/login would send)."""
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": login["client_id"],
        "redirect_uri": tool.launch_url,
        "login_hint": login["login_hint"],
        "lti_message_hint": login["lti_message_hint"],
        "nonce": "nonce-123",
        "state": "state-456",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def auth_url(params: dict[str, str]) -> str:
    return "/lti/auth?" + urlencode(params)


# -- the tool's side of service calls: one key pair and its JWKS on loopback ---------

TOOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@contextmanager
def served_jwks(key=TOOL_KEY, kid: str = "k1") -> Iterator[str]:
    """Serve a one-key JWKS over real HTTP on loopback; yields its URL."""
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": "RS256"}

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"keys": [jwk]}).encode()]

    server = LiveServer(wsgi, "127.0.0.1", free_port()).start()
    try:
        yield f"{server.url}/jwks"
    finally:
        server.stop()


def service_token(
    base: str, client_id: str, scopes: list[str], key=TOOL_KEY, kid: str = "k1"
) -> str:
    """An access token from the dev LMS's real token endpoint, asked for as a tool would."""
    import requests

    from lti_tool.devlms import oauth

    signed = oauth.make_client_assertion(key, kid, client_id, f"{base}/lti/token")
    r = requests.post(
        f"{base}/lti/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
            "client_assertion": signed,
            "scope": " ".join(scopes),
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]
