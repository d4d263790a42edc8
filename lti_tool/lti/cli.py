"""`peerpath platform ...` and `peerpath keys ...`: operators manage registrations and keys."""

from __future__ import annotations

import click


@click.group("platform")
def platform_cli() -> None:
    """Register LMS platforms (issuer + client_id) and their deployments."""


@click.group("keys")
def keys_cli() -> None:
    """The tool's signing keys, published at /lti/jwks."""
