"""The example lessons, the static site and the CLI, as an author and an admin use them.

CLI tests call the click groups directly (no Flask app needed) and once through `peerpath`.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from content_helpers import executable_parts, lesson_text
from pypdf import PdfReader

from content import check_lesson, load_lesson, render_lesson_html
from content.cli import certificates_cli, content_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "content" / "examples"
TOPICS = ("feedback", "lunch-and-learn", "coaching", "mentor", "rubric")


def test_five_example_lessons_cover_the_topics_each_with_a_knowledge_check(example_files):
    assert len(example_files) >= 5
    slugs = " ".join(load_lesson(p).slug for p in example_files)
    for topic in TOPICS:
        assert topic in slugs
    for path in example_files:
        lesson = load_lesson(path)
        assert lesson.questions, path
        assert lesson.reflections, path
        assert check_lesson(path.read_bytes(), str(path)) == [], path
        assert lesson.meta.summary and lesson.meta.authors and lesson.meta.objectives
        rendered = render_lesson_html(lesson)
        assert executable_parts(rendered.html) == []
        assert len(rendered.toc) >= 3


def test_content_check_passes_examples_and_fails_bad_input_with_file_and_line(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(content_cli, ["check", str(EXAMPLES)])
    assert ok.exit_code == 0 and "5 lesson(s) checked: 0 error(s), 0 warning(s)" in ok.output

    (tmp_path / "bad.md").write_text(
        "---\ntitle: t\ncolour: red\n---\n::: quiz single\nQ?\n- [ ] a\n- [ ] b\n:::\n"
    )
    (tmp_path / "latin1.md").write_bytes(b"---\ntitle: t\n---\nna\xefve\n")
    bad = runner.invoke(content_cli, ["check", str(tmp_path)])
    assert bad.exit_code == 1
    assert f"{tmp_path / 'bad.md'}:3: error: unknown front-matter key 'colour'" in bad.output
    assert f"{tmp_path / 'bad.md'}:5: error: quiz block has no correct answer" in bad.output
    assert f"{tmp_path / 'latin1.md'}:4: error: the file is not valid UTF-8" in bad.output
    assert "Traceback" not in bad.output


def test_content_build_writes_an_index_and_a_page_per_lesson(tmp_path):
    out = tmp_path / "site"
    result = CliRunner().invoke(content_cli, ["build", str(EXAMPLES), str(out)])
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text()
    pages = sorted(p.name for p in out.glob("*.html") if p.name != "index.html")
    assert len(pages) == 5
    for page in pages:
        assert f'href="{page}"' in index
    feedback = (out / "giving-useful-feedback.html").read_text()
    assert "<h1>Giving useful feedback</h1>" in feedback
    assert (
        'class="knowledge-check"' in feedback
        and "Taught by your peers: Ana Souza, Kenji Watanabe" in feedback
    )
    assert "Soon after the moment it is about" in feedback  # the option label...
    assert "both of you still remember" not in feedback  # ...but never its feedback
    assert ".highlight .k" in (out / "assets" / "site.css").read_text()
    article = feedback.split('<article class="lesson-body">', 1)[1].split("</article>", 1)[0]
    assert executable_parts(article) == []  # the shell has our own <meta>/<link>; the body none
    assert "<script" not in feedback


def test_content_build_refuses_to_write_when_a_lesson_is_broken(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.md").write_text(lesson_text("Fine."))
    (src / "broken.md").write_text("---\ntitle: [oops\n---\n")
    result = CliRunner().invoke(content_cli, ["build", str(src), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{src / 'broken.md'}:" in result.output and "Nothing written" in result.output
    assert not (tmp_path / "out").exists()


def test_certificates_render_pdf_and_png(tmp_path):
    runner = CliRunner()
    pdf = tmp_path / "c.pdf"
    args = [
        "render",
        "--name",
        "Élodie Dubois",
        "--title",
        "Writing a fair rubric",
        "--author",
        "Sam Okonkwo",
        "--date",
        "2025-05-02",
        "--code",
        "PP-AAAA-BBBB-CCCC",
    ]
    result = runner.invoke(certificates_cli, [*args, "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "Élodie Dubois" in PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    png = tmp_path / "c.png"
    assert (
        runner.invoke(certificates_cli, [*args, "--paper", "Letter", "-o", str(png)]).exit_code == 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_certificates_render_bad_input_is_a_message_not_a_traceback(tmp_path):
    result = CliRunner().invoke(
        certificates_cli, ["render", "--name", " ", "--title", "T", "-o", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 1 and "error: the learner name is empty" in result.output
    result = CliRunner().invoke(
        certificates_cli,
        [
            "render",
            "--name",
            "A",
            "--title",
            "T",
            "--date",
            "14/03/2025",
            "-o",
            str(tmp_path / "x.pdf"),
        ],
    )
    assert result.exit_code == 1 and "date '14/03/2025' is not a date" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_certificates_bulk_from_csv_with_progress_and_index(tmp_path):
    rows = tmp_path / "people.csv"
    rows.write_text(
        "name,title,authors,date\nAna,Coaching,Dmitri Ivanov;Amara Okafor,2025-01-02\nБорис,Coaching,,\n=cmd,Coaching,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        certificates_cli, ["bulk", str(rows), str(out), "--workers", "1", "--author", "Priya Raman"]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 3 certificate(s)" in result.output
    listed = list(csv.reader((out / "index.csv").read_text().splitlines()))
    assert [r[1] for r in listed[1:]] == ["Ana", "Борис", "'=cmd"]
    for code, _name, _title, file in listed[1:]:
        reader = PdfReader(out / file)
        assert code in reader.metadata.subject
    boris = PdfReader(out / listed[2][3]).pages[0].extract_text()
    assert "Priya Raman" in boris  # the default author fills rows without one


def test_certificates_bulk_names_the_bad_csv_line(tmp_path):
    rows = tmp_path / "people.csv"
    rows.write_text("name,title,date\nAna,Coaching,2025-01-02\nBo,Coaching,yesterday\n")
    result = CliRunner().invoke(certificates_cli, ["bulk", str(rows), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{rows}:3: error: date 'yesterday' is not a date" in result.output
    no_name = tmp_path / "no-name.csv"
    no_name.write_text("title\nx\n")
    result = CliRunner().invoke(certificates_cli, ["bulk", str(no_name), str(tmp_path / "out")])
    assert result.exit_code == 1 and "no 'name' column" in result.output


def test_peerpath_console_script_has_both_groups():
    peerpath = Path(sys.executable).with_name("peerpath")
    result = subprocess.run(
        [str(peerpath), "content", "check", str(EXAMPLES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stdout
    result = subprocess.run(
        [str(peerpath), "certificates", "--help"], capture_output=True, text=True, timeout=120
    )
    assert "render" in result.stdout and "bulk" in result.stdout
