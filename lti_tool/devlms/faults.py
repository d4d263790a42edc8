"""Faults on demand for the dev LMS: answer 500/503/429/401, hang or drop the next N calls.

Armed through `/api/_dev/faults`; state lives in the dev LMS database so every worker sees it.
"""

from __future__ import annotations

import socket
import time
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import DateTime, Float, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from . import urls
from .models import db, utcnow

# "500": plain server error; "503" and "429": with Retry-After (unless retry_after is null);
# "hang": sleep hang_seconds, then serve the call normally (the client has timed out, but the
# LMS still applies the request: the nastiest real case); "drop": close the socket with no
# HTTP answer; "401": reject the access token (invalid_client at the token endpoint).
MODES = ("500", "503", "429", "hang", "drop", "401")
MODE_ALIASES = {"invalid_token": "401", "timeout": "hang", "reset": "drop"}
ANY = "any"
MAX_COUNT = 100_000
MAX_HANG_SECONDS = 120.0
DEFAULT_HANG_SECONDS = 5.0
DEFAULT_RETRY_AFTER = 1
MAX_RETRY_AFTER = 3600


class Fault(db.Model):
    """One armed fault: `remaining` calls of `kind` still get `mode`; `fired` so far."""

    __tablename__ = "devlms_fault"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    retry_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hang_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "mode": self.mode,
            "count": self.count,
            "remaining": self.remaining,
            "fired": self.fired,
            "retry_after": self.retry_after,
            "hang_seconds": self.hang_seconds,
        }


class FaultSpecError(ValueError):
    """A POST /api/_dev/faults body that cannot be armed; the message says why."""


def _bad(message: str) -> FaultSpecError:
    return FaultSpecError(message)


def parse_spec(body: Any, kinds: set[str]) -> dict[str, Any]:
    """Validate a fault request; returns the Fault column values (raises FaultSpecError)."""
    if not isinstance(body, dict):
        raise _bad('the body must be a JSON object like {"kind": "ags", "mode": "503", "count": 3}')
    allowed_kinds = sorted(kinds | {ANY})
    kind = body.get("kind", ANY)
    if kind not in allowed_kinds:
        raise _bad(f"kind must be one of {', '.join(allowed_kinds)} (got {kind!r})")
    mode = body.get("mode")
    if isinstance(mode, int) and not isinstance(mode, bool):
        mode = str(mode)
    mode = MODE_ALIASES.get(mode, mode) if isinstance(mode, str) else mode
    if mode not in MODES:
        raise _bad(f"mode must be one of {', '.join(MODES)} (got {body.get('mode')!r})")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise _bad(f"count must be an integer from 1 to {MAX_COUNT} (got {count!r})")
    retry_after: int | None = None
    if mode in ("503", "429"):
        retry_after = body.get("retry_after", DEFAULT_RETRY_AFTER)
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, int)
            or not 0 <= retry_after <= MAX_RETRY_AFTER
        ):
            raise _bad(
                f"retry_after must be whole seconds from 0 to {MAX_RETRY_AFTER}, or null for "
                f"no Retry-After header (got {retry_after!r})"
            )
    hang: float | None = None
    if mode == "hang":
        hang = body.get("hang_seconds", DEFAULT_HANG_SECONDS)
        if (
            isinstance(hang, bool)
            or not isinstance(hang, int | float)
            or not 0 < hang <= MAX_HANG_SECONDS
        ):
            raise _bad(
                f"hang_seconds must be a number above 0 and at most {MAX_HANG_SECONDS:g} "
                f"(got {hang!r})"
            )
        hang = float(hang)
    return {
        "kind": kind,
        "mode": mode,
        "count": count,
        "remaining": count,
        "fired": 0,
        "retry_after": retry_after,
        "hang_seconds": hang,
    }


def _claim(kind: str) -> Fault | None:
    """Take one shot of the oldest armed fault for `kind` (or `any`), atomically.

    A conditional UPDATE decides, so two threads or two worker processes racing for the
    last shot cannot both fire it: exactly `count` calls are faulted.
    """
    while True:
        fault = db.session.scalars(
            select(Fault)
            .where(Fault.remaining > 0, Fault.kind.in_((kind, ANY)))
            .order_by(Fault.id)
            .limit(1)
        ).first()
        if fault is None:
            return None
        taken = db.session.execute(
            update(Fault)
            .where(Fault.id == fault.id, Fault.remaining > 0)
            .values(remaining=Fault.remaining - 1, fired=Fault.fired + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if taken.rowcount == 1:
            return fault
        # Someone else took the last shot of this one: look again.


def _error(status: int, error: str, description: str, headers: dict[str, str]) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers.update(headers)
    return response


def _drop_connection() -> Response:
    """Close the client's socket without an HTTP answer (werkzeug and gunicorn both)."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is None:
        # No socket to close (Flask's test client): the nearest thing is a dropped call.
        raise ConnectionAbortedError("dev LMS fault: connection dropped")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    # The server's write of this empty answer fails on the closed socket (EPIPE), which
    # werkzeug and gunicorn both treat as a client that went away: nothing is sent.
    return Response(status=204)


def _fire(fault: Fault, kind: str) -> Response | None:
    if fault.mode == "hang":
        time.sleep(min(fault.hang_seconds or DEFAULT_HANG_SECONDS, MAX_HANG_SECONDS))
        return None  # then serve the call for real
    if fault.mode == "drop":
        return _drop_connection()
    why = f"dev LMS fault injected ({fault.mode} on {kind})"
    headers: dict[str, str] = {}
    if fault.mode in ("503", "429") and fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if fault.mode == "500":
        return _error(500, "server_error", why, headers)
    if fault.mode == "503":
        return _error(503, "temporarily_unavailable", why, headers)
    if fault.mode == "429":
        return _error(429, "rate_limited", why, headers)
    if kind == "token":
        return _error(401, "invalid_client", why, {})
    realm = f'Bearer realm="{urls.issuer()}"'
    headers["WWW-Authenticate"] = (
        f'{realm}, error="invalid_token", error_description="the access token was revoked"'
    )
    return _error(401, "invalid_token", f"{why}: the access token was revoked", headers)


def install(bp: Blueprint, endpoint_kinds: dict[str, str]) -> None:
    """Hook fault injection into the service blueprint and add the control endpoints."""

    @bp.before_request
    def _inject_fault() -> Response | None:
        kind = endpoint_kinds.get(request.endpoint or "")
        if kind is None:
            return None
        fault = _claim(kind)
        return None if fault is None else _fire(fault, kind)

    def _listing() -> Response:
        faults = list(db.session.scalars(select(Fault).order_by(Fault.id)))
        return jsonify(
            {
                "faults": [f.as_json() for f in faults],
                "armed": sum(f.remaining for f in faults),
                "fired": sum(f.fired for f in faults),
                "modes": list(MODES),
                "kinds": sorted(set(endpoint_kinds.values()) | {ANY}),
            }
        )

    @bp.get("/api/_dev/faults")
    def list_faults() -> Response:
        """What is armed and how often each fault has fired (dev only, no auth)."""
        return _listing()

    @bp.post("/api/_dev/faults")
    def arm_fault() -> Response:
        """Arm a fault for the next `count` calls of `kind` (dev only, no auth)."""
        body = request.get_json(force=True, silent=True)
        try:
            values = parse_spec(body, set(endpoint_kinds.values()))
        except FaultSpecError as exc:
            return _error(400, "invalid_request", str(exc), {})
        fault = Fault(**values)
        db.session.add(fault)
        db.session.commit()
        response = jsonify(fault.as_json())
        response.status_code = 201
        return response

    @bp.delete("/api/_dev/faults")
    def clear_faults() -> Response:
        """Disarm every fault (or those of `?kind=`) and forget their history (dev only)."""
        stmt = delete(Fault)
        if request.args.get("kind"):
            stmt = stmt.where(Fault.kind == request.args["kind"])
        db.session.execute(stmt.execution_options(synchronize_session=False))
        db.session.commit()
        return _listing()
