"""Deep Linking 2.0 responses: the activity an instructor chose, signed and sent back.

The JWT carries iss=client_id, aud=platform issuer, a fresh nonce, and `data` echoed verbatim.
"""

from __future__ import annotations

import secrets
import time

from flask import current_app

from ..activities.registry import ActivityKind, ActivitySpec
from ..extensions import db
from ..models import Activity, LaunchSession, Platform
from . import claims as c
from .keys import sign_jwt
from .provisioning import ACTIVITY_CUSTOM_PARAM

RESPONSE_LIFETIME = 600


def create_activity(launch: LaunchSession, kind: ActivityKind, spec: ActivitySpec) -> Activity:
    activity = Activity(
        context_id=launch.context_id,
        kind=kind.key,
        title=spec.title,
        settings=spec.settings,
        score_maximum=spec.score_maximum,
        created_by_id=launch.user_id,
    )
    db.session.add(activity)
    db.session.flush()
    if kind.on_placed is not None:
        kind.on_placed(activity, spec, launch)
    return activity


def content_item(activity: Activity, description: str = "") -> dict:
    base = current_app.config["BASE_URL"]
    item: dict = {
        "type": "ltiResourceLink",
        "title": activity.title,
        "url": base + "/lti/launch",
        "custom": {ACTIVITY_CUSTOM_PARAM: activity.public_id},
    }
    if description:
        item["text"] = description
    if activity.score_maximum is not None:
        item["lineItem"] = {
            "scoreMaximum": activity.score_maximum,
            "label": activity.title,
            "resourceId": activity.public_id,
            "tag": activity.kind,
        }
    return item


def response_jwt(launch: LaunchSession, items: list[dict], message: str = "") -> str:
    platform = db.session.get(Platform, launch.context.platform_id)
    settings = launch.claims["deep_linking_settings"]
    now = int(time.time())
    body: dict = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + RESPONSE_LIFETIME,
        "nonce": secrets.token_urlsafe(24),
        c.DEPLOYMENT_ID: launch.claims["deployment_id"],
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: "1.3.0",
        c.DL_CONTENT_ITEMS: items,
    }
    if "data" in settings:
        body[c.DL_DATA] = settings["data"]
    if message:
        body["https://purl.imsglobal.org/spec/lti-dl/claim/msg"] = message
    return sign_jwt(body)
