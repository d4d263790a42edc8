"""The rubric editor's form: posted fields to a draft document and back, and its no-JS actions.

Pure (no Flask): a draft is a rubric document whose values are still the strings as typed, so a
refused save shows the form exactly as it was sent; `rubric.parse` turns it into a rubric.

Field names: `title`, `description`, `c<n>-<field>` for criterion n and `c<n>-l<m>-<field>` for
its level m. n and m only order the rows (gaps are fine: the page's script removes rows
without renumbering). Buttons name an action: `add-criterion`, `remove-criterion-<n>`,
`add-level-<n>`, `remove-level-<n>-<m>`, or `save`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .rubric import MAX_CRITERIA, MAX_LEVELS, N_, RubricError

_CRITERION_FIELD = re.compile(r"^c(\d{1,4})-(key|title|description|weight|comment|feedback_only)$")
_LEVEL_FIELD = re.compile(r"^c(\d{1,4})-l(\d{1,4})-(key|points|descriptor)$")
_ACTION = re.compile(
    r"^(add-criterion|remove-criterion|add-level|remove-level)(?:-(\d{1,4}))?(?:-(\d{1,4}))?$"
)
SAVE = "save"


def _number_text(value: Any) -> str:
    """2.0 -> "2", 0.5 -> "0.5": how a stored number reads in an input."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    return f"{value:g}"


def new_level(points: str = "") -> dict[str, Any]:
    return {"key": "", "points": points, "descriptor": ""}


def new_criterion() -> dict[str, Any]:
    return {
        "key": "",
        "title": "",
        "description": "",
        "weight": "1",
        "comment": "optional",
        "feedback_only": False,
        "levels": [new_level("0"), new_level("1")],
    }


def draft_from_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored (or imported) document as the editor shows it: every value a string."""
    criteria = []
    for n, c in enumerate(document.get("criteria") or [], 1):
        criteria.append(
            {
                "_n": n,
                "key": str(c.get("key") or ""),
                "title": str(c.get("title") or ""),
                "description": str(c.get("description") or ""),
                "weight": _number_text(c.get("weight", 1)) if not c.get("feedback_only") else "1",
                "comment": str(c.get("comment") or "optional"),
                "feedback_only": bool(c.get("feedback_only")),
                "levels": [
                    {
                        "_n": m,
                        "key": str(lv.get("key") or ""),
                        "points": _number_text(lv.get("points")),
                        "descriptor": str(lv.get("descriptor") or ""),
                    }
                    for m, lv in enumerate(c.get("levels") or [], 1)
                ],
            }
        )
    return {
        "title": str(document.get("title") or ""),
        "description": str(document.get("description") or ""),
        "criteria": criteria,
    }


def draft_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The posted editor fields as a draft, criteria and levels in the order of their numbers.

    A feedback-only criterion keeps no levels (it is never scored); blank keys are filled with
    ones no other row uses, so a row added after others were removed never clashes.
    """
    criteria: dict[int, dict[str, Any]] = {}
    levels: dict[int, dict[int, dict[str, Any]]] = {}
    for name in form:
        if match := _CRITERION_FIELD.match(name):
            n, field = int(match.group(1)), match.group(2)
            row = criteria.setdefault(n, new_criterion() | {"levels": [], "weight": ""})
            row[field] = form[name] == "yes" if field == "feedback_only" else form[name]
        elif match := _LEVEL_FIELD.match(name):
            n, m, field = int(match.group(1)), int(match.group(2)), match.group(3)
            levels.setdefault(n, {}).setdefault(m, new_level())[field] = form[name]
    ordered = []
    for n in sorted(criteria):
        row = criteria[n] | {"_n": n}
        found = levels.get(n, {})
        row["levels"] = (
            [] if row["feedback_only"] else [found[m] | {"_n": m} for m in sorted(found)]
        )
        ordered.append(row)
    _fill_keys(ordered, "c")
    for row in ordered:
        _fill_keys(row["levels"], "l")
    return {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "criteria": ordered,
    }


def _fill_keys(rows: list[dict[str, Any]], prefix: str) -> None:
    used = {str(r["key"]).strip().lower() for r in rows if str(r.get("key", "")).strip()}
    number = 0
    for row in rows:
        if str(row.get("key", "")).strip():
            continue
        number += 1
        while f"{prefix}{number}" in used:
            number += 1
        row["key"] = f"{prefix}{number}"
        used.add(row["key"])


def _criterion(draft: dict[str, Any], n: int | None) -> dict[str, Any]:
    found = next((c for c in draft["criteria"] if c.get("_n") == n), None)
    if found is None:
        raise RubricError(N_("That criterion is no longer in the form; reload the page."))
    return found


def _next_points(levels: list[dict[str, Any]]) -> str:
    numbers = []
    for level in levels:
        try:
            numbers.append(float(str(level.get("points", "")).strip()))
        except ValueError:
            continue
    return _number_text(max(numbers) + 1) if numbers else "0"


def apply_action(draft: dict[str, Any], action: str) -> bool:
    """Do an editor button's action on the draft (in place). False for `save` (nothing to do);
    RubricError for an action that would break the limits or names a row that is gone."""
    if action in ("", SAVE):
        return False
    match = _ACTION.match(action)
    if match is None:
        raise RubricError(N_("Unknown editor action %(action)r."), action=action[:40])
    verb = match.group(1)
    n = int(match.group(2)) if match.group(2) else None
    m = int(match.group(3)) if match.group(3) else None
    criteria = draft["criteria"]
    if verb == "add-criterion":
        if len(criteria) >= MAX_CRITERIA:
            raise RubricError(N_("A rubric can have at most %(max)d criteria."), max=MAX_CRITERIA)
        row = new_criterion()
        row["_n"] = max((c["_n"] for c in criteria), default=0) + 1
        for i, level in enumerate(row["levels"], 1):
            level["_n"] = i
        criteria.append(row)
        _fill_keys(criteria, "c")
        _fill_keys(row["levels"], "l")
    elif verb == "remove-criterion":
        criteria.remove(_criterion(draft, n))
    elif verb == "add-level":
        row = _criterion(draft, n)
        if row["feedback_only"]:
            raise RubricError(N_("A feedback-only criterion has no levels."))
        if len(row["levels"]) >= MAX_LEVELS:
            raise RubricError(N_("A criterion can have at most %(max)d levels."), max=MAX_LEVELS)
        level = new_level(_next_points(row["levels"]))
        level["_n"] = max((lv["_n"] for lv in row["levels"]), default=0) + 1
        row["levels"].append(level)
        _fill_keys(row["levels"], "l")
    else:  # remove-level
        row = _criterion(draft, n)
        level = next((lv for lv in row["levels"] if lv.get("_n") == m), None)
        if level is None:
            raise RubricError(N_("That level is no longer in the form; reload the page."))
        row["levels"].remove(level)
    return True


def renumbered(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft with rows numbered 1, 2, 3 … again (the page shows them in this order)."""
    for n, row in enumerate(draft["criteria"], 1):
        row["_n"] = n
        for m, level in enumerate(row["levels"], 1):
            level["_n"] = m
    return draft
