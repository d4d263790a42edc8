"""SQLAlchemy models, one module per aggregate; import them from here."""

from .activity import Activity, ResourceLink
from .certificates import Certificate
from .coaching import CheckIn, CoachingProfile, CoachingProgram, Goal, GoalMilestone, Pairing, Skill
from .grades import GradeLineItem, GradeOutbox
from .keys import ToolKey
from .launch import LaunchSession, OidcState
from .lessons import (
    Lesson,
    LessonAsset,
    LessonComment,
    LessonCoursePolicy,
    LessonReview,
    LessonVersion,
)
from .people import Context, Membership, User
from .platform import Deployment, Platform
from .registration import RegistrationInvite
from .reviews import (
    Allocation,
    Nomination,
    Review,
    ReviewAssignment,
    ReviewCriterionScore,
    ReviewerGrade,
    ReviewGroup,
    ReviewGroupMember,
    Rubric,
    Submission,
    SubmissionFile,
    SubmissionGrade,
)
from .roster import RosterChange, RosterSync

__all__ = [
    "Activity",
    "Allocation",
    "Certificate",
    "CheckIn",
    "CoachingProfile",
    "CoachingProgram",
    "Context",
    "Deployment",
    "Goal",
    "GoalMilestone",
    "GradeLineItem",
    "GradeOutbox",
    "LaunchSession",
    "Lesson",
    "LessonAsset",
    "LessonComment",
    "LessonCoursePolicy",
    "LessonReview",
    "LessonVersion",
    "Membership",
    "Nomination",
    "OidcState",
    "Pairing",
    "Platform",
    "RegistrationInvite",
    "ResourceLink",
    "Review",
    "ReviewAssignment",
    "ReviewCriterionScore",
    "ReviewGroup",
    "ReviewGroupMember",
    "ReviewerGrade",
    "RosterChange",
    "RosterSync",
    "Rubric",
    "Skill",
    "Submission",
    "SubmissionFile",
    "SubmissionGrade",
    "ToolKey",
    "User",
]
