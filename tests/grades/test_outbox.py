"""Grade outbox against the dev LMS with faults injected: nothing lost, latest wins, self-healing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from grades_helpers import (
    arm,
    create_line_items,
    expected_latest,
    faults,
    gradebook,
    launched_link,
    lms_values,
    reset_tokens,
    stats,
    tool_user,
)
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import ResourceLink
from lti_tool.models.base import utcnow
from lti_tool.models.grades import GradeOutbox
from lti_tool.services import outbox, worker

LEARNERS = ["u-2001", "u-2002", "u-2003", "u-2004", "u-2005"]


@pytest.fixture
def course(lti):
    """(link id, one line item URL) with the AGS claim stored by a real launch."""
    link_id = launched_link(lti)
    return link_id, create_line_items(lti, link_id, 1, score_maximum=10)[0]


def enqueue(lti, link_id: int, url: str, scores: dict[str, float]) -> list[int]:
    with lti.app.app_context():
        link = db.session.get(ResourceLink, link_id)
        rows = [
            outbox.enqueue_score(
                user=tool_user(lti, sub),
                resource_link=link,
                line_item_url=url,
                score_given=value,
                score_maximum=10,
            )
            for sub, value in scores.items()
        ]
        db.session.commit()
        return [r.id for r in rows]


def statuses(lti) -> dict[int, tuple[str, str | None]]:
    with lti.app.app_context():
        return {r.id: (r.status, r.last_error) for r in db.session.scalars(select(GradeOutbox))}


def assert_lms_matches_peerpath(lti):
    assert lms_values(lti) == expected_latest(lti.app)


def test_latest_score_wins_and_older_versions_are_never_sent(lti, course):
    link_id, url = course
    posts = stats(lti)["score_posts"]
    for value in (2, 5, 9):
        enqueue(lti, link_id, url, {"u-2001": value})
    worker.drain(lti.app, timeout=20)
    assert gradebook(lti)[url]["u-2001"]["scoreGiven"] == 9
    assert [s for s, _e in statuses(lti).values()] == ["superseded", "superseded", "delivered"]
    assert stats(lti)["score_posts"] == posts + 1
    # A new grade after delivery (same second) still lands: its timestamp is kept later.
    enqueue(lti, link_id, url, {"u-2001": 4})
    worker.drain(lti.app, timeout=20)
    assert gradebook(lti)[url]["u-2001"]["scoreGiven"] == 4


FAULTS = [
    pytest.param({"kind": "ags", "mode": "500", "count": 4}, id="ags-500"),
    pytest.param(
        {"kind": "ags", "mode": "503", "count": 3, "retry_after": 0}, id="ags-503-retry-after"
    ),
    pytest.param(
        {"kind": "ags", "mode": "429", "count": 3, "retry_after": 0}, id="ags-429-retry-after"
    ),
    pytest.param(
        {"kind": "ags", "mode": "hang", "count": 2, "hang_seconds": 1.5}, id="ags-hang-past-timeout"
    ),
    pytest.param({"kind": "ags", "mode": "drop", "count": 3}, id="ags-drop"),
    pytest.param({"kind": "ags", "mode": "401", "count": 3}, id="ags-token-rejected"),
    pytest.param({"kind": "token", "mode": "500", "count": 2}, id="token-500"),
    pytest.param({"kind": "token", "mode": "401", "count": 2}, id="token-invalid-client"),
    pytest.param({"kind": "any", "mode": "503", "count": 5, "retry_after": 0}, id="any-503"),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_worker_recovers_by_itself_from_platform_faults(lti, course, fault):
    link_id, url = course
    arm(lti, **fault)
    reset_tokens()  # so the token endpoint is called (and faulted) too
    enqueue(lti, link_id, url, {sub: i + 1.5 for i, sub in enumerate(LEARNERS)})
    worker.drain(lti.app, timeout=30)
    assert faults(lti)["fired"] == fault["count"], faults(lti)
    assert {s for s, _e in statuses(lti).values()} == {"delivered"}, statuses(lti)
    assert_lms_matches_peerpath(lti)


def test_429_retry_after_is_honoured(lti, course):
    link_id, url = course
    arm(lti, kind="ags", mode="429", count=1, retry_after=3)
    [row_id] = enqueue(lti, link_id, url, {"u-2001": 6})
    with lti.app.app_context():
        started = utcnow()
        outbox.run_batch()
        row = db.session.get(GradeOutbox, row_id)
        assert row.status == "pending" and row.last_http_status == 429
        assert row.next_attempt_at - started >= timedelta(seconds=2.9)
        assert "429" in row.last_error
        assert outbox.run_batch().claimed == 0  # not due before Retry-After


def test_crash_between_send_and_mark_neither_loses_nor_corrupts(lti, course):
    link_id, url = course
    enqueue(lti, link_id, url, {sub: 3 for sub in LEARNERS})
    with lti.app.app_context():
        # The worker claims and sends, then dies before marking anything.
        _token, rows = outbox.claim(lease_seconds=60)
        outbox.send_claimed(rows)
        db.session.rollback()
    assert {s for s, _e in statuses(lti).values()} == {"sending"}
    # Meanwhile one learner is re-graded: the newer score must win over the dead worker's.
    enqueue(lti, link_id, url, {"u-2003": 8})
    with lti.app.app_context():
        assert outbox.run_batch().claimed == 1  # the new row only: the old ones are leased
        db.session.execute(
            update(GradeOutbox)
            .where(GradeOutbox.status == "sending")
            .values(claimed_until=utcnow())
        )
        db.session.commit()
    worker.drain(lti.app, timeout=20)
    final = statuses(lti)
    # The re-sent rows got 409 (same timestamp); read-back shows the LMS has them: delivered.
    assert sorted(s for s, _e in final.values()) == ["delivered"] * 5 + ["superseded"], final
    values = gradebook(lti)[url]
    assert {u: r["scoreGiven"] for u, r in values.items()} == {
        **{s: 3 for s in LEARNERS},
        "u-2003": 8,
    }
    assert_lms_matches_peerpath(lti)


def test_hang_then_late_apply_is_read_back_as_delivered(lti, course):
    link_id, url = course
    arm(lti, kind="ags", mode="hang", count=1, hang_seconds=1.5)
    [row_id] = enqueue(lti, link_id, url, {"u-2004": 7})
    worker.drain(lti.app, timeout=20)
    with lti.app.app_context():
        row = db.session.get(GradeOutbox, row_id)
        assert row.status == "delivered" and row.attempts == 2
    assert gradebook(lti)[url]["u-2004"]["scoreGiven"] == 7


def test_several_workers_never_send_a_row_twice(lti, course):
    link_id, url = course
    subs = [f"u-20{i:02d}" for i in range(1, 9)]
    urls = create_line_items(lti, link_id, 6, score_maximum=10)
    with lti.app.app_context():
        link = db.session.get(ResourceLink, link_id)
        for u in urls:
            for sub in subs:
                outbox.enqueue_score(
                    user=tool_user(lti, sub),
                    resource_link=link,
                    line_item_url=u,
                    score_given=1,
                    score_maximum=10,
                )
        db.session.commit()
    posts = stats(lti)["score_posts"]
    workers = [
        threading.Thread(target=worker.drain, args=(lti.app,), kwargs={"timeout": 30, "batch": 5})
        for _ in range(3)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert stats(lti)["score_posts"] - posts == len(urls) * len(subs)
    assert {s for s, _e in statuses(lti).values()} == {"delivered"}
    assert_lms_matches_peerpath(lti)
