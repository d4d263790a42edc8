"""No author input, however hostile, puts something executable on a lesson page.

Both walls are tested: the renderer alone (raw HTML off, link validation) and the sanitiser.
"""

from __future__ import annotations

import pytest
from content_helpers import executable_parts, lesson_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xss_corpus import PAYLOADS

from content import check_lesson, parse_lesson, render_lesson_html, render_markdown, sanitize_html
from content.markdown import parser


def contexts(payload: str) -> dict[str, str]:
    flat = " ".join(payload.split("\n"))  # one line, so it cannot open an option or close a block
    return {
        "body": payload,
        "callout": f"::: tip\n{payload}\n:::",
        "quiz": f"::: quiz single\nWhy? {flat}\n\n- [x] {flat}\n  > {flat}\n- [ ] plain\n\nBecause {flat}\n:::",
        "short": f"::: quiz short\nWhat?\n\n- [x] {flat}\n  > {flat}\n:::",
        "reflection": f"::: reflection\n{payload}\n:::",
        "list": "\n".join(f"- {line}" for line in payload.splitlines()),
    }


def test_the_corpus_is_big_enough():
    assert len(PAYLOADS) >= 60
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_never_survives_in_any_block(payload):
    for where, body in contexts(payload).items():
        lesson = parse_lesson(lesson_text(body), "evil.md")
        rendered = render_lesson_html(lesson)
        assert executable_parts(rendered.html) == [], (where, rendered.html)
        for q in rendered.questions:  # fragments the app shows after scoring travel too
            fragments = (
                [q.prompt_html, q.explanation_html]
                + [o.html for o in q.options]
                + [o.feedback_html for o in q.options]
            )
            for fragment in fragments:
                assert executable_parts(fragment) == [], (where, fragment)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_renderer_alone_is_already_safe(payload):
    # the first wall: with the sanitiser switched off the output must still be inert
    md = parser()
    raw = md.render(lesson_text(payload), {"file": "evil.md"})
    assert executable_parts(raw) == [], raw


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitiser_alone_neutralises_raw_payloads(payload):
    # the second wall: fed the payload as if it were HTML, nothing executable is left
    assert executable_parts(sanitize_html(payload)) == []


def test_script_text_is_shown_escaped_not_dropped():
    html = render_markdown("Never write <script>alert(1)</script> in a lesson.")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dangerous_link_becomes_plain_text_and_safe_link_keeps_rel():
    html = render_markdown("[bad](javascript:alert(1)) and [good](https://example.com/a)")
    assert 'href="javascript' not in html
    assert '<a href="https://example.com/a" rel="noopener noreferrer nofollow">good</a>' in html


def test_raster_data_images_survive_but_svg_data_images_do_not():
    png = "data:image/png;base64,iVBORw0KGgo="
    assert f'src="{png}"' in render_markdown(f"![dot]({png})")
    svg = render_markdown("![x](data:image/svg+xml;base64,PHN2Zz4=)")
    assert "<img" not in svg and "![x](data:image/svg" in svg  # shown as text, not loaded
    assert 'href="data:' not in render_markdown(f"[as link]({png})")


def test_attribute_values_are_escaped():
    html = render_markdown('![a "quoted" alt](https://example.com/a.png "t\\"itle")')
    assert 'alt="a &quot;quoted&quot; alt"' in html
    assert executable_parts(html) == []


def test_forms_cannot_be_pointed_elsewhere():
    html = sanitize_html(
        '<form method="get" action="https://evil.example"><input type="password" name="p"><button type="button" formaction="https://e">x</button></form>'
    )
    assert "action" not in html and "password" not in html and 'method="get"' not in html


def test_hostile_lesson_still_checks_cleanly():
    # payloads are content, not errors: an author writing about XSS must be able to publish
    body = "\n\n".join(p for p in PAYLOADS if ":::" not in p)
    problems = [p for p in check_lesson(lesson_text(body), "about-xss.md") if p.severity == "error"]
    assert problems == []


_PIECES = st.sampled_from(
    [
        "<",
        ">",
        '"',
        "'",
        "`",
        "&",
        "#",
        ";",
        ":",
        "(",
        ")",
        "[",
        "]",
        "!",
        "=",
        "/",
        "\\",
        " ",
        "\n",
        "\t",
        "&#x09;",
        "&#58;",
        "&colon;",
        "javascript",
        "JaVaScRiPt",
        "vbscript",
        "data",
        "text/html",
        "image/svg+xml",
        "base64,",
        "script",
        "img",
        "src",
        "href",
        "onerror",
        "onload",
        "svg",
        "iframe",
        "alert(1)",
        "x",
        "](",
        "![",
        "[x]: ",
        ":::",
        " tip",
        " quiz single",
        "- [x] ",
        "  > ",
        "> [!NOTE]",
        "```",
        "|",
        "---",
        "*",
        "_",
        "~~",
        "[^1]",
        "http://",
        "<a ",
        "style",
        "expression(",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=60).map("".join))
def test_random_input_never_yields_script_handlers_or_dangerous_urls(text):
    for html in (render_markdown(text), sanitize_html(text)):
        assert "<script" not in html.lower()
        assert executable_parts(html) == [], html
    problems = check_lesson(lesson_text(text), "fuzz.md")
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        html = render_lesson_html(parse_lesson(lesson_text(text), "fuzz.md")).html
        assert executable_parts(html) == [], html
