"""LTI Dynamic Registration (/lti/register) and the Canvas developer-key JSON (/lti/config.json)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("lti_registration", __name__, url_prefix="/lti")
