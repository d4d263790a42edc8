"""Certificates of completion: a Jinja template rendered to PDF by WeasyPrint, one or thousands.

Certificates are laid out as one multi-page document per batch (bulk issue: batches in worker
processes) and written out one PDF file per certificate (certificate_pdf.py), each with its
QR code (certificate_qr.py) and its own metadata.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .certificate_pdf import PageFile, page_files
from .certificate_qr import qr_matrix, qr_operators
from .errors import ContentError

Paper = Literal["A4", "Letter"]
PAPERS: dict[str, tuple[str, str]] = {  # CSS page size, page height when landscape
    "A4": ("A4 landscape", "210mm"),
    "Letter": ("letter landscape", "8.5in"),
}
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "certificates"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread when typed
MAX_NAME = 120
MAX_TITLE = 200


def new_verification_code() -> str:
    """A random, unguessable code like ``PP-7KQ2-M9XD-4RTA`` (60 bits, easy to read aloud)."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(12))
    return f"PP-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


@dataclass(frozen=True, slots=True)
class CertificateData:
    """Everything printed on one certificate. The app stores ``verification_code``."""

    learner_name: str
    title: str
    organisation: str = "PeerPath"
    authors: tuple[str, ...] = ()
    issued_on: date = field(default_factory=date.today)
    verification_code: str = field(default_factory=new_verification_code)
    verify_base_url: str = "https://peerpath.example/verify"
    kind: Literal["lesson", "course"] = "lesson"
    language: str = "en"

    @property
    def verification_url(self) -> str:
        return f"{self.verify_base_url.rstrip('/')}/{self.verification_code}"

    def validated(self) -> CertificateData:
        """Trimmed copy, or ContentError saying which field is wrong and how to fix it."""
        name = " ".join(self.learner_name.split())
        title = " ".join(self.title.split())
        if not name:
            raise ContentError(
                "certificate", 0, "the learner name is empty", "pass --name 'Full Name'"
            )
        if len(name) > MAX_NAME:
            raise ContentError(
                "certificate",
                0,
                f"the learner name has {len(name)} characters",
                f"keep it under {MAX_NAME}",
            )
        if not title:
            raise ContentError(
                "certificate",
                0,
                "the lesson or course title is empty",
                "pass --title 'Lesson title'",
            )
        if len(title) > MAX_TITLE:
            raise ContentError(
                "certificate",
                0,
                f"the title has {len(title)} characters",
                f"keep it under {MAX_TITLE}",
            )
        if not self.verify_base_url.startswith(("https://", "http://")):
            raise ContentError(
                "certificate",
                0,
                f"verification URL '{self.verify_base_url}' is not a web address",
                "start it with https://",
            )
        authors = tuple(a.strip() for a in self.authors if a and a.strip())
        return replace(
            self,
            learner_name=name,
            title=title,
            authors=authors,
            organisation=self.organisation.strip() or "PeerPath",
        )


def _size_class(text: str, long: int, very_long: int) -> str:
    # East Asian names are short in characters but wide on paper
    width = sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)
    return "very-long" if width > very_long else "long" if width > long else ""


def _date_text(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


@lru_cache(maxsize=4)
def _jinja(template_dir: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(template_dir),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


_BETWEEN_TAGS = re.compile(r">\s+<")  # user text is escaped: no raw < or > in it


def certificate_html(items: list[CertificateData], template_dir: Path = TEMPLATE_DIR) -> str:
    """The HTML for one or more certificates (one page each); autoescaped by Jinja."""
    pages = []
    for c in items:
        pages.append(
            {
                "learner_name": c.learner_name,
                "title": c.title,
                "organisation": c.organisation,
                "authors": c.authors,
                "what": "peer-taught course" if c.kind == "course" else "peer-taught lesson",
                "date_text": _date_text(c.issued_on),
                "verification_code": c.verification_code,
                "verification_url_text": c.verification_url.split("://", 1)[-1],
                "name_size": _size_class(c.learner_name, 28, 44),
                "title_size": _size_class(c.title, 70, 70),
            }
        )
    html = (
        _jinja(str(template_dir))
        .get_template("certificate.html")
        .render(certificates=pages, language=items[0].language)
    )
    return _BETWEEN_TAGS.sub("><", html)


def _subject(c: CertificateData) -> str:
    return f"{c.learner_name} completed '{c.title}' on {c.issued_on.isoformat()}; verify at {c.verification_url}"


class _Renderer:
    """WeasyPrint state worth keeping: one FontConfiguration and the parsed stylesheets."""

    def __init__(self, template_dir: Path) -> None:
        from weasyprint import CSS  # imported late: 0.3 s that lesson rendering never pays
        from weasyprint.text.fonts import FontConfiguration

        self.template_dir = template_dir
        self.font_config = FontConfiguration()
        css_path = template_dir / "certificate.css"
        self.base_css = CSS(filename=str(css_path), font_config=self.font_config)
        self.paper_css = {
            name: CSS(
                string=f"@page {{ size: {size}; margin: 9mm; background: #fbf8f2 }}"
                f" .certificate {{ height: calc({height} - 18mm) }}",
                font_config=self.font_config,
            )
            for name, (size, height) in PAPERS.items()
        }

    def files(self, items: list[CertificateData], paper: str) -> list[bytes]:
        """One PDF file per certificate: laid out together as one document, written page by page."""
        from weasyprint import HTML

        html = HTML(
            string=certificate_html(items, self.template_dir), base_url=str(self.template_dir) + "/"
        )
        document = html.render(
            stylesheets=[self.base_css, self.paper_css[paper]], font_config=self.font_config
        )
        if len(document.pages) != len(items):
            raise RuntimeError(
                f"expected {len(items)} pages, WeasyPrint made {len(document.pages)}: a page overflowed"
            )
        pages = [
            PageFile(
                info=_metadata(c),
                lang=c.language,
                # the template leaves the box #qr<i> empty; the code is drawn into it here
                extra_ops=qr_operators(qr_matrix(c.verification_url), page.anchors[f"qr{i}"]),
            )
            for i, (page, c) in enumerate(zip(document.pages, items, strict=True))
        ]
        return page_files(document, pages)


_RENDERERS: dict[str, _Renderer] = {}
# WeasyPrint's FontConfiguration cleans its temp folder in __del__, which fails noisily if it
# runs during interpreter teardown; release ours while the modules are still there.
atexit.register(_RENDERERS.clear)


def _renderer(template_dir: Path) -> _Renderer:
    key = str(template_dir)
    if key not in _RENDERERS:
        _RENDERERS[key] = _Renderer(template_dir)
    return _RENDERERS[key]


def _check_paper(paper: str) -> str:
    for name in PAPERS:
        if paper.lower() == name.lower():
            return name
    raise ContentError(
        "certificate", 0, f"paper size '{paper}' is not supported", "use A4 or Letter"
    )


def render_certificate_pdf(
    data: CertificateData, paper: Paper | str = "A4", template_dir: Path = TEMPLATE_DIR
) -> bytes:
    """One certificate as PDF bytes, with title, author and subject in the PDF metadata."""
    return _renderer(template_dir).files([data.validated()], _check_paper(paper))[0]


def _metadata(c: CertificateData) -> dict[str, str]:
    from weasyprint import __version__

    return {
        "Title": f"Certificate: {c.title}",
        "Author": c.organisation,
        "Subject": _subject(c),
        "Creator": "PeerPath",
        "Producer": f"WeasyPrint {__version__}",
    }


def _render_batch(args: tuple[list[CertificateData], str, str]) -> list[bytes]:
    items, paper, template_dir = args
    return _renderer(Path(template_dir)).files(items, paper)


def render_many(
    items: Iterable[CertificateData],
    paper: Paper | str = "A4",
    *,
    workers: int | None = None,
    batch_size: int = 20,
    progress: Callable[[int, int], None] | None = None,
    template_dir: Path = TEMPLATE_DIR,
) -> Iterator[tuple[CertificateData, bytes]]:
    """Render many certificates, yielding ``(data, pdf_bytes)`` in input order.

    Batches of ``batch_size`` pages (20 keeps a worker under 100 MB) are laid out as one
    document in ``workers`` processes (default: the CPU count) and written out one file per
    certificate; ``progress(done, total)`` follows along.
    """
    paper = _check_paper(paper)
    checked = [c.validated() for c in items]
    total = len(checked)
    batches = [checked[i : i + batch_size] for i in range(0, total, batch_size)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(batches) or 1))
    done = 0
    if progress:
        progress(0, total)
    # Load fonts and stylesheets once here: forked workers inherit them instead of each
    # paying the ~1 s start-up again.
    _renderer(template_dir)
    if workers == 1:
        results: Iterable[list[bytes]] = (
            _render_batch((b, paper, str(template_dir))) for b in batches
        )
        pool = None
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        results = pool.map(_render_batch, [(b, paper, str(template_dir)) for b in batches])
    try:
        for batch, pdfs in zip(batches, results, strict=True):
            yield from zip(batch, pdfs, strict=True)
            done += len(batch)
            if progress:
                progress(done, total)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def pdf_to_png(pdf: bytes, out_png: Path, dpi: int = 80) -> Path:
    """First page of a PDF as PNG through poppler's pdftoppm (Debian package poppler-utils)."""
    import shutil
    import subprocess
    import tempfile

    tool = shutil.which("pdftoppm")
    if tool is None:
        raise ContentError(
            str(out_png),
            0,
            "pdftoppm is not installed",
            "apt-get install poppler-utils, or write a .pdf instead",
        )
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "c.pdf"
        src.write_bytes(pdf)
        subprocess.run(  # noqa: S603 - fixed argv, the tool found by shutil.which
            [tool, "-png", "-r", str(dpi), "-singlefile", str(src), str(Path(tmp) / "c")],
            check=True,
        )
        out_png.write_bytes((Path(tmp) / "c.png").read_bytes())
    return out_png
