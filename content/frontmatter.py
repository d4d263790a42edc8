"""The YAML block at the top of a lesson: its keys, their types, and checks with line numbers.

Authors see one message per problem, naming the key's line, so a typo is a one-line fix.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Problem

try:  # libyaml is ~10x faster; fall back quietly where it is not compiled in
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

LEVELS = ("beginner", "intermediate", "advanced")
KEYS = (
    "title",
    "summary",
    "duration",
    "objectives",
    "tags",
    "authors",
    "language",
    "level",
    "certificate",
    "pass_mark",
    "slug",
)
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_DURATION_RE = re.compile(r"^\s*(\d{1,3})\s*(m|min|mins|minute|minutes)?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """What an author says about a lesson; defaults are what an empty key means."""

    title: str
    summary: str = ""
    duration: int | None = None  # minutes, as the author estimates the whole lesson
    objectives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    language: str = "en"
    level: str = "beginner"
    certificate: bool = False
    pass_mark: int = 70  # percent of knowledge-check points needed to pass
    slug: str | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


def parse_front_matter(
    text: str, file: str, first_line: int
) -> tuple[FrontMatter | None, list[Problem]]:
    """Parse and validate front matter whose first YAML line is file line ``first_line``.

    Returns the model (None when unusable) and every problem found.
    """
    problems: list[Problem] = []

    def fail(line: int, message: str, hint: str) -> None:
        problems.append(Problem(file, line, message, hint))

    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or "the YAML could not be read"
        fail(
            line,
            f"front matter is not valid YAML: {what}",
            "check indentation and quote values that contain ':' or '#'",
        )
        return None, problems
    except yaml.YAMLError as exc:
        fail(
            first_line,
            f"front matter is not valid YAML: {exc}",
            "fix the YAML between the --- lines",
        )
        return None, problems

    if not isinstance(data, dict):
        fail(
            first_line,
            "front matter must be a set of 'key: value' lines",
            "write e.g. 'title: Giving useful feedback' between the --- lines",
        )
        return None, problems

    lines: dict[str, int] = {}
    seen: set[str] = set()
    for key_node, _value in node.value:
        key = str(key_node.value)
        line = first_line + key_node.start_mark.line
        if key in seen:
            fail(line, f"key '{key}' appears twice", "keep one of them")
        seen.add(key)
        lines[key] = line

    for key in data:
        if str(key) not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(KEYS)}"
            fail(lines.get(str(key), first_line), f"unknown front-matter key '{key}'", hint)

    def line_of(key: str) -> int:
        return lines.get(key, first_line)

    def text_value(key: str, limit: int) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, (dict, list, bool)):
            fail(line_of(key), f"'{key}' must be text", f"write {key}: some words")
            return None
        value = str(value).strip()
        if len(value) > limit:
            fail(line_of(key), f"'{key}' is {len(value)} characters long", f"keep it under {limit}")
        return value

    def list_value(key: str, item_limit: int = 200) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            fail(
                line_of(key),
                f"'{key}' must be a list of short texts",
                f"write one '- item' line per entry under '{key}:'",
            )
            return ()
        items = tuple(str(v).strip() for v in value if v is not None and str(v).strip())
        for item in items:
            if len(item) > item_limit:
                fail(
                    line_of(key),
                    f"an entry of '{key}' is too long",
                    f"keep it under {item_limit} characters",
                )
        return items

    title = text_value("title", 200)
    if not title:
        fail(
            line_of("title") if "title" in lines else first_line,
            "the lesson has no title",
            "add 'title: <what the lesson teaches>' to the front matter",
        )

    duration: int | None = None
    if data.get("duration") is not None:
        raw = data["duration"]
        match = _DURATION_RE.match(str(raw)) if not isinstance(raw, bool) else None
        if match and 0 < int(match.group(1)) <= 600:
            duration = int(match.group(1))
        else:
            fail(
                line_of("duration"),
                f"duration '{raw}' is not a number of minutes",
                "write e.g. 'duration: 10'",
            )

    language = text_value("language", 35) or "en"
    if not _LANG_RE.match(language):
        fail(
            line_of("language"),
            f"language '{language}' is not a language code",
            "use a code like en, fr or pt-BR",
        )

    level = (text_value("level", 20) or "beginner").lower()
    if level not in LEVELS:
        fail(line_of("level"), f"level '{level}' is not known", f"use one of: {', '.join(LEVELS)}")

    certificate = data.get("certificate", False)
    if certificate is None:
        certificate = False
    if not isinstance(certificate, bool):
        fail(
            line_of("certificate"),
            "'certificate' must be true or false",
            "write 'certificate: true'",
        )
        certificate = False

    pass_mark = data.get("pass_mark", 70)
    if isinstance(pass_mark, str) and pass_mark.strip().endswith("%"):
        pass_mark = pass_mark.strip()[:-1]
    try:
        if isinstance(pass_mark, bool):
            raise ValueError
        pass_mark = int(pass_mark)
        if not 0 <= pass_mark <= 100:
            raise ValueError
    except (TypeError, ValueError):
        fail(
            line_of("pass_mark"),
            f"pass_mark '{data.get('pass_mark')}' is not a percentage",
            "write a whole number from 0 to 100, e.g. 'pass_mark: 80'",
        )
        pass_mark = 70

    slug = text_value("slug", 80)
    if slug is not None and not _SLUG_RE.match(slug):
        fail(
            line_of("slug"),
            f"slug '{slug}' may only hold a-z, 0-9 and single dashes",
            "e.g. 'slug: giving-feedback'",
        )
        slug = None

    meta = FrontMatter(
        title=title or "",
        summary=text_value("summary", 500) or "",
        duration=duration,
        objectives=list_value("objectives", 300),
        tags=tuple(t.lower() for t in list_value("tags", 40)),
        authors=list_value("authors", 120),
        language=language,
        level=level,
        certificate=certificate,
        pass_mark=pass_mark,
        slug=slug,
        lines=lines,
    )
    return (meta if not problems else None), problems


def as_dict(meta: FrontMatter) -> dict[str, Any]:
    """The model as plain data (for JSON, templates and the web app's database)."""
    return {key: getattr(meta, key) for key in KEYS}
