"""The curated skill list a programme matches on: the course's own, or the organisation's."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import CoachingProfile, CoachingProgram, Context, Skill
from .errors import CoachingError

MAX_SKILL_NAME = 100
MAX_SKILLS = 300


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _scope(program: CoachingProgram) -> tuple[int, int | None]:
    context = db.session.get(Context, program.context_id)
    return context.platform_id, (program.context_id if program.skills_scope == "course" else None)


def skills_of(program: CoachingProgram) -> list[Skill]:
    platform_id, context_id = _scope(program)
    stmt = select(Skill).where(Skill.platform_id == platform_id)
    stmt = (
        stmt.where(Skill.context_id == context_id)
        if context_id is not None
        else stmt.where(Skill.context_id.is_(None))
    )
    return list(db.session.scalars(stmt.order_by(Skill.name)))


def parse_list(text: str) -> list[str]:
    """One skill per line; blank lines ignored. Duplicates (any case or spacing) are refused,
    naming the line, so nothing is half-saved."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > MAX_SKILL_NAME:
            raise CoachingError(
                _(
                    "Line %(line)d: a skill name can have at most %(n)d characters.",
                    line=number,
                    n=MAX_SKILL_NAME,
                )
            )
        key = name.casefold()
        if key in seen:
            raise CoachingError(
                _(
                    "Line %(line)d: '%(name)s' is already on line %(first)d.",
                    line=number,
                    name=name,
                    first=seen[key],
                )
            )
        seen[key] = number
        names.append(name)
    if len(names) > MAX_SKILLS:
        raise CoachingError(_("At most %(n)d skills.", n=MAX_SKILLS))
    return names


def replace_skills(program: CoachingProgram, text: str) -> list[Skill]:
    """Make the list exactly these names: new ones added, renamed case kept, missing ones
    removed unless someone's profile uses them (refused, naming the skill)."""
    names = parse_list(text)
    platform_id, context_id = _scope(program)
    current = {s.name_key: s for s in skills_of(program)}
    wanted = {name.casefold(): name for name in names}
    removed = [s for key, s in current.items() if key not in wanted]
    if removed:
        in_use = _skills_in_use({s.id for s in removed})
        if in_use:
            name = next(s.name for s in removed if s.id in in_use)
            raise CoachingError(
                _("'%(name)s' is in someone's profile, so it can't be removed.", name=name),
                409,
            )
    for skill in removed:
        db.session.delete(skill)
    for key, name in wanted.items():
        if key in current:
            current[key].name = name
        else:
            db.session.add(
                Skill(platform_id=platform_id, context_id=context_id, name=name, name_key=key)
            )
    db.session.flush()
    return skills_of(program)


def _skills_in_use(ids: set[int]) -> set[int]:
    used: set[int] = set()
    for can, wants in db.session.execute(select(CoachingProfile.can_coach, CoachingProfile.wants)):
        used.update(i for i in (*(can or []), *(wants or [])) if i in ids)
    return used
