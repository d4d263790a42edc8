"""A lesson file read into a model: front matter, body tokens, questions, reflections, TOC.

``parse_lesson`` raises ContentError listing every problem; ``check_lesson`` returns them instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it.token import Token

from .errors import ContentError, Problem
from .frontmatter import FrontMatter, parse_front_matter
from .markdown import CALLOUTS, parser
from .quiz import Question, Reflection

MAX_LESSON_BYTES = 1_000_000  # ~150 pages of prose; anything larger is several lessons
WORDS_PER_MINUTE = 200
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*|\d+")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_UNKNOWN_BLOCK_RE = re.compile(r"^:{3,}[ \t]*([A-Za-z][\w-]*)")


@dataclass(frozen=True, slots=True)
class TocEntry:
    """A heading of the lesson (levels 2 and 3) with the anchor the page gives it."""

    level: int
    id: str
    text: str


@dataclass(slots=True)
class Lesson:
    """A parsed, valid lesson. ``tokens`` are kept so rendering does not parse again."""

    source_name: str
    meta: FrontMatter
    body: str
    slug: str
    questions: tuple[Question, ...]
    reflections: tuple[Reflection, ...]
    toc: tuple[TocEntry, ...]
    word_count: int
    reading_minutes: int
    warnings: tuple[Problem, ...] = ()
    tokens: list[Token] = field(default_factory=list, repr=False)
    env: dict = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def total_points(self) -> int:
        return sum(q.points for q in self.questions)


def decode_lesson(data: bytes, source_name: str) -> str:
    """Bytes from disk or an upload to text, refusing what is too large or not UTF-8."""
    if len(data) > MAX_LESSON_BYTES:
        raise ContentError(
            source_name,
            0,
            f"the lesson is {len(data) / 1_000_000:.1f} MB; the limit is {MAX_LESSON_BYTES // 1_000_000} MB",
            "split it into several shorter lessons and move large images out of the file",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ContentError(
            source_name,
            line,
            f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column})",
            "save the file as UTF-8 in your editor",
        ) from None
    return text.removeprefix("\ufeff")


def _slug_from_name(source_name: str) -> str:
    stem = Path(source_name).stem.lower()
    stem = re.sub(r"^\d+[-_ ]+", "", stem)  # "01-giving-feedback" orders files, not URLs
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "lesson"


def _count_words(text: str) -> int:
    cjk = len(_CJK_RE.findall(text))
    # CJK has no spaces; about two characters read like one word
    return len(_WORD_RE.findall(_CJK_RE.sub(" ", text))) + math.ceil(cjk / 2)


def _inline_text(token: Token) -> str:
    return "".join(c.content for c in token.children or () if c.type in ("text", "code_inline"))


def analyse(text: str, source_name: str) -> tuple[Lesson | None, list[Problem]]:
    """Parse ``text``; return the lesson (None if it has errors) and all errors and warnings."""
    if len(text) > MAX_LESSON_BYTES:
        return None, [
            Problem(
                source_name,
                0,
                f"the lesson has {len(text):,} characters; the limit is {MAX_LESSON_BYTES:,}",
                "split it into several shorter lessons",
            )
        ]
    md = parser()
    env: dict = {"file": source_name, "problems": []}
    tokens = md.parse(text, env)
    problems: list[Problem] = env["problems"]

    meta = None
    body = text
    if tokens and tokens[0].type == "front_matter":
        first = tokens[0]
        meta, fm_problems = parse_front_matter(first.content, source_name, 2)
        problems[:0] = fm_problems
        body = "\n".join(text.split("\n")[first.map[1] :]) if first.map else text
    elif text.startswith("---"):
        problems.insert(
            0,
            Problem(
                source_name,
                1,
                "the front matter is never closed",
                "add a line '---' after the last front-matter key",
            ),
        )
    else:
        problems.insert(
            0,
            Problem(
                source_name,
                1,
                "the lesson has no front matter",
                "start the file with '---', then 'title: ...', then '---'",
            ),
        )

    toc: list[TocEntry] = []
    questions: list[Question] = []
    reflections: list[Reflection] = []
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open" and token.tag in ("h2", "h3"):
            toc.append(
                TocEntry(int(token.tag[1]), str(token.attrGet("id")), _inline_text(tokens[i + 1]))
            )
        elif kind == "pp_quiz" and token.meta.get("item") is not None:
            questions.append(token.meta["item"])
        elif kind == "pp_reflection" and token.meta.get("item") is not None:
            reflections.append(token.meta["item"])
        elif kind == "inline" and token.children:
            line = token.map[0] + 1 if token.map else 0
            for child in token.children:
                if child.type == "image" and not _inline_text(child).strip():
                    problems.append(
                        Problem(
                            source_name,
                            line,
                            f"image '{child.attrGet('src')}' has no alt text",
                            "describe it for people who cannot see it: ![what the picture shows](file.png)",
                            "warning",
                        )
                    )
            block = _UNKNOWN_BLOCK_RE.match(token.content)
            if block and tokens[i - 1].type == "paragraph_open":
                problems.append(
                    Problem(
                        source_name,
                        line,
                        f"'::: {block.group(1)}' is not a known block and shows as text",
                        f"use one of: {', '.join([*CALLOUTS, 'quiz', 'reflection'])}",
                        "warning",
                    )
                )

    for label, items in (("quiz", questions), ("reflection", reflections)):
        seen: dict[str, int] = {}
        for item in items:
            if item.id in seen:
                problems.append(
                    Problem(
                        source_name,
                        item.line,
                        f"{label} id '{item.id}' is already used on line {seen[item.id]}",
                        "give each block its own id=",
                    )
                )
            seen.setdefault(item.id, item.line)

    if meta is not None and meta.certificate and not questions:
        problems.append(
            Problem(
                source_name,
                meta.lines.get("certificate", 2),
                "the lesson issues a certificate but has no knowledge check",
                "add a '::: quiz' block, or set 'certificate: false'",
            )
        )

    errors = [p for p in problems if p.severity == "error"]
    if errors or meta is None:
        return None, problems
    words = _count_words(body)
    lesson = Lesson(
        source_name=source_name,
        meta=meta,
        body=body,
        slug=meta.slug or _slug_from_name(source_name),
        questions=tuple(questions),
        reflections=tuple(reflections),
        toc=tuple(toc),
        word_count=words,
        reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        warnings=tuple(problems),
        tokens=tokens,
        env=env,
    )
    return lesson, problems


def parse_lesson(text: str | bytes, source_name: str) -> Lesson:
    """Parse a lesson or raise ContentError naming every problem (file, line, what to do)."""
    if isinstance(text, bytes):
        text = decode_lesson(text, source_name)
    lesson, problems = analyse(text, source_name)
    if lesson is None:
        raise ContentError.from_problems([p for p in problems if p.severity == "error"] or problems)
    return lesson


def check_lesson(data: str | bytes, source_name: str) -> list[Problem]:
    """Every error and warning for a lesson, without raising (what ``content check`` prints)."""
    try:
        text = decode_lesson(data, source_name) if isinstance(data, bytes) else data
    except ContentError as exc:
        return exc.problems
    return analyse(text, source_name)[1]


def load_lesson(path: str | Path) -> Lesson:
    """Read and parse a lesson file; the error names the path as given."""
    path = Path(path)
    return parse_lesson(path.read_bytes(), str(path))
