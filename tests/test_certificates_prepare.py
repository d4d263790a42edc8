"""Preparing a large course's certificate ZIP: bounded batches of PDFs with progress, for the
course's instructors only; the ZIP then holds every certificate.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import requests
from lessons_support import Member
from pypdf import PdfReader
from sqlalchemy import select
from test_certificates_flow import TITLE, _certificates, _passed, _setup, foreign_instructor

from lti_tool.extensions import db
from lti_tool.models import Certificate

LEARNERS = ("u-2003", "u-2004", "u-2005")


@pytest.fixture
def app_config(app_config) -> dict:
    # Two PDFs per request and no time for a second batch: each call is exactly one step.
    return {**app_config, "CERTIFICATE_PREPARE_BATCH": 2, "CERTIFICATE_PREPARE_SECONDS": 0}


def _course_with_three_certificates(lti) -> Member:
    link = _setup(lti)
    for sub in LEARNERS:
        _passed(lti, sub, link["id"])
    return Member.launch(lti, "u-1001")


def _prepare(member: Member) -> requests.Response:
    return member.post("/certificates/course/prepare", headers={"Accept": "application/json"})


def _kept(lti) -> int:
    return sum(1 for c in _certificates(lti) if c.pdf_rendered_at is not None)


def test_each_prepare_step_renders_one_batch_until_every_pdf_is_ready(lti):
    teacher = _course_with_three_certificates(lti)
    page = teacher.get("/certificates/course").text
    assert '<progress id="pp-cert-progress" max="3" value="0"' in page
    assert "0 of 3 PDFs are ready." in page and "Make the missing PDFs" in page
    assert "certificates-prepare.js" in page
    steps = [_prepare(teacher).json() for _ in range(3)]
    assert steps == [
        {"rendered": 2, "total": 3, "done": False},
        {"rendered": 3, "total": 3, "done": True},
        {"rendered": 3, "total": 3, "done": True},  # nothing left: harmless
    ]
    assert _kept(lti) == 3
    page = teacher.get("/certificates/course").text
    assert '<progress id="pp-cert-progress" max="3" value="3"' in page
    assert "All 3 PDFs are ready" in page and "Make the missing PDFs" not in page


def test_without_javascript_the_form_makes_one_batch_and_returns_to_the_page(lti):
    teacher = _course_with_three_certificates(lti)
    response = teacher.post("/certificates/course/prepare")
    assert response.status_code == 200 and response.url.split("?")[0].endswith(
        "/certificates/course"
    )
    assert "2 of 3 PDFs are ready." in response.text
    assert "More PDFs are ready" in response.text
    assert _kept(lti) == 2


def test_the_zip_after_preparing_holds_every_certificate_of_the_course(lti):
    teacher = _course_with_three_certificates(lti)
    (first, *_rest) = _certificates(lti)
    assert (
        teacher.post(f"/certificates/{first.public_id}/reissue").status_code == 200
    )  # a 4th, new code
    while not _prepare(teacher).json()["done"]:
        pass
    certificates = _certificates(lti)
    assert len(certificates) == 4 and _kept(lti) == 4
    archive = zipfile.ZipFile(io.BytesIO(teacher.get("/certificates/course.zip").content))
    names = archive.namelist()
    assert len(names) == len(set(names)) == 4
    codes = set()
    for name in names:
        pdf = PdfReader(io.BytesIO(archive.read(name)))
        assert TITLE in pdf.metadata.title
        codes.add(
            re.search(r"PP(-[0-9A-Z]{4}){7}", pdf.pages[0].extract_text().replace("\n", "")).group(
                0
            )
        )
    assert codes == {c.code for c in certificates}


def test_only_the_courses_instructors_may_prepare(lti):
    teacher = _course_with_three_certificates(lti)
    learner = Member.launch(lti, "u-2003")
    assert _prepare(learner).status_code == 403
    forged = requests.post(
        f"{lti.tool_url}/certificates/course/prepare",
        data={"lt": teacher.token},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert forged.status_code == 400  # no CSRF token
    assert (
        requests.post(f"{lti.tool_url}/certificates/course/prepare", timeout=10).status_code == 401
    )
    # An instructor of another course prepares their own (empty) course, never this one.
    token, csrf = foreign_instructor(lti)
    other = requests.post(
        f"{lti.tool_url}/certificates/course/prepare",
        data={"lt": token, "csrf_token": csrf},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert other.status_code == 200 and other.json() == {"rendered": 0, "total": 0, "done": True}
    assert _kept(lti) == 0
    assert _prepare(teacher).json()["rendered"] == 2
    with lti.app.app_context():
        assert db.session.scalar(
            select(Certificate.pdf).order_by(Certificate.id).limit(1)
        ).startswith(b"%PDF")
