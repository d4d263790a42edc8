"""The page a launch lands on: /a/<activity id>, dispatched to the activity's kind."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("activities", __name__)
