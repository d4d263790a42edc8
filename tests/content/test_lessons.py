"""The lesson format: front matter, Markdown features, TOC, reading time, and bad input.

Every bad input gets a message naming file and line and what to do, never a traceback.
"""

from __future__ import annotations

import pytest
from content_helpers import lesson_text

from content import ContentError, check_lesson, parse_lesson, render_lesson_html

FULL_FRONT = """---
title: Giving useful feedback
summary: Say what you saw, what it did, and what to try.
duration: 12 min
objectives:
  - Describe behaviour, not personality
  - Ask before giving feedback
tags: [Feedback, communication]
authors: Ana Souza
language: pt-BR
level: intermediate
certificate: true
pass_mark: 80%
slug: useful-feedback
---
"""


def render(body: str) -> str:
    return render_lesson_html(parse_lesson(lesson_text(body), "t.md")).html


def messages(text, name="bad.md"):
    return [(p.line, p.severity, p.message) for p in check_lesson(text, name)]


def test_front_matter_becomes_a_typed_model():
    lesson = parse_lesson(FULL_FRONT + "::: quiz single\nQ?\n- [x] a\n- [ ] b\n:::\n", "f.md")
    meta = lesson.meta
    assert meta.title == "Giving useful feedback"
    assert meta.duration == 12
    assert meta.objectives == ("Describe behaviour, not personality", "Ask before giving feedback")
    assert meta.tags == ("feedback", "communication")
    assert meta.authors == ("Ana Souza",)
    assert (meta.language, meta.level, meta.certificate, meta.pass_mark) == (
        "pt-BR",
        "intermediate",
        True,
        80,
    )
    assert lesson.slug == "useful-feedback"


def test_slug_defaults_to_the_file_name_without_ordering_prefix():
    assert (
        parse_lesson(lesson_text("Hi"), "lessons/03-Run a Lunch_and_Learn.md").slug
        == "run-a-lunch-and-learn"
    )


def test_broken_yaml_names_the_line():
    problems = check_lesson(
        "---\ntitle: ok\nsummary: [unclosed\nlevel: x\n---\nbody\n", "broken.md"
    )
    assert problems[0].file == "broken.md"
    assert problems[0].line in (3, 4)
    assert "not valid YAML" in problems[0].message
    assert problems[0].hint


def test_unknown_key_suggests_the_close_one_on_its_line():
    problems = check_lesson("---\ntitle: ok\nsumary: typo\n---\n", "k.md")
    assert [(p.line, p.message, p.hint) for p in problems] == [
        (3, "unknown front-matter key 'sumary'", "did you mean 'summary'?")
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("level: expert", "level 'expert' is not known"),
        ("pass_mark: 120", "pass_mark '120' is not a percentage"),
        ("duration: soon", "duration 'soon' is not a number of minutes"),
        ("certificate: maybe", "'certificate' must be true or false"),
        ("language: english!", "language 'english!' is not a language code"),
        ("objectives: {a: 1}", "'objectives' must be a list of short texts"),
        ("slug: Not A Slug", "slug 'Not A Slug' may only hold a-z, 0-9 and single dashes"),
        ("title: again", "key 'title' appears twice"),
    ],
)
def test_each_bad_value_is_reported_on_its_line(line, expected):
    assert (3, "error", expected) in messages(f"---\ntitle: t\n{line}\n---\nbody\n")


def test_missing_title_missing_or_unclosed_front_matter():
    assert messages("---\nsummary: s\n---\n")[0][2] == "the lesson has no title"
    assert messages("# Just markdown\n") == [(1, "error", "the lesson has no front matter")]
    assert messages("---\ntitle: t\n\nbody\n") == [(1, "error", "the front matter is never closed")]


def test_quiz_without_correct_answer_is_an_error_with_its_line():
    text = lesson_text("Intro\n\n::: quiz single\nWhen?\n- [ ] now\n- [ ] later\n:::")
    problems = check_lesson(text, "q.md")
    assert [(p.line, p.message) for p in problems] == [(6, "quiz block has no correct answer")]
    assert "[x]" in problems[0].hint
    with pytest.raises(ContentError) as caught:
        parse_lesson(text, "q.md")
    assert (caught.value.file, caught.value.line) == ("q.md", 6)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("::: quiz\nQ?\n- [x] a\n- [ ] b\n:::", "quiz block does not say its kind"),
        ("::: quiz single\nQ?\n- [x] a\n- [x] b\n:::", "single-choice quiz has 2 correct answers"),
        ("::: quiz multiple\nQ?\n- [x] a\n:::", "a choice quiz needs at least two options"),
        ("::: quiz short\nQ?\n:::", "quiz block has no options"),
        ("::: quiz single\n- [x] a\n- [ ] b\n:::", "quiz block has no question"),
        (
            "::: quiz single points=0\nQ?\n- [x] a\n- [ ] b\n:::",
            "points '0' is not a whole number from 1 to 100",
        ),
        ("::: quiz single id=Bad!\nQ?\n- [x] a\n- [ ] b\n:::", "quiz id 'Bad!' is not usable"),
        ("::: quiz single\nQ?\n- [x] a\n- [ ] b\n", "quiz block is never closed"),
        ("::: reflection\n:::", "reflection block has no prompt"),
    ],
)
def test_malformed_blocks_are_explained(block, expected):
    found = messages(lesson_text(block))
    assert (4, "error", expected) in found


def test_duplicate_quiz_ids_are_reported():
    quiz = "::: quiz single id=same\nQ?\n- [x] a\n- [ ] b\n:::\n\n"
    assert (10, "error", "quiz id 'same' is already used on line 4") in messages(
        lesson_text(quiz * 2)
    )


def test_certificate_lesson_needs_a_knowledge_check():
    found = messages(lesson_text("Just reading.", certificate="true"))
    assert (3, "error", "the lesson issues a certificate but has no knowledge check") in found


def test_image_without_alt_is_a_warning_with_line_and_still_renders():
    text = lesson_text("Para\n\n![](team.png)\n\n![Two people talking](talk.png)")
    problems = check_lesson(text, "img.md")
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (6, "warning", "image 'team.png' has no alt text")
    ]
    html = render_lesson_html(parse_lesson(text, "img.md")).html
    assert 'alt="Two people talking"' in html and 'loading="lazy"' in html


def test_ten_megabyte_lesson_is_refused_with_advice():
    data = lesson_text("word " * 2_100_000).encode()
    problems = check_lesson(data, "huge.md")
    assert problems[0].message.startswith("the lesson is 10.5 MB; the limit is 1 MB")
    assert "split" in problems[0].hint
    assert "limit" in check_lesson(data.decode(), "huge.md")[0].message


def test_invalid_utf8_names_line_and_column():
    problems = check_lesson(b"---\ntitle: t\n---\nCaf\xe9 au lait\n", "latin1.md")
    assert [(p.line, p.message) for p in problems] == [
        (4, "the file is not valid UTF-8 (byte 0xe9 at column 4)")
    ]
    assert problems[0].hint == "save the file as UTF-8 in your editor"


def test_bom_is_ignored():
    assert parse_lesson(("\ufeff" + lesson_text("Hi")).encode(), "bom.md").title == "A lesson"


def test_unknown_block_name_is_a_warning():
    assert (4, "warning", "'::: danger' is not a known block and shows as text") in messages(
        lesson_text("::: danger\nx\n:::")
    )


def test_toc_lists_level_two_and_three_headings_with_unique_anchors():
    lesson = parse_lesson(
        lesson_text("# Top\n\n## Why it matters\n\n### Примеры\n\n## Why it matters\n\n#### deep"),
        "t.md",
    )
    assert [(e.level, e.id, e.text) for e in lesson.toc] == [
        (2, "why-it-matters", "Why it matters"),
        (3, "примеры", "Примеры"),
        (2, "why-it-matters-1", "Why it matters"),
    ]
    html = render_lesson_html(lesson).html
    assert '<h2 id="why-it-matters-1">' in html


def test_reading_time_counts_words_at_200_a_minute():
    lesson = parse_lesson(lesson_text("word " * 450), "t.md")
    assert lesson.word_count >= 450 and lesson.reading_minutes == 3
    assert parse_lesson(lesson_text("短い"), "t.md").reading_minutes == 1


def test_callouts_and_github_alerts_render_as_labelled_asides():
    html = render(
        "::: tip Ask first\nSay *why*.\n:::\n\n::: warning\nCareful.\n:::\n\n> [!NOTE]\n> Noted."
    )
    assert '<aside class="callout callout-tip" role="note" aria-label="Tip">' in html
    assert '<p class="callout-title">Tip: Ask first</p>' in html and "<em>why</em>" in html
    assert "callout-warning" in html
    assert '<div class="markdown-alert markdown-alert-note">' in html


def test_nested_callouts():
    html = render(":::: example\nOuter\n::: note\nInner\n:::\n::::")
    assert html.index("callout-example") < html.index("callout-note") < html.index("Inner")


def test_code_is_highlighted_with_classes_not_inline_styles():
    html = render(
        '```python\ndef greet(name):\n    return f"hi {name}"\n```\n\n```nosuchlang\nplain <b>\n```'
    )
    assert '<pre class="highlight"><code class="language-python"><span class="k">def</span>' in html
    assert "style=" not in html
    assert "plain &lt;b&gt;" in html


def test_gfm_features_tables_strikethrough_tasks_footnotes_definitions():
    html = render(
        "| Step | Who |\n|:--|--:|\n| Ask | You |\n\n~~old~~\n\n- [x] booked room\n- [ ] invite\n\n"
        "Claim[^src].\n\n[^src]: The source.\n\nRubric\n: A scoring guide."
    )
    assert '<div class="table-wrap" role="region" aria-label="Table" tabindex="0">' in html
    assert '<th style="text-align:left">Step</th>' in html
    assert "<s>old</s>" in html
    assert 'type="checkbox"' in html and "disabled" in html
    assert 'class="footnotes"' in html and "The source." in html
    assert "<dt>Rubric</dt>" in html and "<dd>A scoring guide.</dd>" in html


def test_raw_html_from_authors_is_shown_as_text():
    assert "&lt;b&gt;bold&lt;/b&gt;" in render("<b>bold</b>")


def test_task_list_checkboxes_are_labelled_by_their_text():
    from content.markdown import build_parser

    html = build_parser().render("- [x] Asked for consent\n- [ ] Sent the summary\n")
    assert '<label><input class="task-list-item-checkbox" disabled="" type="checkbox" checked=""> Asked for consent</label>' in html
    assert '<label><input class="task-list-item-checkbox" disabled="" type="checkbox"> Sent the summary</label>' in html
