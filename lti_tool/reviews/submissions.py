"""Submissions: Markdown text (rendered once through content/), links and file attachments;
editable until the deadline; late ones by the assignment's policy; group work when set.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from content import render_markdown

from ..extensions import db
from ..models import ReviewAssignment, ReviewGroupMember, Submission, SubmissionFile, User
from ..models.base import utcnow
from ..models.reviews import SUBMISSION_WORK
from . import ReviewError, phases

MAX_SOURCE_CHARS = 50_000
MAX_TITLE = 200
MAX_LINKS = 10
MAX_FILE_BYTES = 5_000_000
MAX_FILES = 10


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]


# What may be attached: sniffed from the bytes, and the name's extension must agree.
_ZIP_OFFICE = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
_TEXT = {"txt": "text/plain", "md": "text/markdown", "csv": "text/csv"}


def sniff(filename: str, data: bytes) -> str | None:
    """The content type of an acceptable attachment, or None when it is not one."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(b"%PDF-") and ext == "pdf":
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and ext == "png":
        return "image/png"
    if data.startswith(b"\xff\xd8\xff") and ext in ("jpg", "jpeg"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04") and ext in _ZIP_OFFICE:
        return _ZIP_OFFICE[ext]
    if ext in _TEXT:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return _TEXT[ext] if "\x00" not in text else None
    return None


def safe_filename(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ]+", "_", name, flags=re.UNICODE).strip(" .")
    return name[:120] or "file"


# Run when work is handed in, inside the same transaction: fn(submission, now). Allocation
# registers here (work handed in after reviewing opened gets its reviewers at once).
_SUBMIT_HOOKS: list = []


def on_submit(hook) -> None:
    if hook not in _SUBMIT_HOOKS:
        _SUBMIT_HOOKS.append(hook)


# --- who and when ----------------------------------------------------------------------------


def group_of(assignment: ReviewAssignment, user: User) -> int | None:
    if not assignment.group_submissions:
        return None
    return db.session.scalar(
        select(ReviewGroupMember.group_id).where(
            ReviewGroupMember.assignment_id == assignment.id, ReviewGroupMember.user_id == user.id
        )
    )


def submission_of(assignment: ReviewAssignment, user: User) -> Submission | None:
    """The person's own work, or their group's."""
    group_id = group_of(assignment, user)
    stmt = select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.kind == SUBMISSION_WORK
    )
    if group_id is not None:
        stmt = stmt.where(Submission.group_id == group_id)
    else:
        stmt = stmt.where(Submission.author_id == user.id)
    return db.session.scalars(stmt).first()


def can_edit(submission: Submission, user: User) -> bool:
    if submission.author_id == user.id:
        return True
    return (
        submission.group_id is not None
        and group_of(submission.assignment, user) == submission.group_id
    )


def deadline_state(assignment: ReviewAssignment, now: datetime) -> str:
    """'open', 'late' (past the deadline, policy accepts) or 'closed'."""
    if assignment.phase == phases.SUBMISSION and (
        assignment.review_opens_at is None or now < assignment.review_opens_at
    ):
        return "open"
    before_grading = phases.index(assignment.phase) < phases.index(phases.GRADING)
    if (
        phases.passed(assignment.phase, phases.SUBMISSION)
        and before_grading
        and assignment.late_policy != "refuse"
    ):
        return "late"
    return "closed"


def _refuse_closed(assignment: ReviewAssignment, now: datetime) -> str:
    state = deadline_state(assignment, now)
    if state != "closed":
        return state
    if assignment.phase == phases.SETUP:
        raise ReviewError(_("Submissions are not open yet."), 409)
    raise ReviewError(
        _(
            "The submission deadline has passed, so this work can no longer be changed. Ask your instructor if you need an exception."
        ),
        409,
    )


# --- saving ----------------------------------------------------------------------------------


def _links(raw: list[str]) -> list[str]:
    links = [link.strip() for link in raw if link and link.strip()]
    if len(links) > MAX_LINKS:
        raise ReviewError(_("At most %(n)d links.", n=MAX_LINKS))
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 2000:
            raise ReviewError(
                _(
                    "'%(link)s' is not a web address (it must start with https:// or http://).",
                    link=link[:100],
                )
            )
    return links


def body_heading(title: str) -> int:
    """The level a work's ``#`` heading is shown at: below the page's "Your work" or "The work"
    (h2) and the work's title (h3, when it has one), never outranking the page's headings."""
    return 4 if title.strip() else 3


def save(
    assignment: ReviewAssignment,
    user: User,
    *,
    title: str,
    source: str,
    links: list[str],
    submit: bool,
    now: datetime | None = None,
) -> Submission:
    """Create or update the person's (or group's) work; `submit` hands it in (it stays editable
    until the deadline). Validates everything before changing anything."""
    now = now or utcnow()
    if assignment.mode != "work":
        raise ReviewError(
            _("In 360 feedback nobody submits work: colleagues give feedback on people."), 409
        )
    state = _refuse_closed(assignment, now)
    title = title.strip()
    if len(title) > MAX_TITLE:
        raise ReviewError(_("The title can have at most %(n)d characters.", n=MAX_TITLE))
    if len(source) > MAX_SOURCE_CHARS:
        raise ReviewError(
            _(
                "The text is %(n)d characters long; the limit is %(max)d.",
                n=len(source),
                max=MAX_SOURCE_CHARS,
            ),
            413,
        )
    if not assignment.allow_links and any(link.strip() for link in links):
        raise ReviewError(_("This peer review does not take links."))
    clean_links = _links(links)
    submission = submission_of(assignment, user)
    if submission is not None and not can_edit(submission, user):
        raise ReviewError(_("Only the authors of this work can change it."), 403)
    if (
        submit
        and not source.strip()
        and not clean_links
        and not (submission and _file_count(submission))
    ):
        raise ReviewError(_("Write something, add a link or attach a file before you submit."))
    if submission is None:
        submission = Submission(
            assignment_id=assignment.id,
            kind=SUBMISSION_WORK,
            author_id=user.id,
            group_id=group_of(assignment, user),
        )
        db.session.add(submission)
    submission.title = title
    submission.source = source
    submission.html = (
        render_markdown(source, top_heading=body_heading(title)) if source.strip() else ""
    )
    submission.links = clean_links
    handed_in = submit and submission.submitted_at is None
    if handed_in:
        submission.submitted_at = now
        submission.is_late = state == "late"
    elif submission.submitted_at is not None and state == "late":
        submission.is_late = True
    submission.updated_at = now
    db.session.flush()
    if handed_in:
        for hook in _SUBMIT_HOOKS:
            hook(submission, now)
    return submission


def withdraw(assignment: ReviewAssignment, user: User, now: datetime | None = None) -> Submission:
    """Back to draft (only while the deadline has not passed and nobody has allocated it)."""
    now = now or utcnow()
    if deadline_state(assignment, now) != "open":
        raise ReviewError(_("The deadline has passed: the submission can't be withdrawn."), 409)
    submission = submission_of(assignment, user)
    if submission is None or not can_edit(submission, user):
        raise ReviewError(_("There is no submission of yours to withdraw."), 404)
    submission.submitted_at = None
    db.session.flush()
    return submission


def _file_count(submission: Submission) -> int:
    return (
        db.session.scalar(
            select(func.count(SubmissionFile.id)).where(
                SubmissionFile.submission_id == submission.id
            )
        )
        or 0
    )


def attach(
    assignment: ReviewAssignment,
    user: User,
    filename: str,
    data: bytes,
    now: datetime | None = None,
) -> SubmissionFile:
    now = now or utcnow()
    if not assignment.allow_files:
        raise ReviewError(_("This peer review does not take files."))
    _refuse_closed(assignment, now)
    if len(data) > MAX_FILE_BYTES:
        raise ReviewError(
            _(
                "The file is %(size).1f MB; the limit is %(limit)d MB.",
                size=len(data) / 1_000_000,
                limit=MAX_FILE_BYTES // 1_000_000,
            ),
            413,
        )
    if not data:
        raise ReviewError(_("The file is empty."))
    name = safe_filename(filename)
    content_type = sniff(name, data)
    if content_type is None:
        raise ReviewError(
            _(
                "'%(name)s' can't be attached: only PDF, PNG, JPEG, Word/Excel/PowerPoint, OpenDocument and plain text files whose contents match their name.",
                name=name,
            ),
            415,
        )
    submission = submission_of(assignment, user)
    if submission is None:
        submission = save(assignment, user, title="", source="", links=[], submit=False, now=now)
    elif not can_edit(submission, user):
        raise ReviewError(_("Only the authors of this work can change it."), 403)
    if _file_count(submission) >= MAX_FILES:
        raise ReviewError(_("At most %(n)d files per submission.", n=MAX_FILES))
    item = SubmissionFile(
        submission_id=submission.id,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    db.session.add(item)
    submission.updated_at = now
    db.session.flush()
    return item


def remove_file(
    assignment: ReviewAssignment, user: User, file_public_id: str, now: datetime | None = None
) -> None:
    _refuse_closed(assignment, now or utcnow())
    item = db.session.scalars(
        select(SubmissionFile).where(SubmissionFile.public_id == file_public_id)
    ).first()
    submission = db.session.get(Submission, item.submission_id) if item is not None else None
    if (
        item is None
        or submission is None
        or submission.assignment_id != assignment.id
        or not can_edit(submission, user)
    ):
        raise ReviewError(_("This file is not part of your work."), 404)
    db.session.delete(item)
    db.session.flush()


def files_of(submission: Submission) -> list[SubmissionFile]:
    return list(
        db.session.scalars(
            select(SubmissionFile)
            .options(defer(SubmissionFile.data))
            .where(SubmissionFile.submission_id == submission.id)
            .order_by(SubmissionFile.id)
        )
    )


def submitted(assignment: ReviewAssignment) -> list[Submission]:
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.assignment_id == assignment.id,
                Submission.kind == SUBMISSION_WORK,
                Submission.submitted_at.is_not(None),
            )
            .order_by(Submission.submitted_at, Submission.id)
        )
    )


def handed_in(assignment: ReviewAssignment, public_id: str) -> Submission:
    """A piece of work handed in to this peer review, or a 404 refusal."""
    submission = db.session.scalars(
        select(Submission).where(
            Submission.public_id == public_id,
            Submission.assignment_id == assignment.id,
            Submission.kind == SUBMISSION_WORK,
        )
    ).first()
    if submission is None or submission.submitted_at is None:
        raise ReviewError(_("This work was not handed in to this peer review."), 404)
    return submission
