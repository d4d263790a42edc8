"""A placement may own further line items (peer review: the work and the reviewing grade)."""

from __future__ import annotations

import pytest
import requests
from grades_helpers import launched_link, tool_user

from lti_tool.extensions import db
from lti_tool.models import Activity, ResourceLink
from lti_tool.services import outbox, worker

REVIEWING = outbox.ExtraLineItem(tag="peerpath-reviewing", label="Reviewing")


def columns(lti) -> list[dict]:
    body = requests.get(
        f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/gradebook", timeout=10
    ).json()
    return body["line_items"]


def test_a_second_grade_of_one_link_gets_its_own_line_item_beside_the_declared_one(lti):
    link_id = launched_link(lti)
    with lti.app.app_context():
        link = db.session.get(ResourceLink, link_id)
        activity = Activity(
            context_id=link.context_id,
            kind="peer_review",
            title="Pitch deck review",
            score_maximum=20,
        )
        db.session.add(activity)
        db.session.flush()
        link.activity_id = activity.id
        learner = tool_user(lti, "u-2001")
        outbox.enqueue_score(user=learner, activity=activity, resource_link=link, score_given=15)
        outbox.enqueue_score(
            user=learner,
            activity=activity,
            resource_link=link,
            score_given=80,
            score_maximum=100,
            extra_line_item=REVIEWING,
        )
        db.session.commit()
    before = {c["id"] for c in columns(lti)}
    worker.drain(lti.app, timeout=20)

    after = columns(lti)
    reviewing = [c for c in after if c.get("tag") == "peerpath-reviewing"]
    assert len(reviewing) == 1, after
    assert reviewing[0]["label"] == "Pitch deck review – Reviewing"
    assert reviewing[0]["results"]["u-2001"]["scoreGiven"] == 80
    assert reviewing[0]["resourceLinkId"] == lti.course.link_id
    # The work's grade went to the link's own line item, not to the reviewing one.
    work = [c for c in after if c["id"] != reviewing[0]["id"] and "u-2001" in c["results"]]
    assert [c["results"]["u-2001"]["scoreGiven"] for c in work] == [15]
    assert reviewing[0]["id"] not in before

    # A newer reviewing grade reuses the cached line item: no third column appears.
    with lti.app.app_context():
        link = db.session.get(ResourceLink, link_id)
        activity = db.session.get(Activity, link.activity_id)
        outbox.enqueue_score(
            user=tool_user(lti, "u-2001"),
            activity=activity,
            resource_link=link,
            score_given=90,
            score_maximum=100,
            extra_line_item=REVIEWING,
        )
        db.session.commit()
    worker.drain(lti.app, timeout=20)
    final = columns(lti)
    assert len(final) == len(after)
    assert [c for c in final if c.get("tag") == "peerpath-reviewing"][0]["results"]["u-2001"][
        "scoreGiven"
    ] == 90


def test_an_extra_line_item_and_a_fixed_url_together_are_refused(lti):
    link_id = launched_link(lti)
    with lti.app.app_context():
        link = db.session.get(ResourceLink, link_id)
        with pytest.raises(ValueError, match="not both"):
            outbox.enqueue_score(
                user=tool_user(lti, "u-2001"),
                resource_link=link,
                score_given=1,
                score_maximum=2,
                line_item_url="http://lms/li/1",
                extra_line_item=REVIEWING,
            )
