"""Response headers every page gets: a nonce-based CSP, no referrer, no sniffing.

Framing stays allowed (LMSs embed the tool); no inline event handlers anywhere.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allow_form_action(origin: str) -> None:
    """Let this response's forms post to another origin (deep-linking return URL)."""
    g.setdefault("extra_form_action", []).append(origin)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response):
        extra = " ".join(g.get("extra_form_action", []))
        policy = [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{csp_nonce()}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {extra}".strip(),
            f"frame-ancestors {current_app.config['FRAME_ANCESTORS']}",
        ]
        response.headers.setdefault("Content-Security-Policy", "; ".join(policy))
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if response.mimetype == "text/html":
            # Pages carry launch tokens: never cache them anywhere.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
