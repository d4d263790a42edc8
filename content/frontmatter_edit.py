"""A lesson's front matter as form fields, and form fields written back into the source.

Only the keys a field changed are rewritten; every other line (comments, key order, unknown
keys, the whole Markdown body) stays exactly as the author wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from .errors import ContentError
from .frontmatter import _DURATION_RE, KEYS, _Loader, parse_front_matter

FieldValue = str | bool
LIST_KEYS = ("objectives", "tags", "authors")
LINE_LIST_KEYS = ("objectives", "authors")  # one entry per line; tags are comma-separated
NUMBER_KEYS = ("duration", "pass_mark")
FLAG_KEYS = ("certificate",)
_ORDER = {key: i for i, key in enumerate(KEYS)}
_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")
_COMMENT_AFTER_VALUE = re.compile(r"^\s+#.*$")
_PERCENT_RE = re.compile(r"^\s*(\d+)\s*%?\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    """The front matter of a source: ``lines`` are its YAML lines (the opening line is source
    line 1, so ``lines[i]`` is source line i + 2); ``after`` is the exact text after the
    closing line, starting with its newline."""

    opening: str
    lines: tuple[str, ...]
    closing: str
    after: str

    @property
    def yaml(self) -> str:
        return "\n".join(self.lines)

    def with_lines(self, lines: list[str]) -> str:
        return "\n".join([self.opening, *lines, self.closing]) + self.after


@dataclass(frozen=True, slots=True)
class _Span:
    key: str
    start: int  # first and last YAML line (0-based) of the key and its value
    end: int
    value_end_column: int  # where a one-line value ends (a comment after it is kept)


def _indent(line: str) -> int:
    width = 0
    for ch in line:
        if ch not in " \t":
            break
        width += 1 if ch == " " else 4 - width % 4
    return width


def _dashes(text: str) -> int:
    return len(text) - len(text.lstrip("-"))


def _closes(line: str, markers: int) -> bool:
    """Whether ``line`` ends a block opened with ``markers`` dashes (markdown-it's rule)."""
    if line.startswith("...") and not line[3:].strip(" \t"):
        return True  # the YAML document-end marker
    stripped = line.lstrip(" \t")
    return (
        stripped.startswith("-")
        and _indent(line) < 4
        and _dashes(stripped) >= markers
        and not stripped.lstrip("-").strip(" \t")
    )


def find_block(source: str) -> Block | None:
    """The front matter exactly where the lesson parser (markdown-it's front_matter rule)
    finds it, or None when the source has none or never closes it. Reads only as far as the
    closing line, so a long lesson costs no more than a short one."""
    if not source.startswith("-"):
        return None
    opening_end = source.find("\n")
    markers = _dashes(source if opening_end < 0 else source[:opening_end])
    if markers < 3 or opening_end < 0:
        return None
    start = opening_end + 1
    while start <= len(source):
        end = source.find("\n", start)
        end = len(source) if end < 0 else end
        line = source[start:end]
        if _closes(line.rstrip("\r"), markers):
            inner = source[opening_end + 1 : start - 1] if start > opening_end + 1 else None
            lines = () if inner is None else tuple(inner.split("\n"))
            return Block(source[:opening_end], lines, line, source[end:])
        start = end + 1
    return None


def _load(block: Block, file: str) -> tuple[yaml.MappingNode | None, dict]:
    """The YAML node tree (for line numbers) and the data; ContentError when unreadable."""
    try:
        loader = _Loader(block.yaml)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError:
        node, data = None, ...
    if node is None and data is None:
        return None, {}  # nothing but comments: an empty mapping
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        return node, data
    _meta, problems = parse_front_matter(block.yaml, file, 2)
    if not problems:  # pragma: no cover - the same loader refused it just above
        raise ContentError(
            file, 2, "the front matter cannot be read", "fix the YAML between the --- lines"
        )
    raise ContentError.from_problems(problems[:1])


# --- reading: source -> field values -------------------------------------------------------


def _as_text(value: object) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return " ".join(str(value).split())


def _as_list(value: object) -> list[str]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        return []
    return [text for text in map(_as_text, value) if text]


def _as_number(key: str, value: object) -> str:
    if value is None or isinstance(value, bool):
        return _as_text(value)
    match = (_DURATION_RE if key == "duration" else _PERCENT_RE).match(str(value))
    return match.group(1) if match else _as_text(value)


def field_value(key: str, value: object) -> FieldValue:
    """What the form field of ``key`` shows for its YAML ``value``."""
    if key in FLAG_KEYS:
        return value is True
    if key in NUMBER_KEYS:
        return _as_number(key, value)
    if key in LIST_KEYS:
        return ("\n" if key in LINE_LIST_KEYS else ", ").join(_as_list(value))
    return _as_text(value)


def read_fields(source: str, file: str = "lesson.md") -> dict[str, FieldValue] | None:
    """Every front-matter key as a form value ('' or False when absent), or None while the
    front matter cannot be read (never closed, or not YAML). No front matter: all empty."""
    block = find_block(source)
    data: dict = {}
    if block is not None:
        try:
            data = _load(block, file)[1]
        except ContentError:
            return None
    elif source.startswith("---"):
        return None  # opened but never closed: the author is in the middle of it
    return {key: field_value(key, data.get(key)) for key in KEYS}


# --- writing: field values -> source -------------------------------------------------------


def yaml_value(key: str, submitted: FieldValue) -> object:
    """The YAML value a submitted field stands for; None means 'leave the key out'."""
    if key in FLAG_KEYS:
        return (
            True
            if submitted is True or str(submitted).lower() in ("true", "on", "yes", "1")
            else None
        )
    text = str(submitted)
    if key in LIST_KEYS:
        parts = text.split("\n") if key in LINE_LIST_KEYS else re.split(r"[,\n]", text)
        return [item for item in (" ".join(p.split()) for p in parts) if item] or None
    text = " ".join(text.split())
    if key in NUMBER_KEYS and text.isascii() and text.isdigit():
        return int(text)
    return text or None  # a wrong number stays as typed: the validator then names its line


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key ("  - item"), as the example lessons write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):  # noqa: ARG002
        return super().increase_indent(flow, False)


def key_lines(key: str, value: object) -> list[str]:
    """``key: value`` as YAML lines: objectives one per line, other lists inline."""
    options = {"allow_unicode": True, "sort_keys": False, "width": 1_000_000}
    if isinstance(value, list) and key != "objectives":
        inline = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, **options).strip()
        return [f"{key}: {inline}"]
    text = yaml.dump({key: value}, Dumper=_Dumper, default_flow_style=False, **options)
    return text.rstrip("\n").split("\n")


def _spans(node: yaml.MappingNode | None, lines: list[str], file: str) -> list[_Span]:
    """Where each top-level key sits. Blank and comment lines after a value belong to no key,
    so they survive a rewrite of the key above them."""
    if node is None:
        return []
    spans: list[_Span] = []
    for key_node, value_node in node.value:
        start, mark = key_node.start_mark.line, value_node.end_mark
        end = mark.line - 1 if mark.column == 0 and mark.line > start else mark.line
        end = min(end, len(lines) - 1)
        while end > start and _COMMENT_OR_BLANK.match(lines[end]):
            end -= 1
        if spans and start <= spans[-1].end:
            raise ContentError(
                file,
                start + 2,
                "the front matter puts several keys on one line",
                "write one 'key: value' per line to edit it with the form",
            )
        spans.append(
            _Span(str(key_node.value), start, end, mark.column if mark.line == start else -1)
        )
    return spans


def changed_fields(
    source: str, submitted: Mapping[str, FieldValue], file: str = "lesson.md"
) -> dict:
    """The submitted fields whose meaning differs from what the source says now."""
    current = read_fields(source, file) or {}
    return {
        key: value
        for key, value in submitted.items()
        if yaml_value(key, value) != yaml_value(key, current.get(key, ""))
    }


def write_fields(source: str, submitted: Mapping[str, FieldValue], file: str = "lesson.md") -> str:
    """``source`` with the front-matter keys of ``submitted`` set; an empty field removes its
    key. A field that says what the source already says leaves its lines alone, and the body
    after the front matter is kept byte for byte. ContentError (naming the line) when the
    front matter cannot be read; ValueError for a name that is not a front-matter key."""
    unknown = sorted(key for key in submitted if key not in KEYS)
    if unknown:
        raise ValueError(f"not a front-matter key: {', '.join(unknown)}")
    block = find_block(source)
    if block is None and source.startswith("---"):
        raise ContentError(
            file,
            1,
            "the front matter is never closed",
            "add a line '---' after the last front-matter key",
        )
    changes = changed_fields(source, submitted, file)
    if not changes:
        return source
    if block is None:  # no front matter yet: start one above the text
        new = [line for key in KEYS if key in changes for line in _new_lines(key, changes[key])]
        return Block(
            "---", (), "---", "\n" + ("" if source.startswith("\n") else "\n") + source
        ).with_lines(new)
    node, _data = _load(block, file)
    lines = list(block.lines)
    spans = _spans(node, lines, file)
    edits: list[tuple[int, bool, int, int, list[str]]] = []  # (at, replaces, order, stop, new)
    for key, value in changes.items():
        new = _new_lines(key, value)
        found = [s for s in spans if s.key == key]
        if not found:
            edits.append((_insert_at(key, spans, len(lines)), False, _ORDER[key], 0, new))
            continue
        first = found[0]
        if first.start == first.end and first.value_end_column >= 0 and new:
            comment = lines[first.start][first.value_end_column :]
            if _COMMENT_AFTER_VALUE.match(comment):
                new[-1] += comment  # "duration: 12   # minutes" keeps its comment
        edits.append((first.start, True, _ORDER[key], first.end + 1, new))
        edits += [(s.start, True, _ORDER[key], s.end + 1, []) for s in found[1:]]  # duplicates go
    # Bottom-up, so the line numbers of edits still to come stay valid; at one line, the
    # replacement first, then new keys in reverse order (each lands above the previous one).
    for at, replaces, _order, stop, new in sorted(edits, key=lambda e: e[:3], reverse=True):
        lines[at : stop if replaces else at] = new
    return block.with_lines(lines)


def _new_lines(key: str, value: FieldValue) -> list[str]:
    parsed = yaml_value(key, value)
    return [] if parsed is None else key_lines(key, parsed)


def _insert_at(key: str, spans: list[_Span], line_count: int) -> int:
    """Where a new key goes: before the first key documented after it, else after the last
    key (or at the end of a block that has none)."""
    later = [s.start for s in spans if _ORDER.get(s.key, len(KEYS)) > _ORDER[key]]
    if later:
        return min(later)
    return spans[-1].end + 1 if spans else line_count
