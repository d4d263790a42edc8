"""Helpers for the coaching profile and pairing tests: a programme with a skill list, people's
profiles saved through the real forms, and what the database holds afterwards.

Every request goes through a real launch from the dev LMS and the tool's HTTP server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coaching_support import INSTRUCTOR, Placed, join, place_coaching
from lessons_support import Member
from sqlalchemy import select

from lti_tool.devlms import seed
from lti_tool.extensions import db
from lti_tool.models import CoachingProfile, Pairing, Skill, User

NAMES = {p.id: p.name for p in (*seed.INSTRUCTORS, *seed.LEARNERS)}
SKILLS = ("SQL", "Negotiation", "Public speaking", "Excel")


@dataclass
class Programme:
    lti: object
    placed: Placed
    teacher: Member
    skills: dict[str, int]  # name -> id
    people: dict[str, Member] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.placed.path

    def member(self, user: str) -> Member:
        if user not in self.people:
            self.people[user] = join(self.lti, self.placed, user)
        return self.people[user]

    def form(
        self,
        can: tuple[str, ...] = (),
        wants: tuple[str, ...] = (),
        capacity: int | str = 1,
        team: str = "",
        preferences: str = "",
        new_hire: bool = False,
        experienced: bool = False,
        opted_out: bool = False,
    ) -> dict:
        """A profile form as the page sends it: every skill's priority select, ticked boxes."""
        data: dict = {f"want-{i}": "" for i in self.skills.values()}
        for rank, name in enumerate(wants, 1):
            data[f"want-{self.skills[name]}"] = str(rank)
        data.update(
            can_coach=[str(self.skills[name]) for name in can],
            capacity=str(capacity),
            team=team,
            preferences=preferences,
        )
        for flag, on in (
            ("new_hire", new_hire),
            ("experienced", experienced),
            ("opted_out", opted_out),
        ):
            if on:
                data[flag] = "yes"
        return data

    def profile(self, user: str, **values):
        """The participant saves their own profile (asserts it was saved)."""
        response = self.member(user).post(f"{self.path}/profile", self.form(**values))
        assert response.status_code == 200 and "Your profile is saved." in response.text, (
            response.text
        )
        return response

    def edit(self, user: str, **values):
        """The instructor saves someone's profile on the People page (asserts it was saved)."""
        response = self.teacher.post(
            f"{self.path}/people/{public_id(self.lti, user)}", self.form(**values)
        )
        assert response.status_code == 200 and "The profile is saved." in response.text, (
            response.text
        )
        return response

    def preview(self, **choices: str):
        return self.teacher.get(f"{self.path}/pairing/preview", **choices)

    def confirm(self, preview) -> object:
        """Press 'Confirm these pairs' on a preview page."""
        from lti_tool.devlms.browser import forms

        (form,) = [f for f in forms(preview.text) if f.action.split("?")[0].endswith("/confirm")]
        return self.teacher.post(f"{self.path}/pairing/confirm", form.fields)

    def run(self, **choices: str):
        preview = self.preview(**choices)
        assert preview.status_code == 200, preview.text
        done = self.confirm(preview)
        assert done.status_code == 200 and "The new pairs are saved" in done.text, done.text
        return done


def programme(lti, mode: str = "peer", skills: tuple[str, ...] = SKILLS, **settings) -> Programme:
    """A coaching activity placed by the instructor, with a skill list and settings."""
    placed = place_coaching(lti, mode=mode)
    teacher = join(lti, placed, INSTRUCTOR)
    saved = teacher.post(f"{placed.path}/skills", {"skills": "\n".join(skills)})
    assert saved.status_code == 200, saved.text
    if settings:
        form = {
            "mode": mode,
            "goal_visibility": "course",
            "skills_scope": "course",
            "completion_rule": "closed",
            "cadence_days": "14",
            "min_checkins": "2",
            "avoid_repeat": "yes",
        }
        for name, value in settings.items():
            if value is None:
                form.pop(name, None)
            else:
                form[name] = value
        response = teacher.post(f"{placed.path}/settings", form)
        assert response.status_code == 200, response.text
    with lti.app.app_context():
        ids = {s.name: s.id for s in db.session.scalars(select(Skill))}
    return Programme(lti, placed, teacher, ids)


def public_id(lti, sub: str) -> str:
    with lti.app.app_context():
        return db.session.scalars(select(User.public_id).where(User.sub == sub)).one()


def pairs(lti, status: str | None = "active") -> set[tuple[str, str, str]]:
    """(coach sub, coachee sub, source) of the pairings with this status (None: all)."""
    with lti.app.app_context():
        rows = db.session.scalars(select(Pairing)).all()
        return {
            (p.coach.sub, p.coachee.sub, p.source)
            for p in rows
            if status is None or p.status == status
        }


def pairing_rows(lti) -> list[dict]:
    with lti.app.app_context():
        return [
            {
                "coach": p.coach.sub,
                "coachee": p.coachee.sub,
                "cycle": p.cycle,
                "status": p.status,
                "source": p.source,
                "explanation": p.explanation,
            }
            for p in db.session.scalars(select(Pairing).order_by(Pairing.id))
        ]


def stored_profile(lti, sub: str) -> CoachingProfile | None:
    with lti.app.app_context():
        return db.session.scalars(
            select(CoachingProfile)
            .join(User, User.id == CoachingProfile.user_id)
            .where(User.sub == sub)
        ).first()
