"""`peerpath roster sync|status`: fetch course rosters from the LMS (NRPS) and show them.

Exits with status 1 when any sync failed; each failure is printed with the reason.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Context
from . import nrps


def _label(context: Context) -> str:
    name = " ".join(x for x in (context.label, context.title) if x) or context.lms_context_id
    return f"{name} [{context.public_id}]"


def _contexts(context_id: str | None, every: bool) -> list[Context]:
    if bool(context_id) == every:
        raise click.UsageError(_("Give either --context PUBLIC_ID or --all."))
    if every:
        stmt = select(Context).where(Context.nrps_claim.is_not(None)).order_by(Context.id)
        return list(db.session.scalars(stmt))
    found = db.session.scalars(select(Context).where(Context.public_id == context_id)).first()
    if found is None:
        raise click.BadParameter(
            _("no course with public id %(id)s", id=repr(context_id)), param_hint="--context"
        )
    return [found]


def _line(result: nrps.SyncResult) -> str:
    if not result.ok:
        return _("failed: %(reason)s", reason=result.reason)
    fresh = "" if result.fetched else _(" (still fresh, LMS not asked)")
    return _(
        "%(members)d members: %(joined)d joined, %(left)d left, %(changed)d changed roles "
        "(%(pages)d pages)%(fresh)s",
        members=result.members,
        joined=result.joined,
        left=result.left,
        changed=result.changed,
        pages=result.pages,
        fresh=fresh,
    )


@click.group("roster")
def roster_cli() -> None:
    """Course rosters from the LMS (Names and Role Provisioning Services)."""


@roster_cli.command("sync")
@click.option("--context", "context_id", default=None, help="one course, by its public id")
@click.option("--all", "every", is_flag=True, help="every course a launch told us the roster of")
@click.option(
    "--if-stale",
    is_flag=True,
    help="skip courses synced within ROSTER_MAX_AGE_SECONDS (what pages do)",
)
@with_appcontext
def sync_command(context_id: str | None, every: bool, if_stale: bool) -> None:
    """Fetch rosters now and print who joined, left or changed role since the last sync."""
    contexts = _contexts(context_id, every)
    if not contexts:
        click.echo(_("No course has a roster service claim yet: nothing to sync."))
        return
    failed = 0
    for context in contexts:
        result = nrps.ensure_fresh(context) if if_stale else nrps.sync_roster(context)
        failed += not result.ok
        click.echo(f"{_label(context)}: {_line(result)}")
    if failed:
        click.echo(_("%(n)d of %(total)d syncs failed.", n=failed, total=len(contexts)), err=True)
        sys.exit(1)


@roster_cli.command("status")
@click.option("--context", "context_id", default=None, help="one course, by its public id")
@click.option("--all", "every", is_flag=True, help="every course with a roster service claim")
@with_appcontext
def status_command(context_id: str | None, every: bool) -> None:
    """Members, who has not launched yet, who left, and the last sync, without asking the LMS."""
    for context in _contexts(context_id, every):
        s = nrps.summary(context)
        last = nrps.latest_sync(context)
        when = s.last_synced_at.strftime("%Y-%m-%d %H:%M UTC") if s.last_synced_at else "-"
        click.echo(
            _(
                "%(course)s: %(members)d members, %(not_launched)d not launched yet, "
                "%(left)d left; last good sync %(when)s",
                course=_label(context),
                members=s.members,
                not_launched=s.not_launched,
                left=s.left,
                when=when,
            )
        )
        if last is not None and not last.status == "ok":
            click.echo(
                _(
                    "  latest sync %(status)s: %(reason)s",
                    status=last.status,
                    reason=last.reason or "-",
                )
            )
