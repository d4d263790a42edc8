"""The rubric document: criteria with levels (points + descriptor), weights, comment rules.

Pure (no Flask): `parse` turns the JSON document (as stored, imported or posted by the editor)
into frozen dataclasses or raises RubricError naming the criterion and level at fault;
`to_document` is its inverse, so export → import gives the same rubric. `score` turns one
review's chosen levels into a 0..100 score.

Scoring: each scored criterion contributes (chosen points / its highest points) × its weight;
the sum is divided by the sum of the weights of the scored criteria and scaled to 100.
Feedback-only criteria collect a comment and never count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_CRITERIA = 20
MAX_LEVELS = 10
MAX_TITLE = 200
MAX_TEXT = 1000
MAX_WEIGHT = 100
COMMENT_MODES = ("off", "optional", "required")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Marks a message for translation; the view translates it with its params."""
    return message


class RubricError(ValueError):
    """A rubric document that can't be used; `message` is English, `params` fill it.

    Views show `_(err.message, **err.params)`; the messages are marked with N_ for extraction.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Level:
    key: str
    points: float
    descriptor: str


@dataclass(frozen=True)
class Criterion:
    key: str
    title: str
    description: str = ""
    weight: float = 1.0
    comment: str = "optional"  # off | optional | required
    feedback_only: bool = False
    levels: tuple[Level, ...] = ()

    @property
    def max_points(self) -> float:
        return max((level.points for level in self.levels), default=0.0)

    def level(self, key: str) -> Level | None:
        return next((level for level in self.levels if level.key == key), None)


@dataclass(frozen=True)
class Rubric:
    title: str
    description: str = ""
    criteria: tuple[Criterion, ...] = field(default_factory=tuple)

    @property
    def scored(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.feedback_only)

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)


@dataclass(frozen=True)
class Choice:
    """What a reviewer gave one criterion: a level (None for feedback-only) and a comment."""

    level: str | None
    comment: str = ""


# --- parsing ---------------------------------------------------------------------------------


def _text(value: Any, what: str, limit: int, required: bool = True, **where: Any) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RubricError(N_("%(what)s must be text."), what=what, **where)
    value = value.strip()
    if required and not value:
        raise RubricError(N_("%(what)s is missing."), what=what, **where)
    if len(value) > limit:
        raise RubricError(
            N_("%(what)s is longer than %(limit)d characters."), what=what, limit=limit, **where
        )
    return value


def _number(value: Any, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).strip())
        except ValueError:
            raise RubricError(N_("%(what)s must be a number."), what=what) from None
    if not low <= value <= high or value != value:
        raise RubricError(
            N_("%(what)s must be between %(low)s and %(high)s."), what=what, low=low, high=high
        )
    return float(value)


def _key(value: Any, default: str, what: str, seen: set[str]) -> str:
    key = str(value).strip().lower() if value not in (None, "") else default
    if not _KEY.match(key):
        raise RubricError(
            N_("%(what)s: the key %(key)r may use only a-z, 0-9, - and _ (at most 40)."),
            what=what,
            key=key,
        )
    if key in seen:
        raise RubricError(N_("%(what)s: the key %(key)r is used twice."), what=what, key=key)
    seen.add(key)
    return key


def _level(raw: Any, position: int, crit_name: str, seen: set[str]) -> Level:
    what = f"{crit_name}, level {position}"
    if not isinstance(raw, Mapping):
        raise RubricError(N_("%(what)s must be an object with points and a descriptor."), what=what)
    return Level(
        key=_key(raw.get("key"), f"l{position}", what, seen),
        points=_number(raw.get("points"), f"{what}: points", 0, 1000),
        descriptor=_text(raw.get("descriptor"), f"{what}: the descriptor", MAX_TEXT),
    )


def _criterion(raw: Any, position: int, seen: set[str]) -> Criterion:
    name = f"Criterion {position}"
    if not isinstance(raw, Mapping):
        raise RubricError(N_("%(what)s must be an object with a title and levels."), what=name)
    title = _text(raw.get("title"), f"{name}: the title", MAX_TITLE)
    name = f"Criterion {position} ({title})"
    key = _key(raw.get("key"), f"c{position}", name, seen)
    feedback_only = bool(raw.get("feedback_only", False))
    comment = (
        str(raw.get("comment") or ("required" if feedback_only else "optional")).strip().lower()
    )
    if comment not in COMMENT_MODES:
        raise RubricError(
            N_("%(what)s: comment must be one of off, optional, required."), what=name
        )
    if feedback_only and comment == "off":
        raise RubricError(
            N_("%(what)s is feedback only, so it needs comments (optional or required)."), what=name
        )
    raw_levels = raw.get("levels") or []
    if not isinstance(raw_levels, list):
        raise RubricError(N_("%(what)s: levels must be a list."), what=name)
    if feedback_only and raw_levels:
        raise RubricError(N_("%(what)s is feedback only: it has no levels."), what=name)
    if not feedback_only and not 2 <= len(raw_levels) <= MAX_LEVELS:
        raise RubricError(N_("%(what)s needs from 2 to %(max)d levels."), what=name, max=MAX_LEVELS)
    level_keys: set[str] = set()
    levels = tuple(_level(item, i, name, level_keys) for i, item in enumerate(raw_levels, 1))
    points = [level.points for level in levels]
    if len(set(points)) != len(points):
        raise RubricError(N_("%(what)s: two levels have the same points."), what=name)
    if levels and max(points) <= 0:
        raise RubricError(
            N_("%(what)s: at least one level must be worth more than 0 points."), what=name
        )
    return Criterion(
        key=key,
        title=title,
        description=_text(
            raw.get("description"), f"{name}: the description", MAX_TEXT, required=False
        ),
        weight=0.0
        if feedback_only
        else _number(raw.get("weight", 1), f"{name}: the weight", 0.01, MAX_WEIGHT),
        comment=comment,
        feedback_only=feedback_only,
        levels=tuple(sorted(levels, key=lambda level: level.points)),
    )


def parse(document: Any) -> Rubric:
    """A rubric from its JSON document, or RubricError saying exactly what is wrong."""
    if not isinstance(document, Mapping):
        raise RubricError(N_("A rubric must be a JSON object with a title and criteria."))
    raw_criteria = document.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise RubricError(N_("A rubric needs at least one criterion."))
    if len(raw_criteria) > MAX_CRITERIA:
        raise RubricError(N_("A rubric can have at most %(max)d criteria."), max=MAX_CRITERIA)
    seen: set[str] = set()
    criteria = tuple(_criterion(raw, i, seen) for i, raw in enumerate(raw_criteria, 1))
    if not any(not c.feedback_only for c in criteria):
        raise RubricError(N_("A rubric needs at least one scored (not feedback-only) criterion."))
    return Rubric(
        title=_text(document.get("title"), "The rubric's title", MAX_TITLE),
        description=_text(
            document.get("description"), "The rubric's description", MAX_TEXT, required=False
        ),
        criteria=criteria,
    )


def to_document(rubric: Rubric) -> dict[str, Any]:
    """The JSON document (stored, exported); parse(to_document(r)) == r."""
    return {
        "title": rubric.title,
        "description": rubric.description,
        "criteria": [
            {
                "key": c.key,
                "title": c.title,
                "description": c.description,
                "weight": c.weight,
                "comment": c.comment,
                "feedback_only": c.feedback_only,
                "levels": [
                    {"key": lv.key, "points": lv.points, "descriptor": lv.descriptor}
                    for lv in c.levels
                ],
            }
            for c in rubric.criteria
        ],
    }


# --- scoring ---------------------------------------------------------------------------------


def check_choices(rubric: Rubric, choices: Mapping[str, Choice]) -> None:
    """Every scored criterion has one of its own levels; required comments are there; nothing
    names a criterion the rubric does not have."""
    for key in choices:
        if rubric.criterion(key) is None:
            raise RubricError(N_("This rubric has no criterion %(key)r."), key=key)
    for c in rubric.criteria:
        choice = choices.get(c.key)
        if not c.feedback_only:
            if choice is None or choice.level is None:
                raise RubricError(N_("Choose a level for '%(criterion)s'."), criterion=c.title)
            if c.level(choice.level) is None:
                raise RubricError(
                    N_("'%(level)s' is not one of the levels of '%(criterion)s'."),
                    level=choice.level,
                    criterion=c.title,
                )
        elif choice is not None and choice.level is not None:
            raise RubricError(
                N_("'%(criterion)s' is feedback only: it takes a comment, not a level."),
                criterion=c.title,
            )
        if c.comment == "required" and (choice is None or not choice.comment.strip()):
            raise RubricError(N_("'%(criterion)s' needs a comment."), criterion=c.title)
        if c.comment == "off" and choice is not None and choice.comment.strip():
            raise RubricError(N_("'%(criterion)s' takes no comment."), criterion=c.title)


def score(rubric: Rubric, choices: Mapping[str, Choice]) -> float:
    """0..100 from the chosen levels (see the module docstring); checks the choices first."""
    check_choices(rubric, choices)
    total = weights = 0.0
    for c in rubric.scored:
        level = c.level(choices[c.key].level or "")
        assert level is not None  # check_choices made sure
        total += level.points / c.max_points * c.weight
        weights += c.weight
    return round(100.0 * total / weights, 4)


def points_of(rubric: Rubric, choices: Mapping[str, Choice]) -> dict[str, float | None]:
    """The points of each chosen level (None for feedback-only criteria)."""
    out: dict[str, float | None] = {}
    for c in rubric.criteria:
        choice = choices.get(c.key)
        level = c.level(choice.level) if choice is not None and choice.level else None
        out[c.key] = level.points if level else None
    return out


STARTER = {
    "title": "Feedback on a piece of work",
    "description": "",
    "criteria": [
        {
            "key": "goal",
            "title": "Meets its goal",
            "weight": 2,
            "comment": "optional",
            "levels": [
                {
                    "key": "not-yet",
                    "points": 0,
                    "descriptor": "Does not yet do what it set out to do.",
                },
                {"key": "partly", "points": 1, "descriptor": "Does part of what it set out to do."},
                {
                    "key": "fully",
                    "points": 2,
                    "descriptor": "Does what it set out to do, convincingly.",
                },
            ],
        },
        {
            "key": "clarity",
            "title": "Clear to its audience",
            "weight": 1,
            "comment": "optional",
            "levels": [
                {"key": "hard", "points": 0, "descriptor": "Hard to follow."},
                {
                    "key": "mostly",
                    "points": 1,
                    "descriptor": "Mostly clear, with a few unclear parts.",
                },
                {"key": "clear", "points": 2, "descriptor": "Easy to follow from start to end."},
            ],
        },
        {
            "key": "next-step",
            "title": "One thing to try next",
            "feedback_only": True,
            "comment": "required",
        },
    ],
}


def _competency(key: str, title: str, description: str, levels: list[str]) -> dict[str, Any]:
    """A scored 360 criterion: four levels worth 1..4 points, lowest first."""
    keys = ("rarely", "sometimes", "usually", "consistently")
    return {
        "key": key,
        "title": title,
        "description": description,
        "weight": 1,
        "comment": "optional",
        "levels": [
            {"key": k, "points": points, "descriptor": text}
            for points, (k, text) in enumerate(zip(keys, levels, strict=True), 1)
        ],
    }


# The starter of a 360 feedback (people mode): competencies a colleague can observe, then two
# feedback-only questions that make the feedback usable.
STARTER_360 = {
    "title": "360 feedback: working together",
    "description": "How a colleague works with others, as the people around them see it.",
    "criteria": [
        _competency(
            "communication",
            "Communication",
            "Shares information clearly and listens.",
            [
                "Rarely shares what others need to know; often hard to follow.",
                "Shares information when asked; sometimes unclear or late.",
                "Usually clear and timely; listens and checks understanding.",
                "Consistently clear, timely and concise; listens and adapts to the audience.",
            ],
        ),
        _competency(
            "collaboration",
            "Collaboration",
            "Works with others towards shared goals.",
            [
                "Rarely works with others; tends to go it alone.",
                "Helps when asked; joins in on shared work now and then.",
                "Usually offers help, shares credit and handles disagreement well.",
                "Consistently brings people together and makes the team work better.",
            ],
        ),
        _competency(
            "ownership",
            "Ownership",
            "Takes responsibility for their work and its results.",
            [
                "Rarely follows through; others have to chase.",
                "Follows through on most commitments with reminders.",
                "Usually delivers what was promised and says early when something slips.",
                "Consistently owns outcomes end to end, including fixing what went wrong.",
            ],
        ),
        _competency(
            "growth",
            "Growth",
            "Learns, asks for feedback and helps others learn.",
            [
                "Rarely seeks feedback or tries new ways of working.",
                "Accepts feedback when given; learns when it is needed.",
                "Usually asks for feedback and acts on it; shares what they learn.",
                "Consistently seeks feedback, grows visibly and helps others grow.",
            ],
        ),
        {
            "key": "keep",
            "title": "One thing to keep doing",
            "feedback_only": True,
            "comment": "required",
        },
        {
            "key": "try",
            "title": "One thing to try",
            "feedback_only": True,
            "comment": "required",
        },
    ],
}
