"""Functions the demo, the lead's code and the tests call to configure the dev LMS.

Each pushes its own app context, so they work outside a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select

from . import keys, seed, urls
from .models import INSTRUCTOR, LEARNER, Course, DevTool, Enrolment, Person, ResourceLink, db

DEFAULT_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]


@dataclass(frozen=True)
class DemoCourse:
    course_id: str
    link_id: str
    tool_client_id: str
    instructor_ids: list[str] = field(default_factory=list)
    learner_ids: list[str] = field(default_factory=list)


def register_tool(
    app: Flask,
    client_id: str,
    name: str,
    login_url: str,
    launch_url: str,
    jwks_url: str,
    deployment_id: str = "1",
    redirect_uris: list[str] | None = None,
) -> DevTool:
    """Register (or update) a tool by client_id; returns the detached row."""
    with app.app_context():
        tool = db.session.scalars(select(DevTool).where(DevTool.client_id == client_id)).first()
        if tool is None:
            tool = DevTool(client_id=client_id, scopes=list(DEFAULT_SCOPES))
            db.session.add(tool)
        tool.name = name
        tool.login_url = login_url
        tool.launch_url = launch_url
        tool.jwks_url = jwks_url
        tool.deployment_id = deployment_id
        tool.redirect_uris = list(redirect_uris or [launch_url])
        tool.status = "active"
        db.session.commit()
        db.session.refresh(tool)
        db.session.expunge(tool)
        return tool


def register_peerpath(app: Flask, client_id: str, tool_url: str, deployment_id: str = "1") -> DevTool:
    """Register a PeerPath instance served at tool_url with its standard LTI endpoints."""
    return register_tool(
        app,
        client_id=client_id,
        name="PeerPath",
        login_url=f"{tool_url}/lti/login",
        launch_url=f"{tool_url}/lti/launch",
        jwks_url=f"{tool_url}/lti/jwks",
        deployment_id=deployment_id,
    )


def _upsert_person(p: seed.SeedPerson) -> Person:
    person = db.session.get(Person, p.id) or Person(id=p.id)
    person.given_name, person.family_name, person.name = p.given_name, p.family_name, p.name
    person.email, person.locale = p.email, p.locale
    db.session.add(person)
    return person


def seed_demo_course(app: Flask, client_id: str) -> DemoCourse:
    """Create the demo course, its people and one PeerPath link (idempotent)."""
    with app.app_context():
        tool = db.session.scalars(select(DevTool).where(DevTool.client_id == client_id)).first()
        if tool is None:
            raise LookupError(f"no tool with client_id {client_id!r}: call register_tool first")
        course = db.session.get(Course, seed.DEMO_COURSE_ID)
        if course is None:
            course = Course(id=seed.DEMO_COURSE_ID)
            db.session.add(course)
        course.label, course.title = seed.DEMO_COURSE_LABEL, seed.DEMO_COURSE_TITLE
        existing = {
            e.person_id: e
            for e in db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id))
        }
        for role, people in ((INSTRUCTOR, seed.INSTRUCTORS), (LEARNER, seed.LEARNERS)):
            for p in people:
                _upsert_person(p)
                enrolment = existing.get(p.id)
                if enrolment is None:
                    db.session.add(Enrolment(course_id=course.id, person_id=p.id, role=role))
                else:
                    enrolment.role = role
        link = db.session.get(ResourceLink, seed.DEMO_LINK_ID)
        if link is None:
            # No custom parameters: an instructor's first launch lands on "set up this activity".
            db.session.add(
                ResourceLink(
                    id=seed.DEMO_LINK_ID,
                    course_id=course.id,
                    tool_id=tool.id,
                    title=seed.DEMO_LINK_TITLE,
                    description=seed.DEMO_LINK_DESCRIPTION,
                    custom={},
                    position=0,
                )
            )
        db.session.commit()
        return DemoCourse(
            course_id=seed.DEMO_COURSE_ID,
            link_id=seed.DEMO_LINK_ID,
            tool_client_id=client_id,
            instructor_ids=[p.id for p in seed.INSTRUCTORS],
            learner_ids=[p.id for p in seed.LEARNERS],
        )


def platform_input(app: Flask, client_id: str):
    """What the tool needs to register this dev LMS (a lti_tool.lti.platforms.PlatformInput)."""
    from ..lti.platforms import PlatformInput

    with app.app_context():
        tool = db.session.scalars(select(DevTool).where(DevTool.client_id == client_id)).first()
        if tool is None:
            raise LookupError(f"no tool with client_id {client_id!r}: call register_tool first")
        return PlatformInput(
            issuer=urls.issuer(),
            client_id=client_id,
            auth_login_url=urls.auth_url(),
            auth_token_url=urls.token_url(),
            key_set_url=urls.certs_url(),
            deployment_ids=[tool.deployment_id],
            name="PeerPath Dev LMS",
            product_family="peerpath-devlms",
        )


def rotate_platform_key(app: Flask, retire_old: bool = False) -> str:
    """Start signing with a new key; returns its kid. Old keys stay published unless retire_old."""
    with app.app_context():
        return keys.rotate(retire_old=retire_old).kid


def current_kid(app: Flask) -> str:
    with app.app_context():
        return keys.ensure_key().kid
