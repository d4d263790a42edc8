"""Issue, look up, render, revoke and re-issue certificates; bundle a course's as one ZIP.

State changes here; the caller commits (except ``zip_stream``, which keeps PDFs per batch).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import UTC

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from content.certificates import CertificateData, render_certificate_pdf, render_many

from ..extensions import db
from ..models import Activity, Certificate, Context, Platform, User
from ..models.base import utcnow
from ..models.lessons import LessonProgress, LessonVersion

PREFIX = "PP"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread when typed
_GROUPS, _GROUP = 7, 4  # 28 symbols x 5 bits = 140 random bits
MAX_REASON = 500


class CertificateError(Exception):
    """A refusal a person can read; ``status`` is the HTTP status the web edge answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- codes ---------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh code like ``PP-7KQ2-M9XD-…`` (7 groups of 4): 140 random bits, easy to read aloud."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(_GROUPS * _GROUP))
    return PREFIX + "-" + "-".join(chars[i : i + _GROUP] for i in range(0, len(chars), _GROUP))


def normalise_code(text: str) -> str | None:
    """The canonical form of a typed or scanned code (case, dashes, O/0 and I/L/1 forgiven),
    or None when it cannot be one of ours."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if not raw.startswith(PREFIX):
        return None
    body = raw[len(PREFIX) :].translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(body) != _GROUPS * _GROUP or any(ch not in _CROCKFORD for ch in body):
        return None
    return PREFIX + "-" + "-".join(body[i : i + _GROUP] for i in range(0, len(body), _GROUP))


def code_hash(code: str) -> str:
    """SHA-256 of the canonical code: the only form the verify lookup compares."""
    return hashlib.sha256(code.encode()).hexdigest()


def by_code(text: str) -> Certificate | None:
    """The certificate a public code names, or None (unknown and malformed look the same)."""
    code = normalise_code(text)
    # Hash even what cannot be a code, so a malformed guess costs the same as a real lookup.
    digest = code_hash(code or "-")
    found = db.session.scalars(select(Certificate).where(Certificate.code_hash == digest)).first()
    return found if code is not None else None


# --- issuing -------------------------------------------------------------------------------


def _learner_name(user: User) -> str:
    name = " ".join((user.name or "").split()) or " ".join(f"{user.given_name} {user.family_name}".split())
    return name or user.email or user.sub


def _organisation(user: User) -> str:
    platform = db.session.get(Platform, user.platform_id)
    return (platform.name if platform is not None else "").strip() or "PeerPath"


def _new_row(user: User, version: LessonVersion, generation: int, **where) -> Certificate:
    code = new_code()
    return Certificate(
        code=code,
        code_hash=code_hash(code),
        user_id=user.id,
        version_id=version.id,
        generation=generation,
        learner_name=_learner_name(user)[:255],
        lesson_title=version.title[:200],
        organisation=_organisation(user)[:200],
        authors=list(version.authors or []),
        version_number=version.number,
        language=version.language or "en",
        **where,
    )


def current_for(user_id: int, version_id: int) -> Certificate | None:
    """The learner's newest certificate for one lesson version (revoked or not), if any."""
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user_id, Certificate.version_id == version_id)
        .order_by(Certificate.generation.desc())
        .limit(1)
    ).first()


def issue_if_earned(progress: LessonProgress) -> Certificate | None:
    """Issue the certificate a completed, passed run earns when its version offers one.

    Idempotent: one per learner per lesson version (a revoked one is not issued again)."""
    version = progress.version
    if progress.completed_at is None or not progress.passed or not version.certificate:
        return None
    existing = current_for(progress.user_id, version.id)
    if existing is not None:
        return existing
    activity = db.session.get(Activity, progress.activity_id)
    user = db.session.get(User, progress.user_id)
    row = _new_row(
        user, version, 1,
        activity_id=progress.activity_id,
        context_id=activity.context_id if activity is not None else None,
        progress_id=progress.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same completion sent twice at once
        return current_for(progress.user_id, version.id)
    return row


def revoke(cert: Certificate, by: User, reason: str) -> None:
    """Mark a certificate revoked, with the instructor's reason (shown on the verify page)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CertificateError(_("Say why the certificate is revoked."))
    if len(reason) > MAX_REASON:
        raise CertificateError(_("A reason can have at most %(n)d characters.", n=MAX_REASON))
    if cert.revoked_at is not None:
        raise CertificateError(_("This certificate is already revoked."), 409)
    cert.revoked_at, cert.revoked_reason, cert.revoked_by_id = utcnow(), reason, by.id


def reissue(cert: Certificate, by: User) -> Certificate:
    """A new certificate (new code, the learner's current name) replacing this one."""
    if cert.replaced_by_id is not None:
        raise CertificateError(_("This certificate was already replaced; re-issue the newest one."), 409)
    user = db.session.get(User, cert.user_id)
    generation = (
        db.session.scalar(
            select(func.max(Certificate.generation)).where(
                Certificate.user_id == cert.user_id, Certificate.version_id == cert.version_id
            )
        )
        or 0
    ) + 1
    new = _new_row(
        user, cert.version, generation,
        activity_id=cert.activity_id, context_id=cert.context_id, progress_id=cert.progress_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(new)
    except IntegrityError as err:
        raise CertificateError(_("This certificate was re-issued a moment ago. Reload the page."), 409) from err
    cert.replaced_by_id = new.id
    if cert.revoked_at is None:
        cert.revoked_at, cert.revoked_by_id = utcnow(), by.id
        cert.revoked_reason = cert.revoked_reason or _("Replaced by a new certificate.")
    return new


def course_certificates(context_id: int) -> list[Certificate]:
    """Every certificate issued in one course, newest first."""
    return list(
        db.session.scalars(
            select(Certificate).where(Certificate.context_id == context_id).order_by(Certificate.id.desc())
        )
    )


# --- PDFs ----------------------------------------------------------------------------------


def verify_base_url() -> str:
    """Where the printed URL and QR code point: the public verify page of this server."""
    base = (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")
    return f"{base}/verify"


def certificate_data(cert: Certificate) -> CertificateData:
    """What ``content/`` prints on this certificate."""
    return CertificateData(
        learner_name=cert.learner_name,
        title=cert.lesson_title,
        organisation=cert.organisation,
        authors=tuple(cert.authors or ()),
        issued_on=cert.issued_at.astimezone(UTC).date(),
        verification_code=cert.code,
        verify_base_url=verify_base_url(),
        kind="lesson",
        language=cert.language,
    )


def pdf_of(cert: Certificate) -> bytes:
    """The certificate's PDF: rendered on first request, then the kept bytes (caller commits)."""
    kept = db.session.scalar(select(Certificate.pdf).where(Certificate.id == cert.id))
    if kept:
        return kept
    cert.pdf = render_certificate_pdf(certificate_data(cert))
    cert.pdf_rendered_at = utcnow()
    return cert.pdf


# Latin letters that Unicode does not decompose into a base letter plus accents.
_LATIN_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d",
     "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ı": "i"}
)


def ascii_slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII words joined by dashes: accents dropped (Siobhán → siobhan, Großmann →
    grossmann); words in other scripts are left out, so the result may be empty."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN_EXTRA))
    plain = decomposed.encode("ascii", "ignore").decode()
    kept = "".join(ch.lower() if ch.isalnum() else "-" for ch in plain)
    return "-".join(p for p in kept.split("-") if p)[:limit].strip("-")


def filename(cert: Certificate) -> str:
    """An ASCII download name like ``certificate-running-a-stand-up-ana-souza-PP-7KQ2.pdf``;
    a title or name with nothing ASCII in it is left out rather than shown as dashes."""
    title, name = ascii_slug(cert.lesson_title), ascii_slug(cert.learner_name)
    parts = ("certificate", title, name, cert.code[:7])
    return "-".join(p for p in parts if p) + ".pdf"


def missing_pdfs(context_id: int) -> int:
    """How many of a course's certificates have no kept PDF yet (the ZIP renders those)."""
    return db.session.scalar(
        select(func.count()).select_from(Certificate)
        .where(Certificate.context_id == context_id, Certificate.pdf.is_(None))
    ) or 0


def pdf_progress(context_id: int) -> tuple[int, int]:
    """(PDFs kept, certificates) of one course: what the ZIP's preparation has done so far."""
    total = db.session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.context_id == context_id)
    ) or 0
    return total - missing_pdfs(context_id), total


def _render_and_keep(batch: list[Certificate]) -> Iterator[Certificate]:
    """Render a batch of missing PDFs in this process and set them on their rows (caller commits)."""
    rendered = render_many([certificate_data(c) for c in batch], batch_size=len(batch), workers=1)
    for cert, (_data, pdf) in zip(batch, rendered, strict=True):
        cert.pdf, cert.pdf_rendered_at = pdf, utcnow()
        yield cert


def _missing(context_id: int, limit: int | None = None) -> list[Certificate]:
    query = (
        select(Certificate)
        .where(Certificate.context_id == context_id, Certificate.pdf.is_(None))
        .order_by(Certificate.id)
    )
    return list(db.session.scalars(query if limit is None else query.limit(limit)))


def prepare_pdfs(context_id: int, batch_size: int, seconds: float) -> tuple[int, int]:
    """Render a course's missing PDFs, a batch at a time (each batch kept), starting no new
    batch after ``seconds``: one bounded step of preparing the ZIP. Returns pdf_progress."""
    deadline = time.monotonic() + seconds
    while batch := _missing(context_id, max(1, batch_size)):
        for _cert in _render_and_keep(batch):
            pass
        db.session.commit()
        if time.monotonic() >= deadline:
            break
    return pdf_progress(context_id)


class _Chunks:
    """A write-only, unseekable file that hands out what was written since the last take."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def zip_stream(context_id: int, batch_size: int = 20) -> Iterator[bytes]:
    """A course's certificates as one ZIP, streamed: kept PDFs first, then the missing ones
    rendered with ``render_many`` and kept per batch (an interrupted download resumes the work)."""
    sink = _Chunks()
    names: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(cert: Certificate, pdf: bytes) -> bytes:
            name = filename(cert)
            if name in names:
                name = name.replace(".pdf", f"-{cert.generation}.pdf")
            names.add(name)
            archive.writestr(name, pdf)
            return sink.take()

        ready = db.session.scalars(
            select(Certificate).options(undefer(Certificate.pdf))
            .where(Certificate.context_id == context_id, Certificate.pdf.is_not(None))
            .order_by(Certificate.id)
        )
        for cert in ready:
            yield add(cert, cert.pdf)
            db.session.expire(cert, ["pdf"])
        missing = _missing(context_id)
        for start in range(0, len(missing), batch_size):
            for cert in _render_and_keep(missing[start : start + batch_size]):
                yield add(cert, cert.pdf)
            db.session.commit()
    yield sink.take()


def context_of(cert: Certificate) -> Context | None:
    return db.session.get(Context, cert.context_id) if cert.context_id else None
