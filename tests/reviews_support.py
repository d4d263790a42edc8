"""Helpers for the peer review tests: place a peer review with deep linking, launch people into it.

Every call goes through the dev LMS and the tool's real HTTP server.
"""

from __future__ import annotations

from lessons_support import Member
from placement_support import INSTRUCTOR, Placed, join, place, row_of, said

from lti_tool.models import ReviewAssignment

LEARNERS = ["u-2001", "u-2002", "u-2003", "u-2004", "u-2005", "u-2006"]
__all__ = [
    "INSTRUCTOR",
    "LEARNERS",
    "Placed",
    "assignment",
    "join",
    "move_phase",
    "place_review",
    "said",
    "settings_form",
]


def place_review(lti, title: str = "Pitch review", **fields) -> Placed:
    """Place a peer review with deep linking as the instructor; returns where it lives."""
    return place(lti, "peer_review", "/review", title, **fields)


def assignment(lti, placed: Placed) -> ReviewAssignment:
    return row_of(lti, placed, ReviewAssignment)


def move_phase(instructor: Member, placed: Placed, phase: str) -> None:
    response = instructor.post(f"{placed.path}/phase", {"phase": phase})
    assert response.status_code == 200, response.text
    assert f'data-phase="{phase}"' in response.text


def settings_form(**changes) -> dict:
    """Every field of the settings form with its default, changed by `changes`."""
    form = {
        "late_policy": "refuse",
        "late_penalty_percent": "0",
        "reviews_per_submission": "3",
        "allocation_mode": "batch",
        "lease_minutes": "60",
        "small_cohort_fallback": "instructor",
        "fallback_days": "3",
        "anonymity": "double",
        "calibration_examples": "0",
        "aggregation": "weighted",
        "trim_fraction": "0.2",
        "outlier_threshold": "0.25",
        "escalation_threshold": "0.4",
        "feedback_release": "grading",
        "nomination": "approved",
        "min_responses": "3",
        "allow_files": "yes",
        "allow_links": "yes",
    }
    form.update(changes)
    return form
