"""Deep-link return: the platform verifies the tool's LtiDeepLinkingResponse like a real LMS.

The tool's JWKS is served over real HTTP on loopback; tests sign with its key or a rogue one.
"""

from __future__ import annotations

import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from devlms_helpers import auth_params, auth_url, form_of

from lti_tool.devlms import seed, tokens


@pytest.fixture
def request_data(lms, tool, course) -> str:
    """Run a real deep-linking launch as an instructor; return the `data` the tool must echo."""
    import jwt

    response = lms.get(
        f"/lti/initiate?user={seed.INSTRUCTORS[0].id}&course={seed.DEMO_COURSE_ID}&deep_link=1&tool={tool.client_id}"
    )
    _, login = form_of(response.get_data(as_text=True))
    _, fields = form_of(lms.get(auth_url(auth_params(login, tool))).get_data(as_text=True))
    claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
    return claims[tokens.DL + "deep_linking_settings"]["data"]


def _response_claims(
    issuer: str, client_id: str, data: str, items: list[dict], **overrides
) -> dict:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "aud": issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        tokens.LTI + "message_type": "LtiDeepLinkingResponse",
        tokens.LTI + "version": "1.3.0",
        tokens.LTI + "deployment_id": "1",
        tokens.DL + "data": data,
        tokens.DL + "content_items": items,
    }
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


REVIEW_ITEM = {
    "type": "ltiResourceLink",
    "title": "Peer review: Quarterly report",
    "text": "Review two colleagues' reports.",
    "url": "http://127.0.0.1:9/lti/launch",
    "custom": {"activity": "review-7"},
    "lineItem": {
        "scoreMaximum": 20,
        "label": "Quarterly report review",
        "resourceId": "review-7",
        "tag": "peer",
    },
}
LESSON_ITEM = {
    "type": "ltiResourceLink",
    "title": "Lesson: Giving feedback",
    "custom": {"activity": "lesson-3"},
}


def _links(lms) -> list[dict]:
    return lms.get(f"/api/_dev/courses/{seed.DEMO_COURSE_ID}/links").get_json()


def _post(lms, token: str):
    return lms.post("/lti/deep-link-return", data={"JWT": token})


def test_a_correct_response_creates_the_links_and_the_line_item(
    lms, tool, tool_keys, request_data, devlms_config
):
    claims = _response_claims(
        devlms_config["ISSUER"], tool.client_id, request_data, [REVIEW_ITEM, LESSON_ITEM]
    )
    response = _post(lms, tokens.sign(claims, tool_keys.keys["tool-key-1"], "tool-key-1"))
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "2 activities added" in page
    assert f'data-top-url="/courses/{seed.DEMO_COURSE_ID}"' in page
    assert 'target="_top"' in page

    links = _links(lms)
    assert [link["title"] for link in links] == [
        "PeerPath",
        REVIEW_ITEM["title"],
        LESSON_ITEM["title"],
    ]
    review, lesson = links[1], links[2]
    assert review["custom"] == {"activity": "review-7"}
    assert review["url"] == REVIEW_ITEM["url"]
    assert review["description"] == REVIEW_ITEM["text"]
    assert review["line_item"]["score_maximum"] == 20
    assert review["line_item"]["label"] == "Quarterly report review"
    assert review["line_item"]["resource_id"] == "review-7" and review["line_item"]["tag"] == "peer"
    assert review["line_item"]["url"].endswith(f"/lineitem?type_id={tool.id}")
    # Without a url the link launches the tool's registered launch URL.
    assert lesson["url"] == "" and lesson["target_link_uri"] == tool.launch_url
    assert lesson["line_item"] is None


def test_a_placed_link_launches_with_its_custom_params_and_line_item(
    lms, tool, tool_keys, request_data, devlms_config
):
    import jwt

    claims = _response_claims(devlms_config["ISSUER"], tool.client_id, request_data, [REVIEW_ITEM])
    assert (
        _post(lms, tokens.sign(claims, tool_keys.keys["tool-key-1"], "tool-key-1")).status_code
        == 200
    )
    review = _links(lms)[1]
    response = lms.get(f"/lti/initiate?user={seed.LEARNERS[3].id}&link={review['id']}")
    _, login = form_of(response.get_data(as_text=True))
    assert login["target_link_uri"] == REVIEW_ITEM["url"]
    _, fields = form_of(lms.get(auth_url(auth_params(login, tool))).get_data(as_text=True))
    launch = jwt.decode(fields["id_token"], options={"verify_signature": False})
    assert launch[tokens.LTI + "custom"] == {"activity": "review-7"}
    assert launch[tokens.AGS_CLAIM]["lineitem"] == review["line_item"]["url"]
    assert launch[tokens.LTI + "resource_link"]["id"] == review["id"]


def test_a_response_signed_with_a_key_not_in_the_tool_jwks_is_refused(
    lms, tool, tool_keys, request_data, devlms_config
):
    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = _response_claims(devlms_config["ISSUER"], tool.client_id, request_data, [LESSON_ITEM])
    # Same kid as the tool's real key: only the signature can give it away.
    response = _post(lms, tokens.sign(claims, rogue, "tool-key-1"))
    assert response.status_code == 400
    assert "signature" in response.get_data(as_text=True)
    response = _post(lms, tokens.sign(claims, rogue, "rogue-kid"))
    assert response.status_code == 400
    assert "rogue-kid" in response.get_data(as_text=True)
    assert len(_links(lms)) == 1


def test_an_unknown_kid_makes_the_platform_refetch_the_tool_jwks(
    lms, tool, tool_keys, request_data, devlms_config
):
    claims = _response_claims(devlms_config["ISSUER"], tool.client_id, request_data, [LESSON_ITEM])
    assert (
        _post(lms, tokens.sign(claims, tool_keys.keys["tool-key-1"], "tool-key-1")).status_code
        == 200
    )
    fetches = tool_keys.fetches
    new_key = tool_keys.add("tool-key-2")  # the tool rotated its key after we cached its JWKS
    claims = _response_claims(devlms_config["ISSUER"], tool.client_id, request_data, [LESSON_ITEM])
    assert _post(lms, tokens.sign(claims, new_key, "tool-key-2")).status_code == 200
    assert tool_keys.fetches == fetches + 1
    assert len(_links(lms)) == 3


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "http://lms.example.com"}, "aud"),
        ({"iss": "someone-else"}, "iss"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"iat": None}, "iat"),
        ({"nonce": None}, "nonce"),
        ({tokens.LTI + "message_type": "LtiResourceLinkRequest"}, "message_type"),
        ({tokens.LTI + "version": "1.1"}, "version"),
        ({tokens.LTI + "deployment_id": "2"}, "deployment_id"),
        ({tokens.DL + "data": None}, "data is missing"),
        (
            {tokens.DL + "content_items": [{"type": "file", "url": "http://x/y"}]},
            "only ltiResourceLink",
        ),
    ],
)
def test_a_response_failing_a_check_is_refused(
    lms, tool, tool_keys, request_data, devlms_config, overrides, reason
):
    claims = _response_claims(
        devlms_config["ISSUER"], tool.client_id, request_data, [LESSON_ITEM], **overrides
    )
    response = _post(lms, tokens.sign(claims, tool_keys.keys["tool-key-1"], "tool-key-1"))
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert len(_links(lms)) == 1


def test_data_not_echoed_verbatim_is_refused(lms, tool, tool_keys, request_data, devlms_config):
    altered = request_data[:-2] + ("AA" if not request_data.endswith("AA") else "BB")
    claims = _response_claims(devlms_config["ISSUER"], tool.client_id, altered, [LESSON_ITEM])
    response = _post(lms, tokens.sign(claims, tool_keys.keys["tool-key-1"], "tool-key-1"))
    assert response.status_code == 400
    assert "echoed verbatim" in response.get_data(as_text=True)


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsigned_or_symmetric_responses_are_refused(lms, tool, request_data, devlms_config, alg):
    claims = _response_claims(devlms_config["ISSUER"], tool.client_id, request_data, [LESSON_ITEM])
    response = _post(
        lms, tokens.sign(claims, "a-shared-secret-that-is-long-enough-32b", "tool-key-1", alg=alg)
    )
    assert response.status_code == 400
    assert "RS256" in response.get_data(as_text=True)


def test_a_line_item_without_a_positive_maximum_is_refused(
    lms, tool, tool_keys, request_data, devlms_config
):
    item = dict(REVIEW_ITEM, lineItem={"label": "x", "scoreMaximum": 0})
    claims = _response_claims(devlms_config["ISSUER"], tool.client_id, request_data, [item])
    response = _post(lms, tokens.sign(claims, tool_keys.keys["tool-key-1"], "tool-key-1"))
    assert response.status_code == 400
    assert "scoreMaximum" in response.get_data(as_text=True)
    assert len(_links(lms)) == 1


def test_a_missing_jwt_field_is_a_clear_400(lms, tool, course):
    response = lms.post("/lti/deep-link-return", data={})
    assert response.status_code == 400
    assert "JWT is missing" in response.get_data(as_text=True)
