"""The rubric document: parsing with precise errors, round trip, scoring."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.reviews import rubric as r


def doc(**changes):
    d = copy.deepcopy(r.STARTER)
    d.update(changes)
    return d


def test_the_starter_parses_and_round_trips():
    parsed = r.parse(r.STARTER)
    assert [c.key for c in parsed.criteria] == ["goal", "clarity", "next-step"]
    assert [c.key for c in parsed.scored] == ["goal", "clarity"]
    assert parsed.criterion("next-step").feedback_only
    assert r.parse(r.to_document(parsed)) == parsed


def test_levels_are_kept_in_order_of_points_and_keys_are_made_when_missing():
    d = doc(
        criteria=[
            {
                "title": "Depth",
                "levels": [
                    {"points": 3, "descriptor": "deep"},
                    {"points": 1, "descriptor": "thin"},
                ],
            }
        ]
    )
    parsed = r.parse(d)
    assert parsed.criteria[0].key == "c1"
    assert [(lv.key, lv.points) for lv in parsed.criteria[0].levels] == [("l2", 1.0), ("l1", 3.0)]


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "at least one criterion"),
        ([{"title": "", "levels": []}], "Criterion 1: the title is missing"),
        (
            [{"title": "Depth", "levels": [{"points": 1, "descriptor": "x"}]}],
            "Criterion 1 (Depth) needs from 2 to 10 levels",
        ),
        (
            [
                {
                    "title": "Depth",
                    "levels": [{"points": 1, "descriptor": "x"}, {"points": 1, "descriptor": "y"}],
                }
            ],
            "two levels have the same points",
        ),
        (
            [
                {
                    "title": "Depth",
                    "levels": [
                        {"points": "lots", "descriptor": "x"},
                        {"points": 1, "descriptor": "y"},
                    ],
                }
            ],
            "Criterion 1 (Depth), level 1: points must be a number",
        ),
        (
            [
                {
                    "title": "Depth",
                    "levels": [{"points": 0, "descriptor": ""}, {"points": 1, "descriptor": "y"}],
                }
            ],
            "level 1: the descriptor is missing",
        ),
        ([{"title": "Notes", "feedback_only": True}], "at least one scored"),
        (
            [
                {
                    "title": "Notes",
                    "feedback_only": True,
                    "levels": [{"points": 1, "descriptor": "x"}],
                }
            ],
            "feedback only: it has no levels",
        ),
        (
            [
                {
                    "title": "A",
                    "key": "same",
                    "levels": [{"points": 0, "descriptor": "x"}, {"points": 1, "descriptor": "y"}],
                },
                {
                    "title": "B",
                    "key": "same",
                    "levels": [{"points": 0, "descriptor": "x"}, {"points": 1, "descriptor": "y"}],
                },
            ],
            "the key 'same' is used twice",
        ),
        (
            [
                {
                    "title": "A",
                    "weight": 0,
                    "levels": [{"points": 0, "descriptor": "x"}, {"points": 1, "descriptor": "y"}],
                }
            ],
            "the weight must be between",
        ),
    ],
)
def test_bad_documents_say_what_and_where(criteria, message):
    with pytest.raises(r.RubricError, match=re.escape(message)):
        r.parse(doc(criteria=criteria))


def test_scoring_weights_criteria_and_ignores_feedback_only():
    parsed = r.parse(r.STARTER)
    full = {
        "goal": r.Choice("fully"),
        "clarity": r.Choice("hard"),
        "next-step": r.Choice(None, "Add a summary"),
    }
    # goal 2/2 × 2 + clarity 0/2 × 1 = 2 of 3 weight → 66.67
    assert r.score(parsed, full) == pytest.approx(66.6667)
    assert r.points_of(parsed, full) == {"goal": 2.0, "clarity": 0.0, "next-step": None}


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (
            {"goal": r.Choice("fully"), "next-step": r.Choice(None, "x")},
            "Choose a level for 'Clear to its audience'",
        ),
        (
            {
                "goal": r.Choice("excellent"),
                "clarity": r.Choice("hard"),
                "next-step": r.Choice(None, "x"),
            },
            "'excellent' is not one of the levels of 'Meets its goal'",
        ),
        (
            {
                "goal": r.Choice("fully"),
                "clarity": r.Choice("hard"),
                "next-step": r.Choice(None, "  "),
            },
            "'One thing to try next' needs a comment",
        ),
        (
            {
                "goal": r.Choice("fully"),
                "clarity": r.Choice("hard"),
                "next-step": r.Choice(None, "x"),
                "zzz": r.Choice("a"),
            },
            "no criterion 'zzz'",
        ),
    ],
)
def test_choices_outside_the_rubric_are_refused(choices, message):
    with pytest.raises(r.RubricError, match=message):
        r.score(r.parse(r.STARTER), choices)


@given(
    st.sampled_from(["not-yet", "partly", "fully"]), st.sampled_from(["hard", "mostly", "clear"])
)
def test_scores_stay_between_0_and_100(goal, clarity):
    value = r.score(
        r.parse(r.STARTER),
        {"goal": r.Choice(goal), "clarity": r.Choice(clarity), "next-step": r.Choice(None, "x")},
    )
    assert 0 <= value <= 100
