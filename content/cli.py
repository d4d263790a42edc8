"""Command line for authors and admins: ``peerpath content check|build`` and ``peerpath certificates``.

Plain click groups (no Flask); lti_tool/cli.py registers them under the ``peerpath`` script.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path

import click

from .errors import ContentError, Problem


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(str(p), err=p.severity == "error")


@click.group("content", help="Check Markdown lessons and build them into a static site.")
def content_cli() -> None:
    pass


@content_cli.command("check")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
def check_command(src: Path) -> None:
    """Validate lessons in SRC (a .md file or a folder); exit 1 if any has errors."""
    from .site import check_paths, lesson_files

    files = lesson_files(src)
    problems = check_paths(src)
    _print_problems(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if not files:
        click.echo(
            f"{src}: no .md lessons found (point at a lesson file or a folder of them)", err=True
        )
        sys.exit(1)
    click.echo(f"{len(files)} lesson(s) checked: {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(1)


@content_cli.command("build")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--title",
    "site_title",
    default="PeerPath lessons",
    show_default=True,
    help="Site name in the header.",
)
def build_command(src: Path, out: Path, site_title: str) -> None:
    """Render the lessons in SRC to a static HTML site in OUT (with index.html)."""
    from .site import build_site

    report = build_site(src, out, site_title)
    _print_problems(report.problems)
    if report.errors:
        click.echo(
            f"Nothing written: fix the {len(report.errors)} error(s) above, then build again.",
            err=True,
        )
        sys.exit(1)
    click.echo(f"Wrote {len(report.pages) - 1} lesson page(s); open {report.pages[0]}")


@click.group(
    "certificates", help="Render certificates of completion to PDF (one, or many from a CSV)."
)
def certificates_cli() -> None:
    pass


def _parse_date(value: str | None, where: str) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ContentError(
            where, 0, f"date '{value}' is not a date", "write it as YYYY-MM-DD, e.g. 2025-03-14"
        ) from None


@certificates_cli.command("render")
@click.option("--name", required=True, help="Learner's full name, as they want it shown.")
@click.option("--title", required=True, help="Lesson or course title.")
@click.option(
    "--org", "organisation", default="PeerPath", show_default=True, help="Issuing organisation."
)
@click.option("--author", "authors", multiple=True, help="A lesson author (repeat for several).")
@click.option("--date", "issued", default=None, help="Issue date, YYYY-MM-DD (default: today).")
@click.option("--code", default=None, help="Verification code (default: a new random one).")
@click.option(
    "--verify-url",
    default="https://peerpath.example/verify",
    show_default=True,
    help="Base of the verification link.",
)
@click.option("--course", is_flag=True, help="Say 'course' instead of 'lesson'.")
@click.option(
    "--paper",
    type=click.Choice(["A4", "Letter"], case_sensitive=False),
    default="A4",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="out.pdf, or out.png for a picture (needs pdftoppm).",
)
def render_command(
    name, title, organisation, authors, issued, code, verify_url, course, paper, output: Path
) -> None:
    """Render one certificate to a PDF (or PNG) file."""
    from .certificates import (
        CertificateData,
        new_verification_code,
        pdf_to_png,
        render_certificate_pdf,
    )

    try:
        data = CertificateData(
            learner_name=name,
            title=title,
            organisation=organisation,
            authors=tuple(authors),
            issued_on=_parse_date(issued, "--date"),
            verification_code=code or new_verification_code(),
            verify_base_url=verify_url,
            kind="course" if course else "lesson",
        )
        pdf = render_certificate_pdf(data, paper=paper)
        output.parent.mkdir(parents=True, exist_ok=True)
        if output.suffix.lower() == ".png":
            pdf_to_png(pdf, output)
        else:
            output.write_bytes(pdf)
    except ContentError as exc:
        click.echo(
            f"error: {exc.message} ({exc.hint})" if exc.hint else f"error: {exc.message}", err=True
        )
        sys.exit(1)
    click.echo(f"Wrote {output} (verification code {data.verification_code})")


def read_certificate_csv(path: Path, defaults: dict) -> list:
    """Rows of name,title[,organisation,authors,date,code] to CertificateData; errors name the line."""
    from .certificates import CertificateData, new_verification_code

    items = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError(
            str(path), 0, "the CSV is not UTF-8", "export it as 'CSV UTF-8' from your spreadsheet"
        ) from None
    reader = csv.DictReader(text.splitlines())
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if "name" not in columns:
        raise ContentError(
            str(path),
            1,
            "the CSV has no 'name' column",
            "put a header row first: name,title,organisation,authors,date,code",
        )
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        line = reader.line_num
        title = row.get("title") or defaults.get("title")
        if not row.get("name") or not title:
            raise ContentError(
                str(path),
                line,
                "a row has no name or no title",
                "fill both, or pass --title for every row",
            )
        data = CertificateData(
            learner_name=row["name"],
            title=title,
            organisation=row.get("organisation") or defaults["organisation"],
            authors=tuple(a.strip() for a in (row.get("authors") or "").split(";") if a.strip())
            or defaults["authors"],
            issued_on=_parse_date(row.get("date") or defaults.get("date"), f"{path}:{line}"),
            verification_code=row.get("code") or new_verification_code(),
            verify_base_url=defaults["verify_url"],
        )
        try:
            data.validated()
        except ContentError as exc:
            raise ContentError(str(path), line, exc.message, exc.hint) from None
        items.append(data)
    return items


@certificates_cli.command("bulk")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default=None, help="Title for rows without one.")
@click.option("--org", "organisation", default="PeerPath", show_default=True)
@click.option(
    "--author", "authors", multiple=True, help="Author for rows without any (repeatable)."
)
@click.option("--date", "issued", default=None, help="Date for rows without one, YYYY-MM-DD.")
@click.option("--verify-url", default="https://peerpath.example/verify", show_default=True)
@click.option(
    "--paper",
    type=click.Choice(["A4", "Letter"], case_sensitive=False),
    default="A4",
    show_default=True,
)
@click.option("--workers", type=int, default=None, help="Worker processes (default: CPU count).")
def bulk_command(
    csv_file: Path, out: Path, title, organisation, authors, issued, verify_url, paper, workers
) -> None:
    """Render one PDF per CSV row into OUT, named by verification code, with a progress bar."""
    from .certificates import render_many

    defaults = {
        "title": title,
        "organisation": organisation,
        "authors": tuple(authors),
        "date": issued,
        "verify_url": verify_url,
    }
    try:
        items = read_certificate_csv(csv_file, defaults)
    except ContentError as exc:
        where = f"{exc.file}:{exc.line}" if exc.line else exc.file
        click.echo(f"{where}: error: {exc.message} ({exc.hint})", err=True)
        sys.exit(1)
    if not items:
        click.echo(f"{csv_file}: no rows under the header; nothing to do", err=True)
        sys.exit(1)
    out.mkdir(parents=True, exist_ok=True)
    with click.progressbar(length=len(items), label="Rendering certificates", show_pos=True) as bar:
        last = 0

        def progress(done: int, _total: int) -> None:
            nonlocal last
            bar.update(done - last)
            last = done

        index = ["code,name,title,file"]
        for data, pdf in render_many(items, paper, workers=workers, progress=progress):
            target = out / f"{data.verification_code}.pdf"
            target.write_bytes(pdf)
            index.append(
                ",".join(
                    _csv_cell(v)
                    for v in (data.verification_code, data.learner_name, data.title, target.name)
                )
            )
    (out / "index.csv").write_text("\n".join(index) + "\n", encoding="utf-8")
    click.echo(f"Wrote {len(items)} certificate(s) to {out} (list in {out / 'index.csv'})")


def _csv_cell(value: str) -> str:
    # quote, and defuse spreadsheet formulas in names ("=HYPERLINK(...)")
    value = "'" + value if value[:1] in "=+-@" else value
    return '"' + value.replace('"', '""') + '"'
