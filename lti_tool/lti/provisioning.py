"""Turn a validated launch into rows: user, context, membership, resource link, deployment.

Upserts are race-safe (INSERT ... ON CONFLICT DO NOTHING, then read) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Activity, Context, Deployment, Membership, ResourceLink, User
from ..models.base import utcnow
from . import claims as c
from .validation import ValidatedLaunch

NO_CONTEXT_ID = "__deployment__"
ACTIVITY_CUSTOM_PARAM = "peerpath_activity"
# last_launch_at is informational: refreshing it at most hourly saves a write per launch.
_LAST_LAUNCH_RESOLUTION = timedelta(hours=1)


def _insert_ignore(model, values: dict[str, Any], conflict: list[str]) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict))


# Statements built once: constructing a select() costs more than running it on SQLite.
_LOOKUPS: dict[tuple, Any] = {}


def _lookup_statement(model, names: tuple[str, ...]):
    statement = _LOOKUPS.get((model, names))
    if statement is None:
        statement = select(model).where(*(getattr(model, n) == bindparam(n) for n in names))
        _LOOKUPS[(model, names)] = statement
    return statement


def _get_or_create(model, keys: dict[str, Any], defaults: dict[str, Any]):
    statement = _lookup_statement(model, tuple(sorted(keys)))
    row = db.session.scalars(statement, keys).first()
    if row is None:
        _insert_ignore(model, {**keys, **defaults}, list(keys))
        row = db.session.scalars(statement, keys).one()
    return row


def _update(row, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def provision(launch: ValidatedLaunch) -> tuple[User, Context, Membership, ResourceLink | None]:
    body = launch.body
    platform = launch.platform
    deployment = launch.deployment
    if deployment is None:
        # The platform is allowed to teach us deployments (Canvas): learn this one now.
        deployment = _get_or_create(
            Deployment, {"platform_id": platform.id, "deployment_id": launch.deployment_id}, {"created_at": utcnow()}
        )

    now = utcnow()
    person = {
        "name": (body.get("name") or "")[:255],
        "given_name": (body.get("given_name") or "")[:255],
        "family_name": (body.get("family_name") or "")[:255],
        "email": (body.get("email") or "")[:320],
        "locale": (body.get("locale") or (body.get(c.LAUNCH_PRESENTATION) or {}).get("locale") or "")[:35],
    }
    user = _get_or_create(User, {"platform_id": platform.id, "sub": body["sub"]}, {**person, "last_launch_at": now})
    # Claims the platform chose not to send (no PII) must not erase what we know.
    _update(user, {k: v for k, v in person.items() if v})
    if user.last_launch_at is None or now - user.last_launch_at > _LAST_LAUNCH_RESOLUTION:
        user.last_launch_at = now

    ctx_claim = body.get(c.CONTEXT) or {}
    context = _get_or_create(
        Context,
        {"platform_id": platform.id, "deployment_id": deployment.id, "lms_context_id": str(ctx_claim.get("id") or NO_CONTEXT_ID)[:255]},
        {"title": "", "label": "", "created_at": now},
    )
    _update(context, {"title": (ctx_claim.get("title") or context.title)[:500], "label": (ctx_claim.get("label") or context.label)[:255]})
    nrps = body.get(c.NRPS)
    if isinstance(nrps, dict) and nrps != context.nrps_claim:
        context.nrps_claim = nrps

    lis_roles = [r for r in body.get(c.ROLES, []) if isinstance(r, str)]
    roles = " ".join(c.map_roles(lis_roles))
    membership = _get_or_create(
        Membership, {"user_id": user.id, "context_id": context.id}, {"roles": roles, "lis_roles": lis_roles, "updated_at": now}
    )
    # A launch proves presence: someone the roster sync saw leave is back.
    _update(membership, {"roles": roles, "lis_roles": lis_roles, "left_at": None})

    link = None
    if launch.message_type == c.RESOURCE_LINK_REQUEST:
        link_claim = body[c.RESOURCE_LINK]
        link = _get_or_create(
            ResourceLink,
            {"context_id": context.id, "lms_resource_link_id": str(link_claim["id"])[:255]},
            {"title": "", "created_at": now},
        )
        _update(link, {"title": (link_claim.get("title") or link.title)[:500]})
        ags = body.get(c.AGS_ENDPOINT)
        if isinstance(ags, dict) and ags != link.ags_claim:
            link.ags_claim = ags
        if link.activity_id is None:
            link.activity = _activity_for_link(body, context)
    return user, context, membership, link


def _activity_for_link(body: dict, context: Context) -> Activity | None:
    """Bind a link placed by deep linking to its activity; copy it when the course was copied."""
    custom = body.get(c.CUSTOM) or {}
    public_id = custom.get(ACTIVITY_CUSTOM_PARAM) if isinstance(custom, dict) else None
    if not public_id:
        return None
    activity = db.session.scalars(select(Activity).where(Activity.public_id == str(public_id))).first()
    if activity is None:
        return None
    if activity.context_id == context.id:
        return activity
    origin = db.session.get(Context, activity.context_id)
    if origin is None or origin.platform_id != context.platform_id:
        # An id from another organisation: never cross platforms.
        return None
    # The LMS copied the course: the copy gets its own activity with the same settings.
    copy = Activity(
        context_id=context.id,
        kind=activity.kind,
        title=activity.title,
        settings=dict(activity.settings or {}),
        score_maximum=activity.score_maximum,
    )
    db.session.add(copy)
    db.session.flush()
    return copy
