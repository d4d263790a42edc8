"""Helpers for the AGS / grade outbox tests: launched links, extra learners, faults, gradebook.

Imported by test_ags*.py, test_outbox*.py and test_grades_*.py; holds no tests itself.
"""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Context, Platform, ResourceLink, User
from lti_tool.models.grades import GradeOutbox
from lti_tool.services import ags, oauth

# Short delays so retries happen in milliseconds (production: seconds, then minutes).
FAST_GRADES = {
    "GRADES_BACKOFF_BASE_MS": 10,
    "GRADES_BACKOFF_MAX_SECONDS": 0.3,
    "GRADES_HTTP_TIMEOUT": 1.0,
    "GRADES_LEASE_SECONDS": 30,
    "GRADES_POLL_SECONDS": 0.02,
}


def reset_tokens() -> None:
    oauth.tokens.clear()


def launched_link(lti, user: str = "u-2001") -> int:
    """Launch the seeded PeerPath link so the tool stores its AGS claim; returns the link's id."""
    result = lti.launch(user)
    assert result.response.status_code == 200, result.text
    with lti.app.app_context():
        link = db.session.scalars(
            select(ResourceLink).where(ResourceLink.lms_resource_link_id == lti.course.link_id)
        ).one()
        assert link.ags_claim and link.ags_claim.get("lineitems")
        return link.id


def add_learners(lti, n: int, prefix: str = "u-5") -> list[str]:
    """n more learners enrolled in the dev LMS course, known to the tool as users."""
    from lti_tool.devlms.models import LEARNER, Enrolment, Person
    from lti_tool.devlms.models import db as lms_db

    ids = [f"{prefix}{i:03d}" for i in range(n)]
    with lti.devlms_app.app_context():
        for pid in ids:
            lms_db.session.add(
                Person(
                    id=pid,
                    name=f"Learner {pid}",
                    given_name="Learner",
                    family_name=pid,
                    email=f"{pid}@example.com",
                )
            )
            lms_db.session.add(
                Enrolment(course_id=lti.course.course_id, person_id=pid, role=LEARNER)
            )
        lms_db.session.commit()
    with lti.app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        for pid in ids:
            db.session.add(User(platform_id=platform.id, sub=pid, name=f"Learner {pid}"))
        db.session.commit()
    return ids


def tool_user(lti, sub: str) -> User:
    """The tool's user row for an LMS user id (creates it, as an NRPS sync would)."""
    platform = db.session.scalars(select(Platform)).one()
    user = db.session.scalars(
        select(User).where(User.platform_id == platform.id, User.sub == sub)
    ).first()
    if user is None:
        user = User(platform_id=platform.id, sub=sub, name=sub)
        db.session.add(user)
        db.session.flush()
    return user


def client_for(link_id: int) -> ags.AgsClient:
    link = db.session.get(ResourceLink, link_id)
    platform = db.session.get(Platform, db.session.get(Context, link.context_id).platform_id)
    return ags.AgsClient(ags.endpoint_for_link(link, platform))


def create_line_items(lti, link_id: int, n: int, score_maximum: float = 100) -> list[str]:
    with lti.app.app_context():
        client = client_for(link_id)
        return [
            client.create_line_item(
                label=f"Column {i}", score_maximum=score_maximum, tag=f"col-{i}"
            )["id"]
            for i in range(n)
        ]


def stats(lti) -> dict[str, Any]:
    return requests.get(f"{lti.lms_url}/api/_dev/stats", timeout=5).json()


def gradebook(lti) -> dict[str, dict[str, dict]]:
    """{line item URL: {user id: result}} as the dev LMS holds it now."""
    body = requests.get(
        f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/gradebook", timeout=10
    ).json()
    return {column["id"]: column["results"] for column in body["line_items"]}


def arm(lti, **fault) -> dict:
    response = requests.post(f"{lti.lms_url}/api/_dev/faults", json=fault, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def faults(lti) -> dict:
    return requests.get(f"{lti.lms_url}/api/_dev/faults", timeout=5).json()


def expected_latest(app) -> dict[tuple[str, str], float]:
    """PeerPath's latest valid score per (line item URL, user): what the LMS must end with."""
    with app.app_context():
        rows = db.session.scalars(
            select(GradeOutbox).where(GradeOutbox.status != "failed").order_by(GradeOutbox.id)
        ).all()
        latest: dict[tuple[str, str], float] = {}
        for row in rows:
            latest[(row.line_item_url, row.lms_user_id)] = row.score_given
        return latest


def lms_values(lti) -> dict[tuple[str, str], float]:
    return {
        (url, user): r["scoreGiven"]
        for url, results in gradebook(lti).items()
        for user, r in results.items()
    }
