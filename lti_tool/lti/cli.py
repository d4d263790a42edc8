"""`peerpath platform ...` and `peerpath keys ...`: operators manage registrations and keys.

Every refusal exits with status 1 and a message naming the problem; nothing is stored then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import ToolKey
from ..models.base import utcnow
from . import invites, keys, platforms
from .platforms import PlatformError, PlatformInput


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _refuse(exc: Exception) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(str(exc))


# --- platform ---------------------------------------------------------------------------


@click.group("platform")
def platform_cli() -> None:
    """Register LMS platforms (issuer + client_id) and their deployments."""


@platform_cli.command("add")
@click.option(
    "--issuer", required=True, help="The platform's issuer (iss), e.g. https://moodle.example.com"
)
@click.option("--client-id", required=True, help="The client id the platform gave PeerPath.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token endpoint.")
@click.option("--key-set-url", required=True, help="The platform's public key set (JWKS) URL.")
@click.option(
    "--deployment-id", "deployment_ids", multiple=True, help="A deployment id; repeat for several."
)
@click.option("--name", default="", help="A display name (default: the issuer's host).")
@click.option(
    "--auth-audience", default=None, help="Audience for token requests, if not the token URL."
)
@click.option(
    "--accept-new-deployments",
    is_flag=True,
    help="Learn deployment ids at their first launch (Canvas announces them only then).",
)
@with_appcontext
def platform_add(
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: tuple[str, ...],
    name: str,
    auth_audience: str | None,
    accept_new_deployments: bool,
) -> None:
    """Register a platform by hand (what the LMS shows on its tool-registration page)."""
    try:
        platform = platforms.add_platform(
            PlatformInput(
                issuer=issuer,
                client_id=client_id,
                auth_login_url=auth_login_url,
                auth_token_url=auth_token_url,
                key_set_url=key_set_url,
                deployment_ids=deployment_ids,
                name=name,
                auth_audience=auth_audience,
                accept_new_deployments=accept_new_deployments,
            )
        )
    except PlatformError as exc:
        raise _refuse(exc) from None
    deps = ", ".join(d.deployment_id for d in platform.deployments) or _("none yet")
    click.echo(
        _(
            "Registered %(name)s: issuer %(issuer)s, client_id %(client_id)s",
            name=platform.name,
            issuer=platform.issuer,
            client_id=platform.client_id,
        )
    )
    click.echo(_("Deployments: %(deployments)s", deployments=deps))
    if platform.accept_new_deployments:
        click.echo(_("New deployment ids are learned at their first launch."))
    base = current_app.config["BASE_URL"]
    click.echo(
        _(
            "In the LMS use: login URL %(login)s, launch/redirect URL %(launch)s, keyset URL %(jwks)s",
            login=f"{base}/lti/login",
            launch=f"{base}/lti/launch",
            jwks=f"{base}/lti/jwks",
        )
    )


def _find_or_fail(issuer: str, client_id: str):
    platform = platforms.find(issuer.strip(), client_id.strip())
    if platform is None:
        raise click.ClickException(
            _(
                "no platform with issuer %(issuer)r and client_id %(client_id)r "
                "(see `peerpath platform list`)",
                issuer=issuer,
                client_id=client_id,
            )
        )
    return platform


@platform_cli.command("add-deployment")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True)
@with_appcontext
def platform_add_deployment(issuer: str, client_id: str, deployment_id: str) -> None:
    """Add a deployment id to a registered platform."""
    platform = _find_or_fail(issuer, client_id)
    try:
        platforms.add_deployment(platform, deployment_id)
    except PlatformError as exc:
        raise _refuse(exc) from None
    click.echo(
        _(
            "Added deployment %(deployment)s to %(issuer)s (client_id %(client_id)s)",
            deployment=deployment_id.strip(),
            issuer=platform.issuer,
            client_id=platform.client_id,
        )
    )


@platform_cli.command("list")
@with_appcontext
def platform_list() -> None:
    """Show registered platforms: issuer, client_id, deployments, status."""
    rows = []
    for p in platforms.list_platforms():
        deps = ", ".join(d.deployment_id for d in p.deployments) or "-"
        if p.accept_new_deployments:
            deps += " " + _("(+ learned at launch)")
        rows.append([p.name, p.issuer, p.client_id, deps, p.status])
    if not rows:
        click.echo(
            _(
                "No platforms registered. Add one with `peerpath platform add` or "
                "`peerpath platform invite`."
            )
        )
        return
    headers = [_("NAME"), _("ISSUER"), _("CLIENT_ID"), _("DEPLOYMENTS"), _("STATUS")]
    click.echo(_table(headers, rows))


@platform_cli.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def platform_remove(issuer: str, client_id: str, yes: bool) -> None:
    """Remove a platform with its deployments, users, courses and activities."""
    platform = _find_or_fail(issuer, client_id)
    if not yes:
        click.confirm(
            _(
                "Remove %(issuer)s (client_id %(client_id)s) and every user, course and "
                "activity PeerPath keeps for it?",
                issuer=platform.issuer,
                client_id=platform.client_id,
            ),
            abort=True,
        )
    try:
        platforms.remove_platform(platform.issuer, platform.client_id)
    except PlatformError as exc:
        raise _refuse(exc) from None
    click.echo(
        _(
            "Removed %(issuer)s (client_id %(client_id)s)",
            issuer=platform.issuer,
            client_id=platform.client_id,
        )
    )


@platform_cli.command("invite")
@click.option("--note", default="", help="Who the invite is for (shown in your records only).")
@click.option(
    "--hours",
    type=click.IntRange(min=1, max=24 * 90),
    default=None,
    help="How long the invite stays valid (default: REGISTRATION_INVITE_HOURS).",
)
@with_appcontext
def platform_invite(note: str, hours: int | None) -> None:
    """Print a one-time URL an LMS admin pastes to register PeerPath (dynamic registration)."""
    try:
        token, invite = invites.create_invite(note=note, hours=hours)
    except ValueError as exc:
        raise _refuse(exc) from None
    click.echo(invites.invite_url(token))
    click.echo(
        _(
            "Valid once, until %(until)s. Paste it into the LMS as the tool's dynamic "
            "registration URL (Moodle: Manage tools → Tool URL; Canvas: Developer Keys → LTI "
            "Registration). The token is not stored: this is the only time it is shown.",
            until=_when(invite.expires_at),
        )
    )


# --- keys ---------------------------------------------------------------------------------


@click.group("keys")
def keys_cli() -> None:
    """The tool's signing keys, published at /lti/jwks."""


@keys_cli.command("rotate")
@click.option(
    "--grace-days",
    type=click.IntRange(min=0),
    default=None,
    help="Days the old key stays published (default: KEY_ROTATION_GRACE_DAYS).",
)
@with_appcontext
def keys_rotate(grace_days: int | None) -> None:
    """Make a new signing key; older keys stay published for the grace period."""
    grace = timedelta(days=grace_days) if grace_days is not None else None
    new, retired = keys.rotate(grace)
    click.echo(_("New signing key: %(kid)s", kid=new.kid))
    for old in retired:
        click.echo(
            _(
                "Still published until %(until)s: %(kid)s",
                until=_when(old.unpublish_at),
                kid=old.kid,
            )
        )
    if not retired:
        click.echo(_("There was no previous key."))
    click.echo(_("Platforms that fetch /lti/jwks pick up the new key by themselves."))


@keys_cli.command("list")
@with_appcontext
def keys_list() -> None:
    """Show the tool's keys and whether each signs, is published, or is gone."""
    now = utcnow()
    rows = []
    for key in db.session.scalars(select(ToolKey).order_by(ToolKey.id)):
        if key.retired_at is None:
            state = _("signing, published")
        elif key.unpublish_at is None or key.unpublish_at > now:
            state = _("retired, published until %(until)s", until=_when(key.unpublish_at))
        else:
            state = _("retired, unpublished since %(since)s", since=_when(key.unpublish_at))
        rows.append([key.kid, _when(key.created_at), state])
    if not rows:
        click.echo(
            _(
                "No keys yet: the first one is made when /lti/jwks is first asked for, "
                "or by `peerpath keys rotate`."
            )
        )
        return
    click.echo(_table([_("KID"), _("CREATED"), _("STATUS")], rows))
