"""LTI Assignment and Grade Services 2.0 client: line items, scores, results.

Works outside a request: everything comes from the stored Platform and the AGS claim saved at launch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from flask import current_app
from flask_babel import gettext as _

from ..lti import claims as c
from ..models import Platform, ResourceLink
from . import oauth

LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
AGS_SCOPES = (c.SCOPE_LINEITEM, c.SCOPE_LINEITEM_READONLY, c.SCOPE_RESULT_READONLY, c.SCOPE_SCORE)
# A runaway Link rel=next chain must end somewhere.
MAX_PAGES = 100


class AgsError(Exception):
    """A call that did not succeed: `retryable` errors are worth another attempt later.

    `status` is the LMS's HTTP status (None for network errors), `retry_after` its Retry-After.
    """

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class AgsEndpoint:
    """What the platform told us at launch: service URLs and the scopes it granted."""

    platform: Platform
    lineitems: str | None
    lineitem: str | None
    scopes: tuple[str, ...]

    def require(self, *accepted: str) -> None:
        if not set(accepted) & set(self.scopes):
            raise AgsError(
                _(
                    "The LMS did not grant PeerPath the scope %(scope)s for this link (granted: %(granted)s). "
                    "An LMS administrator must allow it; then open the activity once and retry.",
                    scope=" or ".join(accepted),
                    granted=", ".join(self.scopes) or _("none"),
                )
            )


def endpoint_for_link(link: ResourceLink | None, platform: Platform) -> AgsEndpoint:
    """The AGS endpoint from the claim saved at the link's latest launch."""
    claim = (link.ags_claim if link is not None else None) or {}
    if not isinstance(claim, dict) or not (claim.get("lineitems") or claim.get("lineitem")):
        raise AgsError(
            _(
                "No launch of this activity carried the LMS's grade service (AGS) claim, so PeerPath "
                "does not know where to send grades. Check that the LMS allows grade passback for the tool, "
                "open the activity from the course once, then retry."
            )
        )
    scopes = claim.get("scope") or []
    if isinstance(scopes, str):
        scopes = scopes.split()
    return AgsEndpoint(
        platform=platform,
        lineitems=claim.get("lineitems"),
        lineitem=claim.get("lineitem"),
        scopes=tuple(s for s in scopes if isinstance(s, str)),
    )


def service_url(line_item_url: str, service: str, extra: dict[str, str] | None = None) -> str:
    """`…/lineitem?type_id=3` + "scores" -> `…/lineitem/scores?type_id=3` (path before query)."""
    parts = urlsplit(line_item_url)
    query = parts.query
    if extra:
        query = "&".join(q for q in (query, urlencode(extra)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/" + service, query, parts.fragment))


def iso_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as every platform we know parses."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timeout() -> float:
    return float(current_app.config.get("GRADES_HTTP_TIMEOUT") or current_app.config["HTTP_TIMEOUT"])


_local = threading.local()


def http_session() -> requests.Session:
    """One keep-alive session per thread (requests.Session is not thread-safe)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


class AgsClient:
    """AGS calls for one endpoint; one cached token covers every AGS scope the link granted."""

    def __init__(self, endpoint: AgsEndpoint, tokens: oauth.TokenCache | None = None):
        self.endpoint = endpoint
        self.tokens = tokens or oauth.tokens
        self.token_scopes = tuple(s for s in AGS_SCOPES if s in endpoint.scopes)

    # -- transport -------------------------------------------------------------------
    def _token(self) -> str:
        try:
            return self.tokens.get(self.endpoint.platform, self.token_scopes, http_session())
        except oauth.TokenError as exc:
            raise AgsError(exc.message, status=exc.status, retryable=exc.retryable, retry_after=exc.retry_after) from exc

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One call with the cached token; a 401 refreshes the token and tries once more."""
        if not self.token_scopes:
            self.endpoint.require(*AGS_SCOPES)
        for attempt in (1, 2):
            token = self._token()
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
            try:
                response = http_session().request(method, url, headers=headers, timeout=_timeout(), **kwargs)
            except requests.Timeout as exc:
                raise AgsError(_("The LMS did not answer within %(s)s s (%(url)s).", s=_timeout(), url=url), retryable=True) from exc
            except requests.RequestException as exc:
                raise AgsError(
                    _("Could not reach the LMS: %(error)s", error=f"{type(exc).__name__}: {exc}"), retryable=True
                ) from exc
            if response.status_code == 401 and attempt == 1:
                self.tokens.invalidate(self.endpoint.platform, self.token_scopes, token)
                kwargs["headers"] = headers
                continue
            return response
        return response

    def check(self, response: requests.Response, what: str) -> requests.Response:
        """Raise AgsError for anything but 2xx, classified retryable or not."""
        status = response.status_code
        if 200 <= status < 300:
            return response
        detail = oauth.error_text(response)
        message = _("The LMS answered %(status)s to %(what)s: %(detail)s", status=status, what=what, detail=detail)
        retryable = status >= 500 or status in (401, 408, 429)
        raise AgsError(message, status=status, retryable=retryable, retry_after=oauth.retry_after_seconds(response))

    # -- line items ------------------------------------------------------------------
    def find_line_items(self, *, resource_link_id: str | None = None, tag: str | None = None,
                        resource_id: str | None = None, limit: int = 100) -> list[dict]:
        """Line items filtered by the platform; Link rel="next" is followed verbatim."""
        self.endpoint.require(c.SCOPE_LINEITEM, c.SCOPE_LINEITEM_READONLY)
        if not self.endpoint.lineitems:
            raise AgsError(_("The LMS gave no line items URL for this link."))
        filters = {"resource_link_id": resource_link_id, "tag": tag, "resource_id": resource_id, "limit": str(limit)}
        url: str | None = _add_query(self.endpoint.lineitems, {k: v for k, v in filters.items() if v})
        items: list[dict] = []
        for _page in range(MAX_PAGES):
            if url is None:
                break
            response = self.check(
                self.request("GET", url, headers={"Accept": LINEITEM_CONTAINER_MEDIA_TYPE}), _("a line item search")
            )
            page = response.json()
            if isinstance(page, list):
                items.extend(i for i in page if isinstance(i, dict))
            url = response.links.get("next", {}).get("url")
        return items

    def create_line_item(self, *, label: str, score_maximum: float, resource_id: str | None = None,
                         tag: str | None = None, resource_link_id: str | None = None) -> dict:
        self.endpoint.require(c.SCOPE_LINEITEM)
        if not self.endpoint.lineitems:
            raise AgsError(_("The LMS gave no line items URL for this link."))
        body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
        optional = {"resourceId": resource_id, "tag": tag, "resourceLinkId": resource_link_id}
        body.update({k: v for k, v in optional.items() if v})
        response = self.request(
            "POST", self.endpoint.lineitems, json=body,
            headers={"Content-Type": LINEITEM_MEDIA_TYPE, "Accept": LINEITEM_MEDIA_TYPE},
        )
        item = self.check(response, _("creating a line item")).json()
        if not isinstance(item, dict) or not item.get("id"):
            raise AgsError(_("The LMS created a line item but did not say its URL."), retryable=True)
        return item

    def find_or_create_line_item(self, *, label: str, score_maximum: float, resource_link_id: str | None,
                                 tag: str | None, resource_id: str | None, ignore_declared: bool = False) -> str:
        """The declared line item, else the one for this link + tag, else a new one.

        `ignore_declared` is for a placement's further line items (a second grade of one link).
        """
        if self.endpoint.lineitem and not ignore_declared:
            return self.endpoint.lineitem
        found = self.find_line_items(resource_link_id=resource_link_id, tag=tag)
        if resource_id:
            found = [i for i in found if i.get("resourceId") in (None, resource_id)] or found
        if found:
            return found[0]["id"]
        return self.create_line_item(
            label=label, score_maximum=score_maximum, resource_id=resource_id, tag=tag, resource_link_id=resource_link_id
        )["id"]

    # -- scores and results ----------------------------------------------------------
    def post_score(self, line_item_url: str, body: dict) -> requests.Response:
        """POST a score; returns the raw response (the outbox classifies 409 and errors)."""
        self.endpoint.require(c.SCOPE_SCORE)
        return self.request(
            "POST", service_url(line_item_url, "scores"), json=body, headers={"Content-Type": SCORE_MEDIA_TYPE}
        )

    def results(self, line_item_url: str, user_id: str | None = None) -> list[dict]:
        self.endpoint.require(c.SCOPE_RESULT_READONLY)
        url: str | None = service_url(line_item_url, "results", {"user_id": user_id} if user_id else None)
        rows: list[dict] = []
        for _page in range(MAX_PAGES):
            if url is None:
                break
            response = self.check(
                self.request("GET", url, headers={"Accept": RESULT_CONTAINER_MEDIA_TYPE}), _("reading results")
            )
            page = response.json()
            if isinstance(page, list):
                rows.extend(r for r in page if isinstance(r, dict))
            url = response.links.get("next", {}).get("url")
        return rows


def score_body(*, user_id: str, timestamp: datetime, score_given: float | None, score_maximum: float | None,
               activity_progress: str = "Completed", grading_progress: str = "FullyGraded",
               comment: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userId": user_id,
        "timestamp": iso_timestamp(timestamp),
        "activityProgress": activity_progress,
        "gradingProgress": grading_progress,
    }
    if score_given is not None:
        body["scoreGiven"] = score_given
        body["scoreMaximum"] = score_maximum
    elif score_maximum is not None:
        body["scoreMaximum"] = score_maximum
    if comment:
        body["comment"] = comment
    return body


def _add_query(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
