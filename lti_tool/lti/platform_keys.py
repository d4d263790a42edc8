"""Platform public keys: fetched from the platform's JWKS URL, cached, refetched on a new kid.

pylti1p3 never refetches on an unknown kid, so a platform key rotation would break launches.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from jwt.algorithms import RSAAlgorithm

from .errors import LaunchError

USER_AGENT = "PeerPath-LTI/0.1 (+https://github.com/peerpath)"


@dataclass
class _KeySet:
    fetched_at: float
    keys: dict[str, Any] = field(default_factory=dict)  # kid -> RSA public key object


class PlatformKeyCache:
    """Per-process cache of parsed platform keys, keyed by JWKS URL."""

    def __init__(self) -> None:
        self._sets: dict[str, _KeySet] = {}
        # When an unknown kid last made us refetch, per URL (rate limit for misses only).
        self._last_miss: dict[str, float] = {}
        self._lock = threading.Lock()
        self.fetch_count = 0

    def clear(self) -> None:
        with self._lock:
            self._sets.clear()
            self._last_miss.clear()

    def get_key(self, url: str, kid: str, *, max_age: float, min_refetch: float, timeout: float):
        """The public key for `kid`, fetching the set when stale or when the kid is new."""
        now = time.monotonic()
        entry = self._sets.get(url)
        if entry is not None and now - entry.fetched_at < max_age and kid in entry.keys:
            return entry.keys[kid]
        with self._lock:
            entry = self._sets.get(url)
            stale = entry is None or now - entry.fetched_at >= max_age
            unknown = entry is not None and kid not in entry.keys
            # Refetch on an unknown kid, but never more often than min_refetch: a forged
            # kid must not turn us into a request amplifier against the platform.
            refetch_for_miss = unknown and now - self._last_miss.get(url, float("-inf")) >= min_refetch
            if refetch_for_miss:
                self._last_miss[url] = now
            if stale or refetch_for_miss:
                entry = self._fetch(url, timeout)
                self._sets[url] = entry
        if kid not in entry.keys:
            raise LaunchError(
                "signature",
                f"the platform's key set at {url} has no key with kid '{kid}': the id_token "
                "was not signed by this platform, or its keys changed moments ago",
                status=401,
            )
        return entry.keys[kid]

    def _fetch(self, url: str, timeout: float) -> _KeySet:
        self.fetch_count += 1
        try:
            resp = requests.get(url, timeout=timeout, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
            resp.raise_for_status()
            data = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise LaunchError(
                "signature", f"could not fetch the platform's public keys from {url}: {exc}", status=502
            ) from None
        keys: dict[str, Any] = {}
        for jwk in data.get("keys", []) if isinstance(data, dict) else []:
            if jwk.get("kty") != "RSA" or not jwk.get("kid"):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
                continue
            try:
                keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (ValueError, KeyError, TypeError):
                continue
        return _KeySet(fetched_at=time.monotonic(), keys=keys)


platform_keys = PlatformKeyCache()
