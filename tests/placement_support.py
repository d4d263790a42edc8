"""Placing any activity kind with deep linking from the dev LMS, as the instructor, and
launching people into it: shared by the peer review and coaching tests."""

from __future__ import annotations

import html
from dataclasses import dataclass

from lessons_support import Member
from sqlalchemy import select
from test_lessons_placement import choose, dev_links, picker

from lti_tool.devlms.browser import ScriptedBrowser, forms
from lti_tool.extensions import db
from lti_tool.models import Activity

INSTRUCTOR = "u-1001"


@dataclass
class Placed:
    link_id: str  # the dev LMS's resource link id
    activity_id: str  # PeerPath's activity public id
    line_item: dict | None
    prefix: str  # where the kind's pages live, e.g. "/review"

    @property
    def path(self) -> str:
        return f"{self.prefix}/{self.activity_id}"


def place(lti, kind: str, prefix: str, title: str, **fields) -> Placed:
    """Choose `kind` in the dev LMS's deep-linking picker with these fields; returns the new link."""
    before = {link["id"] for link in dev_links(lti)}
    values = {f"{kind}-title": title, **{f"{kind}-{k}": str(v) for k, v in fields.items()}}
    page = choose(picker(lti, INSTRUCTOR), kind=kind, **values)
    assert page.status_code == 200, page.text
    placed = ScriptedBrowser().submit(forms(page.text)[0], page.url)
    assert placed.status_code == 200, placed.text
    (new,) = [link for link in dev_links(lti) if link["id"] not in before]
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).order_by(Activity.id.desc())).first()
        assert activity.kind == kind and activity.title == title
        return Placed(new["id"], activity.public_id, new.get("line_item"), prefix)


def join(lti, placed: Placed, user: str) -> Member:
    """`user` launched into the placed activity (a cookie-less HTTP client)."""
    return Member.launch(lti, user, placed.link_id)


def row_of(lti, placed: Placed, model):
    """The kind's own row (assignment, programme) of the placed activity."""
    with lti.app.app_context():
        activity = db.session.scalars(
            select(Activity).where(Activity.public_id == placed.activity_id)
        ).one()
        return db.session.scalars(select(model).where(model.activity_id == activity.id)).one()


def said(response) -> str:
    """The page's text with HTML entities decoded (an apostrophe arrives as &#39;)."""
    return html.unescape(response.text)
