"""Knowledge checks and reflection prompts: their block syntax, data model and scoring.

Answers live only here, in structured data the server scores; rendered pages never hold them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .errors import Problem

Kind = Literal["single", "multiple", "short"]
KINDS: tuple[str, ...] = ("single", "multiple", "short")

# "- [x] label" (correct) or "- [ ] label"; feedback follows as an indented "> text" line
_OPTION_RE = re.compile(r"^[-*+][ \t]+\[([ xX])\][ \t]+(\S.*)$")
_FEEDBACK_RE = re.compile(r"^(?: {2,}|\t)[ \t]*>[ \t]?(.*)$")
_PARAM_RE = re.compile(r"([a-z_]+)=(\S+)")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_POINTS = 100


@dataclass(frozen=True, slots=True)
class Option:
    """One answer a learner can pick (or, for short answers, one answer the author expects)."""

    id: str  # a, b, c ... ; what the form posts back
    text: str  # Markdown source
    correct: bool
    feedback: str = ""  # Markdown source, shown after the learner answers
    html: str = ""
    feedback_html: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """A knowledge check as the server needs it for scoring; never sent to the browser whole."""

    id: str
    kind: Kind
    prompt: str
    options: tuple[Option, ...]
    points: int = 1
    explanation: str = ""
    line: int = 0
    prompt_html: str = ""
    explanation_html: str = ""

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)


@dataclass(frozen=True, slots=True)
class Reflection:
    """A free-text prompt; the app keeps what the learner writes, nothing is scored."""

    id: str
    prompt: str
    line: int = 0
    prompt_html: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    """The result of one answer: points, whether it was fully right, and what to show."""

    question_id: str
    points: float
    possible: int
    correct: bool
    feedback_html: tuple[str, ...] = ()
    explanation_html: str = ""


@dataclass(frozen=True, slots=True)
class QuizResult:
    """All knowledge checks of a lesson scored against its pass mark."""

    scores: tuple[Score, ...]
    points: float
    possible: int
    percent: float
    passed: bool
    unanswered: tuple[str, ...] = field(default=())


def normalise_answer(text: str) -> str:
    """Short answers match ignoring case, accents' composition, spacing and end punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" .!?;:,'\"")


def score(question: Question, answer: str | Iterable[str] | None) -> Score:
    """Score one answer. ``answer``: an option id (single), option ids (multiple), text (short).

    Multiple choice earns partial credit: points × (right picks − wrong picks) / right options,
    never below zero, so ticking every box earns nothing.
    """
    possible = question.points
    if answer is None:
        return Score(question.id, 0.0, possible, False, (), question.explanation_html)
    by_id = {o.id: o for o in question.options}
    if question.kind == "short":
        given = normalise_answer(answer if isinstance(answer, str) else " ".join(answer))
        match = next((o for o in question.options if normalise_answer(o.text) == given), None)
        correct = bool(match and match.correct)
        feedback = (match.feedback_html,) if match and match.feedback_html else ()
        return Score(
            question.id,
            float(possible) if correct else 0.0,
            possible,
            correct,
            feedback,
            question.explanation_html,
        )

    picked_ids = [answer] if isinstance(answer, str) else list(answer)
    picked = [by_id[i] for i in dict.fromkeys(picked_ids) if i in by_id]
    feedback = tuple(o.feedback_html for o in picked if o.feedback_html)
    if question.kind == "single":
        correct = len(picked) == 1 and picked[0].correct
        return Score(
            question.id,
            float(possible) if correct else 0.0,
            possible,
            correct,
            feedback,
            question.explanation_html,
        )

    right = question.correct_ids
    hits = sum(1 for o in picked if o.correct)
    misses = len(picked) - hits
    fraction = max(0.0, (hits - misses) / len(right)) if right else 0.0
    correct = {o.id for o in picked} == right
    return Score(
        question.id,
        round(possible * fraction, 2),
        possible,
        correct,
        feedback,
        question.explanation_html,
    )


def score_all(
    questions: Iterable[Question], answers: Mapping[str, str | Iterable[str] | None], pass_mark: int
) -> QuizResult:
    """Score every question of a lesson; ``pass_mark`` is a percentage of all points."""
    questions = list(questions)
    scores = tuple(score(q, answers.get(q.id)) for q in questions)
    points = round(sum(s.points for s in scores), 2)
    possible = sum(s.possible for s in scores)
    percent = round(100.0 * points / possible, 1) if possible else 100.0
    unanswered = tuple(q.id for q in questions if answers.get(q.id) in (None, "", []))
    return QuizResult(scores, points, possible, percent, percent >= pass_mark, unanswered)


def answer_from_form(question: Question, values: list[str]) -> str | list[str] | None:
    """Turn the values a form posted for ``q-<id>`` into what :func:`score` expects."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    if question.kind == "multiple":
        return values
    return values[0]


def _params(header: str, file: str, line: int, problems: list[Problem]) -> dict[str, str]:
    params = dict(_PARAM_RE.findall(header))
    rest = _PARAM_RE.sub("", header).split()
    return {"_words": " ".join(rest), **params}


def parse_question_block(
    header: str,
    body_lines: list[str],
    file: str,
    line: int,
    number: int,
    problems: list[Problem],
    render_block: Callable[[str], str],
    render_inline: Callable[[str], str],
) -> Question | None:
    """Parse the lines between ``::: quiz KIND`` and ``:::`` (``line`` is the opening line)."""
    params = _params(header, file, line, problems)
    words = params.pop("_words").split()
    kind = words[0].lower() if words else ""
    qid = params.get("id", f"q{number}")
    errors_before = len(problems)

    def fail(at: int, message: str, hint: str) -> None:
        problems.append(Problem(file, at, message, hint))

    if kind not in KINDS:
        fail(
            line,
            f"quiz block has kind '{kind}'" if kind else "quiz block does not say its kind",
            "open it with '::: quiz single', '::: quiz multiple' or '::: quiz short'",
        )
        kind = "single"
    if not _ID_RE.match(qid):
        fail(
            line,
            f"quiz id '{qid}' is not usable",
            "use lower-case letters, digits and dashes, e.g. id=timing",
        )
    try:
        points = int(params.get("points", "1"))
        if not 1 <= points <= MAX_POINTS:
            raise ValueError
    except ValueError:
        fail(
            line,
            f"points '{params.get('points')}' is not a whole number from 1 to {MAX_POINTS}",
            "write e.g. points=2",
        )
        points = 1
    for key in params:
        if key not in ("id", "points"):
            fail(
                line,
                f"quiz block has unknown setting '{key}'",
                "only id= and points= are understood",
            )

    prompt: list[str] = []
    explanation: list[str] = []
    options: list[dict] = []
    for offset, raw in enumerate(body_lines, start=1):
        at = line + offset
        option = _OPTION_RE.match(raw)
        feedback = _FEEDBACK_RE.match(raw)
        if option:
            if explanation:
                fail(
                    at,
                    "an option comes after the explanation",
                    "put every '- [ ]' option before the closing text",
                )
            options.append(
                {
                    "text": option.group(2).strip(),
                    "correct": option.group(1) != " ",
                    "feedback": [],
                    "line": at,
                }
            )
        elif feedback and options and not explanation:
            options[-1]["feedback"].append(feedback.group(1))
        elif not options:
            prompt.append(raw)
        elif raw.strip() or explanation:
            explanation.append(raw)

    prompt_text = "\n".join(prompt).strip()
    if not prompt_text:
        fail(line, "quiz block has no question", "write the question on the line after '::: quiz'")
    if not options:
        hint = (
            "add the expected answers as '- [x] answer' lines"
            if kind == "short"
            else "add options as '- [ ] wrong' and '- [x] right' lines"
        )
        fail(line, "quiz block has no options", hint)
    correct = sum(1 for o in options if o["correct"])
    if options and correct == 0:
        fail(
            line,
            "quiz block has no correct answer",
            "mark the right option(s) with [x], e.g. '- [x] Soon after the event'",
        )
    if kind == "single" and correct > 1:
        fail(
            line,
            f"single-choice quiz has {correct} correct answers",
            "mark only one with [x], or open it with '::: quiz multiple'",
        )
    if kind in ("single", "multiple") and len(options) == 1:
        fail(line, "a choice quiz needs at least two options", "add another '- [ ] option' line")
    seen: set[str] = set()
    for o in options:
        key = normalise_answer(o["text"])
        if key in seen:
            fail(o["line"], f"option '{o['text']}' appears twice", "remove one of them")
        seen.add(key)
    if len(problems) > errors_before:
        return None

    built = tuple(
        Option(
            id=chr(ord("a") + i) if i < 26 else f"o{i}",
            text=o["text"],
            correct=o["correct"],
            feedback=" ".join(o["feedback"]).strip(),
            html=render_inline(o["text"]),
            feedback_html=render_inline(" ".join(o["feedback"]).strip()) if o["feedback"] else "",
        )
        for i, o in enumerate(options)
    )
    explanation_text = "\n".join(explanation).strip()
    return Question(
        id=qid,
        kind=kind,  # type: ignore[arg-type]
        prompt=prompt_text,
        options=built,
        points=points,
        explanation=explanation_text,
        line=line,
        prompt_html=render_block(prompt_text),
        explanation_html=render_block(explanation_text) if explanation_text else "",
    )


def parse_reflection_block(
    header: str,
    body_lines: list[str],
    file: str,
    line: int,
    number: int,
    problems: list[Problem],
    render_block: Callable[[str], str],
) -> Reflection | None:
    """Parse the lines between ``::: reflection`` and ``:::``."""
    params = _params(header, file, line, problems)
    params.pop("_words")
    rid = params.get("id", f"r{number}")
    before = len(problems)
    if not _ID_RE.match(rid):
        problems.append(
            Problem(
                file,
                line,
                f"reflection id '{rid}' is not usable",
                "use lower-case letters, digits and dashes",
            )
        )
    for key in params:
        if key != "id":
            problems.append(
                Problem(
                    file,
                    line,
                    f"reflection block has unknown setting '{key}'",
                    "only id= is understood",
                )
            )
    prompt = "\n".join(body_lines).strip()
    if not prompt:
        problems.append(
            Problem(
                file,
                line,
                "reflection block has no prompt",
                "write the question learners should think about inside the block",
            )
        )
    if len(problems) > before:
        return None
    return Reflection(id=rid, prompt=prompt, line=line, prompt_html=render_block(prompt))
