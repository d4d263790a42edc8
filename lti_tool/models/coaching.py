"""Peer coaching and onboarding mentoring: a programme per placement, the skill list, profiles
for matching, pairings per cycle, goals with milestones, and check-ins.

The rules (who may coach whom, the best pairing, what makes a goal SMART) live in the pure
modules of `lti_tool.coaching` (matching, smart); these are the rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .activity import Activity
from .base import UTCDateTime, new_public_id, utcnow
from .people import User

# CoachingProgram.mode
MODE_PEER = "peer"  # everyone may coach and be coached, by skills
MODE_ONBOARDING = "onboarding"  # new hires are paired with experienced colleagues (mentors)

# Goal.status
GOAL_OPEN = "open"
GOAL_CLOSED = "closed"

# Pairing.status
PAIR_ACTIVE = "active"
PAIR_ENDED = "ended"


class CoachingProgram(db.Model):
    """The coaching set up in one placed activity: mode, visibility, cadence, matching rules,
    and how participation is graded."""

    __tablename__ = "coaching_program"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), unique=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(12), default=MODE_PEER)
    # "course": owner, coach and instructors see a goal; "pair": owner and coach only.
    goal_visibility: Mapped[str] = mapped_column(String(8), default="course")
    cadence_days: Mapped[int] = mapped_column(default=14)
    allow_reciprocal: Mapped[bool] = mapped_column(Boolean, default=False)
    across_teams: Mapped[bool] = mapped_column(Boolean, default=False)
    avoid_repeat: Mapped[bool] = mapped_column(Boolean, default=True)
    # The skill list: this course's own, or the organisation's (Skill.context_id None).
    skills_scope: Mapped[str] = mapped_column(String(8), default="course")  # course | org
    # Grade rule: "closed" (closing a goal with a reflection and the coach's note = full marks),
    # or "checkins" (each check-in counts towards min_checkins, closing adds the rest).
    completion_rule: Mapped[str] = mapped_column(String(10), default="closed")
    min_checkins: Mapped[int] = mapped_column(default=2)
    cycle: Mapped[int] = mapped_column(default=0)  # the latest matching run's number
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    activity: Mapped[Activity] = relationship()


class Skill(db.Model):
    """One entry of a curated skill list: a course's (context_id) or the organisation's."""

    __tablename__ = "coaching_skill"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[int | None] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # casefolded, spaces collapsed: "SQL" and " sql " are the same skill
    name_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CoachingProfile(db.Model):
    """What one person offers and wants in one programme. Roster people who have not launched
    yet get a profile the instructor can fill in (invited)."""

    __tablename__ = "coaching_profile"
    __table_args__ = (UniqueConstraint("program_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("coaching_program.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    can_coach: Mapped[list] = mapped_column(JSON, default=list)  # skill ids
    wants: Mapped[list] = mapped_column(JSON, default=list)  # skill ids, most wanted first
    capacity: Mapped[int] = mapped_column(default=1)  # coachees at once; 0 = not coaching
    preferences: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(String(200), default="")
    new_hire: Mapped[bool] = mapped_column(Boolean, default=False)
    experienced: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Private calendar feed (.ics) address: a capability URL; resetting it makes a new one.
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: new_public_id().replace("-", ""))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class Pairing(db.Model):
    """A coach and a coachee in one cycle of a programme, and why they were paired."""

    __tablename__ = "coaching_pairing"
    __table_args__ = (
        UniqueConstraint("program_id", "cycle", "coachee_id"),
        Index("ix_coaching_pairing_coach", "program_id", "coach_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    program_id: Mapped[int] = mapped_column(ForeignKey("coaching_program.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column()
    coach_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    coachee_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8), default="auto")  # auto | manual
    # What the page says about why: shared skills, rules applied (from matching.Pair).
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default=PAIR_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    coach: Mapped[User] = relationship(foreign_keys=[coach_id])
    coachee: Mapped[User] = relationship(foreign_keys=[coachee_id])


class Goal(db.Model):
    """A development goal: what, why, how success is measured, by when; milestones; closing."""

    __tablename__ = "coaching_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    program_id: Mapped[int] = mapped_column(ForeignKey("coaching_program.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[date | None] = mapped_column(Date)
    # Where it came from, e.g. {"kind": "peer_review_360", "activity": "<public id>"}.
    origin: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default=GOAL_OPEN)
    reflection: Mapped[str] = mapped_column(Text, default="")  # the owner's, when closing
    coach_note: Mapped[str] = mapped_column(Text, default="")  # the coach's, when closing
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()
    milestones: Mapped[list[GoalMilestone]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="GoalMilestone.position"
    )


class GoalMilestone(db.Model):
    __tablename__ = "coaching_goal_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("coaching_goal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(String(500))
    due_date: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    goal: Mapped[Goal] = relationship(back_populates="milestones")


class CheckIn(db.Model):
    """One check-in on a goal: progress and reflection by the owner, feedback by the coach."""

    __tablename__ = "coaching_checkin"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    goal_id: Mapped[int] = mapped_column(ForeignKey("coaching_goal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    progress: Mapped[int] = mapped_column(default=0)  # 0..100, the owner's estimate
    went_well: Mapped[str] = mapped_column(Text, default="")
    blockers: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    coach_feedback: Mapped[str] = mapped_column(Text, default="")
    coach_feedback_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    coach_feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    goal: Mapped[Goal] = relationship()
