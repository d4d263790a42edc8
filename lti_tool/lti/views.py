"""HTTP endpoints of the LTI edge: login, launch, deep-linking picker, activity set-up, JWKS.

Views are thin: they parse the request, call login/launch/deep_linking, and render.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _

from ..activities import registry
from ..activities.registry import ActivityFormError, ActivityKind, ActivitySpec
from ..extensions import db
from ..models import LaunchSession, ResourceLink
from ..security import allow_form_action
from . import claims as c
from . import deep_linking, keys
from .errors import LaunchError
from .launch import BINDING_FIELD, STORAGE_TRIED_FIELD, NeedsPlatformStorage, complete_launch
from .login import origin_of, start_login
from .session import launch_required, launch_url

bp = Blueprint("lti", __name__, url_prefix="/lti")


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def launch_error_response(err: LaunchError):
    current_app.logger.warning(
        "LTI %s refused: check=%s issuer=%s: %s", request.path, err.check, err.issuer or "-", err.message
    )
    if wants_json():
        return jsonify(err.to_dict()), err.status
    return render_template("lti/error.html", error=err), err.status


@bp.route("/login", methods=["GET", "POST"])
def login():
    try:
        plan = start_login(request.values)
    except LaunchError as err:
        return launch_error_response(err)
    if plan.storage_target:
        response = current_app.make_response(render_template("lti/storage_login.html", plan=plan))
    else:
        response = redirect(plan.auth_url, 302)
    cfg = current_app.config
    response.set_cookie(
        plan.cookie_name,
        plan.binding_secret,
        max_age=cfg["OIDC_STATE_LIFETIME"],
        path="/lti/launch",
        secure=cfg["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite=cfg["SESSION_COOKIE_SAMESITE"],
        partitioned=cfg["SESSION_COOKIE_PARTITIONED"],
    )
    return response


@bp.post("/launch")
def launch():
    try:
        outcome = complete_launch(request.form, request.cookies)
    except LaunchError as err:
        db.session.rollback()
        return launch_error_response(err)
    if isinstance(outcome, NeedsPlatformStorage):
        return render_template(
            "lti/storage_launch.html",
            pending=outcome,
            binding_field=BINDING_FIELD,
            tried_field=STORAGE_TRIED_FIELD,
        )
    g.launch = outcome
    # POST -> redirect -> GET: a reload never re-posts the id_token.
    return redirect(landing_url(outcome), 303)


def landing_url(launch: LaunchSession) -> str:
    if launch.message_type == c.DEEP_LINKING_REQUEST:
        return launch_url("lti.deep_link")
    link = db.session.get(ResourceLink, launch.resource_link_id) if launch.resource_link_id else None
    if link is not None and link.activity is not None:
        return launch_url("activities.show", public_id=link.activity.public_id)
    return launch_url("lti.setup")


@bp.get("/jwks")
def jwks():
    response = jsonify(keys.public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _offered_kinds(launch: LaunchSession) -> list[ActivityKind]:
    return [k for k in registry.KINDS.values() if k.available(launch)]


def _spec_from_request(launch: LaunchSession) -> tuple[ActivityKind, ActivitySpec]:
    key = request.form.get("kind", "")
    kind = registry.get(key)
    if kind is None or not kind.available(launch):
        raise ActivityFormError(_("Choose one of the activity types listed."))
    prefix = f"{kind.key}-"
    fields = {k[len(prefix) :]: v for k, v in request.form.items() if k.startswith(prefix)}
    return kind, kind.spec_from_form(fields, launch)


def _picker(action_endpoint: str, error: str | None = None, status: int = 200):
    launch = g.launch
    return (
        render_template(
            "lti/picker.html",
            kinds=_offered_kinds(launch),
            action=launch_url(action_endpoint),
            chosen=request.form.get("kind"),
            error=error,
            deep_linking=launch.message_type == c.DEEP_LINKING_REQUEST,
        ),
        status,
    )


@bp.route("/deep-link", methods=["GET", "POST"])
@launch_required("instructor")
def deep_link():
    launch = g.launch
    if launch.message_type != c.DEEP_LINKING_REQUEST:
        return render_template(
            "error.html", message=_("This page only opens from your LMS's 'add an activity' picker.")
        ), 400
    if request.method == "GET":
        return _picker("lti.deep_link")
    try:
        kind, spec = _spec_from_request(launch)
        activity = deep_linking.create_activity(launch, kind, spec)
    except ActivityFormError as err:
        db.session.rollback()
        return _picker("lti.deep_link", error=str(err), status=400)
    token = deep_linking.response_jwt(launch, [deep_linking.content_item(activity, str(kind.description))])
    db.session.commit()
    return_url = launch.claims["deep_linking_settings"]["deep_link_return_url"]
    allow_form_action(origin_of(return_url))
    return render_template("lti/deep_link_return.html", return_url=return_url, jwt=token, activity=activity)


@bp.route("/setup", methods=["GET", "POST"])
@launch_required()
def setup():
    """A link placed without deep linking (e.g. by hand in Moodle): choose what it is once."""
    launch = g.launch
    link = db.session.get(ResourceLink, launch.resource_link_id) if launch.resource_link_id else None
    if link is None:
        return render_template("error.html", message=_("This page belongs to an activity launch.")), 400
    if link.activity is not None:
        return redirect(launch_url("activities.show", public_id=link.activity.public_id), 303)
    if not launch.is_instructor:
        return render_template("lti/not_ready.html", link=link)
    if request.method == "GET":
        return _picker("lti.setup")
    try:
        kind, spec = _spec_from_request(launch)
        link.activity = deep_linking.create_activity(launch, kind, spec)
    except ActivityFormError as err:
        db.session.rollback()
        return _picker("lti.setup", error=str(err), status=400)
    db.session.commit()
    return redirect(launch_url("activities.show", public_id=link.activity.public_id), 303)
