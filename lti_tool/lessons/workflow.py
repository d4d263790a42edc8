"""Draft → in review → published: who may do what, review requests, comments, publication.

Publishing freezes the draft into LessonVersion n+1, rendered once through ``content/``.
"""

from __future__ import annotations

import dataclasses

from flask_babel import gettext as _
from sqlalchemy import func, select

from content import render_markdown
from content.quiz import Option, Question, Reflection

from ..extensions import db
from ..models import Lesson, LessonComment, LessonReview, LessonVersion, Membership, User
from ..models.base import utcnow
from ..models.lessons import (
    CHECKLIST,
    IN_REVIEW,
    PUBLISHED,
    REVIEW_APPROVED,
    REVIEW_COMMENTED,
    REVIEW_REQUESTED,
)
from . import LessonError
from .authoring import _refresh_search_fields, render_draft, search_key, slugify

MAX_COMMENT = 5000
MAX_REVIEWERS = 10


# --- access: one place that answers "may this person …" -------------------------------


def same_organisation(lesson: Lesson, user: User) -> bool:
    return lesson.platform_id == user.platform_id


def is_author(lesson: Lesson, user: User) -> bool:
    return same_organisation(lesson, user) and lesson.created_by_id == user.id


def review_of(lesson: Lesson, user: User) -> LessonReview | None:
    if not same_organisation(lesson, user):
        return None
    return db.session.scalars(
        select(LessonReview).where(LessonReview.lesson_id == lesson.id, LessonReview.reviewer_id == user.id)
    ).first()


def may_see_draft(lesson: Lesson, user: User) -> bool:
    return is_author(lesson, user) or review_of(lesson, user) is not None


def may_see(lesson: Lesson, user: User) -> bool:
    """Published lessons are for the whole organisation; drafts for the author and reviewers."""
    return same_organisation(lesson, user) and (lesson.is_published or may_see_draft(lesson, user))


# --- reviews ------------------------------------------------------------------------------


def reviewer_candidates(context_id: int, author: User) -> list[User]:
    """Current members of the course, other than the author, who may be asked to review."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.context_id == context_id,
                Membership.left_at.is_(None),
                User.id != author.id,
                User.platform_id == author.platform_id,
            )
            .order_by(User.name, User.id)
        )
    )


def request_review(lesson: Lesson, author: User, context_id: int, reviewer_public_ids: list[str]) -> list[LessonReview]:
    """Ask colleagues of the author's course to review the current draft."""
    if not is_author(lesson, author):
        raise LessonError(_("Only the author can ask for a review."), 403)
    if not reviewer_public_ids:
        raise LessonError(_("Choose at least one colleague to review the lesson."))
    if len(reviewer_public_ids) > MAX_REVIEWERS:
        raise LessonError(_("Ask at most %(n)d colleagues at a time.", n=MAX_REVIEWERS))
    preview = render_draft(lesson, lesson.source)
    if not preview.ok:
        raise LessonError(_("Fix the errors in the lesson before asking for a review."), 400, preview.problems)
    candidates = {u.public_id: u for u in reviewer_candidates(context_id, author)}
    unknown = [p for p in reviewer_public_ids if p not in candidates]
    if unknown:
        raise LessonError(_("Reviewers must be members of this course."), 400)
    reviews = []
    for public_id in dict.fromkeys(reviewer_public_ids):
        reviewer = candidates[public_id]
        review = review_of(lesson, reviewer)
        if review is None:
            review = LessonReview(lesson_id=lesson.id, reviewer_id=reviewer.id)
            db.session.add(review)
        review.requested_by_id = author.id
        review.status = REVIEW_REQUESTED  # asking again starts a new round for this reviewer
        review.requested_at = utcnow()
        reviews.append(review)
    lesson.status = IN_REVIEW
    db.session.commit()
    return reviews


def reviews_of(lesson: Lesson) -> list[LessonReview]:
    return list(db.session.scalars(select(LessonReview).where(LessonReview.lesson_id == lesson.id).order_by(LessonReview.id)))


def submit_review(lesson: Lesson, reviewer: User, checklist: dict[str, bool], comment: str, approve: bool) -> LessonReview:
    """Record a reviewer's checklist, optional comment and verdict (approve or just comment)."""
    review = review_of(lesson, reviewer)
    if review is None:
        raise LessonError(_("Only colleagues the author invited can review this lesson."), 403)
    review.checklist = {key: bool(checklist.get(key)) for key in CHECKLIST}
    review.status = REVIEW_APPROVED if approve else REVIEW_COMMENTED
    review.responded_at = utcnow()
    if comment.strip():
        _add_comment(lesson, reviewer, comment)
    db.session.commit()
    return review


def add_comment(lesson: Lesson, user: User, body: str) -> LessonComment:
    """A message in the review thread, from the author or an invited reviewer."""
    if not may_see_draft(lesson, user):
        raise LessonError(_("Only the author and invited reviewers can comment on a draft."), 403)
    comment = _add_comment(lesson, user, body)
    db.session.commit()
    return comment


def _add_comment(lesson: Lesson, user: User, body: str) -> LessonComment:
    body = body.strip()
    if not body:
        raise LessonError(_("Write a comment first."))
    if len(body) > MAX_COMMENT:
        raise LessonError(_("A comment can have at most %(n)d characters.", n=MAX_COMMENT))
    comment = LessonComment(
        lesson_id=lesson.id, author_id=user.id, body=body, body_html=render_markdown(body),
        draft_revision=lesson.draft_revision,
    )
    db.session.add(comment)
    return comment


def comments_of(lesson: Lesson) -> list[LessonComment]:
    return list(db.session.scalars(select(LessonComment).where(LessonComment.lesson_id == lesson.id).order_by(LessonComment.id)))


# --- publication ---------------------------------------------------------------------------


def publish(lesson: Lesson, author: User, substantive: bool) -> LessonVersion:
    """Freeze the draft as version n+1. The first version needs a review request first;
    later versions may be published straight away (the author says whether the change is
    substantive, i.e. whether earlier completions stop counting)."""
    if not is_author(lesson, author):
        raise LessonError(_("Only the author can publish this lesson."), 403)
    if not lesson.is_published and lesson.status != IN_REVIEW:
        raise LessonError(_("Ask at least one colleague to review the lesson before publishing it."), 409)
    latest = latest_version(lesson)
    if latest is not None and latest.source == lesson.source:
        raise LessonError(_("Nothing has changed since version %(n)d.", n=latest.number), 409)
    preview = render_draft(lesson, lesson.source)
    if not preview.ok:
        raise LessonError(_("Fix the errors in the lesson before publishing it."), 400, preview.problems)
    parsed, rendered = preview.parsed, preview.rendered
    assert parsed is not None and rendered is not None
    meta = parsed.meta
    number = (db.session.scalar(select(func.max(LessonVersion.number)).where(LessonVersion.lesson_id == lesson.id)) or 0) + 1
    creator = db.session.get(User, lesson.created_by_id) if lesson.created_by_id else None
    version = LessonVersion(
        lesson_id=lesson.id,
        number=number,
        source=lesson.source,
        html=preview.html,
        toc=[dataclasses.asdict(t) for t in rendered.toc],
        questions=[dataclasses.asdict(q) for q in rendered.questions],
        reflections=[dataclasses.asdict(r) for r in rendered.reflections],
        title=meta.title,
        summary=meta.summary,
        slug=meta.slug or slugify(meta.title),
        language=meta.language,
        level=meta.level,
        duration_minutes=meta.duration or parsed.reading_minutes,
        tags=list(meta.tags),
        authors=list(meta.authors) or ([creator.display_name] if creator else []),
        reviewers=credited_reviewers(lesson),
        points_total=parsed.total_points,
        pass_mark=meta.pass_mark,
        certificate=meta.certificate,
        substantive=substantive or number == 1,
        published_by_id=author.id,
    )
    db.session.add(version)
    lesson.latest_version = number
    lesson.status = PUBLISHED
    _refresh_search_fields(lesson, lesson.source, creator)
    lesson.authors_key = search_key(version.authors)
    db.session.commit()
    return version


def credited_reviewers(lesson: Lesson) -> list[str]:
    """Names of reviewers who answered (commented or approved), in the order they were asked."""
    return [r.reviewer.display_name for r in reviews_of(lesson) if r.responded_at is not None]


def latest_version(lesson: Lesson) -> LessonVersion | None:
    return version_of(lesson, lesson.latest_version) if lesson.latest_version else None


def version_of(lesson: Lesson, number: int) -> LessonVersion | None:
    return db.session.scalars(
        select(LessonVersion).where(LessonVersion.lesson_id == lesson.id, LessonVersion.number == number)
    ).first()


def versions_of(lesson: Lesson) -> list[LessonVersion]:
    return list(db.session.scalars(
        select(LessonVersion).where(LessonVersion.lesson_id == lesson.id).order_by(LessonVersion.number.desc())
    ))


def completion_floor(lesson: Lesson) -> int:
    """Completions of this version number or newer still count (the newest substantive one)."""
    return db.session.scalar(
        select(func.max(LessonVersion.number)).where(LessonVersion.lesson_id == lesson.id, LessonVersion.substantive)
    ) or 0


def version_questions(version: LessonVersion) -> tuple[Question, ...]:
    """The stored knowledge checks back as ``content.quiz.Question`` objects, for ``content.score``."""
    return tuple(
        Question(**{**q, "options": tuple(Option(**o) for o in q["options"])}) for q in version.questions
    )


def version_reflections(version: LessonVersion) -> tuple[Reflection, ...]:
    return tuple(Reflection(**r) for r in version.reflections)
