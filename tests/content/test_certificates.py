"""Certificates: the PDF carries the right text, metadata, paper size and fonts for every script.

Rendering is real WeasyPrint; PDFs are read back with pypdf.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from content import ContentError
from content.certificates import (
    CertificateData,
    certificate_html,
    new_verification_code,
    render_certificate_pdf,
    render_many,
)


def cert(name: str = "Zoë Ångström-Nuñez", **kw) -> CertificateData:
    base = {
        "title": "Giving useful feedback",
        "organisation": "Northwind Logistics",
        "authors": ("Ana Souza", "Kenji Watanabe"),
        "issued_on": date(2025, 3, 14),
        "verification_code": "PP-ABCD-EFGH-JKMN",
        "verify_base_url": "https://learn.northwind.example/verify",
    }
    base.update(kw)
    return CertificateData(learner_name=name, **base)


def fonts_used(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            base = str(font["/BaseFont"]).split("+", 1)[-1]
            names.add(base)
            for descendant in font.get("/DescendantFonts", []):
                names.add(str(descendant.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_pdf_has_the_words_people_will_share():
    reader = PdfReader(io.BytesIO(render_certificate_pdf(cert())))
    assert len(reader.pages) == 1
    # letter-spaced capitals come back as "N O R T H ...", so compare without spaces
    text = "".join(reader.pages[0].extract_text().split())
    for expected in (
        "Zoë Ångström-Nuñez",
        "Giving useful feedback",
        "NORTHWIND LOGISTICS",
        "TAUGHT BY YOUR PEERS",
        "Ana Souza · Kenji Watanabe",
        "14 March 2025",
        "PP-ABCD-EFGH-JKMN",
        "learn.northwind.example/verify/PP-ABCD-EFGH-JKMN",
    ):
        assert expected.replace(" ", "") in text


def test_pdf_metadata_title_author_subject():
    meta = PdfReader(io.BytesIO(render_certificate_pdf(cert()))).metadata
    assert meta.title == "Certificate: Giving useful feedback"
    assert meta.author == "Northwind Logistics"
    assert "Zoë Ångström-Nuñez completed 'Giving useful feedback' on 2025-03-14" in meta.subject


@pytest.mark.parametrize(
    ("paper", "size"), [("A4", (842, 595)), ("Letter", (792, 612)), ("letter", (792, 612))]
)
def test_paper_sizes_are_landscape(paper, size):
    page = PdfReader(io.BytesIO(render_certificate_pdf(cert(), paper=paper))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size


@pytest.mark.parametrize(
    ("name", "font"),
    [
        ("Zoë Ångström-Nuñez", "PP-Serif"),
        ("Дмитрий Иванов", "PP-Serif"),
        ("Ελένη Παπαδοπούλου", "PP-Serif"),
        ("Nguyễn Thị Minh Khai", "PP-Serif"),
        ("王小明", "Noto-Serif-CJK"),
        ("山田 花子", "Noto-Serif-CJK"),
        ("김민준", "Noto-Serif-CJK"),
        ("محمد الأحمد", "PP-Arabic"),
        ("דוד כהן", "PP-Hebrew"),
    ],
)
def test_every_script_renders_with_a_real_font(name, font):
    # PP-* are the bundled Noto subsets (see templates/certificates/fonts/), CJK comes from Debian
    reader = PdfReader(io.BytesIO(render_certificate_pdf(cert(name))))
    used = fonts_used(reader)
    assert any(f.startswith(font) for f in used), used
    # only the fonts we chose: a fallback font would mean a script we did not plan for
    assert all(re.match(r"PP-(Serif|Sans|Arabic|Hebrew)|Noto-(Serif|Sans)-CJK", f) for f in used), (
        used
    )
    if font in ("PP-Serif", "Noto-Serif-CJK"):  # right-to-left text extracts reordered
        assert name in " ".join(reader.pages[0].extract_text().split())


def test_html_escapes_names_and_leaves_a_box_for_the_qr_code():
    data = cert("<script>alert(1)</script> O'Brien & Co", verification_code="PP-0000-1111-2222")
    html = certificate_html([data.validated(), cert("Ana Souza").validated()])
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; Co" in html
    # the codes are drawn into these boxes (see test_certificates_pdf.py)
    assert '<div class="qr" id="qr0"></div>' in html and 'id="qr1"' in html


def test_long_names_get_a_smaller_size():
    html = certificate_html(
        [cert("Maria Fernanda de los Ángeles García-Villalobos Ruiz").validated()]
    )
    assert 'class="name very-long"' in html
    assert 'class="name "' in certificate_html([cert("Ana Souza").validated()])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"learner_name": "   "}, "the learner name is empty"),
        ({"title": ""}, "the lesson or course title is empty"),
        ({"learner_name": "x" * 121}, "the learner name has 121 characters"),
        (
            {"verify_base_url": "javascript:alert(1)"},
            "verification URL 'javascript:alert(1)' is not a web address",
        ),
    ],
)
def test_bad_certificate_input_is_explained(changes, message):
    data = cert()
    from dataclasses import replace

    with pytest.raises(ContentError) as caught:
        render_certificate_pdf(replace(data, **changes))
    assert caught.value.message == message and caught.value.hint


def test_unknown_paper_is_refused():
    with pytest.raises(ContentError, match="paper size 'A3' is not supported"):
        render_certificate_pdf(cert(), paper="A3")


def test_verification_codes_are_readable_and_unique():
    codes = {new_verification_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(
        re.fullmatch(r"PP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", c)
        for c in codes
    )


def test_bulk_render_splits_batches_in_order_with_progress():
    items = [cert(f"Learner {i}", verification_code=f"PP-0000-0000-000{i}") for i in range(5)]
    seen: list[tuple[int, int]] = []
    results = list(
        render_many(
            items, "Letter", workers=2, batch_size=2, progress=lambda d, t: seen.append((d, t))
        )
    )
    assert [data.learner_name for data, _ in results] == [f"Learner {i}" for i in range(5)]
    for i, (_, pdf) in enumerate(results):
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        assert f"Learner {i}" in reader.pages[0].extract_text()
        assert f"PP-0000-0000-000{i}" in reader.metadata.subject
        assert round(float(reader.pages[0].mediabox.width)) == 792
    # a split file carries its own page's resources, not the whole batch's
    alone = len(render_certificate_pdf(items[0], paper="Letter"))
    assert all(len(pdf) < 1.3 * alone for _, pdf in results)
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
