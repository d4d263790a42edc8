"""`peerpath worker` (deliver the grade outbox) and `peerpath grades status|retry`.

Operators see here what instructors see on the grades page, for every course at once.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Context
from . import outbox, worker


@click.command("worker")
@click.option("--once", is_flag=True, help="deliver what is due now, then exit")
@click.option("--batch", type=int, default=None, help="rows claimed per batch [default: GRADES_BATCH_SIZE]")
@with_appcontext
def worker_command(once: bool, batch: int | None) -> None:
    """Deliver queued grades to the LMS (runs until stopped; several may run on PostgreSQL)."""
    app = current_app._get_current_object()
    try:
        totals = worker.run(app, once=once, batch=batch)
    except KeyboardInterrupt:
        click.echo("Stopping the grade worker.")
        return
    parts = ", ".join(f"{k} {v}" for k, v in sorted(totals.counts.items())) or "nothing due"
    click.echo(f"grade outbox: {totals.claimed} rows in {totals.batches} batches: {parts}")


@click.group("grades")
def grades_cli() -> None:
    """Grades owed to LMS gradebooks: what is pending, delivered or failed, and retry."""


def _context(context_id: str | None) -> Context | None:
    if context_id is None:
        return None
    query = select(Context).where(Context.public_id == context_id)
    if context_id.isdigit():
        query = select(Context).where(Context.id == int(context_id))
    found = db.session.scalars(query).first()
    if found is None:
        raise click.BadParameter(f"no course with id {context_id!r} (use the number or public id)", param_hint="--context")
    return found


@grades_cli.command("status")
@click.option("--context", "context_id", default=None, help="one course (its number or public id)")
@click.option("--limit", default=50, show_default=True, help="problem rows to list")
@with_appcontext
def status_command(context_id: str | None, limit: int) -> None:
    """Counts per state, then each failed (or retrying) score with the LMS's reason."""
    context = _context(context_id)
    counts = outbox.counts(context.id if context else None)
    click.echo("  ".join(f"{k}: {v}" for k, v in counts.items()))
    rows = outbox.problem_rows(context.id if context else None, limit)
    for row in rows:
        score = "-" if row.score_given is None else f"{row.score_given:g}/{row.score_maximum:g}"
        click.echo(
            f"#{row.id} {row.status} course={row.context_id} user={row.lms_user_id} score={score} "
            f"attempts={row.attempts} http={row.last_http_status or '-'}: {row.last_error}"
        )


@grades_cli.command("retry")
@click.option("--failed", "failed_only", is_flag=True, help="only failed rows (default: failed and waiting rows)")
@click.option("--context", "context_id", default=None, help="one course (its number or public id)")
@click.option("--id", "row_ids", multiple=True, type=int, help="one row (repeatable)")
@with_appcontext
def retry_command(failed_only: bool, context_id: str | None, row_ids: tuple[int, ...]) -> None:
    """Make failed (and waiting) scores due now; the worker sends them at its next batch."""
    context = _context(context_id)
    n = outbox.retry(context_id=context.id if context else None, row_ids=list(row_ids) or None, failed_only=failed_only)
    click.echo(f"{n} scores queued for another attempt")
