"""LTI Names and Role Provisioning Services 2.0 client: sync a course roster from the LMS.

Works outside a request (CLI, worker): it needs only the stored Platform and the NRPS claim of a launch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import requests
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..lti import claims as c
from ..models import Context, Membership, Platform, RosterChange, RosterSync, User
from ..models import roster as r
from ..models.base import new_public_id, utcnow
from . import oauth

log = logging.getLogger(__name__)

MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# Canvas answers with the LIS media type, not the spec's; plain JSON is accepted too.
CANVAS_MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lis.v2.membershipcontainer+json"
ACCEPT = f"{MEMBERSHIP_MEDIA_TYPE}, {CANVAS_MEMBERSHIP_MEDIA_TYPE};q=0.9, application/json;q=0.5"
SCOPES = (c.SCOPE_NRPS,)
# Members the LMS still lists but no longer counts as enrolled.
GONE_STATUSES = {"inactive", "deleted"}
DEFAULT_MAX_AGE_SECONDS = 900
# A runaway Link rel=next chain must end somewhere (1,000 pages of even 10 is a big course).
MAX_PAGES = 1000
# A "running" sync older than this died with its process: another may start.
RUNNING_STALE_SECONDS = 600
# LIS roles a launch may carry that a roster never does: a sync must not drop them.
_NON_CONTEXT_PREFIXES = (
    "http://purl.imsglobal.org/vocab/lis/v2/institution/",
    "http://purl.imsglobal.org/vocab/lis/v2/system/",
)


class RosterError(Exception):
    """Why a roster could not be fetched, in words an operator can act on."""


@dataclass
class SyncResult:
    """What a sync did: counts of differences, or why it failed; `fetched` = the LMS was called."""

    context_id: int
    ok: bool
    fetched: bool
    sync_id: int | None = None
    reason: str | None = None
    members: int = 0
    joined: int = 0
    left: int = 0
    changed: int = 0
    pages: int = 0
    finished_at: datetime | None = None

    @classmethod
    def from_row(cls, row: RosterSync, fetched: bool) -> SyncResult:
        return cls(
            context_id=row.context_id,
            ok=row.status == r.OK,
            fetched=fetched,
            sync_id=row.id,
            reason=row.reason,
            members=row.member_count,
            joined=row.joined_count,
            left=row.left_count,
            changed=row.changed_count,
            pages=row.page_count,
            finished_at=row.finished_at,
        )


@dataclass(frozen=True)
class RosterMember:
    """One member as the LMS listed them, roles still as LIS roles (short or full)."""

    user_id: str
    active: bool
    roles: tuple[str, ...]
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""


@dataclass
class FetchedRoster:
    members: list[RosterMember] = field(default_factory=list)
    pages: int = 0


# --- Reading the LMS ------------------------------------------------------------------


def _timeout() -> float:
    return float(current_app.config.get("HTTP_TIMEOUT") or 10)


def memberships_url(context: Context) -> str:
    claim = context.nrps_claim if isinstance(context.nrps_claim, dict) else {}
    url = claim.get("context_memberships_url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise RosterError(
            _(
                "No launch in this course carried the LMS's roster service (NRPS) claim, so "
                "PeerPath does not know where to read the roster. Allow the tool to read names "
                "and roles in the LMS, open PeerPath from the course once, then sync again."
            )
        )
    return url


def _check_granted(platform: Platform) -> None:
    # Registrations that recorded their granted scopes tell us early; manual ones record
    # none, and then the token endpoint's answer decides.
    granted = (platform.scopes or "").split()
    if granted and c.SCOPE_NRPS not in granted:
        raise RosterError(
            _(
                "The LMS did not grant PeerPath the scope %(scope)s (granted: %(granted)s). "
                "An LMS administrator must allow the tool to read course membership.",
                scope=c.SCOPE_NRPS,
                granted=", ".join(granted),
            )
        )


def _next_link(response: requests.Response) -> str | None:
    """The `Link: <…>; rel="next"` URL exactly as sent: page tokens are case-sensitive."""
    for link in requests.utils.parse_header_links(response.headers.get("Link", "")):
        if "next" in link.get("rel", "").lower().split() and link.get("url"):
            # urljoin only resolves a relative URL; it never changes an absolute one's case.
            return urljoin(response.url, link["url"])
    return None


def _parse_members(body: Any, url: str) -> list[RosterMember]:
    members = body.get("members") if isinstance(body, dict) else None
    if not isinstance(members, list):
        raise RosterError(_("The LMS answered %(url)s without a members list.", url=url))
    out = []
    for m in members:
        if not isinstance(m, dict) or not m.get("user_id"):
            continue  # nothing to key a person on
        roles = m.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        status = str(m.get("status") or "Active").strip().lower()
        out.append(
            RosterMember(
                user_id=str(m["user_id"])[:255],
                active=status not in GONE_STATUSES,
                roles=tuple(x for x in roles if isinstance(x, str)),
                name=str(m.get("name") or "")[:255],
                given_name=str(m.get("given_name") or "")[:255],
                family_name=str(m.get("family_name") or "")[:255],
                email=str(m.get("email") or "")[:320],
            )
        )
    return out


def _is_json(response: requests.Response) -> bool:
    mimetype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return mimetype in (
        MEMBERSHIP_MEDIA_TYPE,
        CANVAS_MEMBERSHIP_MEDIA_TYPE,
        "application/json",
    ) or mimetype.endswith("+json")


def fetch_roster(
    platform: Platform,
    url: str,
    *,
    tokens: oauth.TokenCache | None = None,
    session: requests.Session | None = None,
    page_size: int | None = None,
) -> FetchedRoster:
    """Every page of the memberships container; raises RosterError. No database writes."""
    tokens = tokens or oauth.tokens
    http = session or requests.Session()
    roster = FetchedRoster()
    seen_urls: set[str] = set()
    next_url: str | None = url
    params: dict[str, Any] | None = {"limit": page_size} if page_size else None
    while next_url:
        if next_url in seen_urls or roster.pages >= MAX_PAGES:
            raise RosterError(
                _("The LMS's roster paging does not end (stopped at page %(n)d).", n=roster.pages)
            )
        seen_urls.add(next_url)
        response = _get_page(platform, next_url, params, tokens, http)
        params = None  # the next URL is followed verbatim, never rebuilt
        if not _is_json(response):
            raise RosterError(
                _(
                    "The LMS answered the roster request with %(type)s instead of JSON.",
                    type=response.headers.get("Content-Type") or _("no content type"),
                )
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise RosterError(_("The LMS answered the roster request with invalid JSON.")) from exc
        roster.members.extend(_parse_members(body, next_url))
        roster.pages += 1
        next_url = _next_link(response)
    return roster


def _get_page(
    platform: Platform,
    url: str,
    params: dict[str, Any] | None,
    tokens: oauth.TokenCache,
    http: requests.Session,
) -> requests.Response:
    """One page; a 401 refreshes the token once (it may have been revoked early)."""
    for attempt in range(2):
        try:
            token = tokens.get(platform, list(SCOPES), http)
        except oauth.TokenError as exc:
            if exc.status == 400 and "scope" in exc.message:
                raise RosterError(
                    _(
                        "The LMS refused PeerPath a token for reading the roster (%(detail)s). "
                        "An LMS administrator must grant the scope %(scope)s.",
                        detail=exc.message,
                        scope=c.SCOPE_NRPS,
                    )
                ) from exc
            raise RosterError(
                _("No access token for the roster: %(detail)s", detail=exc.message)
            ) from exc
        try:
            response = http.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT},
                timeout=_timeout(),
            )
        except requests.RequestException as exc:
            raise RosterError(
                _(
                    "The LMS could not be reached for the roster (%(error)s).",
                    error=f"{type(exc).__name__}: {exc}",
                )
            ) from exc
        if response.status_code == 401 and attempt == 0:
            tokens.invalidate(platform, list(SCOPES), token)
            continue
        if response.status_code != 200:
            retry_after = oauth.retry_after_seconds(response)
            raise RosterError(
                _(
                    "The LMS answered the roster request with %(status)d: %(detail)s%(retry)s",
                    status=response.status_code,
                    detail=oauth.error_text(response) or response.reason,
                    retry=(_(" (retry after %(s)d s)", s=int(retry_after)) if retry_after else ""),
                )
            )
        return response
    raise AssertionError("unreachable")  # pragma: no cover


# --- Writing what changed ---------------------------------------------------------------


def _insert_ignore(model: Any, rows: list[dict[str, Any]], conflict: list[str]) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Chunks keep every statement under SQLite's limit on bound parameters.
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        db.session.execute(
            insert(model).values(chunk).on_conflict_do_nothing(index_elements=conflict)
        )


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _users_by_sub(platform_id: int, subs: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(subs):
        for user in db.session.scalars(
            select(User)
            .where(User.platform_id == platform_id, User.sub.in_(chunk))
            .execution_options(populate_existing=True)
        ):
            found[user.sub] = user
    return found


def _merged_lis_roles(roster_roles: tuple[str, ...], previous: list | None) -> list[str]:
    # The roster is authoritative for course roles; institution/system roles only ever
    # come with a launch, so keep those (an LMS admin must not be demoted by a sync).
    kept = [x for x in previous or [] if isinstance(x, str) and x.startswith(_NON_CONTEXT_PREFIXES)]
    return list(dict.fromkeys([*roster_roles, *kept]))


def _apply(context: Context, roster: FetchedRoster, sync: RosterSync) -> None:
    """Upsert people and memberships and record the differences (caller commits)."""
    now = utcnow()
    listed: dict[str, RosterMember] = {}
    for m in roster.members:
        listed[m.user_id] = m  # a person listed twice: the last entry wins
    active = {sub: m for sub, m in listed.items() if m.active}

    users = _users_by_sub(context.platform_id, list(active))
    missing = [sub for sub in active if sub not in users]
    # People from the roster exist before their first launch: last_launch_at stays None.
    _insert_ignore(
        User,
        [
            {
                "public_id": new_public_id(),
                "platform_id": context.platform_id,
                "sub": sub,
                "name": active[sub].name,
                "given_name": active[sub].given_name,
                "family_name": active[sub].family_name,
                "email": active[sub].email,
                "created_at": now,
            }
            for sub in missing
        ],
        ["platform_id", "sub"],
    )
    if missing:
        users.update(_users_by_sub(context.platform_id, missing))
    for sub, m in active.items():
        user = users[sub]
        for name in ("name", "given_name", "family_name", "email"):
            value = getattr(m, name)
            # What the LMS chose not to send (no PII) must not erase what we know.
            if value and getattr(user, name) != value:
                setattr(user, name, value)

    memberships = {
        ms.user_id: ms
        for ms in db.session.scalars(
            select(Membership)
            .where(Membership.context_id == context.id)
            .execution_options(populate_existing=True)
        )
    }
    changes: list[RosterChange] = []
    present: set[int] = set()
    for sub, m in active.items():
        user = users[sub]
        present.add(user.id)
        ms = memberships.get(user.id)
        if ms is None:
            lis_roles = _merged_lis_roles(m.roles, None)
            roles = " ".join(c.map_roles(lis_roles))
            ms = Membership(
                user_id=user.id,
                context_id=context.id,
                roles=roles,
                lis_roles=lis_roles,
                updated_at=now,
            )
            db.session.add(ms)
            changes.append(RosterChange(user_id=user.id, change=r.JOINED, new_roles=roles))
            continue
        lis_roles = _merged_lis_roles(m.roles, ms.lis_roles)
        roles = " ".join(c.map_roles(lis_roles))
        if ms.left_at is not None:
            changes.append(
                RosterChange(user_id=user.id, change=r.JOINED, old_roles=ms.roles, new_roles=roles)
            )
            ms.left_at = None
        elif roles != ms.roles:
            changes.append(
                RosterChange(
                    user_id=user.id, change=r.ROLE_CHANGED, old_roles=ms.roles, new_roles=roles
                )
            )
        if ms.roles != roles:
            ms.roles = roles
        if ms.lis_roles != lis_roles:
            ms.lis_roles = lis_roles
    for user_id, ms in memberships.items():
        if user_id in present or ms.left_at is not None:
            continue
        # Gone from the roster or listed Inactive/Deleted: marked, never deleted.
        ms.left_at = now
        changes.append(RosterChange(user_id=user_id, change=r.LEFT, old_roles=ms.roles))

    sync.changes.extend(changes)
    sync.status = r.OK
    sync.finished_at = now
    sync.member_count = len(active)
    sync.joined_count = sum(1 for x in changes if x.change == r.JOINED)
    sync.left_count = sum(1 for x in changes if x.change == r.LEFT)
    sync.changed_count = sum(1 for x in changes if x.change == r.ROLE_CHANGED)
    sync.page_count = roster.pages
    sync.reason = None


# --- The entry points ---------------------------------------------------------------


def sync_roster(
    context: Context,
    *,
    tokens: oauth.TokenCache | None = None,
    session: requests.Session | None = None,
) -> SyncResult:
    """Fetch the roster now and apply it in one transaction; a failure changes no member.

    Returns the result either way; a failed sync is recorded (status "failed" + reason).
    """
    context_id = context.id
    sync = RosterSync(context_id=context_id, status=r.RUNNING, started_at=utcnow())
    db.session.add(sync)
    db.session.commit()
    sync_id = sync.id
    try:
        platform = db.session.get(Platform, context.platform_id)
        if platform is None:
            raise RosterError(_("The course's LMS registration no longer exists."))
        url = memberships_url(context)
        _check_granted(platform)
        # Settings from the environment arrive as strings.
        page_size = int(current_app.config.get("ROSTER_PAGE_SIZE") or 0) or None
        roster = fetch_roster(platform, url, tokens=tokens, session=session, page_size=page_size)
        _apply(context, roster, sync)
        db.session.commit()
    except RosterError as exc:
        db.session.rollback()
        return _failed(sync_id, str(exc))
    except IntegrityError:
        db.session.rollback()
        return _failed(
            sync_id,
            _("The course's members changed while the roster was being saved; sync again."),
        )
    except Exception as exc:
        db.session.rollback()
        log.exception("roster sync of context %s failed", context_id)
        _failed(sync_id, f"{type(exc).__name__}: {exc}")
        raise
    log.info(
        "roster sync of context %s: %d members, %d joined, %d left, %d changed (%d pages)",
        context_id,
        sync.member_count,
        sync.joined_count,
        sync.left_count,
        sync.changed_count,
        sync.page_count,
    )
    return SyncResult.from_row(sync, fetched=True)


def _failed(sync_id: int, reason: str) -> SyncResult:
    log.warning("roster sync %s failed: %s", sync_id, reason)
    sync = db.session.get(RosterSync, sync_id)
    sync.status = r.FAILED
    sync.reason = reason
    sync.finished_at = utcnow()
    db.session.commit()
    return SyncResult.from_row(sync, fetched=True)


def latest_sync(context: Context, *, ok_only: bool = False) -> RosterSync | None:
    stmt = select(RosterSync).where(RosterSync.context_id == context.id)
    if ok_only:
        stmt = stmt.where(RosterSync.status == r.OK)
    # populate_existing: sessions keep objects across commits, and another process may
    # have finished this sync since we last looked.
    stmt = stmt.order_by(RosterSync.id.desc()).limit(1).execution_options(populate_existing=True)
    return db.session.scalars(stmt).first()


def ensure_fresh(context: Context, *, max_age: float | None = None) -> SyncResult:
    """Sync unless a recent sync (successful or still running) makes it pointless.

    Cheap when fresh: one indexed query, no call to the LMS. A failed sync does not count
    as fresh, but a failure younger than the limit is not retried on every page view either.
    """
    if max_age is None:
        max_age = float(current_app.config.get("ROSTER_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS))
    now = utcnow()
    latest = latest_sync(context)
    if latest is not None:
        if latest.status == r.RUNNING and now - latest.started_at < timedelta(
            seconds=RUNNING_STALE_SECONDS
        ):
            done = latest_sync(context, ok_only=True)
            return SyncResult.from_row(done or latest, fetched=False)
        finished = latest.finished_at or latest.started_at
        if latest.status != r.RUNNING and now - finished < timedelta(seconds=max_age):
            if latest.status == r.OK:
                return SyncResult.from_row(latest, fetched=False)
            # A recent failure: retry after a short pause, not at every view.
            if now - finished < timedelta(seconds=min(60.0, max_age)):
                return SyncResult.from_row(latest, fetched=False)
    return sync_roster(context)


@dataclass(frozen=True)
class RosterSummary:
    """What a page shows about a course's people."""

    members: int
    not_launched: int
    left: int
    last_synced_at: datetime | None


def summary(context: Context) -> RosterSummary:
    """Counts for a page: current members, those who never launched, those who left."""
    rows = db.session.execute(
        select(
            func.count().filter(Membership.left_at.is_(None)),
            func.count().filter(Membership.left_at.is_(None), User.last_launch_at.is_(None)),
            func.count().filter(Membership.left_at.is_not(None)),
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.context_id == context.id)
    ).one()
    last = latest_sync(context, ok_only=True)
    return RosterSummary(
        members=rows[0],
        not_launched=rows[1],
        left=rows[2],
        last_synced_at=last.finished_at if last else None,
    )
