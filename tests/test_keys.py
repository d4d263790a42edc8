"""The tool's signing keys: published at /lti/jwks, rotated with a grace period, encrypted at rest.

`peerpath keys rotate|list` is how operators drive them.
"""

from __future__ import annotations

from datetime import timedelta

import jwt
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select, text

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.cli import keys_cli
from lti_tool.models import ToolKey
from lti_tool.models.base import utcnow


def _published_kids(client) -> list[str]:
    response = client.get("/lti/jwks")
    assert response.status_code == 200
    return [k["kid"] for k in response.get_json()["keys"]]


def test_jwks_publishes_kid_alg_use_and_no_private_part(client):
    response = client.get("/lti/jwks")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    [key] = response.get_json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] and key["n"] and key["e"] == "AQAB"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_private_key_is_stored_encrypted_not_as_pem(app, client):
    client.get("/lti/jwks")
    with app.app_context():
        raw = db.session.execute(text("SELECT private_key_encrypted FROM tool_key")).scalar_one()
        assert "PRIVATE KEY" not in raw and "MII" not in raw
        # Fernet token (version byte 0x80 -> "gAAAAA" in base64url).
        assert raw.startswith("gAAAAA")


def test_signed_jwt_verifies_with_the_published_key(app, client):
    with app.app_context():
        token = keys.sign_jwt({"iss": "tool", "aud": "platform"})
    kid = jwt.get_unverified_header(token)["kid"]
    [public] = [k for k in client.get("/lti/jwks").get_json()["keys"] if k["kid"] == kid]
    claims = jwt.decode(
        token, RSAAlgorithm.from_jwk(public), algorithms=["RS256"], audience="platform"
    )
    assert claims["iss"] == "tool"


def test_rotate_keeps_the_old_key_published_for_the_grace_period_then_not(app, client, runner):
    [old_kid] = _published_kids(client)
    result = runner.invoke(keys_cli, ["rotate", "--grace-days", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        new = db.session.scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))).one()
        old = db.session.scalars(select(ToolKey).where(ToolKey.kid == old_kid)).one()
        assert timedelta(days=2, hours=23) < old.unpublish_at - utcnow() <= timedelta(days=3)
        # New signatures use the new key at once.
        assert jwt.get_unverified_header(keys.sign_jwt({"x": 1}))["kid"] == new.kid
    assert f"New signing key: {new.kid}" in result.output
    assert (
        f"Still published until {old.unpublish_at:%Y-%m-%d %H:%M} UTC: {old_kid}" in result.output
    )
    assert set(_published_kids(client)) == {old_kid, new.kid}

    # The grace period ends (moved into the past instead of waiting three days).
    with app.app_context():
        db.session.get(ToolKey, old.id).unpublish_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _published_kids(client) == [new.kid]


def test_rotate_without_grace_unpublishes_at_once_and_default_uses_setting(app, client, runner):
    [first] = _published_kids(client)
    assert runner.invoke(keys_cli, ["rotate", "--grace-days", "0"]).exit_code == 0
    assert first not in _published_kids(client)
    result = runner.invoke(keys_cli, ["rotate"])
    assert result.exit_code == 0
    with app.app_context():
        retired = db.session.scalars(select(ToolKey).order_by(ToolKey.id)).all()[1]
        grace = timedelta(days=app.config["KEY_ROTATION_GRACE_DAYS"])
        assert grace - timedelta(minutes=1) < retired.unpublish_at - utcnow() <= grace
    assert len(_published_kids(client)) == 2


def test_rotate_refuses_negative_grace(app, runner):
    result = runner.invoke(keys_cli, ["rotate", "--grace-days", "-1"])
    assert result.exit_code == 2
    assert "--grace-days" in result.output
    with app.app_context():
        assert db.session.scalars(select(ToolKey)).all() == []


def test_rotate_on_a_fresh_tool_makes_the_first_key(runner):
    result = runner.invoke(keys_cli, ["rotate"])
    assert result.exit_code == 0
    assert "There was no previous key." in result.output


def test_keys_list_shows_each_keys_state(client, runner):
    assert "No keys yet" in runner.invoke(keys_cli, ["list"]).output
    [old] = _published_kids(client)
    runner.invoke(keys_cli, ["rotate", "--grace-days", "0"])
    runner.invoke(keys_cli, ["rotate", "--grace-days", "5"])
    lines = runner.invoke(keys_cli, ["list"]).output.splitlines()
    assert lines[0].split() == ["KID", "CREATED", "STATUS"]
    assert old in lines[2] and "retired, unpublished since" in lines[2]
    assert "retired, published until" in lines[3]
    assert lines[4].endswith("signing, published")
