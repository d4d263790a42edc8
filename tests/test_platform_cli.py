"""`peerpath platform ...`: operators register, list and remove LMS platforms, and issue invites.

Refusals exit with status 1, say what is wrong, and store nothing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.lti import invites
from lti_tool.lti.cli import platform_cli
from lti_tool.models import Deployment, Platform, RegistrationInvite
from lti_tool.models.base import utcnow

MOODLE = [
    "--issuer",
    "https://moodle.example.com",
    "--client-id",
    "abc123",
    "--auth-login-url",
    "https://moodle.example.com/mod/lti/auth.php",
    "--auth-token-url",
    "https://moodle.example.com/mod/lti/token.php",
    "--key-set-url",
    "https://moodle.example.com/mod/lti/certs.php",
]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _with(args: list[str], option: str, value: str) -> list[str]:
    args = list(args)
    args[args.index(option) + 1] = value
    return args


def test_add_stores_platform_with_deployments(app, runner):
    result = runner.invoke(
        platform_cli,
        ["add", *MOODLE, "--deployment-id", "1", "--deployment-id", "2", "--name", "Our Moodle"],
    )
    assert result.exit_code == 0, result.output
    assert "Registered Our Moodle" in result.output
    assert f"{app.config['BASE_URL']}/lti/login" in result.output
    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        assert (platform.issuer, platform.client_id, platform.name) == (
            "https://moodle.example.com",
            "abc123",
            "Our Moodle",
        )
        assert platform.key_set_url == "https://moodle.example.com/mod/lti/certs.php"
        assert [d.deployment_id for d in platform.deployments] == ["1", "2"]
        assert platform.accept_new_deployments is False


def test_add_canvas_style_with_audience_and_learned_deployments(app, runner):
    args = [
        "add",
        "--issuer",
        "https://canvas.instructure.com",
        "--client-id",
        "10000000000001",
        "--auth-login-url",
        "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--auth-token-url",
        "https://school.instructure.com/login/oauth2/token",
        "--key-set-url",
        "https://sso.canvaslms.com/api/lti/security/jwks",
        "--auth-audience",
        "https://canvas.instructure.com/login/oauth2/token",
        "--accept-new-deployments",
    ]
    result = runner.invoke(platform_cli, args)
    assert result.exit_code == 0, result.output
    assert "learned at their first launch" in result.output
    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        assert platform.accept_new_deployments is True
        assert platform.auth_audience == "https://canvas.instructure.com/login/oauth2/token"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--key-set-url", "moodle.example.com/certs", "key_set_url must be an absolute URL"),
        ("--auth-login-url", "http://moodle.example.com/auth", "auth_login_url must use https"),
        (
            "--issuer",
            "https://user:pw@moodle.example.com",
            "must not contain a user name or password",
        ),
        ("--client-id", "   ", "client_id must not be empty"),
    ],
)
def test_add_with_bad_input_exits_1_and_stores_nothing(app, runner, option, value, message):
    result = runner.invoke(platform_cli, ["add", *_with(MOODLE, option, value)])
    assert result.exit_code == 1
    assert message in result.output
    assert _count(app, Platform) == 0


def test_add_duplicate_issuer_and_client_id_exits_1(app, runner):
    assert runner.invoke(platform_cli, ["add", *MOODLE, "--deployment-id", "1"]).exit_code == 0
    again = runner.invoke(platform_cli, ["add", *MOODLE, "--deployment-id", "9"])
    assert again.exit_code == 1
    assert "already registered" in again.output
    assert _count(app, Platform) == 1
    assert _count(app, Deployment) == 1
    # Same issuer, another client id: a second registration (Canvas shares issuers).
    other = runner.invoke(platform_cli, ["add", *_with(MOODLE, "--client-id", "xyz")])
    assert other.exit_code == 0, other.output
    assert _count(app, Platform) == 2


def test_add_same_deployment_twice_exits_1(app, runner):
    result = runner.invoke(
        platform_cli, ["add", *MOODLE, "--deployment-id", "1", "--deployment-id", "1"]
    )
    assert result.exit_code == 1
    assert "listed twice" in result.output
    assert _count(app, Platform) == 0


def test_add_deployment_to_registered_platform(app, runner):
    runner.invoke(platform_cli, ["add", *MOODLE])
    ident = ["--issuer", "https://moodle.example.com", "--client-id", "abc123"]
    result = runner.invoke(platform_cli, ["add-deployment", *ident, "--deployment-id", "42"])
    assert result.exit_code == 0, result.output
    assert "Added deployment 42" in result.output
    duplicate = runner.invoke(platform_cli, ["add-deployment", *ident, "--deployment-id", "42"])
    assert duplicate.exit_code == 1 and "already registered" in duplicate.output
    unknown = runner.invoke(
        platform_cli,
        [
            "add-deployment",
            "--issuer",
            "https://nowhere.example.com",
            "--client-id",
            "abc123",
            "--deployment-id",
            "1",
        ],
    )
    assert unknown.exit_code == 1 and "no platform with issuer" in unknown.output
    assert _count(app, Deployment) == 1


def test_list_shows_a_readable_table(runner):
    empty = runner.invoke(platform_cli, ["list"])
    assert empty.exit_code == 0 and "No platforms registered" in empty.output
    runner.invoke(platform_cli, ["add", *MOODLE, "--deployment-id", "1", "--deployment-id", "2"])
    runner.invoke(
        platform_cli, ["add", *_with(MOODLE, "--client-id", "zz"), "--accept-new-deployments"]
    )
    result = runner.invoke(platform_cli, ["list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "ISSUER", "CLIENT_ID", "DEPLOYMENTS", "STATUS"]
    assert set(lines[1]) <= {"-", " "}
    assert re.search(r"https://moodle\.example\.com\s+abc123\s+1, 2\s+active", lines[2])
    assert re.search(r"zz\s+- \(\+ learned at launch\)\s+active", lines[3])


def test_remove_asks_then_deletes_the_platform(app, runner):
    runner.invoke(platform_cli, ["add", *MOODLE, "--deployment-id", "1"])
    ident = ["--issuer", "https://moodle.example.com", "--client-id", "abc123"]
    declined = runner.invoke(platform_cli, ["remove", *ident], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert _count(app, Platform) == 1
    result = runner.invoke(platform_cli, ["remove", *ident], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Removed https://moodle.example.com" in result.output
    assert _count(app, Platform) == 0
    assert _count(app, Deployment) == 0


def test_remove_unknown_platform_exits_1(runner):
    result = runner.invoke(
        platform_cli, ["remove", "--issuer", "https://x.example.com", "--client-id", "1", "--yes"]
    )
    assert result.exit_code == 1
    assert "no platform with issuer 'https://x.example.com'" in result.output


def test_invite_prints_a_one_time_url_and_stores_only_its_hash(app, runner):
    result = runner.invoke(platform_cli, ["invite", "--note", "Moodle at ACME", "--hours", "5"])
    assert result.exit_code == 0, result.output
    url = result.output.splitlines()[0]
    assert url.startswith(f"{app.config['BASE_URL']}/lti/register?invite=")
    token = parse_qs(urlsplit(url).query)["invite"][0]
    with app.app_context():
        invite = db.session.scalars(select(RegistrationInvite)).one()
        assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (invite.token_hash, invite.note)
        assert invite.note == "Moodle at ACME"
        assert timedelta(hours=4, minutes=59) < invite.expires_at - utcnow() <= timedelta(hours=5)
        # The token works exactly once.
        usable = invites.find_usable(token)
        invites.claim(usable, "https://moodle.example.com")
        db.session.commit()
        with pytest.raises(invites.InviteError, match="already used"):
            invites.find_usable(token)


def test_invite_default_lifetime_and_bad_hours(app, runner):
    result = runner.invoke(platform_cli, ["invite"])
    assert result.exit_code == 0
    with app.app_context():
        invite = db.session.scalars(select(RegistrationInvite)).one()
        hours = app.config["REGISTRATION_INVITE_HOURS"]
        assert timedelta(hours=hours - 1) < invite.expires_at - utcnow() <= timedelta(hours=hours)
    bad = runner.invoke(platform_cli, ["invite", "--hours", "0"])
    assert bad.exit_code == 2 and "--hours" in bad.output
    assert _count(app, RegistrationInvite) == 1
