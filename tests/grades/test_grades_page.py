"""Bad input reaches people: the instructor's grades page and `peerpath grades` show every failure."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from grades_helpers import (
    client_for,
    create_line_items,
    gradebook,
    launched_link,
    tool_user,
)
from sqlalchemy import select

from lti_tool.devlms.browser import forms
from lti_tool.extensions import db
from lti_tool.models import ResourceLink
from lti_tool.models.grades import GradeOutbox
from lti_tool.services import outbox, worker
from lti_tool.services.cli import grades_cli, worker_command


@pytest.fixture
def troubled(lti):
    """One good score and four bad ones, delivered as far as they go."""
    link_id = launched_link(lti)
    good, deleted = create_line_items(lti, link_id, 2, score_maximum=10)
    with lti.app.app_context():
        client_for(link_id).request("DELETE", deleted).raise_for_status()
        link = db.session.get(ResourceLink, link_id)

        def score(sub, value, url=good):
            return outbox.enqueue_score(
                user=tool_user(lti, sub),
                resource_link=link,
                line_item_url=url,
                score_given=value,
                score_maximum=10,
            ).id

        ids = {
            "good": score("u-2001", 8),
            "above_max": score("u-2002", 12),
            "unknown_user": score("u-9999", 5),
            "instructor": score("u-1001", 5),
            "deleted_item": score("u-2003", 4, deleted),
        }
        db.session.commit()
    worker.drain(lti.app, timeout=20)
    return ids, good


def _rows(lti) -> dict[int, GradeOutbox]:
    with lti.app.app_context():
        return {r.id: r for r in db.session.scalars(select(GradeOutbox))}


def test_each_bad_score_fails_with_the_reason_and_nothing_is_dropped(lti, troubled):
    ids, good = troubled
    rows = _rows(lti)
    assert rows[ids["good"]].status == "delivered"
    assert gradebook(lti)[good] == {"u-2001": gradebook(lti)[good]["u-2001"]}
    assert rows[ids["above_max"]].status == "failed"
    assert "above the maximum" in rows[ids["above_max"]].last_error
    assert rows[ids["above_max"]].attempts == 0  # refused before sending
    for key in ("unknown_user", "instructor"):
        assert rows[ids[key]].status == "failed" and rows[ids[key]].last_http_status == 400
        assert "not gradable" in rows[ids[key]].last_error
    assert (
        rows[ids["deleted_item"]].status == "failed"
        and rows[ids["deleted_item"]].last_http_status == 404
    )
    assert "no longer has this grade column" in rows[ids["deleted_item"]].last_error


def _instructor_page(lti):
    result = lti.launch("u-1001")
    token = parse_qs(urlsplit(result.url).query)["lt"][0]
    return result, token


def test_instructor_page_lists_failures_and_retries_them(lti, troubled):
    ids, _good = troubled
    result, token = _instructor_page(lti)
    http = requests.Session()
    page = http.get(f"{lti.tool_url}/grades", params={"lt": token}, timeout=10)
    assert page.status_code == 200, page.text
    assert 'data-status="failed"><th scope="row">Failed</th><td>4</td>' in page.text
    assert 'data-status="delivered"><th scope="row">Delivered</th><td>1</td>' in page.text
    assert (
        "above the maximum" in page.text
        and "not gradable" in page.text
        and "no longer has this grade column" in page.text
    )
    # Retry one row with the page's own form (CSRF token and launch token included).
    form = next(f for f in forms(page.text) if f.fields.get("row") == str(ids["unknown_user"]))
    answer = http.post(urljoin(page.url, form.action), data=form.fields, timeout=10)
    assert answer.status_code == 200 and "1 score will be sent again." in answer.text
    assert _rows(lti)[ids["unknown_user"]].status == "pending"
    # Without the CSRF token the same POST is refused.
    forged = {k: v for k, v in form.fields.items() if k != "csrf_token"}
    assert http.post(f"{lti.tool_url}/grades/retry", data=forged, timeout=10).status_code == 400


def test_learners_cannot_see_the_grades_page(lti):
    launched_link(lti)
    result = lti.launch("u-2002")
    token = parse_qs(urlsplit(result.url).query).get("lt", [""])[0]
    assert (
        requests.get(f"{lti.tool_url}/grades", params={"lt": token}, timeout=10).status_code == 403
    )
    assert requests.get(f"{lti.tool_url}/grades", timeout=10).status_code == 401


def test_cli_status_and_retry(lti, troubled, runner):
    ids, _good = troubled
    status = runner.invoke(grades_cli, ["status"])
    assert status.exit_code == 0, status.output
    assert "delivered: 1" in status.output and "failed: 4" in status.output
    assert f"#{ids['deleted_item']} failed" in status.output and "http=404" in status.output
    assert "above the maximum" in status.output
    retry = runner.invoke(grades_cli, ["retry", "--failed"])
    # The score above its maximum cannot succeed as it is: it stays failed.
    assert "3 scores queued" in retry.output, retry.output
    assert _rows(lti)[ids["above_max"]].status == "failed"
    once = runner.invoke(worker_command, ["--once"])
    assert once.exit_code == 0 and "failed 3" in once.output, once.output
