"""1,000 scores for 50 learners across 20 line items, with faults injected while they flow."""

from __future__ import annotations

import random

from grades_helpers import (
    add_learners,
    arm,
    create_line_items,
    expected_latest,
    faults,
    launched_link,
    lms_values,
    reset_tokens,
    stats,
)
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.models import ResourceLink, User
from lti_tool.models.grades import GradeOutbox
from lti_tool.services import outbox, worker

FAULT_MIX = [
    {"kind": "ags", "mode": "500", "count": 20},
    {"kind": "ags", "mode": "503", "count": 10, "retry_after": 0},
    {"kind": "ags", "mode": "429", "count": 10, "retry_after": 0},
    {"kind": "ags", "mode": "drop", "count": 5},
    {"kind": "ags", "mode": "401", "count": 5},
    {"kind": "ags", "mode": "hang", "count": 2, "hang_seconds": 1.5},
    {"kind": "token", "mode": "500", "count": 2},
]


def test_thousand_scores_with_faults_end_as_peerpath_holds_them(lti):
    reset_tokens()
    rng = random.Random(3)
    link_id = launched_link(lti)
    learners = add_learners(lti, 50)
    items = create_line_items(lti, link_id, 20, score_maximum=100)
    for fault in FAULT_MIX:
        arm(lti, **fault)
    reset_tokens()  # the token endpoint is part of the storm too
    sender = worker.BackgroundWorker(lti.app, poll_seconds=0.02).start()
    try:
        with lti.app.app_context():
            link = db.session.get(ResourceLink, link_id)
            users = {
                u.sub: u for u in db.session.scalars(select(User).where(User.sub.in_(learners)))
            }
            # 1,000 grades in 50 transactions while the sender runs: repeats of the same
            # (line item, learner) happen, so "latest wins" is exercised under load.
            for _txn in range(50):
                for _ in range(20):
                    outbox.enqueue_score(
                        user=users[rng.choice(learners)],
                        resource_link=link,
                        line_item_url=rng.choice(items),
                        score_given=rng.randrange(0, 101),
                        score_maximum=100,
                    )
                db.session.commit()
        worker.drain(lti.app, timeout=90)
    finally:
        sender.stop()
    fired = faults(lti)
    assert fired["fired"] == sum(f["count"] for f in FAULT_MIX), fired
    with lti.app.app_context():
        by_status = dict(
            db.session.execute(
                select(GradeOutbox.status, func.count()).group_by(GradeOutbox.status)
            ).all()
        )
    assert sum(by_status.values()) == 1000
    assert set(by_status) <= {"delivered", "superseded"}, by_status
    expected = expected_latest(lti.app)
    assert (
        len(expected) > 500
    )  # many distinct (line item, learner) pairs, some graded twice or more
    assert lms_values(lti) == expected
    # At most one accepted score per outbox row: re-sends after a lost answer were refused
    # as not later (409), never applied twice. (A row the LMS applied after a timeout can
    # end "superseded" when a newer version replaced it before the retry.)
    assert stats(lti)["scores_accepted"] <= by_status["delivered"] + by_status.get("superseded", 0)
