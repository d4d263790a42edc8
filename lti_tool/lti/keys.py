"""The tool's RSA keys: made at first need, encrypted at rest, published as a JWKS.

Parsed key objects are cached per process: parsing a PEM costs ~30 ms, signing ~0.3 ms.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from datetime import timedelta
from typing import Any

import jwt
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from ..extensions import db
from ..models import ToolKey
from ..models.base import utcnow

_SIGNING_CACHE_SECONDS = 30
_lock = threading.Lock()
_private_cache: dict[str, rsa.RSAPrivateKey] = {}
_signing: dict[str, Any] = {"kid": None, "loaded": 0.0, "secret": None}


class KeyError_(RuntimeError):
    """A stored key cannot be used (usually: SECRET_KEY changed since it was made)."""


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hashlib.sha256(b"peerpath tool keys\x00" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _thumbprint_kid(public_jwk: dict) -> str:
    # RFC 7638 thumbprint: stable, derived from the key itself.
    canonical = json.dumps({k: public_jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def generate_key() -> ToolKey:
    """Make a new RSA-2048 key pair and add it (not yet committed) as the signing key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    kid = _thumbprint_kid(public_jwk)
    public_jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    key = ToolKey(kid=kid, private_key_encrypted=_fernet().encrypt(pem).decode(), public_jwk=public_jwk)
    db.session.add(key)
    return key


def _active_key() -> ToolKey | None:
    return db.session.scalars(
        select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc()).limit(1)
    ).first()


def ensure_key() -> ToolKey:
    """Return the signing key, creating the first one if the tool has none yet."""
    key = _active_key()
    if key is None:
        key = generate_key()
        db.session.commit()
    return key


def rotate(grace: timedelta | None = None) -> tuple[ToolKey, list[ToolKey]]:
    """Add a new signing key; older keys stay published for the grace period."""
    if grace is None:
        grace = timedelta(days=current_app.config["KEY_ROTATION_GRACE_DAYS"])
    now = utcnow()
    retired = list(db.session.scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))))
    for old in retired:
        old.retired_at = now
        old.unpublish_at = now + grace
    new = generate_key()
    db.session.commit()
    _signing["kid"] = None
    return new, retired


def published_keys() -> list[ToolKey]:
    now = utcnow()
    keys = db.session.scalars(select(ToolKey).order_by(ToolKey.id)).all()
    return [k for k in keys if k.unpublish_at is None or k.unpublish_at > now]


def public_jwks() -> dict:
    ensure_key()
    return {"keys": [k.public_jwk for k in published_keys()]}


def _load_private(key: ToolKey) -> rsa.RSAPrivateKey:
    cached = _private_cache.get(key.kid)
    if cached is not None:
        return cached
    try:
        pem = _fernet().decrypt(key.private_key_encrypted.encode())
    except InvalidToken:
        raise KeyError_(
            f"tool key {key.kid} cannot be decrypted: PEERPATH_SECRET_KEY changed since it was "
            "made. Restore the old secret or run `peerpath keys rotate`."
        ) from None
    private = serialization.load_pem_private_key(pem, password=None)
    _private_cache[key.kid] = private
    return private


def signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """(kid, private key) to sign with now; re-read from the DB at most every 30 s."""
    now = time.monotonic()
    secret = current_app.config["SECRET_KEY"]
    with _lock:
        if (
            _signing["kid"] is None
            or _signing["secret"] != secret
            or now - _signing["loaded"] > _SIGNING_CACHE_SECONDS
        ):
            key = ensure_key()
            _signing.update(kid=key.kid, loaded=now, secret=secret, key=_load_private(key))
        return _signing["kid"], _signing["key"]


def sign_jwt(claims: dict[str, Any]) -> str:
    kid, private = signing_key()
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def reset_cache() -> None:
    """Forget cached keys (tests switch databases and secrets)."""
    with _lock:
        _private_cache.clear()
        _signing.update(kid=None, loaded=0.0, secret=None)
