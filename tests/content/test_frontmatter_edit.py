"""Front matter as form fields: read every key as a field value, write changed fields back.

The body after the front matter never changes, nor do the lines of keys no field changed.
"""

from __future__ import annotations

import pytest
from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content import ContentError, check_lesson, parse_lesson
from content.frontmatter import KEYS
from content.frontmatter_edit import find_block, read_fields, write_fields
from content.markdown import parser

FRONT = """---
title: Giving useful feedback   # shown as the page heading
summary: Say what you saw.
duration: 12 min
# what learners take away
objectives:
  - Describe behaviour
  - Ask first
tags: [Feedback, communication]
authors: Ana Souza
pass_mark: 80%
---
"""
BODY = "\nText with a --- line\n---\n\n::: quiz single\nWhich?\n\n- [x] a\n- [ ] b\n:::\n"
SOURCE = FRONT + BODY


def body_of(source: str) -> str:
    block = find_block(source)
    assert block is not None
    return block.after.removeprefix("\n")  # the newline that ends the closing line


def parser_block(source: str) -> tuple[str, int] | None:
    """What markdown-it's front_matter rule (the lesson parser) takes as front matter."""
    tokens = parser().parse(source, {"file": "t.md", "problems": []})
    if tokens and tokens[0].type == "front_matter":
        return tokens[0].content, tokens[0].map[1]
    return None


def test_fields_show_what_the_front_matter_says():
    fields = read_fields(SOURCE)
    assert fields == {
        "title": "Giving useful feedback",
        "summary": "Say what you saw.",
        "duration": "12",
        "objectives": "Describe behaviour\nAsk first",
        "tags": "Feedback, communication",
        "authors": "Ana Souza",
        "language": "",
        "level": "",
        "certificate": False,
        "pass_mark": "80",
        "slug": "",
    }


def test_submitting_the_fields_unchanged_leaves_every_example_as_it_is():
    for path in sorted(EXAMPLES.glob("*.md")):
        source = path.read_text("utf-8")
        fields = read_fields(source)
        assert fields is not None and fields["title"], path.name
        assert write_fields(source, fields) == source, path.name
    assert write_fields(SOURCE, read_fields(SOURCE)) == SOURCE


def test_a_changed_field_rewrites_only_its_key_and_keeps_comments_and_body():
    new = write_fields(
        SOURCE, {"title": "Feedback: the basics", "tags": "feedback, Teamwork, help"}
    )
    assert body_of(new) == BODY
    assert new.splitlines()[1] == "title: 'Feedback: the basics'   # shown as the page heading"
    assert "tags: [feedback, Teamwork, help]\n" in new
    # Every other line is untouched, comments included.
    untouched = [line for line in SOURCE.splitlines() if not line.startswith(("title:", "tags:"))]
    assert [
        line for line in new.splitlines() if not line.startswith(("title:", "tags:"))
    ] == untouched
    meta = parse_lesson(new, "t.md").meta
    assert meta.title == "Feedback: the basics"
    assert meta.tags == ("feedback", "teamwork", "help")


def test_every_kind_of_field_round_trips_through_the_parser():
    fields = {
        "title": "Zoë's #1 tip: yes",
        "summary": '"Quoted", with: colons',
        "duration": "25",
        "objectives": "Ask first\n\n  Listen after  \n",
        "tags": "a, b,, c",
        "authors": "Ana Souza\n佐藤 花子\nSouza, Ana",
        "language": "pt-BR",
        "level": "advanced",
        "certificate": True,
        "pass_mark": "90",
        "slug": "tips-1",
    }
    new = write_fields(SOURCE, fields)
    assert body_of(new) == BODY
    meta = parse_lesson(new, "t.md").meta
    assert meta.title == "Zoë's #1 tip: yes"
    assert meta.summary == '"Quoted", with: colons'
    assert meta.duration == 25
    assert meta.objectives == ("Ask first", "Listen after")
    assert meta.tags == ("a", "b", "c")
    assert meta.authors == ("Ana Souza", "佐藤 花子", "Souza, Ana")
    assert (meta.language, meta.level, meta.certificate, meta.pass_mark, meta.slug) == (
        "pt-BR",
        "advanced",
        True,
        90,
        "tips-1",
    )
    assert read_fields(new)["authors"] == "Ana Souza\n佐藤 花子\nSouza, Ana"
    # New keys go where the format documents them, not at the end.
    order = [
        line.split(":")[0]
        for line in new.split("---")[1].splitlines()
        if line and line[0].isalpha()
    ]
    assert order == [k for k in KEYS if k in order]


def test_an_empty_field_removes_its_key_and_unticking_removes_the_certificate():
    with_cert = SOURCE.replace("pass_mark: 80%", "certificate: true\npass_mark: 80%")
    new = write_fields(
        with_cert, {"summary": " ", "objectives": "", "certificate": False, "duration": ""}
    )
    assert "summary" not in new and "objectives" not in new and "certificate" not in new
    assert "duration" not in new
    assert "# what learners take away\n" in new  # a comment is nobody's line
    assert body_of(new) == BODY
    assert parse_lesson(new, "t.md").meta.certificate is False


def test_a_lesson_without_front_matter_gets_one_above_its_text():
    new = write_fields("Just text.\n", {"title": "A title", "level": "beginner"})
    assert new == "---\ntitle: A title\nlevel: beginner\n---\n\nJust text.\n"
    assert parse_lesson(new, "t.md").meta.title == "A title"
    # Nothing to say: unchanged.
    assert write_fields("Just text.\n", {"title": ""}) == "Just text.\n"


def test_a_wrong_number_is_written_as_typed_so_the_checker_names_its_line():
    new = write_fields(SOURCE, {"pass_mark": "lots"})
    assert "pass_mark: lots\n" in new
    line = new.splitlines().index("pass_mark: lots") + 1
    assert (line, "pass_mark 'lots' is not a percentage") in [
        (p.line, p.message) for p in check_lesson(new, "t.md")
    ]


def test_unreadable_front_matter_is_refused_with_its_line():
    broken = "---\ntitle: Fine\nsummary: [not closed\n---\nBody\n"
    assert read_fields(broken) is None
    with pytest.raises(ContentError) as err:
        write_fields(broken, {"title": "New"})
    assert err.value.line >= 3 and "not valid YAML" in err.value.message
    never_closed = "---\ntitle: Fine\n\nBody\n"
    assert read_fields(never_closed) is None
    with pytest.raises(ContentError) as err:
        write_fields(never_closed, {"title": "New"})
    assert (err.value.line, err.value.message) == (1, "the front matter is never closed")
    with pytest.raises(ContentError) as err:
        write_fields("---\n- a list\n---\n", {"title": "New"})
    assert "key: value" in err.value.message
    with pytest.raises(ContentError) as err:
        write_fields("---\n{title: a, summary: b}\n---\n", {"title": "New"})
    assert "one 'key: value' per line" in err.value.hint
    with pytest.raises(ValueError, match="not a front-matter key: sumary"):
        write_fields(SOURCE, {"sumary": "x"})


def test_a_duplicated_key_is_written_once_and_unknown_keys_stay():
    source = "---\ntitle: One\nsumary: typo stays\ntitle: Two\n---\nBody\n"
    assert read_fields(source)["title"] == "Two"  # what the parser would read (the last one)
    new = write_fields(source, {"title": "Three"})
    assert new == "---\ntitle: Three\nsumary: typo stays\n---\nBody\n"


def test_block_scalars_and_indentless_lists_are_replaced_whole():
    source = "---\nsummary: |\n  line one\n  line two\n\nobjectives:\n- a\n- b\nlevel: beginner\n---\nBody"
    new = write_fields(source, {"summary": "Short.", "objectives": "c"})
    assert new == "---\nsummary: Short.\n\nobjectives:\n  - c\nlevel: beginner\n---\nBody"


@pytest.mark.parametrize(
    "source",
    [
        "---\ntitle: a\n---\nbody",
        "---\ntitle: a\n---",
        "----\ntitle: a\n---\nstill front matter\n-----\nbody",
        "---\ntitle: a\n...\nbody",
        "---\ntitle: a\n  ...\n   ---\nbody",
        "---\ntitle: a\n    ---\n---  \nbody",
        "---\r\ntitle: a\r\n---\r\nbody",
        "---\n---\nbody",
        "---yaml\ntitle: a\n---\n",
        "--\ntitle: a\n--\n",
        "- item\n---\n",
        "---\ntitle: never closed\n",
        " ---\ntitle: a\n---\n",
    ],
)
def test_the_block_is_found_exactly_where_the_lesson_parser_finds_it(source):
    expected = parser_block(source.replace("\r\n", "\n"))
    block = find_block(source)
    if expected is None:
        assert block is None
        return
    assert block is not None
    assert block.yaml.replace("\r", "") == expected[0]
    assert block.with_lines(list(block.lines)) == source


_LINE = st.sampled_from(
    ["---", "----", "...", "  ---", "    ---", "--- x", "title: a", "", "- b", "text"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=8).map("\n".join))
def test_block_detection_agrees_with_the_parser_on_generated_sources(source):
    expected = parser_block(source)
    block = find_block(source)
    assert (block.yaml if block else None) == (expected[0] if expected else None)
    if block:
        assert block.with_lines(list(block.lines)) == source
        assert len(block.lines) + 2 == expected[1]  # opening, YAML lines, closing


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, author=_TEXT, body=st.text(max_size=200))
def test_any_typed_text_survives_the_round_trip_and_the_body_is_untouched(title, author, body):
    source = FRONT + body
    new = write_fields(source, {"title": title, "authors": author})
    assert body_of(new) == body_of(source)
    fields = read_fields(new)
    assert fields is not None
    assert fields["title"] == " ".join(title.split())
    assert fields["authors"] == " ".join(author.split())
    assert write_fields(new, fields) == new
