"""Dev LMS faults on demand, over real HTTP: each mode hits exactly the next N calls, then stops.

The client side is plain `requests`, so a dropped connection and a hang are what a tool sees.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from lti_tool.devlms import oauth, seed

KEY_ID = "tool-key-1"


@pytest.fixture
def base(course, devlms_server) -> str:
    return devlms_server.url


def assertion(base: str, tool_keys) -> str:
    return oauth.make_client_assertion(
        tool_keys.keys[KEY_ID], KEY_ID, "peerpath-test", f"{base}/lti/token"
    )


def token_call(base: str, tool_keys, timeout: float = 10) -> requests.Response:
    return requests.post(
        f"{base}/lti/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion(base, tool_keys),
            "scope": oauth.SCOPE_NRPS,
        },
        timeout=timeout,
    )


@pytest.fixture
def auth(base, tool_keys) -> dict[str, str]:
    r = token_call(base, tool_keys)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def roster(base: str, auth: dict[str, str], timeout: float = 10) -> requests.Response:
    return requests.get(
        f"{base}/api/courses/{seed.DEMO_COURSE_ID}/memberships", headers=auth, timeout=timeout
    )


def arm(base: str, **spec) -> dict:
    r = requests.post(f"{base}/api/_dev/faults", json=spec, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def armed(base: str) -> dict:
    r = requests.get(f"{base}/api/_dev/faults", timeout=10)
    assert r.status_code == 200
    return r.json()


@pytest.mark.parametrize(
    ("mode", "status", "error"),
    [
        ("500", 500, "server_error"),
        ("503", 503, "temporarily_unavailable"),
        ("429", 429, "rate_limited"),
        ("401", 401, "invalid_token"),
    ],
)
def test_an_error_mode_answers_exactly_the_next_n_calls_then_stops(base, auth, mode, status, error):
    arm(base, kind="nrps", mode=mode, count=3, retry_after=2)
    for _ in range(3):
        r = roster(base, auth)
        assert r.status_code == status, r.text
        assert r.json()["error"] == error
        if mode in ("503", "429"):
            assert r.headers["Retry-After"] == "2"
        else:
            assert "Retry-After" not in r.headers
        if mode == "401":
            assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    # The same token works again: the fault was injected, not a real revocation.
    for _ in range(2):
        assert roster(base, auth).status_code == 200
    state = armed(base)
    assert state["armed"] == 0 and state["fired"] == 3
    assert state["faults"] == [
        {
            "id": state["faults"][0]["id"],
            "kind": "nrps",
            "mode": mode,
            "count": 3,
            "remaining": 0,
            "fired": 3,
            "retry_after": 2 if mode in ("503", "429") else None,
            "hang_seconds": None,
        }
    ]


def test_faults_hit_only_their_kind(base, auth, tool_keys):
    arm(base, kind="ags", mode="503", count=2)
    # Token and NRPS calls pass untouched while the AGS fault stays armed.
    assert token_call(base, tool_keys).status_code == 200
    assert roster(base, auth).status_code == 200
    r = requests.get(
        f"{base}/api/courses/{seed.DEMO_COURSE_ID}/lineitems", headers=auth, timeout=10
    )
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert armed(base)["armed"] == 1


def test_kind_any_hits_every_service_endpoint_in_arrival_order(base, auth, tool_keys):
    arm(base, kind="any", mode="500", count=2)
    assert token_call(base, tool_keys).status_code == 500
    assert roster(base, auth).status_code == 500
    assert token_call(base, tool_keys).status_code == 200
    assert roster(base, auth).status_code == 200


def test_rejecting_at_the_token_endpoint_is_invalid_client(base, tool_keys):
    arm(base, kind="token", mode="401", count=1)
    r = token_call(base, tool_keys)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert token_call(base, tool_keys).status_code == 200


def test_429_without_retry_after_when_asked(base, auth):
    arm(base, kind="nrps", mode="429", count=1, retry_after=None)
    r = roster(base, auth)
    assert r.status_code == 429 and "Retry-After" not in r.headers
    assert roster(base, auth).status_code == 200


def test_drop_closes_the_connection_without_an_answer_n_times(base, auth):
    arm(base, kind="nrps", mode="drop", count=2)
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            roster(base, auth)
    assert roster(base, auth).status_code == 200
    # A session reusing pooled connections sees the same: the drop is not a stale socket.
    arm(base, kind="nrps", mode="drop", count=1)
    with requests.Session() as http:
        with pytest.raises(requests.ConnectionError):
            http.get(f"{base}/api/courses/{seed.DEMO_COURSE_ID}/memberships", headers=auth)
        ok = http.get(f"{base}/api/courses/{seed.DEMO_COURSE_ID}/memberships", headers=auth)
        assert ok.status_code == 200
    assert armed(base)["fired"] == 3


def test_hang_outlasts_the_client_timeout_n_times_and_the_lms_still_serves_it(base, auth):
    # No wall-clock assertions: a hung call sleeps 3 s, so a 0.25 s client timeout must
    # fire, and a call that still answers within 1.5 s cannot have been hung.
    stats = f"{base}/api/_dev/stats"
    before = requests.get(stats, timeout=10).json()["membership_requests"]
    arm(base, kind="nrps", mode="hang", count=2, hang_seconds=3)
    for _ in range(2):
        with pytest.raises(requests.ReadTimeout):
            roster(base, auth, timeout=0.25)
    assert roster(base, auth, timeout=1.5).status_code == 200
    # The hung calls were served after their sleep, although nobody was listening any more.
    deadline = time.monotonic() + 15
    while requests.get(stats, timeout=10).json()["membership_requests"] < before + 3:
        assert time.monotonic() < deadline, "the hung calls were never served"
        time.sleep(0.05)
    assert armed(base)["faults"][0]["hang_seconds"] == 3


def test_racing_threads_get_exactly_count_faults(base, auth):
    arm(base, kind="nrps", mode="503", count=5)
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        status = roster(base, auth).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200] * 11 + [503] * 5
    assert armed(base)["fired"] == 5


def test_several_faults_queue_in_arming_order(base, auth):
    arm(base, kind="nrps", mode="500", count=1)
    arm(base, kind="nrps", mode="429", count=1)
    assert [roster(base, auth).status_code for _ in range(3)] == [500, 429, 200]


def test_delete_disarms_everything(base, auth):
    arm(base, kind="nrps", mode="503", count=10)
    assert roster(base, auth).status_code == 503
    r = requests.delete(f"{base}/api/_dev/faults", timeout=10)
    assert r.status_code == 200 and r.json()["faults"] == [] and r.json()["armed"] == 0
    assert roster(base, auth).status_code == 200


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "ags", "mode": "418"}, "mode must be one of"),
        ({"kind": "grades", "mode": "503"}, "kind must be one of"),
        ({"kind": "ags", "mode": "503", "count": 0}, "count must be an integer from 1"),
        ({"kind": "ags", "mode": "503", "count": "3"}, "count must be an integer from 1"),
        ({"kind": "ags", "mode": "503", "count": True}, "count must be an integer from 1"),
        ({"kind": "ags", "mode": "503", "retry_after": -1}, "retry_after must be whole seconds"),
        ({"kind": "ags", "mode": "hang", "hang_seconds": 3600}, "hang_seconds must be a number"),
        ({"kind": "ags", "mode": "hang", "hang_seconds": 0}, "hang_seconds must be a number"),
        (["ags", "503"], "the body must be a JSON object"),
    ],
)
def test_bad_fault_requests_are_400_with_a_reason(base, spec, message):
    r = requests.post(f"{base}/api/_dev/faults", json=spec, timeout=10)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert message in r.json()["error_description"]
    assert armed(base)["faults"] == []


def test_the_control_api_names_the_kinds_and_modes(base):
    state = armed(base)
    assert state["kinds"] == ["ags", "any", "nrps", "register", "token"]
    assert set(state["modes"]) == {"500", "503", "429", "hang", "drop", "401"}
    assert arm(base, kind="register", mode="invalid_token")["mode"] == "401"
