"""Helpers for the peer review tests: place a peer review with deep linking, launch people into it.

Every call goes through the dev LMS and the tool's real HTTP server.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from lessons_support import Member
from sqlalchemy import select
from test_lessons_placement import choose, dev_links, picker

from lti_tool.devlms.browser import ScriptedBrowser, forms
from lti_tool.extensions import db
from lti_tool.models import Activity, ReviewAssignment

INSTRUCTOR = "u-1001"
LEARNERS = ["u-2001", "u-2002", "u-2003", "u-2004", "u-2005", "u-2006"]


@dataclass
class Placed:
    link_id: str  # the dev LMS's resource link id
    activity_id: str  # PeerPath's activity public id
    line_item: dict | None

    @property
    def path(self) -> str:
        return f"/review/{self.activity_id}"


def place_review(lti, title: str = "Pitch review", **fields) -> Placed:
    """Place a peer review with deep linking as the instructor; returns where it lives."""
    before = {link["id"] for link in dev_links(lti)}
    values = {"peer_review-title": title, **{f"peer_review-{k}": str(v) for k, v in fields.items()}}
    page = choose(picker(lti, INSTRUCTOR), kind="peer_review", **values)
    assert page.status_code == 200, page.text
    placed = ScriptedBrowser().submit(forms(page.text)[0], page.url)
    assert placed.status_code == 200, placed.text
    (new,) = [link for link in dev_links(lti) if link["id"] not in before]
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).order_by(Activity.id.desc())).first()
        assert activity.kind == "peer_review" and activity.title == title
        public_id = activity.public_id
    return Placed(new["id"], public_id, new.get("line_item"))


def join(lti, placed: Placed, user: str) -> Member:
    """`user` launched into the placed peer review (a cookie-less HTTP client)."""
    return Member.launch(lti, user, placed.link_id)


def assignment(lti, placed: Placed) -> ReviewAssignment:
    with lti.app.app_context():
        activity = db.session.scalars(
            select(Activity).where(Activity.public_id == placed.activity_id)
        ).one()
        return db.session.scalars(
            select(ReviewAssignment).where(ReviewAssignment.activity_id == activity.id)
        ).one()


def move_phase(instructor: Member, placed: Placed, phase: str) -> None:
    response = instructor.post(f"{placed.path}/phase", {"phase": phase})
    assert response.status_code == 200, response.text
    assert f'data-phase="{phase}"' in response.text


def said(response) -> str:
    """The page's text with HTML entities decoded (an apostrophe arrives as &#39;)."""
    return html.unescape(response.text)


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
