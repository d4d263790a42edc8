"""The dev LMS service endpoints: OAuth2 token, AGS 2.0, NRPS 2.0, dynamic registration.

Behaves like Moodle 4.x where platforms differ; rules live in `oauth`, `ags` and `nrps`.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from . import ags, faults, nrps, oauth, urls
from .api_models import (
    AccessToken,
    ApiCounter,
    CurrentResult,
    PageToken,
    RegistrationToken,
    Score,
    UsedAssertion,
    aware,
)
from .models import Course, DevTool, Enrolment, LineItem, Person, ResourceLink, db, utcnow

bp = Blueprint("devlms_api", __name__)

COUNTERS = (
    "token_requests",
    "tokens_issued",
    "lineitem_requests",
    "score_posts",
    "scores_accepted",
    "result_requests",
    "membership_requests",
    "registrations",
)
PAGE_TOKEN_SECONDS = 3600
REGISTRATION_TOKEN_SECONDS = 3600

# Seam for fault injection: every service view is tagged with its kind here, so a later
# `bp.before_request` hook can answer 500/503/429, hang or reject tokens for the next N
# calls of one kind (`ENDPOINT_KINDS.get(request.endpoint)`) without touching the views.
ENDPOINT_KINDS: dict[str, str] = {}


def _kind(kind: str) -> Callable:
    def mark(view: Callable) -> Callable:
        ENDPOINT_KINDS[f"{bp.name}.{view.__name__}"] = kind
        return view

    return mark


# Faults on demand (500/503/429/401, hang, drop) for the next N calls of one kind, and the
# /api/_dev/faults control endpoints; state in this database so every worker agrees.
faults.install(bp, ENDPOINT_KINDS)


class ApiError(Exception):
    """An error answered as JSON `{"error", "error_description"}` with optional headers."""

    def __init__(self, status: int, error: str, description: str, headers: dict | None = None):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    response = jsonify({"error": exc.error, "error_description": exc.description})
    response.status_code = exc.status
    response.headers.update(exc.headers)
    return response


@bp.errorhandler(oauth.OAuthError)
def _oauth_error(exc: oauth.OAuthError) -> Response:
    response = jsonify(exc.as_json())
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ags.AGSError)
def _ags_error(exc: ags.AGSError) -> Response:
    return _api_error(
        ApiError(exc.status, "invalid_request" if exc.status == 400 else "conflict", exc.message)
    )


@bp.record_once
def _setup(state: Any) -> None:
    # Create this module's tables whatever the factory's import order was; create_all is
    # idempotent. The JWKS cache lives on the app so two dev LMS apps never share keys.
    app: Flask = state.app
    app.extensions["devlms_api"] = {
        "jwks": oauth.JWKSCache(float(app.config.get("JWKS_MIN_REFETCH_SECONDS", 1.0)))
    }
    with app.app_context():
        db.create_all()
        existing = set(db.session.scalars(select(ApiCounter.name)))
        for name in COUNTERS:
            if name not in existing:
                db.session.add(ApiCounter(name=name, value=0))
        db.session.commit()


def jwks_cache(app: Flask | None = None) -> oauth.JWKSCache:
    """The app's cache of tool JWKS (tests read `fetch_count`)."""
    return (app or current_app).extensions["devlms_api"]["jwks"]


def _count(name: str) -> None:
    # Its own commit: a request that fails later must still be counted.
    db.session.execute(
        update(ApiCounter).where(ApiCounter.name == name).values(value=ApiCounter.value + 1)
    )
    db.session.commit()


def _json(body: Any, media_type: str, status: int = 200, headers: dict | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.mimetype = media_type
    response.headers.update(headers or {})
    return response


def _not_found(description: str) -> NoReturn:
    raise ApiError(404, "not_found", description)


# --- OAuth2 token endpoint (client_credentials + RFC 7523 private_key_jwt) ---


def _lookup_client(client_id: str) -> oauth.ClientInfo | None:
    tool = db.session.scalars(select(DevTool).where(DevTool.client_id == client_id)).first()
    if tool is None:
        return None
    if tool.status != "active":
        raise oauth.OAuthError(
            "invalid_client",
            f"client_id '{client_id}' is {tool.status}: an admin must activate it",
            401,
        )
    return oauth.ClientInfo(
        client_id=tool.client_id,
        jwks_url=tool.jwks_url,
        granted_scopes=frozenset(tool.scopes or []) & oauth.SUPPORTED_SCOPES,
    )


def _consume_jti(client_id: str, claims: dict[str, Any]) -> None:
    expires = datetime.fromtimestamp(claims["exp"], tz=UTC)
    # Rows past their assertion's exp (plus leeway) can never match a live replay: drop them
    # in the same commit so a long benchmark does not grow the table without bound.
    horizon = utcnow() - timedelta(seconds=oauth.CLOCK_LEEWAY_SECONDS + 60)
    db.session.execute(
        delete(UsedAssertion)
        .where(UsedAssertion.expires_at < horizon)
        .execution_options(synchronize_session=False)
    )
    db.session.add(UsedAssertion(client_id=client_id, jti=claims["jti"], expires_at=expires))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise oauth.OAuthError(
            "invalid_client", "client_assertion jti has already been used", 401
        ) from exc


@bp.post("/lti/token")
@_kind("token")
def token() -> Response:
    _count("token_requests")
    form = request.form
    if form.get("grant_type") != "client_credentials":
        raise oauth.OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != oauth.CLIENT_ASSERTION_TYPE:
        raise oauth.OAuthError(
            "invalid_request", f"client_assertion_type must be {oauth.CLIENT_ASSERTION_TYPE}"
        )
    requested = oauth.parse_scopes(form.get("scope"))
    client, claims = oauth.verify_client_assertion(
        form.get("client_assertion", ""),
        lookup_client=_lookup_client,
        audiences=[urls.token_url(), urls.issuer()],
        jwks=jwks_cache(),
    )
    _consume_jti(client.client_id, claims)
    oauth.check_scopes(requested, client.granted_scopes)
    tool = db.session.scalars(select(DevTool).where(DevTool.client_id == client.client_id)).one()
    access_token = oauth.new_access_token()
    # Keep a day of expired tokens (a 401 says "expired", not "unknown"), then drop them.
    db.session.execute(
        delete(AccessToken)
        .where(AccessToken.expires_at < utcnow() - timedelta(days=1))
        .execution_options(synchronize_session=False)
    )
    db.session.add(
        AccessToken(
            token_hash=oauth.hash_token(access_token),
            tool_id=tool.id,
            scopes=requested,
            expires_at=utcnow() + timedelta(seconds=oauth.ACCESS_TOKEN_SECONDS),
        )
    )
    db.session.commit()
    _count("tokens_issued")
    response = jsonify(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": oauth.ACCESS_TOKEN_SECONDS,
            "scope": " ".join(requested),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# --- Bearer tokens on the service endpoints (RFC 6750) ---


@dataclass(frozen=True)
class Caller:
    tool_id: int
    scopes: frozenset[str]


def _require_scope(*accepted: str) -> Caller:
    """The calling tool, or 401 (no/bad/expired token) / 403 (token lacks every accepted scope)."""
    realm = f'Bearer realm="{urls.issuer()}"'
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise ApiError(
            401, "invalid_token", "a Bearer access token is required", {"WWW-Authenticate": realm}
        )
    row = db.session.scalars(
        select(AccessToken).where(AccessToken.token_hash == oauth.hash_token(header[7:].strip()))
    ).first()
    if row is None or aware(row.expires_at) <= utcnow():
        why = "the access token is unknown" if row is None else "the access token has expired"
        raise ApiError(
            401,
            "invalid_token",
            why,
            {"WWW-Authenticate": f'{realm}, error="invalid_token", error_description="{why}"'},
        )
    scopes = frozenset(row.scopes or [])
    if not scopes & set(accepted):
        needed = " ".join(accepted)
        raise ApiError(
            403,
            "insufficient_scope",
            f"this endpoint needs one of the scopes: {needed}",
            {"WWW-Authenticate": f'{realm}, error="insufficient_scope", scope="{needed}"'},
        )
    caller = Caller(tool_id=row.tool_id, scopes=scopes)
    g.devlms_caller = caller
    return caller


def _course(course_id: str) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        _not_found(f"course '{course_id}' does not exist")
    return course


# --- Paging with case-sensitive server-side page tokens ---


def _limit(default: int | None) -> int | None:
    try:
        return nrps.parse_limit(request.args.get("limit"), default or 0) or None
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "limit must be a positive integer") from exc


def _paginate(
    stmt: Any, *, key: str, base_url: str, params: dict[str, Any], default_limit: int | None
):
    """Rows of `stmt` for this page and the `Link` header value (or None) for the next one."""
    limit = _limit(default_limit)
    offset = 0
    page = request.args.get("page")
    if page is not None:
        # SQLite (BINARY collation) and PostgreSQL compare text case-sensitively.
        row = db.session.scalars(select(PageToken).where(PageToken.token == page)).first()
        if row is None or row.key != key or aware(row.expires_at) <= utcnow():
            _not_found(
                f"page '{page}' is unknown or expired: follow the Link rel=\"next\" URL verbatim"
            )
        offset = row.offset
    stmt = stmt.offset(offset)
    if limit is None:
        return list(db.session.scalars(stmt)), None
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    token_value = nrps.new_page_token()
    db.session.execute(
        delete(PageToken)
        .where(PageToken.expires_at < utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.add(
        PageToken(
            token=token_value,
            key=key,
            offset=offset + limit,
            expires_at=utcnow() + timedelta(seconds=PAGE_TOKEN_SECONDS),
        )
    )
    db.session.commit()
    query = {k: v for k, v in params.items() if v is not None}
    query.update({"page": token_value, "limit": limit})
    return rows[:limit], f'<{base_url}?{urlencode(query)}>; rel="next"'


def _listing_key(tool_id: int, path: str, params: dict[str, Any]) -> str:
    filters = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v is not None)
    return f"{tool_id}|{path}|{filters}"


# --- AGS: line items ---


def _lineitem_json(item: LineItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": urls.lineitem_url(item.course_id, item.id, item.tool_id),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
    }
    optional = {
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": item.resource_link_id,
        "startDateTime": item.start_date_time,
        "endDateTime": item.end_date_time,
    }
    body.update({k: v for k, v in optional.items() if v})
    return body


def _check_resource_link(course_id: str, tool_id: int, link_id: str | None) -> None:
    if link_id is None:
        return
    link = db.session.get(ResourceLink, link_id)
    if link is None or link.course_id != course_id or link.tool_id != tool_id:
        raise ApiError(
            400,
            "invalid_request",
            f"resourceLinkId '{link_id}' is not a link to this tool in course '{course_id}'",
        )


def _apply_lineitem(item: LineItem, data: ags.LineItemInput) -> None:
    item.label = data.label
    item.score_maximum = data.score_maximum
    item.resource_id = data.resource_id or ""
    item.tag = data.tag or ""
    item.start_date_time = ags.isoformat(data.start_date_time)
    item.end_date_time = ags.isoformat(data.end_date_time)


def _json_body() -> Any:
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise ApiError(400, "invalid_request", "the body must be JSON")
    return body


@bp.route("/api/courses/<course_id>/lineitems", methods=["GET", "POST"])
@_kind("ags")
def lineitems(course_id: str) -> Response:
    _count("lineitem_requests")
    if request.method == "POST":
        caller = _require_scope(oauth.SCOPE_LINEITEM)
        _course(course_id)
        data = ags.validate_lineitem(_json_body())
        _check_resource_link(course_id, caller.tool_id, data.resource_link_id)
        item = LineItem(
            course_id=course_id, tool_id=caller.tool_id, resource_link_id=data.resource_link_id
        )
        _apply_lineitem(item, data)
        db.session.add(item)
        db.session.commit()
        body = _lineitem_json(item)
        return _json(body, ags.LINEITEM_MEDIA_TYPE, 201, {"Location": body["id"]})

    caller = _require_scope(oauth.SCOPE_LINEITEM, oauth.SCOPE_LINEITEM_READONLY)
    _course(course_id)
    filters = {
        "resource_link_id": request.args.get("resource_link_id"),
        "resource_id": request.args.get("resource_id"),
        "tag": request.args.get("tag"),
    }
    stmt = select(LineItem).where(
        LineItem.course_id == course_id, LineItem.tool_id == caller.tool_id
    )
    if filters["resource_link_id"] is not None:
        stmt = stmt.where(LineItem.resource_link_id == filters["resource_link_id"])
    if filters["resource_id"] is not None:
        stmt = stmt.where(LineItem.resource_id == filters["resource_id"])
    if filters["tag"] is not None:
        stmt = stmt.where(LineItem.tag == filters["tag"])
    base = urls.lineitems_url(course_id)
    items, link = _paginate(
        stmt.order_by(LineItem.id),
        key=_listing_key(caller.tool_id, base, filters),
        base_url=base,
        params=filters,
        default_limit=None,
    )
    return _json(
        [_lineitem_json(i) for i in items],
        ags.LINEITEM_CONTAINER_MEDIA_TYPE,
        headers={"Link": link} if link else None,
    )


def _lineitem_for(caller: Caller, course_id: str, lineitem_id: int) -> LineItem:
    """The caller's line item, checking the Moodle-style `type_id` query parameter."""
    type_id = request.args.get("type_id")
    if type_id is None:
        raise ApiError(
            400, "invalid_request", "type_id is required: keep the line item URL's query string"
        )
    if not type_id.isdigit():
        raise ApiError(
            400,
            "invalid_request",
            f"type_id '{type_id}' is not a tool id: insert '/scores' or '/results' before the query string",
        )
    if int(type_id) != caller.tool_id:
        raise ApiError(
            403, "forbidden", f"type_id {type_id} is not the tool this access token belongs to"
        )
    _course(course_id)
    item = db.session.get(LineItem, lineitem_id)
    if item is None or item.course_id != course_id or item.tool_id != caller.tool_id:
        _not_found(f"line item {lineitem_id} does not exist in course '{course_id}'")
    return item


@bp.route(
    "/api/courses/<course_id>/lineitems/<int:lineitem_id>/lineitem",
    methods=["GET", "PUT", "DELETE", "POST"],
)
@_kind("ags")
def lineitem(course_id: str, lineitem_id: int) -> Response:
    _count("lineitem_requests")
    if request.method == "POST":
        # Nobody POSTs to a line item; a tool that appended /scores after the query
        # string lands here, so say what went wrong rather than a bare 405.
        raise ApiError(
            405,
            "method_not_allowed",
            "POST a score to the line item URL with '/scores' inserted before its query string",
            {"Allow": "GET, PUT, DELETE"},
        )
    if request.method == "GET":
        caller = _require_scope(oauth.SCOPE_LINEITEM, oauth.SCOPE_LINEITEM_READONLY)
        return _json(
            _lineitem_json(_lineitem_for(caller, course_id, lineitem_id)), ags.LINEITEM_MEDIA_TYPE
        )
    caller = _require_scope(oauth.SCOPE_LINEITEM)
    item = _lineitem_for(caller, course_id, lineitem_id)
    if request.method == "DELETE":
        # Explicit deletes: SQLite does not enforce ON DELETE CASCADE without a pragma.
        db.session.execute(delete(CurrentResult).where(CurrentResult.line_item_id == item.id))
        db.session.execute(delete(Score).where(Score.line_item_id == item.id))
        db.session.delete(item)
        db.session.commit()
        return Response(status=204)
    data = ags.validate_lineitem(_json_body())
    # resourceLinkId binds a column to an activity; like Canvas, a PUT cannot move it.
    _apply_lineitem(item, data)
    db.session.commit()
    return _json(_lineitem_json(item), ags.LINEITEM_MEDIA_TYPE)


# --- AGS: scores and results ---


def _superseded(new: datetime, stored: datetime | None) -> NoReturn:
    raise ApiError(
        409,
        "conflict",
        f"timestamp {ags.isoformat(new)} is not later than the stored score's "
        f"{ags.isoformat(stored)} (compared in whole seconds): the score is superseded",
    )


def _is_gradable(course_id: str, user_id: str) -> bool:
    enrolment = db.session.scalars(
        select(Enrolment).where(Enrolment.course_id == course_id, Enrolment.person_id == user_id)
    ).first()
    return (
        enrolment is not None and enrolment.status == "Active" and nrps.is_learner([enrolment.role])
    )


@bp.post("/api/courses/<course_id>/lineitems/<int:lineitem_id>/lineitem/scores")
@_kind("ags")
def scores(course_id: str, lineitem_id: int) -> Response:
    _count("score_posts")
    caller = _require_scope(oauth.SCOPE_SCORE)
    item = _lineitem_for(caller, course_id, lineitem_id)
    if request.mimetype not in (ags.SCORE_MEDIA_TYPE, "application/json"):
        raise ApiError(415, "unsupported_media_type", f"send the score as {ags.SCORE_MEDIA_TYPE}")
    data = ags.validate_score(_json_body())
    if not _is_gradable(course_id, data.user_id):
        raise ApiError(
            400,
            "invalid_request",
            f"user is not gradable: '{data.user_id}' is not a learner in course '{course_id}'",
        )
    seconds = math.floor(data.timestamp.timestamp())
    # Two passes at most: if a racing request inserts this user's first result between our
    # read and our insert, the second pass takes the conditional-update path instead.
    for _attempt in range(2):
        current = db.session.scalars(
            select(CurrentResult).where(
                CurrentResult.line_item_id == item.id, CurrentResult.user_id == data.user_id
            )
        ).first()
        if current is not None and not ags.is_later(data.timestamp, aware(current.timestamp)):
            _superseded(data.timestamp, aware(current.timestamp))
        score = Score(
            line_item_id=item.id,
            user_id=data.user_id,
            tool_id=caller.tool_id,
            timestamp=data.timestamp,
            activity_progress=data.activity_progress,
            grading_progress=data.grading_progress,
            score_given=data.score_given,
            score_given_sent=data.score_given_sent,
            score_maximum=data.score_maximum,
            comment=data.comment,
        )
        db.session.add(score)
        db.session.flush()
        values = {
            "score_id": score.id,
            "timestamp": data.timestamp,
            "timestamp_seconds": seconds,
            "activity_progress": data.activity_progress,
            "grading_progress": data.grading_progress,
            "score_given": data.score_given,
            "score_maximum": data.score_maximum,
            "comment": data.comment,
        }
        if current is None:
            db.session.add(CurrentResult(line_item_id=item.id, user_id=data.user_id, **values))
            try:
                db.session.commit()
                break
            except IntegrityError:
                db.session.rollback()
                continue
        stored = db.session.execute(
            update(CurrentResult)
            .where(CurrentResult.id == current.id, CurrentResult.timestamp_seconds < seconds)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if stored.rowcount != 1:
            # A later score for this user committed since we read it: ours is superseded.
            db.session.rollback()
            raise ApiError(409, "conflict", "a later score for this user was stored concurrently")
        db.session.commit()
        break
    else:
        raise ApiError(409, "conflict", "a concurrent score for this user was stored first")
    _count("scores_accepted")
    return Response(status=200)


def _result_json(item: LineItem, result: CurrentResult) -> dict[str, Any]:
    base = f"{urls.issuer()}/api/courses/{item.course_id}/lineitems/{item.id}/lineitem/results"
    body: dict[str, Any] = {
        "id": f"{base}?{urlencode({'type_id': item.tool_id, 'user_id': result.user_id})}",
        "scoreOf": urls.lineitem_url(item.course_id, item.id, item.tool_id),
        "userId": result.user_id,
        "resultMaximum": item.score_maximum,
    }
    scaled = ags.scaled_result(result.score_given, result.score_maximum, item.score_maximum)
    if scaled is not None:
        body["resultScore"] = scaled
    if result.comment:
        body["comment"] = result.comment
    body["timestamp"] = ags.isoformat(aware(result.timestamp))
    return body


@bp.get("/api/courses/<course_id>/lineitems/<int:lineitem_id>/lineitem/results")
@_kind("ags")
def results(course_id: str, lineitem_id: int) -> Response:
    _count("result_requests")
    caller = _require_scope(oauth.SCOPE_RESULT_READONLY)
    item = _lineitem_for(caller, course_id, lineitem_id)
    params = {"type_id": str(item.tool_id), "user_id": request.args.get("user_id")}
    stmt = select(CurrentResult).where(CurrentResult.line_item_id == item.id)
    if params["user_id"] is not None:
        stmt = stmt.where(CurrentResult.user_id == params["user_id"])
    base = f"{urls.issuer()}/api/courses/{course_id}/lineitems/{item.id}/lineitem/results"
    rows, link = _paginate(
        stmt.order_by(CurrentResult.id),
        key=_listing_key(caller.tool_id, base, params),
        base_url=base,
        params=params,
        default_limit=None,
    )
    return _json(
        [_result_json(item, r) for r in rows],
        ags.RESULT_CONTAINER_MEDIA_TYPE,
        headers={"Link": link} if link else None,
    )


# --- NRPS 2.0 ---


def _member_json(enrolment: Enrolment, person: Person) -> dict[str, Any]:
    return {
        "status": enrolment.status or "Active",
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "user_id": person.id,
        "roles": [nrps.full_role(enrolment.role)],
    }


@bp.get("/api/courses/<course_id>/memberships")
@_kind("nrps")
def memberships(course_id: str) -> Response:
    _count("membership_requests")
    caller = _require_scope(oauth.SCOPE_NRPS)
    course = _course(course_id)
    role = request.args.get("role")
    stmt = select(Enrolment).where(Enrolment.course_id == course_id)
    if role:
        # Stored roles are few; match them in Python so SQL paging offsets stay exact.
        stored = db.session.scalars(
            select(Enrolment.role).where(Enrolment.course_id == course_id).distinct()
        )
        stmt = stmt.where(Enrolment.role.in_([r for r in stored if nrps.role_matches(role, [r])]))
    base = urls.memberships_url(course_id)
    params = {"role": role}
    rows, link = _paginate(
        stmt.order_by(Enrolment.id),
        key=_listing_key(caller.tool_id, base, params),
        base_url=base,
        params=params,
        default_limit=None,
    )
    body = {
        "id": base,
        "context": {"id": course.id, "label": course.label, "title": course.title},
        "members": [_member_json(e, e.person) for e in rows],
    }
    return _json(
        body, nrps.MEMBERSHIP_CONTAINER_MEDIA_TYPE, headers={"Link": link} if link else None
    )


# --- LTI Dynamic Registration 1.0 ---


def issue_registration_token(app: Flask, ttl_seconds: int = REGISTRATION_TOKEN_SECONDS) -> str:
    """Mint a single-use registration token for POST /lti/register (the admin page shows it)."""
    value = secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(
            RegistrationToken(
                token_hash=oauth.hash_token(value),
                expires_at=utcnow() + timedelta(seconds=ttl_seconds),
            )
        )
        db.session.commit()
    return value


@bp.post("/lti/register")
@_kind("register")
def register() -> Response:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise ApiError(
            401,
            "missing_registration_token",
            "Authorization: Bearer <registration_token> is required",
        )
    token_hash = oauth.hash_token(header[7:].strip())
    row = db.session.scalars(
        select(RegistrationToken).where(RegistrationToken.token_hash == token_hash)
    ).first()
    if row is None or aware(row.expires_at) <= utcnow():
        raise ApiError(
            401, "invalid_registration_token", "the registration token is unknown or expired"
        )
    if row.used_at is not None:
        raise ApiError(401, "token_already_used", "the registration token has already been used")
    payload = request.get_json(force=True, silent=True)
    try:
        requested = oauth.validate_registration(payload)
    except oauth.RegistrationError as exc:
        return _json(exc.as_json(), "application/json", 400)

    # Consume the token with a conditional UPDATE so two racing registrations cannot both win.
    consumed = db.session.execute(
        update(RegistrationToken)
        .where(RegistrationToken.id == row.id, RegistrationToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if consumed.rowcount != 1:
        db.session.rollback()
        raise ApiError(401, "token_already_used", "the registration token has already been used")
    config = payload[oauth.TOOL_CONFIGURATION]
    granted = [s for s in requested if s in oauth.SUPPORTED_SCOPES]
    tool = DevTool(
        client_id=secrets.token_hex(12),
        name=payload["client_name"].strip(),
        login_url=payload["initiate_login_uri"],
        launch_url=config["target_link_uri"],
        redirect_uris=list(payload["redirect_uris"]),
        jwks_url=payload["jwks_uri"],
        deployment_id=f"dr-{secrets.token_hex(6)}",
        scopes=granted,
        registration=payload,
        # Moodle leaves a dynamically registered tool "pending" until an admin activates it.
        status=current_app.config.get("DYNAMIC_REGISTRATION_STATUS", "active"),
    )
    db.session.add(tool)
    db.session.flush()
    row.tool_id = tool.id
    db.session.commit()
    _count("registrations")

    answer = dict(payload)
    answer["client_id"] = tool.client_id
    answer["scope"] = " ".join(granted)
    answer[oauth.TOOL_CONFIGURATION] = {**config, "deployment_id": tool.deployment_id}
    return _json(answer, "application/json")


# --- Dev-only read-outs for tests and the benchmark (no auth: never in production) ---


@bp.get("/api/_dev/stats")
def stats() -> Response:
    counters = {c.name: c.value for c in db.session.scalars(select(ApiCounter))}
    counters["access_tokens_live"] = db.session.scalar(
        select(func.count(AccessToken.id)).where(AccessToken.expires_at > utcnow())
    )
    return jsonify(counters)


@bp.post("/api/_dev/stats/reset")
def reset_stats() -> Response:
    db.session.execute(update(ApiCounter).values(value=0))
    db.session.commit()
    return stats()


@bp.get("/api/_dev/courses/<course_id>/gradebook")
def gradebook(course_id: str) -> Response:
    """Current score per line item per user, plus the history length, for comparisons."""
    _course(course_id)
    items = db.session.scalars(
        select(LineItem).where(LineItem.course_id == course_id).order_by(LineItem.id)
    )
    columns = []
    for item in items:
        results = {}
        for r in db.session.scalars(
            select(CurrentResult).where(CurrentResult.line_item_id == item.id)
        ):
            results[r.user_id] = {
                "scoreGiven": r.score_given,
                "scoreMaximum": r.score_maximum,
                "resultScore": ags.scaled_result(
                    r.score_given, r.score_maximum, item.score_maximum
                ),
                "activityProgress": r.activity_progress,
                "gradingProgress": r.grading_progress,
                "comment": r.comment,
                "timestamp": ags.isoformat(aware(r.timestamp)),
            }
        history = db.session.scalar(
            select(func.count(Score.id)).where(Score.line_item_id == item.id)
        )
        columns.append(
            {
                **_lineitem_json(item),
                "lineitem_id": item.id,
                "tool_id": item.tool_id,
                "results": results,
                "score_history": history,
            }
        )
    return jsonify({"course_id": course_id, "line_items": columns})


@bp.get("/api/_dev/courses/<course_id>/lineitems/<int:lineitem_id>/scores")
def score_history(course_id: str, lineitem_id: int) -> Response:
    """Every accepted score for one line item, oldest first (dev only)."""
    item = db.session.get(LineItem, lineitem_id)
    if item is None or item.course_id != course_id:
        _not_found(f"line item {lineitem_id} does not exist in course '{course_id}'")
    rows = db.session.scalars(select(Score).where(Score.line_item_id == item.id).order_by(Score.id))
    return jsonify(
        [
            {
                "userId": s.user_id,
                "timestamp": ags.isoformat(aware(s.timestamp)),
                "activityProgress": s.activity_progress,
                "gradingProgress": s.grading_progress,
                "scoreGiven": s.score_given,
                "scoreGivenSent": s.score_given_sent,
                "scoreMaximum": s.score_maximum,
                "comment": s.comment,
            }
            for s in rows
        ]
    )


__all__ = ["ENDPOINT_KINDS", "bp", "issue_registration_token", "jwks_cache"]
