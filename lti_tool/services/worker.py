"""The grade sender: a loop that claims and delivers outbox rows until told to stop.

`peerpath worker` runs it in the foreground; the demo runs it as a daemon thread.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import func, select

from ..extensions import db
from ..models.base import utcnow
from ..models.grades import PENDING, SENDING, GradeOutbox
from . import outbox

log = logging.getLogger(__name__)


@dataclass
class Totals:
    batches: int = 0
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, result: outbox.BatchResult) -> None:
        self.batches += 1
        self.claimed += result.claimed
        for status, n in result.counts.items():
            self.counts[status] = self.counts.get(status, 0) + n


def _one_batch(app: Flask, batch: int | None, totals: Totals) -> int:
    # A fresh app context per batch: the session (and its identity map) ends with it.
    with app.app_context():
        try:
            result = outbox.run_batch(batch)
        except Exception:
            # The loop must survive anything (a database restart, a bug in one row's data):
            # claimed rows come back after their lease, so nothing is lost by carrying on.
            log.exception("grade outbox batch failed; retrying after a pause")
            db.session.rollback()
            return -1
    totals.add(result)
    return result.claimed


def housekeeping(app: Flask) -> int:
    """Each activity kind's time-driven work (phases moved by dates, fallbacks due)."""
    from ..activities import registry

    changed = 0
    for kind in list(registry.KINDS.values()):
        if kind.housekeeping is None:
            continue
        with app.app_context():
            try:
                changed += kind.housekeeping(utcnow())
            except Exception:
                log.exception("housekeeping of %s failed; trying again next round", kind.key)
                db.session.rollback()
    return changed


def run(app: Flask, *, once: bool = False, batch: int | None = None, stop: threading.Event | None = None,
        poll_seconds: float | None = None) -> Totals:
    """Deliver until `stop` is set; with once=True, until nothing is due right now. Every
    HOUSEKEEPING_SECONDS the kinds' time-driven work runs too (the grades it makes then go out)."""
    stop = stop or threading.Event()
    with app.app_context():
        poll = float(poll_seconds if poll_seconds is not None else outbox.setting("GRADES_POLL_SECONDS"))
        every = float(app.config["HOUSEKEEPING_SECONDS"])
    totals = Totals()
    next_housekeeping = time.monotonic()
    while not stop.is_set():
        if time.monotonic() >= next_housekeeping:
            housekeeping(app)
            next_housekeeping = time.monotonic() + every
        claimed = _one_batch(app, batch, totals)
        if claimed > 0:
            continue
        if once and claimed == 0:
            break
        stop.wait(poll)
    return totals


def outstanding(app: Flask) -> int:
    """Rows still to deliver (pending or being sent)."""
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(GradeOutbox).where(GradeOutbox.status.in_((PENDING, SENDING)))
        )


def drain(app: Flask, timeout: float = 60.0, batch: int | None = None) -> Totals:
    """Deliver until no row is pending or sending (rows waiting for a retry included)."""
    deadline = time.monotonic() + timeout
    totals = Totals()
    while outstanding(app):
        if time.monotonic() > deadline:
            raise TimeoutError(f"grade outbox not drained after {timeout} s: {outstanding(app)} rows left")
        if _one_batch(app, batch, totals) <= 0:
            time.sleep(0.02)
    return totals


class BackgroundWorker:
    """The sender as a daemon thread (the demo, single-process installs)."""

    def __init__(self, app: Flask, poll_seconds: float | None = None):
        self.app = app
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run, args=(app,), kwargs={"stop": self.stop_event, "poll_seconds": poll_seconds},
            name="grade-outbox", daemon=True,
        )

    def start(self) -> BackgroundWorker:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
