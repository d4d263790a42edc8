"""HTTP endpoints of the LTI edge: /lti/login, /lti/launch, /lti/jwks.

Views are thin: each parses the request, calls the launch modules, and renders.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import keys

bp = Blueprint("lti", __name__, url_prefix="/lti")


@bp.get("/jwks")
def jwks():
    response = jsonify(keys.public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
