"""Fixtures for the dev LMS tests: a registered tool whose JWKS is served over real HTTP.

The "tool" here is only a key pair and a JWKS endpoint on loopback; tests sign as it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.devlms import setup

CLIENT_ID = "peerpath-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FakeToolKeys:
    """A tool's key pairs and the JWKS it publishes (served over HTTP by jwks_server)."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    fetches: int = 0

    def add(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid, key in self.keys.items():
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
            out.append(jwk)
        return {"keys": out}


@pytest.fixture
def tool_keys() -> FakeToolKeys:
    keys = FakeToolKeys()
    keys.add("tool-key-1")
    return keys


@pytest.fixture
def jwks_server(tool_keys) -> Iterator[str]:
    """A real HTTP server on loopback publishing tool_keys; yields its base URL."""

    @Request.application
    def wsgi(request: Request) -> Response:
        if request.path == "/lti/jwks":
            tool_keys.fetches += 1
            return Response(json.dumps(tool_keys.jwks()), mimetype="application/json")
        return Response("not found", status=404)

    port = _free_port()
    server = make_server("127.0.0.1", port, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def tool(devlms_app, jwks_server):
    return setup.register_tool(
        devlms_app,
        client_id=CLIENT_ID,
        name="PeerPath",
        login_url=f"{jwks_server}/lti/login",
        launch_url=f"{jwks_server}/lti/launch",
        jwks_url=f"{jwks_server}/lti/jwks",
        deployment_id="1",
    )


@pytest.fixture
def course(devlms_app, tool):
    return setup.seed_demo_course(devlms_app, client_id=CLIENT_ID)


@pytest.fixture
def lms(devlms_app):
    return devlms_app.test_client()


@pytest.fixture
def jwks_url():
    """The tool's JWKS on loopback (one key, kid k1): `devlms_helpers.TOOL_KEY` signs as the tool."""
    from devlms_helpers import served_jwks

    with served_jwks() as url:
        yield url
