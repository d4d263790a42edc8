"""Helpers for the coaching tests: place a coaching activity with deep linking, launch people."""

from __future__ import annotations

from dataclasses import dataclass

from lessons_support import Member
from sqlalchemy import select
from test_lessons_placement import choose, dev_links, picker

from lti_tool.devlms.browser import ScriptedBrowser, forms
from lti_tool.extensions import db
from lti_tool.models import Activity, CoachingProgram

INSTRUCTOR = "u-1001"


@dataclass
class Placed:
    link_id: str
    activity_id: str
    line_item: dict | None

    @property
    def path(self) -> str:
        return f"/coach/{self.activity_id}"


def place_coaching(lti, title: str = "Coaching circle", **fields) -> Placed:
    before = {link["id"] for link in dev_links(lti)}
    values = {"coaching-title": title, **{f"coaching-{k}": str(v) for k, v in fields.items()}}
    page = choose(picker(lti, INSTRUCTOR), kind="coaching", **values)
    assert page.status_code == 200, page.text
    placed = ScriptedBrowser().submit(forms(page.text)[0], page.url)
    assert placed.status_code == 200, placed.text
    (new,) = [link for link in dev_links(lti) if link["id"] not in before]
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).order_by(Activity.id.desc())).first()
        assert activity.kind == "coaching" and activity.title == title
        return Placed(new["id"], activity.public_id, new.get("line_item"))


def join(lti, placed: Placed, user: str) -> Member:
    return Member.launch(lti, user, placed.link_id)


def program(lti, placed: Placed) -> CoachingProgram:
    with lti.app.app_context():
        activity = db.session.scalars(
            select(Activity).where(Activity.public_id == placed.activity_id)
        ).one()
        return db.session.scalars(
            select(CoachingProgram).where(CoachingProgram.activity_id == activity.id)
        ).one()
