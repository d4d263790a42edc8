"""The dev LMS's pages and LTI endpoints: courses, launches, OIDC auth, JWKS, deep-link return.

State changes live here only where they are one line; link creation is in deep_linking.py.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import keys

bp = Blueprint("devlms", __name__)


@bp.get("/lti/certs")
def certs():
    return jsonify(keys.jwks())
