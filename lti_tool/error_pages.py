"""Error pages: every refusal is a page a person understands (or JSON for API clients)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def refusal(message: str, status: int, back: tuple[str, str] | None = None):
    """A service's refusal as a response: JSON for API clients, else the page saying why, with
    a way back (url, label) when there is one. The caller rolls back first: nothing changes."""
    if _wants_json():
        return jsonify({"error": message}), status
    return render_template("refused.html", message=message, back=back), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if _wants_json():
            return jsonify({"error": err.name, "message": err.description}), err.code
        return render_template(
            "error.html", message=err.description, title=err.name, status=err.code
        ), err.code
