"""The dev LMS's pages and LTI endpoints: courses, launches, OIDC auth, JWKS, deep-link return.

Validation messages name the failed check, as a real platform's error page would.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from . import deep_linking, keys, tokens, urls
from .gradebook import gradebook
from .models import INSTRUCTOR, Course, DevTool, Enrolment, Person, ResourceLink, db

bp = Blueprint("devlms", __name__)

HINT_SALT = "devlms-lti-message-hint"
STORAGE_TARGET = "post_message_forwarding"


class AuthError(ValueError):
    """An authorization request was refused; the message says which check failed."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _error(message: str, status: int = 400, title: str = "Request refused") -> tuple[str, int]:
    return render_template("devlms/error.html", title=title, message=message), status


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def platform_info() -> dict[str, str]:
    """The tool_platform claim; the guid is stable per issuer."""
    return {
        "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, urls.issuer())),
        "name": current_app.config["PLATFORM_NAME"],
        "product_family_code": "peerpath-devlms",
        "version": current_app.config["PLATFORM_VERSION"],
    }


def allowed_storage_origins() -> list[str]:
    """Origins that may use Platform Storage: where registered tools log in and launch."""
    origins: set[str] = set()
    for tool in db.session.scalars(select(DevTool).where(DevTool.status == "active")):
        origins.add(origin_of(tool.login_url))
        origins.add(origin_of(tool.launch_url))
    return sorted(origins)


def _tool_by_client_id(client_id: str) -> DevTool | None:
    return db.session.scalars(select(DevTool).where(DevTool.client_id == client_id)).first()


def _course_or_404(course_id: str) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def _enrolment(course_id: str, person_id: str) -> Enrolment | None:
    return db.session.scalars(
        select(Enrolment).where(Enrolment.course_id == course_id, Enrolment.person_id == person_id)
    ).first()


def _active_tools() -> list[DevTool]:
    return list(
        db.session.scalars(select(DevTool).where(DevTool.status == "active").order_by(DevTool.id))
    )


def _members(course: Course) -> tuple[list[Person], list[Person]]:
    instructors, learners = [], []
    for e in sorted(course.enrolments, key=lambda e: e.person_id):
        (instructors if e.role == INSTRUCTOR else learners).append(e.person)
    return instructors, learners


# --- Pages ---------------------------------------------------------------------------


@bp.get("/")
def index():
    courses = list(db.session.scalars(select(Course).order_by(Course.title)))
    return render_template("devlms/index.html", courses=courses)


def _render_course(course: Course, frame: dict[str, Any] | None = None, status: int = 200):
    instructors, learners = _members(course)
    return (
        render_template(
            "devlms/course.html",
            course=course,
            links=course.links,
            tools=_active_tools(),
            instructors=instructors,
            learners=learners,
            frame=frame,
            platform_storage=current_app.config["PLATFORM_STORAGE"],
            allowed_origins=json.dumps(allowed_storage_origins()),
        ),
        status,
    )


@bp.get("/courses/<course_id>")
def course_page(course_id: str):
    return _render_course(_course_or_404(course_id))


@bp.get("/courses/<course_id>/gradebook")
def gradebook_page(course_id: str):
    """What the course's line items hold per learner: the scores tools sent through AGS."""
    course = _course_or_404(course_id)
    _instructors, learners = _members(course)
    return render_template("devlms/gradebook.html", course=course, book=gradebook(course, learners))


@bp.get("/courses/<course_id>/launch")
def launch_page(course_id: str):
    """The course page with the tool in an iframe (and the storage frame beside it)."""
    course = _course_or_404(course_id)
    user_id = request.args.get("user", "")
    enrolment = _enrolment(course.id, user_id)
    if enrolment is None:
        return _error(f"user {user_id!r} is not enrolled in this course")
    if request.args.get("deep_link") == "1":
        tool = _tool_by_client_id(request.args.get("tool", ""))
        if tool is None:
            return _error("unknown tool for deep linking")
        if enrolment.role != INSTRUCTOR:
            return _error("only instructors can add activities", status=403)
        src = url_for(
            "devlms.initiate", user=user_id, course=course.id, deep_link=1, tool=tool.client_id
        )
        title = f"Add an activity with {tool.name}"
    else:
        link = db.session.get(ResourceLink, request.args.get("link", ""))
        if link is None or link.course_id != course.id:
            return _error("unknown activity in this course")
        src = url_for("devlms.initiate", user=user_id, link=link.id)
        title = f"{link.title} (as {enrolment.person.name})"
    frame = {"src": src, "title": title, "person": enrolment.person}
    return _render_course(course, frame=frame)


# --- OIDC login initiation -----------------------------------------------------------


@bp.get("/lti/initiate")
def initiate():
    """Auto-submitting POST of the third-party login initiation to the tool's login URL."""
    user_id = request.args.get("user", "")
    hint: dict[str, Any] = {"user": user_id}
    if request.args.get("deep_link") == "1":
        course = _course_or_404(request.args.get("course", ""))
        tool = _tool_by_client_id(request.args.get("tool", ""))
        if tool is None:
            return _error("unknown tool")
        enrolment = _enrolment(course.id, user_id)
        if enrolment is None or enrolment.role != INSTRUCTOR:
            return _error("only instructors of this course can add activities", status=403)
        hint.update({"deep_link": True, "course": course.id, "tool": tool.client_id})
        target = tool.launch_url
    else:
        link = db.session.get(ResourceLink, request.args.get("link", ""))
        if link is None:
            return _error("unknown activity")
        if _enrolment(link.course_id, user_id) is None:
            return _error(f"user {user_id!r} is not enrolled in this course")
        tool = link.tool
        hint.update({"link": link.id, "course": link.course_id, "tool": tool.client_id})
        target = link.target_link_uri
    fields = {
        "iss": urls.issuer(),
        "login_hint": user_id,
        "target_link_uri": target,
        "lti_message_hint": _serializer(HINT_SALT).dumps(hint),
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
    }
    if current_app.config["PLATFORM_STORAGE"]:
        fields["lti_storage_target"] = STORAGE_TARGET
    return render_template(
        "devlms/autopost.html",
        action=tool.login_url,
        fields=fields,
        heading=f"Opening {tool.name}",
        button="Continue to the tool",
    )


# --- OIDC authorization endpoint -----------------------------------------------------


def _check_auth_request(params: dict[str, str]) -> tuple[DevTool, dict[str, Any]]:
    client_id = params.get("client_id", "")
    tool = _tool_by_client_id(client_id)
    if tool is None or tool.status != "active":
        raise AuthError(f"client_id {client_id!r} is not a registered tool")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in tool.redirect_uris:
        raise AuthError(f"redirect_uri {redirect_uri!r} is not registered for this tool")
    if "openid" not in params.get("scope", "").split():
        raise AuthError("scope must be 'openid'")
    if params.get("response_type") != "id_token":
        raise AuthError("response_type must be 'id_token'")
    if params.get("response_mode") != "form_post":
        raise AuthError("response_mode must be 'form_post'")
    if params.get("prompt") != "none":
        raise AuthError("prompt must be 'none'")
    if not params.get("nonce"):
        raise AuthError("nonce is missing")
    if not params.get("state"):
        raise AuthError("state is missing")
    try:
        hint = _serializer(HINT_SALT).loads(
            params.get("lti_message_hint", ""), max_age=current_app.config["MESSAGE_HINT_MAX_AGE"]
        )
    except SignatureExpired as exc:
        raise AuthError(
            "lti_message_hint has expired: start the launch again from the course"
        ) from exc
    except BadSignature as exc:
        raise AuthError("lti_message_hint is missing or was not issued by this platform") from exc
    if hint.get("tool") != client_id:
        raise AuthError("lti_message_hint was issued for another tool")
    if params.get("login_hint") != hint.get("user"):
        raise AuthError("login_hint does not match the user named in lti_message_hint")
    return tool, hint


def _user_claims(person: Person) -> dict[str, str]:
    return {
        "sub": person.id,
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "locale": person.locale,
    }


def build_id_token_claims(tool: DevTool, hint: dict[str, Any], nonce: str) -> dict[str, Any]:
    """Claims for the launch the signed hint describes (resource link or deep linking)."""
    course = db.session.get(Course, hint.get("course", ""))
    if course is None:
        raise AuthError("the course named in lti_message_hint no longer exists")
    enrolment = _enrolment(course.id, hint["user"])
    if enrolment is None:
        raise AuthError("the user is not enrolled in the course")
    common = {
        "issuer": urls.issuer(),
        "client_id": tool.client_id,
        "deployment_id": tool.deployment_id,
        "nonce": nonce,
        "user": _user_claims(enrolment.person),
        "roles": tokens.roles_for(enrolment.role),
        "context": {"id": course.id, "label": course.label, "title": course.title},
        "platform": platform_info(),
        "return_url": urls.course_url(course.id),
        "lineitems_url": urls.lineitems_url(course.id),
        "memberships_url": urls.memberships_url(course.id),
        "lifetime": current_app.config["ID_TOKEN_LIFETIME"],
    }
    if hint.get("deep_link"):
        if enrolment.role != INSTRUCTOR:
            raise AuthError("only instructors can add activities")
        data = deep_linking.issue_data(course.id, tool.client_id, enrolment.person_id)
        return tokens.build_deep_linking_claims(
            target_link_uri=tool.launch_url,
            deep_link_return_url=urls.deep_link_return_url(),
            data=data,
            title=f"Add an activity to {course.title}",
            **common,
        )
    link = db.session.get(ResourceLink, hint.get("link", ""))
    if link is None or link.course_id != course.id or link.tool_id != tool.id:
        raise AuthError("the activity named in lti_message_hint no longer exists")
    item = link.line_item
    return tokens.build_launch_claims(
        resource_link={"id": link.id, "title": link.title, "description": link.description},
        target_link_uri=link.target_link_uri,
        custom=link.custom,
        lineitem_url=urls.lineitem_url(course.id, item.id, tool.id) if item else None,
        **common,
    )


@bp.route("/lti/auth", methods=["GET", "POST"])
def auth():
    params = {k: v for k, v in request.values.items()}
    try:
        tool, hint = _check_auth_request(params)
        claims = build_id_token_claims(tool, hint, params["nonce"])
    except AuthError as exc:
        return _error(str(exc), title="Login refused by the platform")
    kid, private_key = keys.signing_key()
    id_token = tokens.sign(claims, private_key, kid)
    return render_template(
        "devlms/autopost.html",
        action=params["redirect_uri"],
        fields={"id_token": id_token, "state": params["state"]},
        heading=f"Signing you in to {tool.name}",
        button="Continue",
    )


# --- Keys and configuration ----------------------------------------------------------


@bp.get("/lti/certs")
def certs():
    return jsonify(keys.jwks())


@bp.get("/.well-known/openid-configuration")
def openid_configuration():
    """Platform configuration as LTI Dynamic Registration 1.0 defines it."""
    return jsonify(
        {
            "issuer": urls.issuer(),
            "authorization_endpoint": urls.auth_url(),
            "token_endpoint": urls.token_url(),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": urls.certs_url(),
            "registration_endpoint": urls.register_url(),
            "scopes_supported": ["openid", *tokens.AGS_SCOPES, tokens.NRPS_SCOPE],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [
                "iss",
                "aud",
                "sub",
                "iat",
                "exp",
                "nonce",
                "name",
                "given_name",
                "family_name",
                "email",
                "locale",
            ],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "peerpath-devlms",
                "version": current_app.config["PLATFORM_VERSION"],
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
                ],
                "variables": ["ResourceLink.id", "Context.id", "User.id", "Person.email.primary"],
            },
        }
    )


# --- Deep linking return -------------------------------------------------------------


@bp.post("/lti/deep-link-return")
def deep_link_return():
    """Verify the tool's LtiDeepLinkingResponse and place the returned links."""
    try:
        result = deep_linking.accept_response(request.form.get("JWT", ""))
    except deep_linking.DeepLinkError as exc:
        return _error(str(exc), title="Deep linking response refused")
    return render_template(
        "devlms/deep_link_done.html",
        course_url=url_for("devlms.course_page", course_id=result.course_id),
        created=result.links,
        msg=result.msg,
        errormsg=result.errormsg,
    )


# --- Platform Storage ----------------------------------------------------------------


@bp.get("/platform-storage")
def platform_storage():
    """The post_message_forwarding frame: answers lti.put_data / lti.get_data for tools."""
    if not current_app.config["PLATFORM_STORAGE"]:
        abort(404)
    return render_template(
        "devlms/platform_storage.html", allowed_origins=json.dumps(allowed_storage_origins())
    )


# --- Dev-only JSON for tests ---------------------------------------------------------


@bp.get("/api/_dev/courses/<course_id>/links")
def dev_links(course_id: str) -> Response:
    course = _course_or_404(course_id)
    out = []
    for link in course.links:
        item = link.line_item
        out.append(
            {
                "id": link.id,
                "title": link.title,
                "description": link.description,
                "url": link.url,
                "target_link_uri": link.target_link_uri,
                "custom": link.custom,
                "tool": link.tool.client_id,
                "line_item": None
                if item is None
                else {
                    "id": item.id,
                    "url": urls.lineitem_url(course.id, item.id, item.tool_id),
                    "label": item.label,
                    "score_maximum": item.score_maximum,
                    "resource_id": item.resource_id,
                    "tag": item.tag,
                },
            }
        )
    return jsonify(out)


def launch_url_for(course_id: str, link_id: str, user_id: str) -> str:
    """Absolute URL of the course page launching link as user (for docs and tests)."""
    query = urlencode({"link": link_id, "user": user_id})
    return f"{urls.issuer()}/courses/{course_id}/launch?{query}"
