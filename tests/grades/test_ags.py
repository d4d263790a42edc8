"""AGS client against the dev LMS: tokens, line items, scores, results, scope checks."""

from __future__ import annotations

from grades_helpers import (
    client_for,
    gradebook,
    launched_link,
    stats,
    tool_user,
)
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti import claims as c
from lti_tool.models import GradeLineItem, ResourceLink
from lti_tool.models.grades import GradeOutbox
from lti_tool.services import ags, oauth, outbox, worker


def test_scores_url_goes_before_the_query_string():
    url = "https://lms.example/mod/lti/services.php/2/lineitems/7/lineitem?type_id=3"
    assert (
        ags.service_url(url, "scores")
        == "https://lms.example/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=3"
    )
    assert ags.service_url(url, "results", {"user_id": "u 1"}).endswith(
        "/lineitem/results?type_id=3&user_id=u+1"
    )
    assert ags.service_url("https://canvas.example/api/lti/courses/1/line_items/9/", "scores") == (
        "https://canvas.example/api/lti/courses/1/line_items/9/scores"
    )


def test_one_token_request_serves_many_calls_and_a_401_refreshes_it(lti):
    link_id = launched_link(lti)
    before = stats(lti)["token_requests"]
    with lti.app.app_context():
        client = client_for(link_id)
        for _ in range(5):
            client.find_line_items()
        assert stats(lti)["token_requests"] == before + 1
        assert oauth.tokens.requests_made == 1
        # The platform forgets the token (revoked, restarted): one refresh, then success.
        from lti_tool.devlms.api_models import AccessToken
        from lti_tool.devlms.models import db as lms_db

        with lti.devlms_app.app_context():
            lms_db.session.query(AccessToken).delete()
            lms_db.session.commit()
        assert client.find_line_items() == []
        assert stats(lti)["token_requests"] == before + 2


def test_line_item_is_found_by_link_and_tag_before_one_is_created(lti):
    link_id = launched_link(lti)
    with lti.app.app_context():
        client = client_for(link_id)
        kwargs = {
            "label": "Peer review",
            "score_maximum": 10,
            "resource_link_id": lti.course.link_id,
            "tag": "review",
            "resource_id": "act-1",
        }
        first = client.find_or_create_line_item(**kwargs)
        again = client.find_or_create_line_item(**kwargs)
        other = client.find_or_create_line_item(**{**kwargs, "tag": "coaching"})
    assert first == again != other
    assert "?type_id=" in first  # Moodle-shaped URL
    columns = gradebook(lti)
    assert set(columns) == {first, other}


def test_line_item_search_follows_link_next_verbatim(lti):
    link_id = launched_link(lti)
    with lti.app.app_context():
        client = client_for(link_id)
        made = [
            client.create_line_item(label=f"C{i}", score_maximum=5, tag="paged")["id"]
            for i in range(7)
        ]
        found = client.find_line_items(tag="paged", limit=2)  # 4 pages, mixed-case page tokens
    assert [i["id"] for i in found] == made


def test_score_reaches_the_gradebook_and_reads_back(lti):
    link_id = launched_link(lti)
    with lti.app.app_context():
        link = db.session.get(ResourceLink, link_id)
        row = outbox.enqueue_score(
            user=tool_user(lti, "u-2002"),
            resource_link=link,
            score_given=7.5,
            score_maximum=10,
            comment="Clear and kind feedback",
        )
        db.session.commit()
        row_id = row.id
    worker.drain(lti.app, timeout=20)
    with lti.app.app_context():
        row = db.session.get(GradeOutbox, row_id)
        assert row.status == "delivered", row.last_error
        cached = client_for(link_id)
        url = db.session.scalars(select(GradeLineItem.url)).one()
        results = cached.results(url, "u-2002")
    assert gradebook(lti)[url]["u-2002"]["scoreGiven"] == 7.5
    assert gradebook(lti)[url]["u-2002"]["comment"] == "Clear and kind feedback"
    # The column was created with the activity's maximum (10), so the result is on that scale.
    assert results[0]["resultScore"] == 7.5


def test_missing_score_scope_fails_clearly_and_sends_nothing(lti):
    link_id = launched_link(lti)
    with lti.app.app_context():
        link = db.session.get(ResourceLink, link_id)
        claim = dict(link.ags_claim)
        claim["scope"] = [c.SCOPE_LINEITEM_READONLY]
        link.ags_claim = claim
        row = outbox.enqueue_score(
            user=tool_user(lti, "u-2003"),
            resource_link=link,
            score_given=3,
            score_maximum=10,
            line_item_url=f"{lti.lms_url}/api/courses/{lti.course.course_id}/lineitems/1/lineitem?type_id=1",
        )
        db.session.commit()
        row_id = row.id
    posts = stats(lti)["score_posts"]
    worker.drain(lti.app, timeout=10)
    with lti.app.app_context():
        row = db.session.get(GradeOutbox, row_id)
        assert row.status == "failed"
        assert "scope" in row.last_error and c.SCOPE_SCORE in row.last_error
    assert stats(lti)["score_posts"] == posts
