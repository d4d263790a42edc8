"""The dev LMS's signing key (made on first start, stored in its DB) and tools' public keys.

Tools' JWKS are fetched by URL, cached per app, and refetched once when a token names an unknown kid.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, current_app
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from .models import PlatformKey, db, utcnow

JWKS_TIMEOUT_SECONDS = 5


class ToolKeyError(ValueError):
    """A tool's public key could not be found or fetched; the message says why."""


def _kid(public_jwk: dict[str, Any]) -> str:
    canonical = json.dumps(
        {k: public_jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True
    )
    return (
        base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    )


def generate_key() -> PlatformKey:
    """Add (not commit) a new RSA-2048 platform key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    kid = _kid(jwk)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    key = PlatformKey(kid=kid, private_pem=pem, public_jwk=jwk)
    db.session.add(key)
    return key


def ensure_key() -> PlatformKey:
    """The current signing key, creating the first one on first start."""
    key = db.session.scalars(
        select(PlatformKey)
        .where(PlatformKey.retired_at.is_(None))
        .order_by(PlatformKey.id.desc())
        .limit(1)
    ).first()
    if key is None:
        key = generate_key()
        db.session.commit()
    return key


def rotate(retire_old: bool = False) -> PlatformKey:
    """Make a new signing key; old keys stay published unless retire_old."""
    if retire_old:
        for old in db.session.scalars(select(PlatformKey).where(PlatformKey.retired_at.is_(None))):
            old.retired_at = utcnow()
    key = generate_key()
    db.session.commit()
    return key


def signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """(kid, parsed private key); parsed keys are cached because parsing a PEM costs ~30 ms."""
    key = ensure_key()
    cache: dict[str, rsa.RSAPrivateKey] = current_app.extensions["devlms"]["parsed_keys"]
    if key.kid not in cache:
        cache[key.kid] = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    return key.kid, cache[key.kid]


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The published key set: every key not retired."""
    keys = db.session.scalars(
        select(PlatformKey).where(PlatformKey.retired_at.is_(None)).order_by(PlatformKey.id)
    )
    return {"keys": [k.public_jwk for k in keys]}


def _http() -> requests.Session:
    session = requests.Session()
    # Tools in the demo and tests are on loopback: never route them through a proxy.
    session.trust_env = False
    return session


def _fetch_jwks(url: str) -> dict[str, dict[str, Any]]:
    try:
        response = _http().get(url, timeout=JWKS_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise ToolKeyError(f"could not fetch the tool's JWKS from {url}: {exc}") from exc
    if response.status_code != 200:
        raise ToolKeyError(f"the tool's JWKS at {url} answered HTTP {response.status_code}")
    try:
        keys = response.json()["keys"]
        return {k["kid"]: k for k in keys if isinstance(k, dict) and k.get("kid")}
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolKeyError(f"the tool's JWKS at {url} is not a JSON key set") from exc


def tool_public_key(jwks_url: str, kid: str | None, app: Flask | None = None) -> Any:
    """The tool's public key for kid, from the cached JWKS, refetching once on a miss."""
    if not kid:
        raise ToolKeyError("the JWT header has no kid")
    state = (app or current_app).extensions["devlms"]
    cache: dict[str, dict[str, dict[str, Any]]] = state["tool_jwks"]
    lock: threading.Lock = state["lock"]
    with lock:
        keys = cache.get(jwks_url)
    if keys is None or kid not in keys:
        keys = _fetch_jwks(jwks_url)
        with lock:
            cache[jwks_url] = keys
    if kid not in keys:
        raise ToolKeyError(f"kid {kid!r} is not in the tool's JWKS at {jwks_url}")
    jwk = keys[kid]
    if jwk.get("kty") != "RSA":
        raise ToolKeyError(f"key {kid!r} in the tool's JWKS is not an RSA key")
    return RSAAlgorithm.from_jwk(jwk)
