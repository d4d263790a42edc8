"""Certificates through real launches: issued on a passing completion, downloaded, verified in
public, revoked and re-issued by the course's instructor, bundled as one ZIP.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import timedelta

import requests
from lessons_support import SIMPLE_LESSON, Member
from pypdf import PdfReader
from sqlalchemy import func, select
from test_lessons_learning import Learner
from test_lessons_placement import place, publish

from lti_tool.certificates.service import code_hash, new_code
from lti_tool.extensions import db
from lti_tool.lti.session import csrf_token_for, issue_token, new_session_id
from lti_tool.models import Activity, Certificate, Context, LaunchSession, User
from lti_tool.models.base import utcnow

TITLE = "Running a stand-up"


def _certificates(lti) -> list[Certificate]:
    with lti.app.app_context():
        rows = list(db.session.scalars(select(Certificate).order_by(Certificate.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _token(learner: Learner) -> str:
    return re.search(r'name="lt" value="([^"]+)"', learner.html).group(1)


def _download_link(page: str) -> str | None:
    found = re.search(r'href="([^"]*/certificates/[^"]+\.pdf\?lt=[^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def _passed(lti, sub: str, link_id: str) -> Learner:
    learner = Learner(lti, sub, link_id)
    assert learner.answer("b").status_code == 200
    learner.reload()
    return learner


def foreign_instructor(lti) -> tuple[str, str]:
    """The launch token and CSRF token of an instructor of another course of the same platform."""
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).where(Activity.kind == "lesson")).one()
        here = db.session.get(Context, activity.context_id)
        course = Context(platform_id=here.platform_id, deployment_id=here.deployment_id, lms_context_id="other-course")
        db.session.add(course)
        db.session.flush()
        teacher = User(platform_id=here.platform_id, sub="u-9001", name="Jürgen Weiß")
        db.session.add(teacher)
        db.session.flush()
        launch = LaunchSession(
            id=new_session_id(), user_id=teacher.id, context_id=course.id, roles="instructor",
            message_type="LtiResourceLinkRequest", binding="handle", expires_at=utcnow() + timedelta(hours=1),
        )
        db.session.add(launch)
        db.session.commit()
        with lti.app.test_request_context():
            return issue_token(launch.id), csrf_token_for(launch.id)


def _setup(lti) -> dict:
    _author, lesson_id = publish(lti, SIMPLE_LESSON)
    return place(lti, lesson_id, max_attempts=3)


def test_passing_issues_exactly_one_certificate_failing_issues_none(lti):
    link = _setup(lti)
    failing = Learner(lti, "u-2004", link["id"])
    for _ in range(3):
        assert failing.answer("a").status_code == 200
    assert "Completed, not passed yet" in failing.html
    assert _certificates(lti) == []
    assert _download_link(failing.reload()) is None

    learner = Learner(lti, "u-2003", link["id"])
    assert learner.answer("a").status_code == 200
    assert _certificates(lti) == []  # completed, below the pass mark
    assert learner.answer("b").status_code == 200
    assert learner.answer("b").status_code == 200  # again: still one certificate
    (cert,) = _certificates(lti)
    assert cert.learner_name == "Олена Коваленко" and cert.lesson_title == TITLE
    assert cert.authors == ["Ana Souza"] and cert.version_number == 1 and cert.generation == 1
    assert cert.revoked_at is None and cert.replaced_by_id is None and cert.context_id is not None
    assert re.fullmatch(r"PP(-[0-9A-HJKMNP-TV-Z]{4}){7}", cert.code)
    assert cert.code_hash == code_hash(cert.code)
    with lti.app.app_context():
        assert db.session.scalar(select(Certificate.pdf).where(Certificate.id == cert.id)) is None  # not yet rendered
    assert _download_link(learner.reload()) is not None


def test_learner_downloads_the_pdf_rendered_once_and_kept(lti):
    link = _setup(lti)
    learner = _passed(lti, "u-2003", link["id"])
    url = lti.tool_url + _download_link(learner.html)
    first = requests.get(url, timeout=60)
    assert first.status_code == 200, first.text
    assert first.headers["Content-Type"] == "application/pdf"
    disposition = first.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="certificate-running-a-stand-up-' in disposition
    assert first.content.startswith(b"%PDF")
    meta = PdfReader(io.BytesIO(first.content)).metadata
    assert TITLE in meta.title
    (cert,) = _certificates(lti)
    assert cert.pdf_rendered_at is not None
    with lti.app.app_context():
        kept = db.session.scalar(select(Certificate.pdf).where(Certificate.id == cert.id))
    assert kept == first.content
    again = requests.get(url, timeout=60)
    assert again.content == first.content
    assert _certificates(lti)[0].pdf_rendered_at == cert.pdf_rendered_at


def test_verify_page_and_json_are_public(lti):
    link = _setup(lti)
    _passed(lti, "u-2003", link["id"])
    (cert,) = _certificates(lti)
    page = requests.get(f"{lti.tool_url}/verify/{cert.code}", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    for shown in ("Valid certificate.", "Олена Коваленко", TITLE, "Ana Souza", cert.code):
        assert shown in page.text
    assert "Revoked" not in page.text
    # A code as typed from paper: lower case, no dashes, O for 0.
    typed = cert.code.replace("-", "").lower().replace("0", "o")
    assert requests.get(f"{lti.tool_url}/verify/{typed}", timeout=10).status_code == 200
    # The form on the public page: a typed code leads to its page; no code shows the form.
    form = requests.get(f"{lti.tool_url}/verify/", params={"code": typed}, timeout=10)
    assert form.status_code == 200 and form.url.endswith(f"/verify/{cert.code}") and cert.code in form.text
    empty = requests.get(f"{lti.tool_url}/verify/", timeout=10)
    assert empty.status_code == 200 and 'id="verify-code"' in empty.text and "No certificate" not in empty.text
    assert requests.get(f"{lti.tool_url}/verify/", params={"code": "//evil.example"}, timeout=10).status_code == 404
    body = requests.get(f"{lti.tool_url}/verify/{cert.code}.json", timeout=10).json()
    assert body["valid"] is True and body["status"] == "valid"
    assert body["learner_name"] == "Олена Коваленко" and body["lesson"] == TITLE
    assert body["authors"] == ["Ana Souza"] and body["organisation"] and body["issued_on"]


def test_instructor_revokes_and_reissues(lti):
    link = _setup(lti)
    learner = _passed(lti, "u-2003", link["id"])
    (cert,) = _certificates(lti)
    teacher = Member.launch(lti, "u-1001")
    listing = teacher.get("/certificates/course")
    assert listing.status_code == 200 and "Олена Коваленко" in listing.text and cert.code in listing.text
    assert teacher.post(f"/certificates/{cert.public_id}/revoke", {"reason": ""}).status_code == 400
    revoked = teacher.post(f"/certificates/{cert.public_id}/revoke", {"reason": "Answers were shared"})
    assert revoked.status_code == 200 and "The certificate was revoked." in revoked.text
    page = requests.get(f"{lti.tool_url}/verify/{cert.code}", timeout=10)
    assert page.status_code == 200 and "Revoked." in page.text and "Answers were shared" in page.text
    assert "Valid certificate." not in page.text
    body = requests.get(f"{lti.tool_url}/verify/{cert.code}.json", timeout=10).json()
    assert body["valid"] is False and body["status"] == "revoked" and body["revoked_reason"] == "Answers were shared"
    # The learner no longer gets a link or the PDF.
    assert _download_link(learner.reload()) is None
    gone = requests.get(f"{lti.tool_url}/certificates/{cert.public_id}.pdf", params={"lt": _token(learner)}, timeout=10)
    assert gone.status_code == 410

    again = teacher.post(f"/certificates/{cert.public_id}/reissue")
    assert again.status_code == 200
    old, new = _certificates(lti)
    assert old.replaced_by_id == new.id and new.generation == 2 and new.code != old.code
    assert new.revoked_at is None and new.learner_name == old.learner_name
    assert requests.get(f"{lti.tool_url}/verify/{new.code}.json", timeout=10).json()["status"] == "valid"
    old_body = requests.get(f"{lti.tool_url}/verify/{old.code}.json", timeout=10).json()
    assert old_body["valid"] is False and old_body["replaced"] is True
    assert _download_link(learner.reload()) is not None
    # Re-issuing the replaced one again is refused; nothing changes.
    assert teacher.post(f"/certificates/{old.public_id}/reissue").status_code == 409
    assert len(_certificates(lti)) == 2


def test_guessed_codes_get_the_same_404_and_reveal_nothing(lti):
    link = _setup(lti)
    _passed(lti, "u-2003", link["id"])
    (cert,) = _certificates(lti)
    guesses = [new_code(), "PP-0000-0000-0000-0000-0000-0000-0000", "nonsense", cert.code[:-1] + "X"
               if not cert.code.endswith("X") else cert.code[:-1] + "Y", "PP-1", "%27%20OR%201=1"]
    pages = []
    for guess in guesses:
        page = requests.get(f"{lti.tool_url}/verify/{guess}", timeout=10)
        assert page.status_code == 404 and "No certificate has this code." in page.text
        assert "Олена" not in page.text and TITLE not in page.text
        pages.append(re.sub(r'nonce-[^"\']+|nonce="[^"]+"', "", page.text))
        body = requests.get(f"{lti.tool_url}/verify/{guess}.json", timeout=10)
        assert body.status_code == 404 and body.json() == {
            "valid": False, "status": "unknown", "error": "No certificate has this code."}
    assert len(set(pages)) == 1  # a near miss looks exactly like nonsense


def test_learners_and_other_courses_are_refused(lti):
    link = _setup(lti)
    owner = _passed(lti, "u-2003", link["id"])
    other = Learner(lti, "u-2004", link["id"])
    (cert,) = _certificates(lti)
    base = lti.tool_url
    token, csrf = _token(other), other.fields("kc-length")["csrf_token"]
    # Another learner: not their certificate, and no instructor actions.
    assert requests.get(f"{base}/certificates/{cert.public_id}.pdf", params={"lt": token}, timeout=10).status_code == 403
    for path in ("/certificates/course", "/certificates/course.zip"):
        assert requests.get(base + path, params={"lt": token}, timeout=10).status_code == 403
    own_token = _token(owner)
    own_csrf = owner.fields("kc-length")["csrf_token"]
    for who, (lt, cs) in {"other": (token, csrf), "owner": (own_token, own_csrf)}.items():
        for action in ("revoke", "reissue"):
            refused = requests.post(f"{base}/certificates/{cert.public_id}/{action}",
                                    data={"lt": lt, "csrf_token": cs, "reason": "x"}, timeout=10)
            assert refused.status_code == 403, (who, action)
    # No launch at all.
    assert requests.get(f"{base}/certificates/{cert.public_id}.pdf", timeout=10).status_code == 401
    # An instructor of another course of the same platform.
    foreign, foreign_csrf = foreign_instructor(lti)
    for action in ("revoke", "reissue"):
        refused = requests.post(f"{base}/certificates/{cert.public_id}/{action}",
                                data={"lt": foreign, "csrf_token": foreign_csrf, "reason": "x"}, timeout=10)
        assert refused.status_code == 403 and "another course" in refused.text
    assert requests.get(f"{base}/certificates/{cert.public_id}.pdf", params={"lt": foreign}, timeout=10).status_code == 403
    listing = requests.get(f"{base}/certificates/course", params={"lt": foreign}, timeout=10)
    assert listing.status_code == 200 and cert.code not in listing.text
    (unchanged,) = _certificates(lti)
    assert unchanged.revoked_at is None and unchanged.replaced_by_id is None


def test_course_zip_holds_one_pdf_per_certificate(lti):
    link = _setup(lti)
    first = _passed(lti, "u-2003", link["id"])
    _passed(lti, "u-2004", link["id"])
    _passed(lti, "u-2005", link["id"])
    assert requests.get(lti.tool_url + _download_link(first.html), timeout=60).status_code == 200  # one already kept
    teacher = Member.launch(lti, "u-1001")
    listing = teacher.get("/certificates/course")
    assert "1 of 3 PDFs are ready." in listing.text
    response = teacher.get("/certificates/course.zip")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 3 and len(set(names)) == 3 and all(n.endswith(".pdf") for n in names)
    for name in names:
        pdf = archive.read(name)
        assert pdf.startswith(b"%PDF") and TITLE in PdfReader(io.BytesIO(pdf)).metadata.title
    with lti.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.pdf.is_(None))) == 0
    assert "All 3 PDFs are ready: download the ZIP." in teacher.get("/certificates/course").text
