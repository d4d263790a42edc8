"""PeerPath's content toolkit: Markdown lessons to safe HTML, certificates to PDF.

A plain library (it imports nothing from lti_tool); see content/README.md for the lesson format.
"""

from __future__ import annotations

from .errors import ContentError, Problem
from .lessons import Lesson, TocEntry, check_lesson, load_lesson, parse_lesson
from .quiz import Option, Question, QuizResult, Reflection, Score, score, score_all
from .render import RenderedLesson, render_lesson_html, render_markdown
from .sanitize import sanitize_html

__all__ = [
    "ContentError",
    "Lesson",
    "Option",
    "Problem",
    "Question",
    "QuizResult",
    "Reflection",
    "RenderedLesson",
    "Score",
    "TocEntry",
    "check_lesson",
    "load_lesson",
    "parse_lesson",
    "render_lesson_html",
    "render_markdown",
    "sanitize_html",
    "score",
    "score_all",
]
