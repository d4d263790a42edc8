"""LTI Dynamic Registration (/lti/register) and the Canvas developer-key JSON (/lti/config.json).

Thin views over lti/registration.py; every failure is a 4xx page an LMS admin can act on.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext as _

from . import registration
from .registration import RegistrationError

bp = Blueprint("lti_registration", __name__, url_prefix="/lti")


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _failure(error: RegistrationError) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(error="registration_failed", message=error.message), error.status
    return render_template(
        "lti/register_error.html", message=error.message, status=error.status
    ), error.status


def _params(source) -> tuple[str, str | None, str | None]:
    config_url = (source.get("openid_configuration") or "").strip()
    return config_url, source.get("registration_token") or None, source.get("invite") or None


@bp.get("/register")
def register_start():
    """The URL an LMS opens (iframe or popup) to start dynamic registration."""
    config_url, registration_token, invite_token = _params(request.args)
    if not config_url:
        message = (
            _(
                "This is a PeerPath registration invite. Paste this whole address into your LMS "
                "where it asks for a tool registration URL (Moodle: Site administration → Plugins → "
                "External tool → Manage tools → Tool URL; Canvas: Developer Keys → LTI Registration). "
                "The LMS adds what PeerPath needs and opens it again."
            )
            if invite_token
            else _(
                "This address is meant to be opened by an LMS during LTI Dynamic Registration; it "
                "needs the openid_configuration parameter the LMS adds. Paste the registration URL "
                "into your LMS instead of opening it in a browser."
            )
        )
        return _failure(RegistrationError(message, 400))
    try:
        registration.authorize(config_url, invite_token)
        config = registration.fetch_configuration(config_url, registration_token)
        if not invite_token:
            registration.authorize_issuer(config)
    except RegistrationError as error:
        return _failure(error)

    signature = registration.sign_form(config_url, registration_token, invite_token)
    metadata = registration.client_metadata(config)
    scopes = metadata["scope"].split()
    if _wants_json():
        return jsonify(
            issuer=config.issuer,
            platform=config.display_name,
            product_family=config.product_family,
            scopes=scopes,
            signature=signature,
        )
    descriptions = registration.scope_descriptions()
    return render_template(
        "lti/register_confirm.html",
        config=config,
        scopes=[(scope, descriptions.get(scope, scope)) for scope in scopes],
        openid_configuration=config_url,
        registration_token=registration_token or "",
        invite=invite_token or "",
        signature=signature,
        tool_name=metadata["client_name"],
    )


@bp.post("/register")
def register_confirm():
    """The admin confirmed: register with the platform and store the result."""
    config_url, registration_token, invite_token = _params(request.form)
    try:
        registration.verify_form(
            request.form.get("signature", ""), config_url, registration_token, invite_token
        )
        invite = registration.authorize(config_url, invite_token)
        platform, config = registration.register(config_url, registration_token, invite)
    except RegistrationError as error:
        return _failure(error)
    if _wants_json():
        return jsonify(
            status="registered",
            issuer=platform.issuer,
            client_id=platform.client_id,
            deployment_ids=[d.deployment_id for d in platform.deployments],
            accept_new_deployments=platform.accept_new_deployments,
            scopes=platform.scopes.split(),
        )
    return render_template(
        "lti/register_done.html",
        platform=platform,
        config=config,
        deployment_ids=[d.deployment_id for d in platform.deployments],
    )


@bp.get("/config.json")
def canvas_config():
    """Canvas developer-key JSON: Developer Keys → + LTI Key → Method: Paste JSON or Enter URL."""
    response = jsonify(registration.canvas_developer_key())
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
