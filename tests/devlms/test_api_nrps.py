"""NRPS 2.0 on the dev LMS over real HTTP: members, role filter, case-sensitive paging.

Every call carries a bearer token obtained from the real token endpoint.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from devlms_helpers import TOOL_KEY, service_token

from lti_tool.devlms import nrps, oauth, seed, setup

CLIENT_ID = "peerpath-nrps-test"
COURSE = seed.DEMO_COURSE_ID
LEARNER_URI = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR_URI = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
EVERYONE = [p.id for p in seed.INSTRUCTORS + seed.LEARNERS]
_KEY = TOOL_KEY


@pytest.fixture
def base(devlms_app, jwks_url, devlms_server):
    setup.register_tool(
        devlms_app,
        client_id=CLIENT_ID,
        name="PeerPath",
        login_url="http://127.0.0.1:9/lti/login",
        launch_url="http://127.0.0.1:9/lti/launch",
        jwks_url=jwks_url,
    )
    setup.seed_demo_course(devlms_app, CLIENT_ID)
    return devlms_server.url


def get_token(base: str, scopes: list[str]) -> str:
    return service_token(base, CLIENT_ID, scopes)


@pytest.fixture
def auth(base):
    return {"Authorization": f"Bearer {get_token(base, [oauth.SCOPE_NRPS])}"}


def members_url(base: str) -> str:
    return f"{base}/api/courses/{COURSE}/memberships"


def test_everyone_enrolled_is_a_member_even_without_a_launch(base, auth):
    r = requests.get(members_url(base), headers=auth, timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(nrps.MEMBERSHIP_CONTAINER_MEDIA_TYPE)
    body = r.json()
    assert body["id"] == members_url(base)
    assert body["context"] == {
        "id": COURSE,
        "label": seed.DEMO_COURSE_LABEL,
        "title": seed.DEMO_COURSE_TITLE,
    }
    assert sorted(m["user_id"] for m in body["members"]) == sorted(EVERYONE)
    hanako = next(m for m in body["members"] if m["user_id"] == seed.LEARNERS[0].id)
    assert hanako == {
        "status": "Active",
        "name": "佐藤 花子",
        "given_name": "花子",
        "family_name": "佐藤",
        "email": "hanako.sato@example.com",
        "user_id": seed.LEARNERS[0].id,
        "roles": [LEARNER_URI],
    }
    assert "Link" not in r.headers


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("Learner", seed.LEARNERS),
        (LEARNER_URI, seed.LEARNERS),
        ("Instructor", seed.INSTRUCTORS),
        (INSTRUCTOR_URI, seed.INSTRUCTORS),
        ("Mentor", ()),
    ],
)
def test_the_role_filter_takes_short_names_and_full_uris(base, auth, role, expected):
    r = requests.get(members_url(base), params={"role": role}, headers=auth, timeout=10)
    assert r.status_code == 200
    assert sorted(m["user_id"] for m in r.json()["members"]) == sorted(p.id for p in expected)


def follow(base, auth, params):
    """Page by following rel="next" verbatim; return the ids seen and the next URLs."""
    seen, urls, url = [], [], members_url(base)
    while url:
        r = requests.get(url, params=params, headers=auth, timeout=10)
        assert r.status_code == 200, r.text
        seen += [m["user_id"] for m in r.json()["members"]]
        url, params = r.links.get("next", {}).get("url"), None
        if url:
            urls.append(url)
    return seen, urls


def test_paging_follows_link_next_verbatim(base, auth):
    seen, next_urls = follow(base, auth, {"limit": 3})
    assert seen == EVERYONE  # enrolment order, no repeats, nobody lost
    assert len(next_urls) == 3
    query = parse_qs(urlsplit(next_urls[0]).query)
    assert query["limit"] == ["3"] and query["page"][0] != query["page"][0].lower()
    assert next_urls[0].startswith(members_url(base) + "?")


def test_paging_keeps_the_role_filter(base, auth):
    seen, _ = follow(base, auth, {"limit": 3, "role": "Learner"})
    assert seen == [p.id for p in seed.LEARNERS]


def test_a_lower_cased_next_url_is_404(base, auth):
    r = requests.get(members_url(base), params={"limit": 2}, headers=auth, timeout=10)
    next_url = r.links["next"]["url"]
    broken = requests.get(next_url.lower(), headers=auth, timeout=10)
    assert broken.status_code == 404
    assert "verbatim" in broken.json()["error_description"]
    assert requests.get(next_url, headers=auth, timeout=10).status_code == 200


def test_a_page_token_only_pages_its_own_listing(base, auth):
    r = requests.get(
        members_url(base), params={"limit": 2, "role": "Learner"}, headers=auth, timeout=10
    )
    page = parse_qs(urlsplit(r.links["next"]["url"]).query)["page"][0]
    other = requests.get(
        members_url(base), params={"page": page, "limit": 2}, headers=auth, timeout=10
    )
    assert other.status_code == 404


def test_a_bad_limit_is_400(base, auth):
    assert (
        requests.get(members_url(base), params={"limit": "0"}, headers=auth, timeout=10).status_code
        == 400
    )


def test_memberships_need_the_nrps_scope(base):
    ags_only = {"Authorization": f"Bearer {get_token(base, [oauth.SCOPE_SCORE])}"}
    r = requests.get(members_url(base), headers=ags_only, timeout=10)
    assert r.status_code == 403
    assert requests.get(members_url(base), timeout=10).status_code == 401


def test_an_unknown_course_is_404(base, auth):
    assert (
        requests.get(f"{base}/api/courses/nope/memberships", headers=auth, timeout=10).status_code
        == 404
    )
