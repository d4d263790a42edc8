"""A static HTML site of lessons with an index: the author's preview and an export.

Every lesson page holds only sanitised HTML; knowledge checks render without their answers.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .errors import ContentError, Problem
from .lessons import Lesson, check_lesson, decode_lesson, parse_lesson
from .markdown import pygments_css
from .render import render_lesson_html

SITE_TEMPLATES = Path(__file__).resolve().parent / "site_templates"
LEVEL_LABEL = {"beginner": "Beginner", "intermediate": "Intermediate", "advanced": "Advanced"}


@dataclass
class SiteReport:
    """What a build did: pages written and every problem found on the way."""

    pages: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def lesson_files(src: Path) -> list[Path]:
    """The Markdown lessons at ``src`` (a file, or every *.md below a folder, README excluded)."""
    if src.is_file():
        return [src]
    return sorted(p for p in src.rglob("*.md") if p.name.lower() != "readme.md")


def check_paths(src: Path) -> list[Problem]:
    """Errors and warnings for every lesson under ``src``, including duplicate slugs."""
    problems: list[Problem] = []
    slugs: dict[str, str] = {}
    for path in lesson_files(src):
        found = check_lesson(path.read_bytes(), str(path))
        problems += found
        if not any(p.severity == "error" for p in found):
            slug = parse_lesson(path.read_bytes(), str(path)).slug
            if slug in slugs:
                problems.append(
                    Problem(
                        str(path),
                        1,
                        f"slug '{slug}' is already used by {slugs[slug]}",
                        "set a different 'slug:' in the front matter",
                    )
                )
            slugs.setdefault(slug, str(path))
    return problems


def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(SITE_TEMPLATES)), autoescape=select_autoescape(["html"])
    )


def build_site(src: Path, out: Path, site_title: str = "PeerPath lessons") -> SiteReport:
    """Render every lesson under ``src`` to ``out``; nothing is written if any lesson has errors."""
    report = SiteReport(problems=check_paths(src))
    files = lesson_files(src)
    if not files:
        report.problems.append(
            Problem(
                str(src), 0, "no lessons found", "point at a .md file or a folder holding .md files"
            )
        )
    if report.errors:
        return report
    lessons: list[Lesson] = []
    for path in files:
        try:
            lessons.append(parse_lesson(decode_lesson(path.read_bytes(), str(path)), str(path)))
        except ContentError as exc:  # checked above; kept so a race with an editor cannot crash
            report.problems += exc.problems
            return report
    out.mkdir(parents=True, exist_ok=True)
    (out / "assets").mkdir(exist_ok=True)
    css = (SITE_TEMPLATES / "site.css").read_text(encoding="utf-8")
    (out / "assets" / "site.css").write_text(
        css + "\n/* code highlighting (Pygments) */\n" + pygments_css(), encoding="utf-8"
    )
    for asset in src.rglob("*") if src.is_dir() else ():
        if asset.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"):
            target = out / asset.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(asset, target)
    env = _env()
    lesson_tpl = env.get_template("lesson.html")
    cards = []
    for lesson in lessons:
        rendered = render_lesson_html(lesson)
        page = out / f"{lesson.slug}.html"
        page.write_text(
            lesson_tpl.render(
                site_title=site_title,
                lesson=lesson,
                meta=lesson.meta,
                level=LEVEL_LABEL[lesson.meta.level],
                minutes=lesson.meta.duration or rendered.reading_minutes,
                body=Markup(rendered.html),  # noqa: S704 - sanitised by content.sanitize
                toc=rendered.toc,
                checks=len(rendered.questions),
            ),
            encoding="utf-8",
        )
        report.pages.append(page)
        cards.append(
            {
                "lesson": lesson,
                "href": page.name,
                "level": LEVEL_LABEL[lesson.meta.level],
                "minutes": lesson.meta.duration or rendered.reading_minutes,
            }
        )
    index = out / "index.html"
    index.write_text(
        env.get_template("index.html").render(site_title=site_title, cards=cards), encoding="utf-8"
    )
    report.pages.insert(0, index)
    return report
