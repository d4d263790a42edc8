"""The coaching messages in the reader's language: one table from a message code (matching.py's
pairs and reasons, the instructor's choices, pairing.py's own) to its `_()` text.

Every view that shows a `Message` (or a stored explanation) goes through `text()`. Skill
parameters are ids: `text()` turns them into names with the programme's skill list, and joins
lists the way the reader's language does. Add a code here when a pure module adds one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from .messages import Message


def join(items: Iterable[str], conjunction: str = "and") -> str:
    """'a, b and c' in the reader's language ('or' lists with conjunction='or')."""
    words = [str(item) for item in items]
    if not words:
        return ""
    style = "or" if conjunction == "or" else "standard"
    return format_list(words, style=style, locale=get_locale() or "en")


class _Params:
    """A message's parameters as the texts below read them: skills by name, lists joined."""

    def __init__(self, params: Mapping[str, Any], skill_names: Mapping[str, str]):
        self._params = params
        self._skill_names = skill_names

    def __getitem__(self, key: str) -> Any:
        return self._params.get(key, "")

    def skills(self, conjunction: str = "and") -> str:
        ids = self._params.get("skills") or ()
        return join((self._skill_names.get(str(s), str(s)) for s in ids), conjunction)


def _pair_onboarding(p: _Params) -> str:
    if p["mentor"]:
        return _(
            "%(coachee)s is new and %(coach)s is a mentor who can coach %(skills)s, which %(coachee)s wants to grow.",
            coachee=p["coachee"],
            coach=p["coach"],
            skills=p.skills(),
        )
    return _(
        "%(coachee)s is new and %(coach)s is an experienced colleague who can coach %(skills)s, which %(coachee)s wants to grow.",
        coachee=p["coachee"],
        coach=p["coach"],
        skills=p.skills(),
    )


def _pair_onboarding_no_skill(p: _Params) -> str:
    if p["mentor"]:
        return _(
            "%(coachee)s is new and %(coach)s is a mentor who can help them settle in; they share no listed skill.",
            coachee=p["coachee"],
            coach=p["coach"],
        )
    return _(
        "%(coachee)s is new and %(coach)s is an experienced colleague who can help them settle in; they share no listed skill.",
        coachee=p["coachee"],
        coach=p["coach"],
    )


def _pair_manual(p: _Params) -> str:
    if p.skills():
        return _(
            "Paired by the instructor: %(coach)s can coach %(skills)s, which %(coachee)s wants to grow.",
            coach=p["coach"],
            coachee=p["coachee"],
            skills=p.skills(),
        )
    return _("Paired by the instructor (they share no listed skill).")


def _no_coaches(p: _Params) -> str:
    if p["onboarding"]:
        return _(
            "Nobody can coach in this cycle: no experienced colleague or mentor has offered a place."
        )
    return _("Nobody can coach in this cycle: no one has offered a place.")


def _coaches_full(p: _Params) -> str:
    text = ngettext(
        "The one colleague who can coach %(person)s has no place left.",
        "All %(num)d colleagues who can coach %(person)s have no place left.",
        p["qualified_coaches"] or 0,
        person=p["person"],
    )
    if (p["coachees"] or 0) > (p["places"] or 0):
        text += " " + _(
            "People who want a coach: %(coachees)d; places offered: %(places)d.",
            coachees=p["coachees"],
            places=p["places"],
        )
    return text


TEXTS: dict[str, Callable[[_Params], str]] = {
    # Why a pair was made (matching.Pair.message, pairing.manual_pair)
    "pair.skill_fit": lambda p: _(
        "Paired because %(coach)s can coach %(skills)s, which %(coachee)s wants to grow.",
        coach=p["coach"],
        coachee=p["coachee"],
        skills=p.skills(),
    ),
    "pair.zero_fit": lambda p: _(
        "%(coach)s has room to coach %(coachee)s; they share no listed skill (pairs without a shared skill were allowed).",
        coach=p["coach"],
        coachee=p["coachee"],
    ),
    "pair.onboarding": _pair_onboarding,
    "pair.onboarding_no_skill": _pair_onboarding_no_skill,
    "pair.manual": _pair_manual,
    # Why someone has no coach (matching.Unmatched.message)
    "unmatched.opted_out": lambda p: _(
        "%(person)s opted out of coaching this cycle.", person=p["person"]
    ),
    "unmatched.no_growth_skills": lambda p: _(
        "%(person)s has not listed a skill they want to grow.", person=p["person"]
    ),
    "unmatched.no_coaches": _no_coaches,
    "unmatched.no_skill_match": lambda p: _(
        "Nobody who coaches can coach %(skills)s, which %(person)s wants to grow.",
        skills=p.skills("or"),
        person=p["person"],
    ),
    "unmatched.only_self": lambda p: _(
        "The only person who can coach %(skills)s is %(person)s.",
        skills=p.skills("or"),
        person=p["person"],
    ),
    "unmatched.only_teammates": lambda p: _(
        "Only %(person)s's teammates can coach %(skills)s, and pairs must be across teams.",
        skills=p.skills("or"),
        person=p["person"],
    ),
    "unmatched.only_last_cycle": lambda p: _(
        "Everyone else who can coach %(skills)s was paired with %(person)s last cycle.",
        skills=p.skills("or"),
        person=p["person"],
    ),
    "unmatched.only_reciprocal": lambda p: _(
        "Everyone else who can coach %(skills)s is coached by %(person)s, and reciprocal pairs are not allowed.",
        skills=p.skills("or"),
        person=p["person"],
    ),
    "unmatched.coaches_full": _coaches_full,
    # What the instructor can do about it (matching.CHOICES)
    "choice.ask_for_skills": lambda p: _(
        "Ask them to list a skill they want to grow (or fill in their profile)."
    ),
    "choice.allow_zero_fit": lambda p: _("Allow pairs without a shared skill in this run."),
    "choice.manual_pair": lambda p: _("Pair them by hand."),
    "choice.raise_capacity": lambda p: _("Raise a coach's capacity (on their profile)."),
    "choice.invite_coaches": lambda p: _(
        "Invite colleagues who can coach to fill in their profile."
    ),
    "choice.allow_same_team": lambda p: _("Allow pairs within a team in this run."),
    "choice.allow_previous_pairs": lambda p: _("Allow last cycle's pairs again in this run."),
    "choice.allow_reciprocal": lambda p: _("Allow two people to coach each other in this run."),
    # Why a pairing ended (pairing.py)
    "ended.opted_out": lambda p: _(
        "%(person)s opted out of matching, so this pairing ended.", person=p["person"]
    ),
    "ended.unpaired": lambda p: _("The instructor ended this pairing."),
    "ended.rematched": lambda p: _("A new matching run replaced this pairing."),
}


def text(
    message: Message | Mapping[str, Any],
    skill_names: Mapping[str, str] | None = None,
    **extra: Any,
) -> str:
    """The message in the reader's language. ``message``: a Message, or a stored dict with
    "code", "params" and "text"; an unknown code falls back to its default English text."""
    if isinstance(message, Message):
        code, params, default = message.code, message.params, message.text
    else:
        code = message.get("code", "")
        params, default = message.get("params") or {}, message.get("text", "")
    render = TEXTS.get(code)
    if render is None:
        return default
    return render(_Params({**params, **extra}, skill_names or {}))


def choice(code: str) -> str:
    """One of matching.CHOICES in the reader's language."""
    return text({"code": f"choice.{code}", "text": code})


# --- The SMART check of a goal (smart.py), added by the goals and check-ins module ------------


def _smart_day(value: Any) -> str:
    """An ISO date parameter in the reader's own date format."""
    from datetime import date

    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(str(value)), "medium")
    except ValueError:
        return str(value)


def _smart_words(p: _Params, label: str) -> str:
    return _(
        "Say more about %(what)s: %(words)d word(s), at least %(min_words)d make it clear.",
        what=label,
        words=p["words"] or 0,
        min_words=p["min_words"] or 0,
    )


TEXTS.update(
    {
        "smart.what_missing": lambda p: _("Say what you want to achieve."),
        "smart.what_too_vague": lambda p: _smart_words(p, _("what you want to achieve")),
        "smart.why_missing": lambda p: _("Say why it matters."),
        "smart.why_too_short": lambda p: _smart_words(p, _("why it matters")),
        "smart.measure_missing": lambda p: _("Say how you will measure success."),
        "smart.measure_too_vague": lambda p: _smart_words(p, _("the measure of success")),
        "smart.measure_without_number": lambda p: _(
            "The measure of success has no number: how will you know it is reached (a count, a score, a date, a percentage)?"
        ),
        "smart.target_date_missing": lambda p: _("Set a target date."),
        "smart.target_date_past": lambda p: _(
            "The target date %(date)s is in the past.", date=_smart_day(p["date"])
        ),
        "smart.target_date_too_soon": lambda p: _(
            "The target date %(date)s is less than %(n)d days away: is the goal achievable by then?",
            date=_smart_day(p["date"]),
            n=p["min_days"] or 0,
        ),
        "smart.target_date_too_far": lambda p: _(
            "The target date %(date)s is more than %(n)d months away: split the goal or set an earlier date with milestones.",
            date=_smart_day(p["date"]),
            n=p["max_months"] or 0,
        ),
        "smart.milestone_title_missing": lambda p: _(
            "Milestone %(n)d needs a title.", n=p["index"] or 0
        ),
        "smart.milestone_after_target": lambda p: _(
            "Milestone %(n)d is due on %(date)s, after the target date %(target)s.",
            n=p["index"] or 0,
            date=_smart_day(p["date"]),
            target=_smart_day(p["target"]),
        ),
        "smart.milestone_overdue": lambda p: _(
            "Milestone %(n)d was due on %(date)s and is not done: move its date or mark it done.",
            n=p["index"] or 0,
            date=_smart_day(p["date"]),
        ),
    }
)
