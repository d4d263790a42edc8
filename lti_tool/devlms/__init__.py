"""A small but real LTI 1.3 platform for the demo and the tests (never in production).

`create_devlms_app` is its app factory; `setup` registers tools and seeds the demo course.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from flask import Flask, g

from .. import TEMPLATES
from ..db_setup import install_sqlite_pragmas

DEFAULTS: dict[str, Any] = {
    "ISSUER": "http://localhost:5001",
    "DATABASE_URL": "sqlite:///devlms.sqlite",
    "PLATFORM_STORAGE": True,
    "TESTING": False,
    "PLATFORM_NAME": "PeerPath Dev LMS",
    "PLATFORM_VERSION": "1.0",
    # A signed lti_message_hint stays valid this long (a real login round trip takes < 1 s).
    "MESSAGE_HINT_MAX_AGE": 600,
    "ID_TOKEN_LIFETIME": 60,
}


def _csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def create_devlms_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the dev LMS app; creates its tables and its signing key on first start."""
    from . import keys, views
    from .api import bp as api_bp  # also imports api_models, so create_all makes their tables
    from .models import db

    app = Flask(
        "lti_tool.devlms",
        template_folder=str(TEMPLATES),
        static_folder=str(Path(__file__).parent / "static"),
        static_url_path="/static",
    )
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    if app.config.get("PRODUCTION"):
        raise RuntimeError(
            "the dev LMS is a development and test platform: it refuses to run in production"
        )
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "the dev LMS needs a SECRET_KEY (it signs login hints and deep-linking data)"
        )
    app.config["ISSUER"] = app.config["ISSUER"].rstrip("/")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    app.extensions["devlms"] = {"parsed_keys": {}, "tool_jwks": {}, "lock": threading.Lock()}
    app.jinja_env.globals["csp_nonce"] = _csp_nonce

    # WAL + synchronous=NORMAL like the tool: the default journal fsyncs every commit,
    # which made the dev LMS, not PeerPath, the bottleneck of every benchmark.
    install_sqlite_pragmas()
    db.init_app(app)
    with app.app_context():
        db.create_all()
        keys.ensure_key()

    app.register_blueprint(views.bp)
    app.register_blueprint(api_bp)

    @app.after_request
    def _headers(response):
        policy = [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{_csp_nonce()}'",
            "style-src 'self'",
            "img-src 'self' data:",
            # Tools live on other origins: the course page frames them and posts logins to them.
            "frame-src 'self' http: https:",
            "form-action 'self' http: https:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
        ]
        response.headers.setdefault("Content-Security-Policy", "; ".join(policy))
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
