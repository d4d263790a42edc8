"""Lessons to safe HTML: render the parsed tokens, then pass the result through the sanitiser.

The web app calls ``render_lesson_html``; ``render_markdown`` serves short texts such as comments.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Problem
from .lessons import Lesson, TocEntry
from .markdown import parser
from .quiz import Question, Reflection
from .sanitize import sanitize_html


@dataclass(frozen=True, slots=True)
class RenderedLesson:
    """A page-ready lesson body. ``questions`` hold the answers: keep them server-side."""

    html: str
    toc: tuple[TocEntry, ...]
    questions: tuple[Question, ...]
    reflections: tuple[Reflection, ...]
    warnings: tuple[Problem, ...]
    reading_minutes: int
    word_count: int


def render_lesson_html(lesson: Lesson) -> RenderedLesson:
    """Render a parsed lesson's body to sanitised HTML (front matter is not part of it)."""
    md = parser()
    raw = md.renderer.render(lesson.tokens, md.options, lesson.env)
    return RenderedLesson(
        html=sanitize_html(raw),
        toc=lesson.toc,
        questions=lesson.questions,
        reflections=lesson.reflections,
        warnings=lesson.warnings,
        reading_minutes=lesson.reading_minutes,
        word_count=lesson.word_count,
    )


def render_markdown(text: str, *, top_heading: int = 1) -> str:
    """Render a short Markdown text (a review comment, a goal) to sanitised HTML.

    Quiz and reflection blocks are not recognised here; they show as text. ``top_heading`` is
    the level a ``#`` heading gets, for text shown under a page's own headings (a submission
    under "Your work" starts at 4, so its headings never outrank the page's); deeper levels
    follow, at most h6. Such headings get no id: the page's own anchors keep theirs.
    """
    md = parser()
    env = {"nested": True}
    tokens = md.parse(text, env)
    if top_heading != 1:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(6, int(token.tag[1]) + top_heading - 1)}"
                token.attrs.pop("id", None)
    return sanitize_html(md.renderer.render(tokens, md.options, env))
