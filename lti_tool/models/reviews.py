"""Peer review with rubrics: rubrics, one review assignment per placement, submissions and their
files, groups, allocations, reviews with per-criterion scores, grades, and 360 nominations.

The rules (who may review what, how scores aggregate, what reviewing quality is) live in the pure
modules of `lti_tool.reviews` (allocation, aggregation, calibration, rubric); these are the rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .activity import Activity
from .base import UTCDateTime, new_public_id, utcnow
from .people import User

# ReviewAssignment.mode: the work of a person (or group), or the person themself (360).
MODE_WORK = "work"
MODE_PEOPLE = "people"

# ReviewAssignment.phase, in order. The instructor moves them by hand, or dates do.
PHASE_SETUP = "setup"
PHASE_SUBMISSION = "submission"
PHASE_REVIEW = "review"
PHASE_GRADING = "grading"
PHASE_CLOSED = "closed"
PHASES = (PHASE_SETUP, PHASE_SUBMISSION, PHASE_REVIEW, PHASE_GRADING, PHASE_CLOSED)

# Submission.kind: a participant's work, or a calibration example the instructor wrote.
SUBMISSION_WORK = "work"
SUBMISSION_EXAMPLE = "example"

# Review.kind
REVIEW_PEER = "peer"
REVIEW_SELF = "self"
REVIEW_PRACTICE = "practice"  # a participant's calibration review of an example
REVIEW_REFERENCE = "reference"  # the instructor's assessment of an example
REVIEW_INSTRUCTOR = "instructor"  # the instructor or facilitator reviewing as the fallback
REVIEW_KINDS = (REVIEW_PEER, REVIEW_SELF, REVIEW_PRACTICE, REVIEW_REFERENCE, REVIEW_INSTRUCTOR)

# Allocation.status
ALLOCATED = "allocated"
LEASED = "leased"  # taken from the pull queue; free again at lease_expires_at unless done
DONE = "done"
WITHDRAWN = "withdrawn"  # reassigned by the instructor; the row stays for the record


class Rubric(db.Model):
    """A rubric document: criteria, their levels (points + descriptor), weights, comment rules.

    `definition` is validated by `lti_tool.reviews.rubric` and only ever replaced as a whole. A
    rubric is frozen once a review uses it: to change it, copy it. A template (is_template) is
    the organisation's, reusable in every course; other rubrics belong to one course.
    """

    __tablename__ = "rubric"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[int | None] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"), index=True)
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSON)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("rubric.id", ondelete="SET NULL"))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class ReviewAssignment(db.Model):
    """The peer review set up in one placed activity: rubric, phases and dates, policies."""

    __tablename__ = "review_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), unique=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"), index=True)
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("rubric.id", ondelete="RESTRICT"))
    mode: Mapped[str] = mapped_column(String(10), default=MODE_WORK)
    instructions: Mapped[str] = mapped_column(Text, default="")

    # Phases: moved by hand, or by the dates below when auto_phases is on (each date, when set,
    # is the moment the phase named after it begins).
    phase: Mapped[str] = mapped_column(String(12), default=PHASE_SETUP)
    phase_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    auto_phases: Mapped[bool] = mapped_column(Boolean, default=False)
    submission_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # = submission deadline
    grading_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # = review deadline
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # After the deadline: "refuse", "accept" (marked late) or "penalty" (late_penalty_percent off).
    late_policy: Mapped[str] = mapped_column(String(10), default="refuse")
    late_penalty_percent: Mapped[int] = mapped_column(default=0)

    # Submissions
    group_submissions: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_files: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_links: Mapped[bool] = mapped_column(Boolean, default=True)

    # Allocation
    reviews_per_submission: Mapped[int] = mapped_column(default=3)
    # "batch": everyone gets their k submissions when the review phase starts;
    # "queue": the next reviewer pulls the submission with the fewest reviews (late-friendly).
    allocation_mode: Mapped[str] = mapped_column(String(10), default="batch")
    lease_minutes: Mapped[int] = mapped_column(default=60)
    seed: Mapped[int] = mapped_column(default=0)
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Too few peers: "instructor" reviews, a "facilitator" does, or "complete" without waiting
    # after fallback_days.
    small_cohort_fallback: Mapped[str] = mapped_column(String(12), default="instructor")
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    fallback_days: Mapped[int] = mapped_column(default=3)

    # Reviewing
    anonymity: Mapped[str] = mapped_column(String(10), default="double")  # double | single | open
    self_assessment: Mapped[bool] = mapped_column(Boolean, default=False)
    calibration_examples: Mapped[int] = mapped_column(default=0)  # practice reviews required first

    # Grades
    aggregation: Mapped[str] = mapped_column(String(10), default="weighted")  # weighted | median | trimmed
    trim_fraction: Mapped[float] = mapped_column(Float, default=0.2)
    outlier_threshold: Mapped[float] = mapped_column(Float, default=0.25)  # of the score range
    escalation_threshold: Mapped[float] = mapped_column(Float, default=0.4)
    feedback_release: Mapped[str] = mapped_column(String(10), default="grading")  # grading | manual
    feedback_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    work_points: Mapped[float] = mapped_column(Float, default=100)
    reviewing_points: Mapped[float] = mapped_column(Float, default=100)

    # 360 mode: who nominates reviewers, and how many answers before results show (never < 3).
    nomination: Mapped[str] = mapped_column(String(12), default="approved")  # approved | instructor
    min_responses: Mapped[int] = mapped_column(default=3)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    activity: Mapped[Activity] = relationship()
    rubric: Mapped[Rubric | None] = relationship()


class ReviewGroup(db.Model):
    """A team within one assignment: from the LMS (lms_group_id) or defined in PeerPath."""

    __tablename__ = "review_group"
    __table_args__ = (UniqueConstraint("assignment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    lms_group_id: Mapped[str | None] = mapped_column(String(255))


class ReviewGroupMember(db.Model):
    __tablename__ = "review_group_member"
    # One group per person per assignment.
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("review_group.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))


class Submission(db.Model):
    """A participant's (or group's) work; in 360 mode, the person being reviewed.

    Calibration examples are submissions of kind "example", written by the instructor, with a
    reference review and an explanation.
    """

    __tablename__ = "review_submission"
    __table_args__ = (
        # One piece of work per person (and per group) per assignment; examples are many.
        Index(
            "uq_review_submission_author",
            "assignment_id",
            "author_id",
            unique=True,
            sqlite_where=text("kind = 'work'"),
            postgresql_where=text("kind = 'work'"),
        ),
        Index(
            "uq_review_submission_group",
            "assignment_id",
            "group_id",
            unique=True,
            sqlite_where=text("group_id IS NOT NULL"),
            postgresql_where=text("group_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=SUBMISSION_WORK)
    author_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("review_group.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text, default="")  # Markdown
    html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitised by content/
    links: Mapped[list] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None = draft
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    # Examples: why the reference assessment is what it is (shown after a practice review).
    explanation: Mapped[str] = mapped_column(Text, default="")
    # The author's plan after reading the feedback.
    revision_plan: Mapped[str] = mapped_column(Text, default="")
    # When the small-cohort fallback "complete" applied: the work counts as done without reviews.
    completed_without_reviews_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    assignment: Mapped[ReviewAssignment] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    group: Mapped[ReviewGroup | None] = relationship()


class SubmissionFile(db.Model):
    """An attachment, content-checked on upload and served as a download only."""

    __tablename__ = "review_submission_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    submission_id: Mapped[int] = mapped_column(ForeignKey("review_submission.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Allocation(db.Model):
    """A reviewer given a submission to review: by batch, from the queue, by hand, or fallback."""

    __tablename__ = "review_allocation"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id"),
        Index("ix_review_allocation_reviewer", "assignment_id", "reviewer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("review_submission.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(10), default="batch")  # batch | queue | manual | fallback
    status: Mapped[str] = mapped_column(String(10), default=ALLOCATED)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped[User] = relationship()


class Review(db.Model):
    """One assessment of one submission against the rubric, with comments; and the author's
    rating of how helpful it was (feedback on feedback)."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("review_submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("review_allocation.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default=REVIEW_PEER)
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    # Rubric score normalised to 0..100 (feedback-only criteria excluded); None until submitted.
    score: Mapped[float | None] = mapped_column(Float)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Feedback on feedback, by the author of the submission.
    helpfulness: Mapped[int | None] = mapped_column()  # 1..5
    helpfulness_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Far from the consensus of the other reviews (aggregation.flag_outliers), with why.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped[User] = relationship()
    criteria: Mapped[list[ReviewCriterionScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewCriterionScore.id"
    )


class ReviewCriterionScore(db.Model):
    """The level chosen for one criterion of the rubric, with its points and comment."""

    __tablename__ = "review_criterion_score"
    __table_args__ = (UniqueConstraint("review_id", "criterion_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"))
    criterion_key: Mapped[str] = mapped_column(String(40))
    level_key: Mapped[str | None] = mapped_column(String(40))  # None for feedback-only criteria
    points: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="criteria")


class SubmissionGrade(db.Model):
    """The work's grade: aggregated from the peer reviews, or set by the instructor with a reason."""

    __tablename__ = "review_submission_grade"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("review_submission.id", ondelete="CASCADE"), unique=True)
    peer_score: Mapped[float | None] = mapped_column(Float)  # 0..100, None: no reviews yet
    method: Mapped[str] = mapped_column(String(10), default="")
    reviews_counted: Mapped[int] = mapped_column(default=0)
    spread: Mapped[float | None] = mapped_column(Float)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_reason: Mapped[str] = mapped_column(String(500), default="")
    override_score: Mapped[float | None] = mapped_column(Float)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late_penalty_percent: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # queued to the outbox

    @property
    def final_score(self) -> float | None:
        """The override if there is one, else the peer score less any late penalty (0..100)."""
        if self.override_score is not None:
            return self.override_score
        if self.peer_score is None:
            return None
        return self.peer_score * (100 - self.late_penalty_percent) / 100


class ReviewerGrade(db.Model):
    """The quality of one person's reviewing in one assignment (calibration, consensus,
    helpfulness), as `lti_tool.reviews.calibration` computes it."""

    __tablename__ = "review_reviewer_grade"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    quality: Mapped[float | None] = mapped_column(Float)  # 0..1
    grade: Mapped[float | None] = mapped_column(Float)  # 0..100
    components: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Nomination(db.Model):
    """360 mode: a colleague asked to give feedback on a person."""

    __tablename__ = "review_nomination"
    __table_args__ = (UniqueConstraint("assignment_id", "subject_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="proposed")  # proposed | approved | declined
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    subject: Mapped[User] = relationship(foreign_keys=[subject_id])
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
