"""Certificate pages: the learner's download, the public verify page and JSON, the instructor's list.

Verify needs no launch (anyone holding a code may check it); everything else is per launch.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from ..error_pages import _wants_json
from ..extensions import db
from ..lti.session import launch_required, launch_url
from ..models import Certificate
from ..models.lessons import LessonProgress
from . import service
from .service import CertificateError

bp = Blueprint("certificates", __name__)

# Public pages are shared and indexed by nobody: say so, and never cache what can be revoked.
_PUBLIC_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.errorhandler(CertificateError)
def _refused(err: CertificateError):
    db.session.rollback()  # a refusal changes nothing
    if _wants_json():
        return jsonify({"error": err.message}), err.status
    return render_template("lessons/refused.html", message=err.message, problems=[]), err.status


@bp.app_template_global("certificate_for")
def certificate_for(progress: LessonProgress) -> Certificate | None:
    """The learner's valid certificate for this run's lesson version, for the lesson page link."""
    cert = service.current_for(progress.user_id, progress.version_id)
    return cert if cert is not None and cert.is_valid else None


def _public(cert: Certificate) -> dict:
    return {
        "code": cert.code,
        "learner_name": cert.learner_name,
        "lesson": cert.lesson_title,
        "lesson_version": cert.version_number,
        "organisation": cert.organisation,
        "authors": list(cert.authors or []),
        "issued_at": cert.issued_at.isoformat(),
        "issued_on": cert.issued_at.date().isoformat(),
    }


# --- public verification -------------------------------------------------------------------


@bp.get("/verify/<code>.json")
def verify_json(code: str):
    cert = service.by_code(code)
    if cert is None:
        body = {"valid": False, "status": "unknown", "error": _("No certificate has this code.")}
        return jsonify(body), 404, _PUBLIC_HEADERS
    body = {"valid": cert.is_valid, "status": cert.status, **_public(cert)}
    if not cert.is_valid:
        body["revoked_at"] = cert.revoked_at.isoformat() if cert.revoked_at else None
        body["revoked_reason"] = cert.revoked_reason
        body["replaced"] = cert.replaced_by_id is not None
    return jsonify(body), 200, _PUBLIC_HEADERS


@bp.get("/verify/<code>")
def verify(code: str):
    cert = service.by_code(code)
    if cert is None:
        return render_template("certificates/verify_unknown.html"), 404, _PUBLIC_HEADERS
    return render_template("certificates/verify.html", cert=cert), 200, _PUBLIC_HEADERS


@bp.get("/verify/")
def verify_form():
    """A typed code (from the printed URL or a form) goes to its page."""
    typed = request.args.get("code", "").strip()
    if not typed:
        return render_template("certificates/verify_unknown.html", asked=False), 200, _PUBLIC_HEADERS
    canonical = service.normalise_code(typed)
    if canonical is None:
        return render_template("certificates/verify_unknown.html"), 404, _PUBLIC_HEADERS
    return redirect(url_for("certificates.verify", code=canonical), 303)


# --- the learner ---------------------------------------------------------------------------


def _certificate(public_id: str) -> Certificate:
    cert = db.session.scalars(select(Certificate).where(Certificate.public_id == public_id)).first()
    if cert is None:
        abort(404, description=_("This certificate does not exist."))
    return cert


@bp.get("/certificates/<public_id>.pdf")
@launch_required()
def download(public_id: str):
    """The learner's own certificate as a PDF, rendered on first download and kept."""
    cert = _certificate(public_id)
    mine = cert.user_id == g.launch.user_id
    teaches = g.launch.is_instructor and cert.context_id == g.launch.context_id
    if not (mine or teaches):
        abort(403, description=_("This certificate belongs to someone else."))
    if not cert.is_valid and not teaches:
        abort(410, description=_("This certificate was revoked and can no longer be downloaded."))
    pdf = service.pdf_of(cert)
    db.session.commit()  # kept: the next download sends the same bytes
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{service.filename(cert)}"',
            "Cache-Control": "private, no-store",
        },
    )


# --- instructors ---------------------------------------------------------------------------


def _course_certificate(public_id: str) -> Certificate:
    cert = _certificate(public_id)
    if cert.context_id != g.launch.context_id:
        abort(403, description=_("This certificate was issued in another course."))
    return cert


@bp.get("/certificates/course")
@launch_required("instructor")
def manage():
    context_id = g.launch.context_id
    certificates = service.course_certificates(context_id)
    ready, total = service.pdf_progress(context_id)
    return render_template(
        "certificates/manage.html",
        certificates=certificates,
        ready=ready,
        total=total,
        message=request.args.get("done", ""),
    )


@bp.post("/certificates/course/prepare")
@launch_required("instructor")
def prepare():
    """One bounded step of preparing the course's ZIP: render a batch of missing PDFs and keep
    them. The page's script calls it until every PDF is ready; without it, a form posts once."""
    config = current_app.config
    rendered, total = service.prepare_pdfs(
        g.launch.context_id, int(config["CERTIFICATE_PREPARE_BATCH"]), float(config["CERTIFICATE_PREPARE_SECONDS"])
    )
    if _wants_json():
        return jsonify({"rendered": rendered, "total": total, "done": rendered == total})
    return redirect(launch_url("certificates.manage", done="prepared"), 303)


@bp.post("/certificates/<public_id>/revoke")
@launch_required("instructor")
def revoke(public_id: str):
    cert = _course_certificate(public_id)
    service.revoke(cert, g.launch.user, request.form.get("reason", ""))
    db.session.commit()
    if _wants_json():
        return jsonify({"status": cert.status, "revoked_at": cert.revoked_at.isoformat()})
    return redirect(launch_url("certificates.manage", done="revoked"), 303)


@bp.post("/certificates/<public_id>/reissue")
@launch_required("instructor")
def reissue(public_id: str):
    cert = _course_certificate(public_id)
    new = service.reissue(cert, g.launch.user)
    db.session.commit()
    if _wants_json():
        return jsonify({"public_id": new.public_id, "code": new.code, "replaces": cert.public_id})
    return redirect(launch_url("certificates.manage", done="reissued"), 303)


@bp.get("/certificates/course.zip")
@launch_required("instructor")
def course_zip():
    """Every certificate of the course in one ZIP, streamed while missing PDFs are rendered."""
    context_id = g.launch.context_id
    if not service.course_certificates(context_id):
        abort(404, description=_("No certificates were issued in this course yet."))
    return Response(
        stream_with_context(service.zip_stream(context_id)),
        mimetype="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="certificates.zip"',
            "Cache-Control": "private, no-store",
        },
    )
