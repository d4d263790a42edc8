"""LTI Dynamic Registration against a real platform over HTTP on loopback.

A small werkzeug platform covers Moodle- and Canvas-shaped answers and every failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from support import TEST_SECRET, LiveServer, free_port
from werkzeug.wrappers import Request, Response

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import invites
from lti_tool.lti import keys as tool_keys
from lti_tool.lti.registration import TOOL_CONFIGURATION, TOOL_SCOPES
from lti_tool.models import Platform, RegistrationInvite
from lti_tool.models.base import utcnow

REG_TOKEN = "registration-token-123"


class FakePlatform:
    """An LTI platform's registration side: OpenID configuration + registration endpoint."""

    def __init__(self, family: str = "moodle") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.family = family
        self.config_path = "/mod/lti/openid-configuration.php"
        self.config_changes: dict[str, Any] = {}
        self.config_body: bytes | None = None
        self.config_status = 200
        self.registration_status = 200
        self.registration_answer: Callable[[dict], Any] | None = None
        self.next_client_id = "client-1"
        self.requests: list[dict[str, Any]] = []
        self.server = LiveServer(self.wsgi, "127.0.0.1", self.port)

    @property
    def config_url(self) -> str:
        return self.url + self.config_path

    def openid_configuration(self) -> dict[str, Any]:
        conf = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/mod/lti/auth.php",
            "token_endpoint": f"{self.url}/mod/lti/token.php",
            "jwks_uri": f"{self.url}/mod/lti/certs.php",
            "registration_endpoint": f"{self.url}/mod/lti/openid-registration.php",
            "scopes_supported": TOOL_SCOPES + ["openid"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "claims_supported": ["sub", "iss", "name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": self.family,
                "version": "4.5",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
        }
        for key, value in self.config_changes.items():
            if value is None:
                conf.pop(key, None)
            else:
                conf[key] = value
        return conf

    def _default_answer(self, body: dict) -> dict:
        answer = dict(body)
        answer["client_id"] = self.next_client_id
        answer[TOOL_CONFIGURATION] = dict(body[TOOL_CONFIGURATION], deployment_id="7")
        return answer

    def wsgi(self, environ, start_response):
        request = Request(environ)
        raw = request.get_data()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "authorization": request.headers.get("Authorization"),
                "json": json.loads(raw) if raw else None,
            }
        )
        if request.path == self.config_path and request.method == "GET":
            body = (
                self.config_body
                if self.config_body is not None
                else json.dumps(self.openid_configuration())
            )
            response = Response(body, status=self.config_status, mimetype="application/json")
        elif request.path == "/mod/lti/openid-registration.php" and request.method == "POST":
            if request.headers.get("Authorization") != f"Bearer {REG_TOKEN}":
                response = Response(
                    json.dumps({"error": "invalid_token"}), status=401, mimetype="application/json"
                )
            elif self.registration_status >= 400:
                response = Response(
                    json.dumps(
                        {
                            "error": "invalid_client_metadata",
                            "error_description": "redirect_uris is not allowed",
                        }
                    ),
                    status=self.registration_status,
                    mimetype="application/json",
                )
            else:
                body = json.loads(raw)
                answer = (self.registration_answer or self._default_answer)(body)
                response = Response(
                    json.dumps(answer), status=self.registration_status, mimetype="application/json"
                )
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def registration_posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]


@pytest.fixture
def platform() -> Iterator[FakePlatform]:
    fake = FakePlatform()
    fake.server.start()
    yield fake
    fake.server.stop()


def _platform_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Platform))


def _start(
    client, fake: FakePlatform, invite: str | None = None, token: str | None = REG_TOKEN, **headers
):
    query = {"openid_configuration": fake.config_url}
    if token is not None:
        query["registration_token"] = token
    if invite is not None:
        query["invite"] = invite
    return client.get("/lti/register", query_string=query, headers=headers)


def _form_from(page) -> dict[str, str]:
    html = page.get_data(as_text=True)
    return {
        name: value.replace("&amp;", "&")
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html)
    }


def _register(client, fake: FakePlatform, invite: str | None = None):
    page = _start(client, fake, invite)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post("/lti/register", data=_form_from(page))


# --- The happy paths -------------------------------------------------------------------


def test_confirm_page_names_platform_issuer_and_requested_scopes(client, platform):
    page = _start(client, platform)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert platform.url in html
    assert "moodle" in html and "4.5" in html
    assert "Send scores to the gradebook" in html
    assert "contextmembership.readonly" in html
    assert html.count("<form") == 1 and html.count('type="submit"') == 1
    # The configuration was fetched with the registration token (Canvas requires it).
    assert platform.requests[0]["authorization"] == f"Bearer {REG_TOKEN}"
    assert _platform_count(client.application) == 0
    assert platform.registration_posts() == []


def test_moodle_registration_stores_platform_with_its_deployment(app, client, platform):
    done = _register(client, platform)
    html = done.get_data(as_text=True)
    assert done.status_code == 200, html
    assert "js/registration-close.js" in html
    assert "must activate PeerPath" in html  # Moodle leaves dynamic registrations pending

    [post] = platform.registration_posts()
    assert post["authorization"] == f"Bearer {REG_TOKEN}"
    sent = post["json"]
    base = app.config["BASE_URL"]
    assert sent["application_type"] == "web"
    assert sent["response_types"] == ["id_token"]
    assert sent["grant_types"] == ["implicit", "client_credentials"]
    assert sent["initiate_login_uri"] == f"{base}/lti/login"
    assert sent["redirect_uris"] == [f"{base}/lti/launch"]
    assert sent["jwks_uri"] == f"{base}/lti/jwks"
    assert sent["client_name"] == app.config["TOOL_NAME"]
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert sent["scope"].split() == TOOL_SCOPES
    tool_conf = sent[TOOL_CONFIGURATION]
    assert tool_conf["domain"] == urlsplit(base).netloc
    assert tool_conf["target_link_uri"] == f"{base}/lti/launch"
    assert set(tool_conf["claims"]) == {
        "iss",
        "sub",
        "name",
        "given_name",
        "family_name",
        "email",
        "locale",
    }
    types = [m["type"] for m in tool_conf["messages"]]
    assert types == ["LtiDeepLinkingRequest", "LtiResourceLinkRequest"]
    assert tool_conf["messages"][0]["target_link_uri"] == f"{base}/lti/launch"
    assert tool_conf["messages"][0]["label"]

    with app.app_context():
        stored = db.session.scalars(select(Platform)).one()
        assert stored.issuer == platform.url
        assert stored.client_id == "client-1"
        assert stored.auth_login_url == f"{platform.url}/mod/lti/auth.php"
        assert stored.auth_token_url == f"{platform.url}/mod/lti/token.php"
        assert stored.key_set_url == f"{platform.url}/mod/lti/certs.php"
        assert stored.auth_audience is None
        assert stored.product_family == "moodle"
        assert [d.deployment_id for d in stored.deployments] == ["7"]
        assert stored.accept_new_deployments is False
        assert stored.scopes.split() == TOOL_SCOPES
        assert stored.status == "active"


def test_canvas_registration_learns_deployments_at_launch_and_keeps_granted_scopes(app, client):
    fake = FakePlatform(family="canvas")
    fake.config_changes = {"authorization_server": "canvas.example.edu"}
    granted = TOOL_SCOPES[:2]

    def canvas_answer(body: dict) -> dict:
        # Canvas answers without a deployment id and lets the admin narrow scopes.
        return dict(body, client_id=10000000000042, scope=" ".join(granted))

    fake.registration_answer = canvas_answer
    fake.server.start()
    try:
        done = _register(client, fake)
        sent = fake.registration_posts()[0]["json"]
    finally:
        fake.server.stop()
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Canvas now shows a summary" in done.get_data(as_text=True)
    tool_conf = sent[TOOL_CONFIGURATION]
    assert tool_conf["messages"][0]["placements"] == ["link_selection", "assignment_selection"]
    assert tool_conf["messages"][1]["placements"] == ["course_navigation"]
    assert tool_conf["https://canvas.instructure.com/lti/privacy_level"] == "public"
    with app.app_context():
        stored = db.session.scalars(select(Platform)).one()
        assert stored.client_id == "10000000000042"
        assert stored.deployments == []
        assert stored.accept_new_deployments is True
        assert stored.scopes.split() == granted
        assert stored.auth_audience == "canvas.example.edu"
        assert stored.product_family == "canvas"


def test_registration_answers_json_when_asked(client, platform):
    page = _start(client, platform, Accept="application/json")
    assert page.status_code == 200
    summary = page.get_json()
    assert summary["issuer"] == platform.url and summary["scopes"] == TOOL_SCOPES
    done = client.post(
        "/lti/register",
        data={
            "openid_configuration": platform.config_url,
            "registration_token": REG_TOKEN,
            "signature": summary["signature"],
        },
        headers={"Accept": "application/json"},
    )
    assert done.status_code == 200
    assert done.get_json() == {
        "status": "registered",
        "issuer": platform.url,
        "client_id": "client-1",
        "deployment_ids": ["7"],
        "accept_new_deployments": False,
        "scopes": TOOL_SCOPES,
    }


def test_close_script_posts_the_lti_close_message(client):
    script = client.get("/static/js/registration-close.js")
    text = script.get_data(as_text=True)
    assert script.status_code == 200
    assert '"org.imsglobal.lti.close"' in text
    assert "window.opener || window.parent" in text
    assert 'postMessage({ subject: "org.imsglobal.lti.close" }, "*")' in text


# --- What the platform's configuration must satisfy -----------------------------------


def test_issuer_not_matching_configuration_url_is_refused_and_nothing_stored(client, platform):
    platform.config_changes = {"issuer": "http://localhost:1"}
    page = _start(client, platform)
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "names the issuer http://localhost:1" in html
    assert "Nothing was stored" in html
    assert platform.registration_posts() == []
    assert _platform_count(client.application) == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"jwks_uri": None}, "has no jwks_uri"),
        ({"registration_endpoint": None}, "has no registration_endpoint"),
        ({"token_endpoint": "ftp://lms.example.com/token"}, "token_endpoint is not usable"),
        ({"authorization_endpoint": "http://lms.example.com/auth"}, "must use https"),
        ({"token_endpoint_auth_methods_supported": ["client_secret_basic"]}, "private_key_jwt"),
        ({"id_token_signing_alg_values_supported": ["HS256"]}, "RS256"),
        (
            {"https://purl.imsglobal.org/spec/lti-platform-configuration": None},
            "LTI platform section",
        ),
        (
            {"https://purl.imsglobal.org/spec/lti-platform-configuration": {"version": "1"}},
            "product_family_code",
        ),
        ({"issuer": None}, "has no issuer"),
    ],
)
def test_incomplete_configuration_is_refused_with_the_reason(client, platform, changes, expected):
    platform.config_changes = changes
    page = _start(client, platform)
    assert page.status_code == 400
    assert expected in page.get_data(as_text=True)
    assert platform.registration_posts() == []


def test_configuration_that_is_not_json_or_not_found_is_refused(client, platform):
    platform.config_body = b"<html>login required</html>"
    page = _start(client, platform)
    assert page.status_code == 400 and "is not JSON" in page.get_data(as_text=True)
    platform.config_status = 401
    platform.config_body = json.dumps({"errors": [{"message": "Invalid access token"}]}).encode()
    page = _start(client, platform)
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "HTTP 401" in text and "Invalid access token" in text


def test_unreachable_configuration_is_a_clear_error(client):
    url = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    page = client.get(
        "/lti/register",
        query_string={"openid_configuration": url},
        headers={"Accept": "application/json"},
    )
    assert page.status_code == 400
    assert page.get_json()["error"] == "registration_failed"
    assert "could not reach" in page.get_json()["message"]


def test_register_without_parameters_explains_what_the_address_is_for(client):
    page = client.get("/lti/register")
    assert page.status_code == 400
    assert "Dynamic Registration" in page.get_data(as_text=True)
    invite_page = client.get("/lti/register?invite=abc")
    assert invite_page.status_code == 400
    assert "Paste this whole address into your LMS" in invite_page.get_data(as_text=True)


# --- Failures while registering ----------------------------------------------------------


def test_platform_refusing_the_registration_shows_its_message_and_stores_nothing(client, platform):
    platform.registration_status = 400
    done = _register(client, platform)
    html = done.get_data(as_text=True)
    assert done.status_code == 400
    assert "HTTP 400" in html and "redirect_uris is not allowed" in html
    assert _platform_count(client.application) == 0


def test_answer_without_client_id_stores_nothing(client, platform):
    platform.registration_answer = lambda body: {"scope": body["scope"]}
    done = _register(client, platform)
    assert done.status_code == 400
    assert "no client_id" in done.get_data(as_text=True)
    assert _platform_count(client.application) == 0


def test_forged_confirmation_field_is_refused_and_nothing_registered(client, platform):
    form = _form_from(_start(client, platform))
    forged = dict(form, signature="forged." + form["signature"][7:])
    response = client.post("/lti/register", data=forged)
    assert response.status_code == 400
    assert "not issued by this PeerPath" in response.get_data(as_text=True)
    # A valid signature does not carry over to another registration token or platform.
    swapped = dict(form, registration_token="someone-elses-token")
    assert client.post("/lti/register", data=swapped).status_code == 400
    assert client.post("/lti/register", data=dict(form, signature="")).status_code == 400
    assert platform.registration_posts() == []
    assert _platform_count(client.application) == 0


def test_registering_the_same_client_twice_is_a_conflict(client, platform):
    assert _register(client, platform).status_code == 200
    again = _register(client, platform)
    assert again.status_code == 409
    assert "already has a registration" in again.get_data(as_text=True)
    assert _platform_count(client.application) == 1


# --- Who may register ----------------------------------------------------------------------


def test_invite_works_once(app, client, platform):
    with app.app_context():
        token, _invite = invites.create_invite(note="Moodle test")
    assert _register(client, platform, invite=token).status_code == 200
    with app.app_context():
        used = db.session.scalars(select(RegistrationInvite)).one()
        assert used.used_at is not None and used.used_by_issuer == platform.url
    platform.next_client_id = "client-2"
    again = _start(client, platform, invite=token)
    assert again.status_code == 403
    assert "already used" in again.get_data(as_text=True)
    assert _platform_count(app) == 1


def test_failed_registration_leaves_the_invite_unused(app, client, platform):
    with app.app_context():
        token, _invite = invites.create_invite()
    platform.registration_answer = lambda body: {"scope": body["scope"]}  # no client_id
    assert _register(client, platform, invite=token).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(RegistrationInvite)).one().used_at is None


@pytest.fixture
def production_app(database_url):
    tool_keys.reset_cache()
    application = create_app(
        {
            "TESTING": True,
            "ENV": "production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET,
            "BASE_URL": "https://peerpath.example.com",
            "REGISTRATION_ALLOWED_ISSUERS": ["https://moodle.example.com"],
        }
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_refuses_registration_without_invite(production_app, platform):
    page = production_app.test_client().get(
        "/lti/register",
        query_string={"openid_configuration": platform.config_url, "registration_token": REG_TOKEN},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "peerpath platform invite" in html
    assert platform.requests == []  # nothing fetched for an unauthorised caller


def test_production_refuses_unlisted_issuer_before_fetching(production_app, platform):
    client = production_app.test_client()
    # Looks like the allowed issuer's host but is not under it.
    url = "https://moodle.example.com.evil.test/mod/lti/openid-configuration.php"
    page = client.get("/lti/register", query_string={"openid_configuration": url})
    assert page.status_code == 403


def test_production_refuses_used_and_expired_invites(production_app, platform):
    with production_app.app_context():
        used_token, used = invites.create_invite()
        used.used_at = utcnow()
        expired_token, expired = invites.create_invite()
        expired.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    client = production_app.test_client()
    for token, reason in (
        (used_token, "already used"),
        (expired_token, "expired"),
        ("made-up", "not valid"),
    ):
        page = client.get(
            "/lti/register",
            query_string={
                "openid_configuration": platform.config_url,
                "registration_token": REG_TOKEN,
                "invite": token,
            },
        )
        assert page.status_code == 403
        assert reason in page.get_data(as_text=True)
    assert platform.requests == []


def test_production_with_valid_invite_passes_the_gate_and_still_requires_https(
    production_app, platform
):
    with production_app.app_context():
        token, _invite = invites.create_invite()
    page = production_app.test_client().get(
        "/lti/register",
        query_string={"openid_configuration": platform.config_url, "invite": token},
        headers={"Accept": "application/json"},
    )
    assert page.status_code == 400
    assert "must use https" in page.get_json()["message"]


def test_invite_url_from_the_cli_lets_the_platform_append_its_parameters(app):
    with app.app_context():
        token, _invite = invites.create_invite()
        url = invites.invite_url(token)
    # LMSs add openid_configuration and registration_token to the pasted URL.
    query = parse_qs(urlsplit(url + "&openid_configuration=x&registration_token=y").query)
    assert query["invite"] == [token]
    assert url.startswith(app.config["BASE_URL"] + "/lti/register?")


@pytest.fixture
def tls_platform(tmp_path, monkeypatch) -> Iterator[FakePlatform]:
    """The fake platform over https with a self-signed certificate the tool is told to trust."""
    import ipaddress
    import ssl
    import threading

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from werkzeug.serving import make_server

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))

    fake = FakePlatform()
    fake.url = f"https://127.0.0.1:{fake.port}"
    fake.server.server.server_close()  # replace the plain-http listener with a TLS one
    fake.server.server = make_server(
        "127.0.0.1", fake.port, fake.wsgi, threaded=True, ssl_context=context
    )
    fake.server.thread = threading.Thread(target=fake.server.server.serve_forever, daemon=True)
    fake.server.start()
    yield fake
    fake.server.stop()


def test_production_allowed_issuer_registers_over_https_without_invite(database_url, tls_platform):
    tool_keys.reset_cache()
    app = create_app(
        {
            "TESTING": True,
            "ENV": "production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET,
            "BASE_URL": "https://peerpath.example.com",
            "REGISTRATION_ALLOWED_ISSUERS": [tls_platform.url],
        }
    )
    try:
        client = app.test_client()
        done = _register(client, tls_platform)
        assert done.status_code == 200, done.get_data(as_text=True)
        sent = tls_platform.registration_posts()[0]["json"]
        assert sent["initiate_login_uri"] == "https://peerpath.example.com/lti/login"
        with app.app_context():
            stored = db.session.scalars(select(Platform)).one()
            assert stored.issuer == tls_platform.url
            assert stored.key_set_url == f"{tls_platform.url}/mod/lti/certs.php"
        # Another issuer served from the same allowed host is still refused after fetching.
        tls_platform.config_changes = {"issuer": tls_platform.url + "/other"}
        other = _start(client, tls_platform)
        assert other.status_code == 400  # the URL is not under the claimed issuer
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- End to end with the dev LMS: register dynamically, then launch --------------------


def test_dynamic_registration_with_the_dev_lms_then_a_launch_works(
    app, tool_server, devlms_app, devlms_server
):
    from lti_tool.devlms import setup
    from lti_tool.devlms.api import issue_registration_token
    from lti_tool.devlms.browser import ScriptedBrowser, forms
    from lti_tool.devlms.models import DevTool
    from lti_tool.devlms.models import db as devlms_db
    from lti_tool.devlms.urls import openid_configuration_url
    from lti_tool.lti.platform_keys import platform_keys

    platform_keys.clear()
    with devlms_app.app_context():
        config_url = openid_configuration_url()
    token = issue_registration_token(devlms_app)
    # A browser without cookies, as in an LMS iframe on another site.
    browser = ScriptedBrowser(cookies=False)
    confirm = browser.http.get(
        f"{tool_server.url}/lti/register",
        params={"openid_configuration": config_url, "registration_token": token},
        timeout=10,
    )
    assert confirm.status_code == 200, confirm.text
    assert "peerpath-devlms" in confirm.text
    [form] = forms(confirm.text)
    done = browser.submit(form, confirm.url)
    assert done.status_code == 200, done.text
    assert "Registration complete" in done.text

    with devlms_app.app_context():
        tool = devlms_db.session.scalars(select(DevTool)).one()
        client_id, deployment_id = tool.client_id, tool.deployment_id
        assert tool.jwks_url == f"{tool_server.url}/lti/jwks"
        assert tool.login_url == f"{tool_server.url}/lti/login"
    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        assert platform.issuer == devlms_server.url
        assert platform.client_id == client_id
        assert [d.deployment_id for d in platform.deployments] == [deployment_id]
        assert platform.product_family == "peerpath-devlms"

    # The registration token is single-use: replaying the confirmed form fails and stores nothing.
    replay = browser.submit(form, confirm.url)
    assert replay.status_code == 400
    assert "token_already_used" in replay.text or "already been used" in replay.text
    assert _platform_count(app) == 1

    course = setup.seed_demo_course(devlms_app, client_id)
    result = browser.launch(f"{devlms_server.url}/lti/initiate?user=u-2001&link={course.link_id}")
    assert result.response.status_code == 200, result.text
    assert "has not set up this activity yet" in result.text


@pytest.mark.parametrize(
    ("issuer", "url", "trusted"),
    [
        (
            "https://moodle.example.com",
            "https://moodle.example.com/mod/lti/openid-configuration.php",
            True,
        ),
        (
            "https://moodle.example.com/",
            "https://moodle.example.com/mod/lti/openid-configuration.php",
            True,
        ),
        (
            "https://example.com/moodle",
            "https://example.com/moodle/mod/lti/openid-configuration.php",
            True,
        ),
        (
            "https://moodle.example.com",
            "https://moodle.example.com.evil.test/openid-configuration",
            False,
        ),
        ("https://example.com/moodle", "https://example.com/moodle2/openid-configuration", False),
        # Hosted Canvas: the shared issuer, each school's own host.
        (
            "https://canvas.instructure.com",
            "https://school.instructure.com/api/lti/security/openid-configuration",
            True,
        ),
        (
            "https://canvas.instructure.com",
            "https://school.example.edu/api/lti/security/openid-configuration",
            False,
        ),
        (
            "https://canvas.instructure.com",
            "http://school.instructure.com/api/lti/security/openid-configuration",
            False,
        ),
        (
            "https://lms.example.com",
            "https://school.instructure.com/api/lti/security/openid-configuration",
            False,
        ),
    ],
)
def test_issuer_must_prefix_the_configuration_url(issuer, url, trusted):
    from lti_tool.lti.registration import issuer_matches_url

    assert issuer_matches_url(issuer, url) is trusted
