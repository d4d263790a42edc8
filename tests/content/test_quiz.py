"""Knowledge checks and reflections: parsed for the server, rendered as forms without answers.

Scoring rules are the ones content/README.md documents.
"""

from __future__ import annotations

import re

from content_helpers import lesson_text

from content import parse_lesson, render_lesson_html, score, score_all
from content.quiz import answer_from_form

QUIZZES = """
::: quiz single id=timing points=2
When is feedback **most** useful?

- [ ] At the annual review
  > Too late: the details are forgotten.
- [x] Soon after the moment it is about
  > Yes: both of you still remember it.
- [ ] Never
  > Silence is feedback too.

People act on what they still remember.
:::

::: quiz multiple id=sbi points=3
Which belong in SBI feedback?

- [x] The situation
- [x] The behaviour you saw
- [x] Its impact
- [ ] A guess about motives
  > Motives are guesses; stick to what you saw.
:::

::: quiz short id=acronym
What does the B in SBI stand for?

- [x] Behaviour
  > Right.
- [x] Behavior
- [ ] Bias
  > Close, but it is what the person did.
:::

::: reflection id=last-time
Think of the last feedback you gave. What would you say differently?
:::
"""


def lesson():
    return parse_lesson(lesson_text(QUIZZES, pass_mark=60), "quiz.md")


def test_blocks_parse_into_structured_questions_with_answers():
    questions = {q.id: q for q in lesson().questions}
    timing = questions["timing"]
    assert (timing.kind, timing.points, timing.line) == ("single", 2, 6)
    assert [o.id for o in timing.options] == ["a", "b", "c"]
    assert timing.correct_ids == {"b"}
    assert timing.options[0].feedback == "Too late: the details are forgotten."
    assert timing.prompt_html == "<p>When is feedback <strong>most</strong> useful?</p>\n"
    assert timing.explanation == "People act on what they still remember."
    assert questions["sbi"].correct_ids == {"a", "b", "c"}
    assert questions["acronym"].kind == "short"
    assert lesson().total_points == 6


def test_reflection_is_parsed_and_rendered_as_a_labelled_textarea():
    parsed = lesson()
    assert [(r.id, r.prompt) for r in parsed.reflections] == [
        ("last-time", "Think of the last feedback you gave. What would you say differently?")
    ]
    html = render_lesson_html(parsed).html
    assert (
        '<label class="visually-hidden" for="reflect-last-time-text">Your reflection</label>'
        in html
    )
    assert re.search(r'<textarea id="reflect-last-time-text" name="r-last-time"', html)


def test_rendered_form_never_contains_answers_or_feedback():
    parsed = lesson()
    html = render_lesson_html(parsed).html
    for q in parsed.questions:
        for option in q.options:
            if option.feedback:
                assert option.feedback.split(":")[0] not in html
        assert q.explanation not in html or not q.explanation
    assert "correct" not in html.lower()
    assert "Behaviour" not in html and "Behavior" not in html  # short answers stay secret
    assert "checked" not in html


def test_rendered_form_is_accessible():
    html = render_lesson_html(lesson()).html
    assert '<fieldset aria-describedby="kc-timing-prompt kc-timing-how">' in html
    assert (
        '<legend><span class="kc-label">Knowledge check</span> <span class="kc-points">2 points</span></legend>'
        in html
    )
    for value in "abc":
        assert (
            f'<input type="radio" id="kc-timing-{value}" name="q-timing" value="{value}"><label for="kc-timing-{value}">'
            in html
        )
    assert '<input type="checkbox" id="kc-sbi-d" name="q-sbi" value="d">' in html
    assert '<label class="kc-answer" for="kc-acronym-answer">Your answer</label>' in html
    assert 'role="status" aria-live="polite"' in html
    assert "Choose all answers that apply." in html


def test_single_choice_scoring_and_feedback():
    timing = lesson().questions[0]
    right = score(timing, "b")
    assert (right.points, right.possible, right.correct) == (2.0, 2, True)
    assert right.feedback_html == ("Yes: both of you still remember it.",)
    assert right.explanation_html == "<p>People act on what they still remember.</p>\n"
    wrong = score(timing, "a")
    assert (wrong.points, wrong.correct) == (0.0, False)
    assert score(timing, "zzz").points == 0.0
    assert score(timing, None).correct is False


def test_multiple_choice_gives_partial_credit_and_nothing_for_ticking_everything():
    sbi = lesson().questions[1]
    assert score(sbi, ["a", "b", "c"]).points == 3.0
    assert score(sbi, ["a", "b", "c"]).correct
    assert score(sbi, ["a", "b"]).points == 2.0
    assert score(sbi, ["a", "b", "c", "d"]).points == 2.0
    assert score(sbi, ["a", "d"]).points == 0.0
    assert score(sbi, ["a", "b", "c", "d"]).feedback_html == (
        "Motives are guesses; stick to what you saw.",
    )
    assert score(sbi, ["a", "a", "a"]).points == 1.0  # repeats count once


def test_short_answer_matches_loosely_and_gives_targeted_feedback():
    acronym = lesson().questions[2]
    assert score(acronym, "  behaviour. ").correct
    assert score(acronym, "BEHAVIOR").correct
    miss = score(acronym, "bias")
    assert not miss.correct and miss.feedback_html == ("Close, but it is what the person did.",)
    assert score(acronym, "banana").feedback_html == ()


def test_score_all_against_the_pass_mark():
    parsed = lesson()
    result = score_all(
        parsed.questions, {"timing": "b", "sbi": ["a", "b"], "acronym": ""}, parsed.meta.pass_mark
    )
    assert (result.points, result.possible, result.percent, result.passed) == (4.0, 6, 66.7, True)
    assert result.unanswered == ("acronym",)
    assert not score_all(parsed.questions, {}, 60).passed


def test_answer_from_form_values():
    single, multiple, short = lesson().questions
    assert answer_from_form(single, ["b"]) == "b"
    assert answer_from_form(multiple, ["a", "c"]) == ["a", "c"]
    assert answer_from_form(short, []) is None
