"""Grade outbox: enqueue a score with its grade, claim due rows, deliver them to the LMS.

Latest score wins per (line item, user); delivery retries with backoff and re-sending is harmless.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..lti import claims as c
from ..models import Activity, Context, Platform, ResourceLink, User
from ..models.base import utcnow
from ..models.grades import (
    DELIVERED,
    FAILED,
    PENDING,
    SENDING,
    SUPERSEDED,
    GradeLineItem,
    GradeOutbox,
)
from . import ags

UNDELIVERED = (PENDING, FAILED)


def setting(name: str) -> Any:
    """A GRADES_* setting; defaults and their reasons live in config/defaults.py."""
    return current_app.config[name]


class ScoreError(ValueError):
    """A score that can never be accepted (e.g. above its maximum); the row is kept as failed."""


# --- enqueue -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtraLineItem:
    """A further line item of a placement beside its own (e.g. peer review's reviewing grade).

    Found in the LMS by (resource link, tag), else created with "<activity title> – <label>".
    """

    tag: str
    label: str


def _target_key(
    line_item_url: str | None, link: ResourceLink | None, activity: Activity | None, tag: str = ""
) -> str:
    if line_item_url:
        ident = "url:" + line_item_url
    elif link is not None:
        ident = f"link:{link.id}"
    elif activity is not None:
        ident = f"activity:{activity.id}"
    else:
        raise ValueError("a score needs a line item URL, a resource link or an activity")
    if tag:
        ident += f"#tag:{tag}"
    return hashlib.sha256(ident.encode()).hexdigest()


def _link_for_activity(activity: Activity) -> ResourceLink | None:
    """The activity's link whose latest launch carried an AGS claim (newest first)."""
    links = db.session.scalars(
        select(ResourceLink)
        .where(ResourceLink.activity_id == activity.id)
        .order_by(ResourceLink.id.desc())
    ).all()
    return next((link for link in links if link.ags_claim), links[0] if links else None)


def _whole_second(value: datetime) -> int:
    return math.floor(value.timestamp())


def _problem(score_given: float | None, score_maximum: float | None) -> str | None:
    if score_given is None:
        return None
    if score_maximum is None or score_maximum <= 0:
        return _("Score %(given)s has no maximum: not sent.", given=score_given)
    if score_given < 0:
        return _("Score %(given)s is negative: not sent.", given=score_given)
    if score_given > score_maximum:
        return _(
            "Score %(given)s is above the maximum %(maximum)s: not sent. Correct the grade in PeerPath.",
            given=score_given,
            maximum=score_maximum,
        )
    return None


def enqueue_score(
    *,
    user: User,
    score_given: float | None,
    score_maximum: float | None = None,
    resource_link: ResourceLink | None = None,
    activity: Activity | None = None,
    line_item_url: str | None = None,
    extra_line_item: ExtraLineItem | None = None,
    comment: str | None = None,
    activity_progress: str = "Completed",
    grading_progress: str = "FullyGraded",
    graded_at: datetime | None = None,
) -> GradeOutbox:
    """Add a score row to the current transaction (no commit: it commits with the grade).

    The new row is the latest version of this grade: it supersedes older undelivered rows for
    the same (line item, user). Its timestamp is kept strictly later, in whole seconds, than
    every earlier version, because Moodle refuses (409) a score that is not later by a second.
    """
    if resource_link is None and activity is not None:
        resource_link = _link_for_activity(activity)
    if activity is None and resource_link is not None and resource_link.activity_id is not None:
        activity = db.session.get(Activity, resource_link.activity_id)
    if score_maximum is None and activity is not None:
        score_maximum = activity.score_maximum
    context_id = (
        resource_link.context_id
        if resource_link is not None
        else activity.context_id
        if activity
        else None
    )
    if context_id is None:
        raise ValueError("a score needs a resource link or an activity to know its course")
    context = db.session.get(Context, context_id)
    if extra_line_item is not None and line_item_url:
        raise ValueError("a score goes to a known line item URL or to an extra line item, not both")
    tag = extra_line_item.tag if extra_line_item else ""
    key = _target_key(line_item_url, resource_link, activity, tag)

    timestamp = graded_at or utcnow()
    previous = db.session.scalar(
        select(func.max(GradeOutbox.timestamp)).where(
            GradeOutbox.target_key == key, GradeOutbox.user_id == user.id
        )
    )
    if previous is not None:
        if previous.tzinfo is None:  # SQLite's max() comes back without the column type
            previous = datetime.fromisoformat(str(previous)).replace(tzinfo=UTC)
        if _whole_second(timestamp) <= _whole_second(previous):
            timestamp = datetime.fromtimestamp(_whole_second(previous) + 1, tz=UTC)

    problem = _problem(score_given, score_maximum)
    if problem is None:
        # Older versions not yet delivered will never need sending: this one replaces them.
        db.session.execute(
            update(GradeOutbox)
            .where(
                GradeOutbox.target_key == key,
                GradeOutbox.user_id == user.id,
                GradeOutbox.status.in_(UNDELIVERED),
            )
            .values(
                status=SUPERSEDED,
                last_error=_("Replaced by a newer score before it was sent."),
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
    row = GradeOutbox(
        platform_id=context.platform_id,
        context_id=context_id,
        resource_link_id=resource_link.id if resource_link is not None else None,
        activity_id=activity.id if activity is not None else None,
        user_id=user.id,
        lms_user_id=user.sub,
        line_item_url=line_item_url,
        line_item_tag=tag,
        line_item_label=extra_line_item.label if extra_line_item else "",
        target_key=key,
        score_given=score_given,
        score_maximum=score_maximum,
        activity_progress=activity_progress,
        grading_progress=grading_progress,
        comment=comment,
        timestamp=timestamp,
        status=FAILED if problem else PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error=problem,
    )
    db.session.add(row)
    db.session.flush()  # the caller gets the row's id; the commit stays the caller's
    return row


# --- claim ---------------------------------------------------------------------------


def _due(now: datetime):
    # Pending and due, or "sending" whose lease ran out (its worker died mid-delivery).
    return or_(
        and_(GradeOutbox.status == PENDING, GradeOutbox.next_attempt_at <= now),
        and_(GradeOutbox.status == SENDING, GradeOutbox.claimed_until < now),
    )


def claim(
    limit: int | None = None, lease_seconds: float | None = None
) -> tuple[str, list[GradeOutbox]]:
    """Take up to `limit` due rows for this worker under a lease; commits.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never wait for or take each other's rows.
    SQLite (one worker): the conditional UPDATE re-checks that the rows are still due.
    """
    limit = limit or setting("GRADES_BATCH_SIZE")
    lease = float(lease_seconds if lease_seconds is not None else setting("GRADES_LEASE_SECONDS"))
    now = utcnow()
    token = str(uuid.uuid4())
    due = (
        select(GradeOutbox.id)
        .where(_due(now))
        .order_by(GradeOutbox.next_attempt_at, GradeOutbox.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if not ids:
        db.session.rollback()
        return token, []
    db.session.execute(
        update(GradeOutbox)
        .where(GradeOutbox.id.in_(ids), _due(now))
        .values(
            status=SENDING,
            claim_token=token,
            claimed_until=now + timedelta(seconds=lease),
            attempts=GradeOutbox.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    rows = list(
        db.session.scalars(
            select(GradeOutbox)
            .where(GradeOutbox.claim_token == token)
            .order_by(GradeOutbox.timestamp, GradeOutbox.id)
            .execution_options(populate_existing=True)
        )
    )
    return token, rows


# --- deliver -------------------------------------------------------------------------


@dataclass
class Outcome:
    row_id: int
    status: str  # delivered, superseded, failed, or pending (= retry later)
    error: str | None = None
    http_status: int | None = None
    delay: float | None = None
    drop_cached_line_item: int | None = None  # resource link whose cached line item is gone


@dataclass
class _Job:
    row_id: int
    attempts: int
    client: ags.AgsClient
    line_item_url: str
    body: dict
    timestamp: datetime
    cached_link_id: int | None  # set when the URL came from GradeLineItem (dropped on 404)


@dataclass
class BatchResult:
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, times a random 0.5-1.0."""
    base = setting("GRADES_BACKOFF_BASE_MS") / 1000.0
    cap = float(setting("GRADES_BACKOFF_MAX_SECONDS"))
    delay = min(cap, base * (2 ** min(max(attempts - 1, 0), 30)))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


def _retry(row_id: int, attempts: int, exc: ags.AgsError) -> Outcome:
    if exc.retry_after is not None:
        delay = min(exc.retry_after, float(setting("GRADES_RETRY_AFTER_MAX_SECONDS")))
    else:
        delay = backoff_seconds(attempts)
    return Outcome(row_id, PENDING, exc.message, exc.status, delay)


class _Resolver:
    """Per-batch look-ups: endpoint and client per link, line item per link (cached in the DB)."""

    def __init__(self) -> None:
        self.clients: dict[tuple, ags.AgsClient] = {}
        self.platforms: dict[int, Platform] = {}

    def link_for(self, row: GradeOutbox) -> ResourceLink | None:
        link = db.session.get(ResourceLink, row.resource_link_id) if row.resource_link_id else None
        if (link is None or not link.ags_claim) and row.activity_id:
            # The link may have been launched (and its claim saved) since the score was queued.
            activity = db.session.get(Activity, row.activity_id)
            better = _link_for_activity(activity) if activity else None
            link = better or link
        return link

    def client_for(self, row: GradeOutbox, link: ResourceLink | None) -> ags.AgsClient:
        platform = self.platforms.get(row.platform_id) or db.session.get(Platform, row.platform_id)
        self.platforms[row.platform_id] = platform
        endpoint = ags.endpoint_for_link(link, platform)
        key = (platform.id, endpoint.lineitems, endpoint.lineitem, endpoint.scopes)
        if key not in self.clients:
            self.clients[key] = ags.AgsClient(endpoint)
        return self.clients[key]

    def line_item(
        self, row: GradeOutbox, link: ResourceLink | None, client: ags.AgsClient
    ) -> tuple[str, int | None]:
        if row.line_item_url:
            return row.line_item_url, None
        tag = row.line_item_tag or ""
        if client.endpoint.lineitem and not tag:
            return client.endpoint.lineitem, None
        assert link is not None  # endpoint_for_link refused a missing claim already
        cached = db.session.scalars(
            select(GradeLineItem).where(
                GradeLineItem.resource_link_id == link.id, GradeLineItem.tag == tag
            )
        ).first()
        if cached is not None:
            return cached.url, link.id
        activity = db.session.get(Activity, row.activity_id) if row.activity_id else None
        title = (activity.title if activity else link.title) or _("PeerPath")
        if tag:
            # A further line item: its own tag and label, never the one declared at deep linking.
            label, maximum = f"{title} – {row.line_item_label or tag}", row.score_maximum or 100
            client.endpoint.require(c.SCOPE_LINEITEM)
            url = client.find_or_create_line_item(
                label=label,
                score_maximum=maximum,
                resource_link_id=link.lms_resource_link_id,
                tag=tag,
                resource_id=activity.public_id if activity else None,
                ignore_declared=True,
            )
        else:
            url = client.find_or_create_line_item(
                label=title,
                score_maximum=(
                    activity.score_maximum
                    if activity and activity.score_maximum
                    else row.score_maximum
                )
                or 100,
                resource_link_id=link.lms_resource_link_id,
                tag=activity.kind if activity else "peerpath",
                resource_id=activity.public_id if activity else None,
            )
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(
            insert(GradeLineItem)
            .values(resource_link_id=link.id, tag=tag, url=url, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["resource_link_id", "tag"])
        )
        db.session.commit()
        return url, link.id

    def job(self, row: GradeOutbox) -> _Job:
        link = self.link_for(row)
        client = self.client_for(row, link)
        client.endpoint.require(c.SCOPE_SCORE)
        url, cached_link = self.line_item(row, link, client)
        body = ags.score_body(
            user_id=row.lms_user_id,
            timestamp=row.timestamp,
            score_given=row.score_given,
            score_maximum=row.score_maximum,
            activity_progress=row.activity_progress,
            grading_progress=row.grading_progress,
            comment=row.comment,
        )
        return _Job(row.id, row.attempts, client, url, body, row.timestamp, cached_link)


def _send(job: _Job) -> Outcome:
    """POST one score and classify the answer (runs in a sender thread)."""
    try:
        response = job.client.post_score(job.line_item_url, job.body)
    except ags.AgsError as exc:
        return (
            _retry(job.row_id, job.attempts, exc)
            if exc.retryable
            else Outcome(job.row_id, FAILED, exc.message, exc.status)
        )
    if 200 <= response.status_code < 300:
        return Outcome(job.row_id, DELIVERED, None, response.status_code)
    if response.status_code == 409:
        return _conflict(job, response)
    try:
        job.client.check(response, _("sending a score"))
    except ags.AgsError as exc:
        if exc.retryable:
            return _retry(job.row_id, job.attempts, exc)
        outcome = Outcome(job.row_id, FAILED, _explain(exc), exc.status)
        if exc.status == 404 and job.cached_link_id is not None:
            outcome.drop_cached_line_item = job.cached_link_id
        return outcome
    return Outcome(
        job.row_id,
        FAILED,
        _("Unexpected answer %(s)s.", s=response.status_code),
        response.status_code,
    )


def _explain(exc: ags.AgsError) -> str:
    if exc.status == 404:
        return _(
            "The LMS no longer has this grade column (it may have been deleted). %(detail)s",
            detail=exc.message,
        )
    if exc.status == 403:
        return _("The LMS refused access to this grade column. %(detail)s", detail=exc.message)
    return exc.message


def _conflict(job: _Job, response) -> Outcome:
    """409: the LMS holds a score at least as recent. Ours, sent before (a lost answer), or newer?"""
    detail = ags.oauth.error_text(response)
    if c.SCOPE_RESULT_READONLY in job.client.endpoint.scopes:
        try:
            results = job.client.results(job.line_item_url, job.body["userId"])
        except ags.AgsError:
            results = []
        for result in results:
            stamp = result.get("timestamp")
            try:
                when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
            except ValueError:
                continue
            if _whole_second(when) == _whole_second(job.timestamp):
                # Our own earlier send arrived although its answer was lost: delivered.
                return Outcome(job.row_id, DELIVERED, None, 409)
    return Outcome(
        job.row_id,
        SUPERSEDED,
        _("The LMS already holds a newer score: %(detail)s", detail=detail),
        409,
    )


def _mark(token: str, outcomes: list[Outcome]) -> None:
    now = utcnow()
    for o in outcomes:
        values: dict[str, Any] = {
            "status": o.status,
            "last_http_status": o.http_status,
            "updated_at": now,
        }
        if o.status == DELIVERED:
            values.update(delivered_at=now, last_error=None, claimed_until=None)
        elif o.status == PENDING:
            values.update(
                next_attempt_at=now + timedelta(seconds=o.delay or 0),
                last_error=o.error,
                claimed_until=None,
            )
        else:
            values.update(last_error=o.error, claimed_until=None)
        # Only while we still hold the claim: after a lease expiry another worker owns the row.
        db.session.execute(
            update(GradeOutbox)
            .where(
                GradeOutbox.id == o.row_id,
                GradeOutbox.claim_token == token,
                GradeOutbox.status == SENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if o.drop_cached_line_item is not None:
            db.session.execute(
                GradeLineItem.__table__.delete().where(
                    GradeLineItem.resource_link_id == o.drop_cached_line_item
                )
            )
    db.session.commit()


def send_claimed(rows: list[GradeOutbox], app: Flask | None = None) -> list[Outcome]:
    """Deliver claimed rows (several at once); returns outcomes without marking them."""
    app = app or current_app._get_current_object()
    resolver = _Resolver()
    outcomes: list[Outcome] = []
    # Versions of one grade go in order through one thread; different grades in parallel.
    groups: OrderedDict[tuple, list[_Job]] = OrderedDict()
    for row in rows:
        try:
            job = resolver.job(row)
        except ags.AgsError as exc:
            outcomes.append(
                _retry(row.id, row.attempts, exc)
                if exc.retryable
                else Outcome(row.id, FAILED, exc.message, exc.status)
            )
            continue
        groups.setdefault((row.target_key, row.user_id), []).append(job)

    def run(jobs: list[_Job]) -> list[Outcome]:
        with app.app_context():
            return [_send(job) for job in jobs]

    threads = max(1, int(setting("GRADES_SEND_THREADS")))
    if threads == 1 or len(groups) <= 1:
        for jobs in groups.values():
            outcomes.extend(run(jobs))
    else:
        with ThreadPoolExecutor(
            max_workers=min(threads, len(groups)), thread_name_prefix="grades"
        ) as pool:
            for result in pool.map(run, groups.values()):
                outcomes.extend(result)
    return outcomes


def run_batch(limit: int | None = None) -> BatchResult:
    """Claim, deliver and mark one batch. Call inside an app context."""
    token, rows = claim(limit)
    result = BatchResult(claimed=len(rows))
    if not rows:
        return result
    outcomes = send_claimed(rows)
    _mark(token, outcomes)
    for o in outcomes:
        result.add(o.status)
    return result


# --- visibility and retry ------------------------------------------------------------


def counts(context_id: int | None = None, activity_id: int | None = None) -> dict[str, int]:
    stmt = select(GradeOutbox.status, func.count()).group_by(GradeOutbox.status)
    if context_id is not None:
        stmt = stmt.where(GradeOutbox.context_id == context_id)
    if activity_id is not None:
        stmt = stmt.where(GradeOutbox.activity_id == activity_id)
    found = dict(db.session.execute(stmt).all())
    return {
        status: found.get(status, 0) for status in (PENDING, SENDING, DELIVERED, FAILED, SUPERSEDED)
    }


def problem_rows(context_id: int | None = None, limit: int = 200) -> list[GradeOutbox]:
    """Failed rows, and pending rows that have already failed an attempt (with their reason)."""
    stmt = (
        select(GradeOutbox)
        .where(
            or_(
                GradeOutbox.status == FAILED,
                and_(GradeOutbox.status == PENDING, GradeOutbox.last_error.is_not(None)),
            )
        )
        .order_by(GradeOutbox.updated_at.desc(), GradeOutbox.id.desc())
        .limit(limit)
    )
    if context_id is not None:
        stmt = stmt.where(GradeOutbox.context_id == context_id)
    return list(db.session.scalars(stmt))


def retry(
    *, context_id: int | None = None, row_ids: list[int] | None = None, failed_only: bool = True
) -> int:
    """Make failed rows (and, unless failed_only, waiting pending rows) due now; commits.

    A failed row that a newer version already replaced stays as it is: sending it would be useless.
    """
    statuses = [FAILED] if failed_only else [FAILED, PENDING]
    stmt = update(GradeOutbox).where(GradeOutbox.status.in_(statuses))
    if context_id is not None:
        stmt = stmt.where(GradeOutbox.context_id == context_id)
    if row_ids is not None:
        stmt = stmt.where(GradeOutbox.id.in_(row_ids))
    # A score above its maximum can never succeed as it is: retrying it would only resend nothing.
    stmt = stmt.where(
        or_(GradeOutbox.score_given.is_(None), GradeOutbox.score_given <= GradeOutbox.score_maximum)
    )
    changed = db.session.execute(
        stmt.values(
            status=PENDING, next_attempt_at=utcnow(), attempts=0, updated_at=utcnow()
        ).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return changed
