"""The dev LMS service rules, one by one, without HTTP: scores, line items, roles, scopes.

The endpoint tests (test_api_ags/nrps/token/register) prove the same rules over real HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lti_tool.devlms import ags, nrps, oauth

T0 = "2030-01-02T03:04:05Z"


def score(**overrides):
    body = {
        "userId": "u-2001",
        "timestamp": T0,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "scoreGiven": 7,
        "scoreMaximum": 10,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_a_fully_graded_score_keeps_score_given():
    data = ags.validate_score(score())
    assert data.score_given == 7.0 and data.score_maximum == 10.0
    assert data.timestamp == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("progress", ["Pending", "PendingManual", "Failed", "NotReady"])
def test_score_given_is_dropped_unless_fully_graded(progress):
    data = ags.validate_score(score(gradingProgress=progress))
    assert data.score_given is None
    assert data.score_given_sent == 7.0


@pytest.mark.parametrize("field", ["userId", "timestamp", "activityProgress", "gradingProgress"])
def test_a_score_needs_its_four_required_fields(field):
    with pytest.raises(ags.AGSError, match=field) as err:
        ags.validate_score(score(**{field: None}))
    assert err.value.status == 400


def test_score_given_without_score_maximum_is_a_400_that_says_why():
    with pytest.raises(ags.AGSError, match="scoreMaximum is required when scoreGiven") as err:
        ags.validate_score(score(scoreMaximum=None))
    assert err.value.status == 400


@pytest.mark.parametrize(
    "overrides",
    [
        {"scoreGiven": -1},
        {"scoreGiven": True},
        {"scoreGiven": "7"},
        {"scoreMaximum": 0},
        {"activityProgress": "Done"},
        {"gradingProgress": "Graded"},
        {"timestamp": "yesterday"},
        {"comment": 5},
    ],
)
def test_malformed_scores_are_rejected(overrides):
    with pytest.raises(ags.AGSError):
        ags.validate_score(score(**overrides))


def test_a_progress_only_score_needs_no_numbers():
    data = ags.validate_score(score(scoreGiven=None, scoreMaximum=None, gradingProgress="NotReady"))
    assert data.score_given is None and data.score_maximum is None


def test_later_means_strictly_later_in_whole_seconds():
    stored = ags.parse_timestamp("2030-01-02T03:04:05.100Z")
    assert not ags.is_later(ags.parse_timestamp("2030-01-02T03:04:05.900Z"), stored)
    assert not ags.is_later(ags.parse_timestamp("2030-01-02T03:04:04Z"), stored)
    assert ags.is_later(ags.parse_timestamp("2030-01-02T03:04:06Z"), stored)
    assert ags.is_later(ags.parse_timestamp(T0), None)


def test_timestamps_with_offsets_compare_in_utc():
    assert ags.parse_timestamp("2030-01-02T05:04:05+02:00") == ags.parse_timestamp(T0)
    assert ags.is_later(ags.parse_timestamp("2030-01-02T05:04:06+02:00"), ags.parse_timestamp(T0))


def test_a_naive_stored_timestamp_is_read_as_utc():
    # SQLite hands back naive datetimes.
    assert not ags.is_later(ags.parse_timestamp(T0), datetime(2030, 1, 2, 3, 4, 5))


def test_line_items_need_a_label_and_a_positive_maximum():
    item = ags.validate_lineitem({"label": " Essay ", "scoreMaximum": 20, "tag": "peer"})
    assert item.label == "Essay" and item.score_maximum == 20.0 and item.tag == "peer"
    for bad in ({"scoreMaximum": 20}, {"label": "x", "scoreMaximum": 0}, {"label": "x"}, []):
        with pytest.raises(ags.AGSError):
            ags.validate_lineitem(bad)


def test_a_line_item_cannot_end_before_it_starts():
    with pytest.raises(ags.AGSError, match="endDateTime"):
        ags.validate_lineitem(
            {
                "label": "x",
                "scoreMaximum": 1,
                "startDateTime": "2030-02-01T00:00:00Z",
                "endDateTime": "2030-01-01T00:00:00Z",
            }
        )


def test_results_are_rescaled_to_the_line_item_maximum():
    assert ags.scaled_result(7, 10, 20) == 14
    assert ags.scaled_result(None, 10, 20) is None


def test_role_filters_take_short_names_and_full_uris():
    assert nrps.role_matches("Learner", ["Learner"])
    assert nrps.role_matches(nrps.LIS_MEMBERSHIP + "Learner", ["Learner"])
    assert not nrps.role_matches("Instructor", ["Learner"])
    assert nrps.full_role("TeachingAssistant").endswith("Instructor#TeachingAssistant")
    assert nrps.is_learner([nrps.LIS_MEMBERSHIP + "Learner"]) and not nrps.is_learner(
        ["Instructor"]
    )


def test_page_tokens_always_break_under_lower_casing():
    tokens = {nrps.new_page_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(t != t.lower() for t in tokens)


def test_limit_is_positive_and_clamped():
    assert nrps.parse_limit(None, 0) == 0
    assert nrps.parse_limit("5", 0) == 5
    assert nrps.parse_limit("100000", 0, maximum=1000) == 1000
    for bad in ("0", "-1", "x"):
        with pytest.raises(ValueError):
            nrps.parse_limit(bad, 0)


def test_requested_scopes_must_be_granted():
    granted = frozenset({oauth.SCOPE_SCORE, oauth.SCOPE_NRPS})
    oauth.check_scopes(oauth.parse_scopes(f"{oauth.SCOPE_SCORE} {oauth.SCOPE_SCORE}"), granted)
    with pytest.raises(oauth.OAuthError) as err:
        oauth.check_scopes([oauth.SCOPE_SCORE, oauth.SCOPE_LINEITEM], granted)
    assert err.value.error == "invalid_scope" and oauth.SCOPE_LINEITEM in err.value.description
    with pytest.raises(oauth.OAuthError, match="scope is required"):
        oauth.check_scopes([], granted)


def test_every_service_endpoint_is_tagged_for_fault_injection(devlms_app):
    # A later before_request hook picks its victims by ENDPOINT_KINDS[request.endpoint].
    from lti_tool.devlms.api import ENDPOINT_KINDS

    service = {
        rule.endpoint
        for rule in devlms_app.url_map.iter_rules()
        if rule.endpoint.startswith("devlms_api.") and "/_dev/" not in rule.rule
    }
    assert service == set(ENDPOINT_KINDS)
    assert set(ENDPOINT_KINDS.values()) == {"token", "ags", "nrps", "register"}
