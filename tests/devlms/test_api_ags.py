"""AGS 2.0 on the dev LMS over real HTTP: line items, scores with Moodle's rules, results.

Every call carries a bearer token obtained from the real token endpoint.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from devlms_helpers import TOOL_KEY, service_token
from sqlalchemy import update

from lti_tool.devlms import ags, oauth, seed, setup
from lti_tool.devlms.api_models import AccessToken
from lti_tool.devlms.models import db

CLIENT_ID = "peerpath-ags-test"
COURSE = seed.DEMO_COURSE_ID
LEARNER = seed.LEARNERS[0].id
OTHER_LEARNER = seed.LEARNERS[1].id
INSTRUCTOR = seed.INSTRUCTORS[0].id
SCORE_TYPE = {"Content-Type": ags.SCORE_MEDIA_TYPE}
_KEY = TOOL_KEY


@pytest.fixture
def lms(devlms_app, jwks_url):
    tool = setup.register_tool(
        devlms_app,
        client_id=CLIENT_ID,
        name="PeerPath",
        login_url="http://127.0.0.1:9/lti/login",
        launch_url="http://127.0.0.1:9/lti/launch",
        jwks_url=jwks_url,
    )
    setup.seed_demo_course(devlms_app, CLIENT_ID)
    devlms_app.config["TEST_TOOL_PK"] = tool.id
    return devlms_app


@pytest.fixture
def base(lms, devlms_server):
    return devlms_server.url


def get_token(base: str, scopes: list[str]) -> str:
    return service_token(base, CLIENT_ID, scopes)


@pytest.fixture
def auth(base):
    return {"Authorization": f"Bearer {get_token(base, setup.DEFAULT_SCOPES)}"}


def create_item(base, auth, **fields):
    body = {"label": "Peer review", "scoreMaximum": 10, **fields}
    r = requests.post(f"{base}/api/courses/{COURSE}/lineitems", json=body, headers=auth, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def scores_url(item_id: str) -> str:
    """Insert /scores before the query string, as a tool must with Moodle-style URLs."""
    path, _, query = item_id.partition("?")
    return f"{path}/scores?{query}"


def results_url(item_id: str) -> str:
    path, _, query = item_id.partition("?")
    return f"{path}/results?{query}"


def stamp(seconds: float = 0) -> str:
    return (datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat()


def post_score(base, auth, item, user=LEARNER, ts=0, **fields):
    body = {
        "userId": user,
        "timestamp": stamp(ts),
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "scoreGiven": 8,
        "scoreMaximum": 10,
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return requests.post(
        scores_url(item["id"]), data=json.dumps(body), headers={**auth, **SCORE_TYPE}, timeout=10
    )


def gradebook(base):
    return requests.get(f"{base}/api/_dev/courses/{COURSE}/gradebook", timeout=10).json()


def current(base, item, user=LEARNER):
    column = next(c for c in gradebook(base)["line_items"] if c["id"] == item["id"])
    return column["results"].get(user)


# --- line items ---


def test_a_created_line_item_has_its_url_as_id_with_the_moodle_query_string(base, auth, lms):
    item = create_item(
        base, auth, tag="review", resourceId="activity-1", resourceLinkId=seed.DEMO_LINK_ID
    )
    assert item["id"].endswith(f"/lineitem?type_id={lms.config['TEST_TOOL_PK']}")
    assert item["label"] == "Peer review" and item["scoreMaximum"] == 10
    assert item["resourceLinkId"] == seed.DEMO_LINK_ID and item["tag"] == "review"
    r = requests.get(item["id"], headers=auth, timeout=10)
    assert r.status_code == 200 and r.json() == item
    assert r.headers["Content-Type"].startswith(ags.LINEITEM_MEDIA_TYPE)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"scoreMaximum": 10}, "label"),
        ({"label": "x", "scoreMaximum": 0}, "scoreMaximum"),
        ({"label": "x"}, "scoreMaximum"),
        ({"label": "x", "scoreMaximum": 1, "resourceLinkId": "no-such-link"}, "resourceLinkId"),
    ],
)
def test_invalid_line_items_are_refused(base, auth, body, fragment):
    r = requests.post(f"{base}/api/courses/{COURSE}/lineitems", json=body, headers=auth, timeout=10)
    assert r.status_code == 400 and fragment in r.json()["error_description"]


def test_line_items_filter_by_tag_resource_and_link(base, auth):
    a = create_item(base, auth, tag="review", resourceId="r1", resourceLinkId=seed.DEMO_LINK_ID)
    b = create_item(base, auth, tag="coaching", resourceId="r2")
    url = f"{base}/api/courses/{COURSE}/lineitems"

    def ids(params):
        r = requests.get(url, params=params, headers=auth, timeout=10)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith(ags.LINEITEM_CONTAINER_MEDIA_TYPE)
        return [i["id"] for i in r.json()]

    assert ids({}) == [a["id"], b["id"]]
    assert ids({"tag": "coaching"}) == [b["id"]]
    assert ids({"resource_id": "r1"}) == [a["id"]]
    assert ids({"resource_link_id": seed.DEMO_LINK_ID}) == [a["id"]]
    assert ids({"tag": "nothing"}) == []


def test_line_items_page_through_link_next(base, auth):
    made = [create_item(base, auth, label=f"Item {i}")["id"] for i in range(5)]
    seen, url, params = [], f"{base}/api/courses/{COURSE}/lineitems", {"limit": 2}
    while url:
        r = requests.get(url, params=params, headers=auth, timeout=10)
        assert r.status_code == 200
        seen += [i["id"] for i in r.json()]
        url, params = r.links.get("next", {}).get("url"), None
    assert seen == made


def test_put_updates_and_delete_removes_a_line_item(base, auth):
    item = create_item(base, auth)
    r = requests.put(
        item["id"],
        json={"label": "Renamed", "scoreMaximum": 20, "tag": "t"},
        headers=auth,
        timeout=10,
    )
    assert (
        r.status_code == 200 and r.json()["label"] == "Renamed" and r.json()["scoreMaximum"] == 20
    )
    assert requests.delete(item["id"], headers=auth, timeout=10).status_code == 204
    assert requests.get(item["id"], headers=auth, timeout=10).status_code == 404


def test_the_type_id_query_string_is_required_and_must_be_the_callers(base, auth):
    item = create_item(base, auth)
    path = item["id"].partition("?")[0]
    assert requests.get(path, headers=auth, timeout=10).status_code == 400
    assert requests.get(f"{path}?type_id=999", headers=auth, timeout=10).status_code == 403


def test_appending_scores_after_the_query_string_fails_with_a_hint(base, auth):
    item = create_item(base, auth)
    r = requests.post(f"{item['id']}/scores", json={}, headers=auth, timeout=10)
    assert r.status_code == 405 and "before its query string" in r.json()["error_description"]


# --- authentication and scopes ---


def test_no_token_is_401_with_www_authenticate(base):
    r = requests.get(f"{base}/api/courses/{COURSE}/lineitems", timeout=10)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401_invalid_token(base, auth, lms):
    with lms.app_context():
        db.session.execute(
            update(AccessToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
    r = requests.get(f"{base}/api/courses/{COURSE}/lineitems", headers=auth, timeout=10)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_a_token_without_the_scope_is_403(base):
    readonly = {"Authorization": f"Bearer {get_token(base, [oauth.SCOPE_LINEITEM_READONLY])}"}
    assert (
        requests.get(
            f"{base}/api/courses/{COURSE}/lineitems", headers=readonly, timeout=10
        ).status_code
        == 200
    )
    r = requests.post(
        f"{base}/api/courses/{COURSE}/lineitems",
        json={"label": "x", "scoreMaximum": 1},
        headers=readonly,
        timeout=10,
    )
    assert r.status_code == 403 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]


def test_an_unknown_course_is_404(base, auth):
    assert (
        requests.get(f"{base}/api/courses/nope/lineitems", headers=auth, timeout=10).status_code
        == 404
    )


# --- scores ---


def test_a_score_post_answers_200_with_an_empty_body_and_lands_in_the_gradebook(base, auth):
    item = create_item(base, auth)
    r = post_score(base, auth, item, comment="Well argued")
    assert r.status_code == 200 and r.content == b""
    assert current(base, item) == {
        "scoreGiven": 8.0,
        "scoreMaximum": 10.0,
        "resultScore": 8.0,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "comment": "Well argued",
        "timestamp": "2030-01-01T12:00:00Z",
    }
    counts = requests.get(f"{base}/api/_dev/stats", timeout=10).json()
    assert counts["score_posts"] == 1 and counts["scores_accepted"] == 1


def test_plain_application_json_is_accepted_too(base, auth):
    item = create_item(base, auth)
    body = {
        "userId": LEARNER,
        "timestamp": stamp(),
        "activityProgress": "Started",
        "gradingProgress": "NotReady",
    }
    r = requests.post(scores_url(item["id"]), json=body, headers=auth, timeout=10)
    assert r.status_code == 200


def test_score_given_is_ignored_unless_fully_graded(base, auth):
    item = create_item(base, auth)
    assert (
        post_score(base, auth, item, ts=0, gradingProgress="Pending", scoreGiven=5).status_code
        == 200
    )
    assert current(base, item)["scoreGiven"] is None
    assert post_score(base, auth, item, ts=1, scoreGiven=9).status_code == 200
    assert current(base, item)["scoreGiven"] == 9.0
    history = requests.get(
        f"{base}/api/_dev/courses/{COURSE}/lineitems/{item['id'].split('/lineitems/')[1].split('/')[0]}/scores",
        timeout=10,
    ).json()
    assert [(h["scoreGiven"], h["scoreGivenSent"]) for h in history] == [(None, 5.0), (9.0, 9.0)]


def test_a_timestamp_not_strictly_later_in_whole_seconds_is_409(base, auth):
    item = create_item(base, auth)
    assert post_score(base, auth, item, ts=10, scoreGiven=5).status_code == 200
    same_second = post_score(base, auth, item, ts=10.7, scoreGiven=6)
    assert same_second.status_code == 409 and "not later" in same_second.json()["error_description"]
    assert post_score(base, auth, item, ts=3, scoreGiven=6).status_code == 409
    assert current(base, item)["scoreGiven"] == 5.0
    assert post_score(base, auth, item, ts=11, scoreGiven=7).status_code == 200
    assert current(base, item)["scoreGiven"] == 7.0


def test_timestamps_are_per_user(base, auth):
    item = create_item(base, auth)
    assert post_score(base, auth, item, user=LEARNER, ts=10).status_code == 200
    assert post_score(base, auth, item, user=OTHER_LEARNER, ts=0).status_code == 200


@pytest.mark.parametrize("user", [INSTRUCTOR, "u-nobody"])
def test_instructors_and_strangers_are_not_gradable(base, auth, user):
    item = create_item(base, auth)
    r = post_score(base, auth, item, user=user)
    assert r.status_code == 400 and "user is not gradable" in r.json()["error_description"]


def test_an_unknown_line_item_is_404(base, auth, lms):
    item = create_item(base, auth)
    path = item["id"].partition("/lineitems/")[0]
    r = post_score(
        base, auth, {"id": f"{path}/lineitems/99999/lineitem?type_id={lms.config['TEST_TOOL_PK']}"}
    )
    assert r.status_code == 404


def test_score_given_without_score_maximum_is_400(base, auth):
    item = create_item(base, auth)
    r = post_score(base, auth, item, scoreMaximum=None)
    assert r.status_code == 400 and "scoreMaximum is required" in r.json()["error_description"]


@pytest.mark.parametrize("missing", ["userId", "timestamp", "activityProgress", "gradingProgress"])
def test_the_four_required_score_fields(base, auth, missing):
    item = create_item(base, auth)
    r = post_score(base, auth, item, **{missing: None})
    assert r.status_code == 400 and missing in r.json()["error_description"]


def test_a_score_needs_the_score_scope(base, auth):
    item = create_item(base, auth)
    readonly = {"Authorization": f"Bearer {get_token(base, [oauth.SCOPE_RESULT_READONLY])}"}
    assert post_score(base, readonly, item).status_code == 403


# --- results ---


def test_results_show_the_current_score_rescaled_and_filter_by_user(base, auth):
    item = create_item(base, auth, scoreMaximum=20)
    post_score(base, auth, item, user=LEARNER, scoreGiven=8, scoreMaximum=10)
    post_score(base, auth, item, user=OTHER_LEARNER, scoreGiven=1, scoreMaximum=4)
    r = requests.get(results_url(item["id"]), headers=auth, timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(ags.RESULT_CONTAINER_MEDIA_TYPE)
    scores = {res["userId"]: (res["resultScore"], res["resultMaximum"]) for res in r.json()}
    assert scores == {LEARNER: (16.0, 20.0), OTHER_LEARNER: (5.0, 20.0)}
    assert all(res["scoreOf"] == item["id"] for res in r.json())
    one = requests.get(
        results_url(item["id"]), params={"user_id": OTHER_LEARNER}, headers=auth, timeout=10
    )
    assert [res["userId"] for res in one.json()] == [OTHER_LEARNER]


def test_results_page_through_link_next(base, auth):
    item = create_item(base, auth)
    for person in seed.LEARNERS[:5]:
        post_score(base, auth, item, user=person.id)
    seen, url, params = [], results_url(item["id"]), {"limit": 2}
    while url:
        r = requests.get(url, params=params, headers=auth, timeout=10)
        assert r.status_code == 200
        seen += [res["userId"] for res in r.json()]
        url, params = r.links.get("next", {}).get("url"), None
    assert seen == [p.id for p in seed.LEARNERS[:5]]


def test_results_need_the_result_scope(base, auth):
    item = create_item(base, auth)
    score_only = {"Authorization": f"Bearer {get_token(base, [oauth.SCOPE_SCORE])}"}
    assert requests.get(results_url(item["id"]), headers=score_only, timeout=10).status_code == 403


def test_racing_scores_for_one_user_end_with_the_latest(base, auth):
    # A threaded server on SQLite: the strictly-later rule must hold across requests too.
    item = create_item(base, auth)
    order = list(range(60))
    random.Random(7).shuffle(order)
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda ts: post_score(base, auth, item, ts=ts, scoreGiven=ts % 10).status_code,
                order,
            )
        )
    assert set(codes) <= {200, 409} and 200 in codes
    assert current(base, item)["timestamp"] == stamp(59).replace("+00:00", "Z")
    assert current(base, item)["scoreGiven"] == 9.0
