"""Certificate PDFs as files: the QR code drawn on the page, one file per page of a batch.

The QR code is drawn with operators written from segno's symbol rather than through
WeasyPrint's SVG code, and bulk files are written page by page from the batch's PDF objects
rather than cut from a batch PDF: these tests hold both to what they replaced (the symbol
segno makes, the operators WeasyPrint drew, the pixels of a single render) and read the
files back with pypdf (strict) and poppler.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import segno
from PIL import Image
from pypdf import PdfReader
from test_certificates import cert

from content.certificate_qr import qr_matrix, qr_operators
from content.certificates import pdf_to_png, render_certificate_pdf, render_many

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASES = [
    "https://learn.northwind.example/verify",
    "https://a.example/v",
    "http://localhost:5000/certificates/verify",
    "https://lms.a-rather-long-company-name.example.com/tools/peerpath/certificates/verify",
]


def urls(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        groups = rng.choice([3, 7, 10])  # 60-bit codes, the app's 140-bit ones, longer still
        code = "-".join("".join(rng.choice(_CROCKFORD) for _ in range(4)) for _ in range(groups))
        found.append(f"{rng.choice(_BASES)}/PP-{code}")
    return found


def segno_rows(url: str) -> tuple[bytes, ...]:
    return tuple(bytes(row) for row in segno.make(url, error="m").matrix)


def test_qr_matrix_is_the_symbol_segno_makes():
    # same version, error level (segno raises M when it fits), mask choice and modules
    versions = set()
    for url in urls(250, seed=4):
        symbol = segno.make(url, error="m")
        versions.add(symbol.version)
        assert qr_matrix(url) == tuple(bytes(row) for row in symbol.matrix), url
    assert len(versions) >= 4, versions  # from 29 to 49+ modules a side


def test_qr_operators_are_what_weasyprint_draws_for_segnos_svg():
    # the old way: segno's inline SVG in a 24 mm box, drawn by WeasyPrint
    from weasyprint import HTML

    url = "https://learn.northwind.example/verify/PP-WXA5-DPPN-GD0D-GPQH-5C1E-SCFT-96KB"
    svg = segno.make(url, error="m").svg_inline(scale=1, border=0, omitsize=True, dark="#0f4c5c")
    html = (
        "<style>div { width: 24mm; height: 24mm; margin: 31mm 0 0 47mm }"
        " svg { width: 24mm; height: 24mm }</style>"
        f'<body style="margin: 0"><div id="qr">{svg}</div></body>'
    )
    document = HTML(string=html).render()
    weasyprint_ops = _content(document.write_pdf())
    # the new way: operators for the same box
    ours = qr_operators(qr_matrix(url), document.pages[0].anchors["qr"])

    def drawing(ops: bytes) -> bytes:
        # from the box's clip to the stroke, without WeasyPrint's opacity states (all 1)
        start = re.search(rb"[\d.]+ [\d.]+ [\d.]+ [\d.]+ re\nW\nn\n", ops).start()
        return re.sub(rb"/\w+(\.\d)? gs\n", b"", ops[start : ops.index(b"\nB\n", start)])

    assert drawing(ours) == drawing(weasyprint_ops)
    assert drawing(ours).count(b" l\n") > 300  # a real symbol, not an empty box


def _content(pdf: bytes) -> bytes:
    return PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()


def _pixels(pdf: bytes, dpi: int) -> np.ndarray:
    """The first page as grey levels, rasterised by poppler as `pdf_to_png` does."""
    with tempfile.TemporaryDirectory() as tmp:
        png = pdf_to_png(pdf, Path(tmp) / "page.png", dpi=dpi)
        return np.asarray(Image.open(png).convert("L"))


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_printed_qr_code_is_the_verification_urls(paper):
    data = cert(verification_code="PP-7KQ2-M9XD-4RTA-WXA5-DPPN-GD0D")
    pdf = render_certificate_pdf(data, paper)
    # where the page draws it (CSS px from the top left), then what a scanner would see there
    x, y, width, _ = (
        float(v)
        for v in re.search(
            rb"q\n0\.75 0 0 0\.75 0 0 cm\nq\nq\n([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re\n",
            _content(pdf),
        ).groups()
    )
    assert 24 * 96 / 25.4 == pytest.approx(width)  # 24 mm
    dpi = 200
    gray = _pixels(pdf, dpi)
    expected = segno_rows(data.verification_url)
    module = width / len(expected)
    seen = tuple(
        bytes(
            int(
                gray[
                    round((y + (r + 0.5) * module) * dpi / 96),
                    round((x + (c + 0.5) * module) * dpi / 96),
                ]
                < 128
            )
            for c in range(len(expected))
        )
        for r in range(len(expected))
    )
    assert seen == expected


def test_a_bulk_file_looks_exactly_like_the_single_render():
    people = [
        cert("Дмитрий Иванов", verification_code="PP-0000-0000-0001"),
        cert("王小明", verification_code="PP-0000-0000-0002"),
        cert("محمد الأحمد", verification_code="PP-0000-0000-0003", kind="course", authors=()),
    ]
    for data, pdf in render_many(people, "Letter", workers=1, batch_size=3):
        alone = render_certificate_pdf(data, "Letter")
        assert np.array_equal(_pixels(pdf, 60), _pixels(alone, 60)), data.learner_name


def fonts_of(reader: PdfReader) -> set[str]:
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return {str(font.get_object()["/BaseFont"]).split("+", 1)[-1] for font in fonts.values()}


def test_each_file_holds_its_own_page_fonts_and_metadata():
    people = [
        cert("王小明", verification_code="PP-0000-0000-0001", language="zh"),
        cert("Ana Souza", verification_code="PP-0000-0000-0002", title="Running a lunch-and-learn"),
    ]
    (_, chinese), (_, latin) = render_many(people, "A4", workers=1, batch_size=2)
    chinese, latin = PdfReader(io.BytesIO(chinese)), PdfReader(io.BytesIO(latin))
    assert any(f.startswith("Noto-Serif-CJK") for f in fonts_of(chinese))
    # the batch's CJK font subset stays out of the Latin file
    assert not any("CJK" in f for f in fonts_of(latin)), fonts_of(latin)
    assert latin.metadata.title == "Certificate: Running a lunch-and-learn"
    assert latin.metadata.author == "Northwind Logistics"
    assert latin.metadata.creator == "PeerPath"
    assert "Ana Souza completed 'Running a lunch-and-learn'" in latin.metadata.subject
    assert "PP-0000-0000-0002" in latin.metadata.subject
    assert latin.trailer["/Root"]["/Lang"] == "en"
    assert chinese.trailer["/Root"]["/Lang"] == "zh"
    assert "王小明" in chinese.metadata.subject


def test_files_are_well_formed(tmp_path: Path):
    people = [cert(f"Learner {i}", verification_code=f"PP-0000-0000-{i:04d}") for i in range(4)]
    for i, (_, pdf) in enumerate(render_many(people, "A4", workers=1, batch_size=4)):
        reader = PdfReader(io.BytesIO(pdf), strict=True)
        # every object in the cross-reference table is where it says, and nothing else is
        numbers = sorted(reader.xref[0])
        assert numbers == list(range(1, len(numbers) + 1))
        for number in numbers:
            assert reader.get_object(number) is not None
        assert len(reader.pages) == 1 and f"Learner {i}" in reader.pages[0].extract_text()
        # poppler reads it without repairing anything
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
        assert info.stderr == "" and "Pages:           1" in info.stdout
