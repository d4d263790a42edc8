"""The dev LMS's own tables: tools, courses, people, enrolments, resource links, line items.

Its own DeclarativeBase and metadata, so none of this ever enters the tool's Alembic migrations.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class DevBase(DeclarativeBase):
    """Base class for every dev LMS model (separate metadata from the tool's)."""


db = SQLAlchemy(model_class=DevBase)

INSTRUCTOR = "Instructor"
LEARNER = "Learner"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class PlatformKey(db.Model):
    """The platform's RSA signing key; retired keys leave the published JWKS."""

    __tablename__ = "devlms_platform_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    # Plain PEM on purpose: the dev LMS only ever runs locally and in tests.
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DevTool(db.Model):
    """A tool registered in the dev LMS (by `setup.register_tool` or dynamic registration)."""

    __tablename__ = "devlms_tool"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    login_url: Mapped[str] = mapped_column(String(2000))
    launch_url: Mapped[str] = mapped_column(String(2000))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    jwks_url: Mapped[str] = mapped_column(String(2000))
    deployment_id: Mapped[str] = mapped_column(String(255), default="1")
    # Scopes granted to the tool for the token endpoint; dynamic registration may narrow them.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Raw registration document when the tool registered itself (dynamic registration).
    registration: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Course(db.Model):
    __tablename__ = "devlms_course"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    label: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )
    links: Mapped[list[ResourceLink]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="ResourceLink.position"
    )


class Person(db.Model):
    __tablename__ = "devlms_person"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(20), default="en-GB")

    @property
    def lang(self) -> str:
        """BCP 47 language of the name, so pages mark it up for screen readers."""
        return self.locale.split("-")[0]


class Enrolment(db.Model):
    __tablename__ = "devlms_enrolment"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("devlms_course.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("devlms_person.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))  # INSTRUCTOR or LEARNER
    status: Mapped[str] = mapped_column(String(20), default="Active")
    course: Mapped[Course] = relationship(back_populates="enrolments")
    person: Mapped[Person] = relationship()


class ResourceLink(db.Model):
    """An activity placed in a course, launching one tool (optionally with custom params)."""

    __tablename__ = "devlms_resource_link"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    course_id: Mapped[str] = mapped_column(ForeignKey("devlms_course.id", ondelete="CASCADE"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("devlms_tool.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Empty = the tool's launch_url (the target_link_uri the tool registered).
    url: Mapped[str] = mapped_column(String(2000), default="")
    custom: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    course: Mapped[Course] = relationship(back_populates="links")
    tool: Mapped[DevTool] = relationship()
    line_items: Mapped[list[LineItem]] = relationship(
        back_populates="resource_link", order_by="LineItem.id"
    )

    @property
    def target_link_uri(self) -> str:
        return self.url or self.tool.launch_url

    @property
    def line_item(self) -> LineItem | None:
        """The link's gradebook column (the first one bound to it), if any."""
        return self.line_items[0] if self.line_items else None


class LineItem(db.Model):
    """A gradebook column (AGS line item); owned here, scores live in api_models."""

    __tablename__ = "devlms_line_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("devlms_course.id", ondelete="CASCADE"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("devlms_tool.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str | None] = mapped_column(
        ForeignKey("devlms_resource_link.id", ondelete="SET NULL"), nullable=True
    )
    label: Mapped[str] = mapped_column(String(300))
    score_maximum: Mapped[float] = mapped_column(Float)
    resource_id: Mapped[str] = mapped_column(String(300), default="")
    tag: Mapped[str] = mapped_column(String(300), default="")
    start_date_time: Mapped[str | None] = mapped_column(String(40), nullable=True)
    end_date_time: Mapped[str | None] = mapped_column(String(40), nullable=True)
    grades_released: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resource_link: Mapped[ResourceLink | None] = relationship(back_populates="line_items")
    tool: Mapped[DevTool] = relationship()
