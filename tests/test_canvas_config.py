"""/lti/config.json: the developer-key JSON a Canvas admin pastes (or points Canvas at).

Shape as documented by Instructure: doc/api/lti_dev_key_config.md in canvas-lms.
"""

from __future__ import annotations

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti.registration import TOOL_SCOPES


def test_canvas_config_has_the_documented_shape(app, client):
    response = client.get("/lti/config.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    config = response.get_json()
    base = app.config["BASE_URL"]
    assert config["title"] == app.config["TOOL_NAME"]
    assert config["description"] == app.config["TOOL_DESCRIPTION"]
    assert config["oidc_initiation_url"] == f"{base}/lti/login"
    assert config["target_link_uri"] == f"{base}/lti/launch"
    assert config["public_jwk_url"] == f"{base}/lti/jwks"
    assert "public_jwk" not in config  # the URL lets keys rotate without an admin
    assert config["scopes"] == TOOL_SCOPES
    assert config["custom_fields"] == {}

    [extension] = config["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "public"
    assert extension["domain"] == "127.0.0.1"
    assert extension["tool_id"] == "peerpath"
    settings = extension["settings"]
    assert settings["text"] == app.config["TOOL_NAME"]
    placements = {p["placement"]: p for p in settings["placements"]}
    assert set(placements) == {"link_selection", "assignment_selection", "course_navigation"}
    for name in ("link_selection", "assignment_selection"):
        assert placements[name]["message_type"] == "LtiDeepLinkingRequest"
        assert placements[name]["target_link_uri"] == f"{base}/lti/launch"
    assert placements["course_navigation"]["message_type"] == "LtiResourceLinkRequest"
    assert placements["course_navigation"]["target_link_uri"] == f"{base}/lti/launch"
    assert placements["course_navigation"]["default"] == "disabled"


def test_canvas_config_follows_base_url(app_config, database_url):
    app = create_app(
        dict(
            app_config,
            ENV="production",
            BASE_URL="https://peerpath.example.com/",
            DEVLMS_ENABLED=False,
        )
    )
    config = app.test_client().get("/lti/config.json").get_json()
    with app.app_context():
        db.engine.dispose()
    assert config["oidc_initiation_url"] == "https://peerpath.example.com/lti/login"
    assert config["extensions"][0]["domain"] == "peerpath.example.com"
