"""Helpers for the goal, check-in and overview tests: a placed coaching activity, launched
people, pairs written straight as Pairing rows (the pairing service has its own tests), goals
set through the real form, and moving stored times into the past.

Every request goes through a real launch from the dev LMS and the tool's HTTP server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from coaching_support import INSTRUCTOR, Placed, join, place_coaching
from lessons_support import Member
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import Activity, CheckIn, CoachingProgram, Goal, Pairing, User
from lti_tool.models.base import utcnow

GOOD_GOAL = {
    "what": "Lead two client negotiations on my own this quarter",
    "why": "My team needs a second negotiator",
    "measure": "Two signed contracts at a discount under 5%",
}


def in_days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def noon_utc(days_ago: int) -> datetime:
    today = datetime.now(UTC).date() - timedelta(days=days_ago)
    return datetime(today.year, today.month, today.day, 12, tzinfo=UTC)


@dataclass
class Circle:
    """A coaching activity with its people: ``circle.member("u-2001")`` launches once."""

    lti: object
    placed: Placed
    people: dict[str, Member] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.placed.path

    def member(self, user: str) -> Member:
        if user not in self.people:
            self.people[user] = join(self.lti, self.placed, user)
        return self.people[user]

    @property
    def teacher(self) -> Member:
        return self.member(INSTRUCTOR)

    def program(self) -> CoachingProgram:
        activity = db.session.scalars(
            select(Activity).where(Activity.public_id == self.placed.activity_id)
        ).one()
        return db.session.scalars(
            select(CoachingProgram).where(CoachingProgram.activity_id == activity.id)
        ).one()

    def settings(self, **values) -> None:
        """Change the programme's settings straight in the database."""
        with self.lti.app.app_context():
            program = self.program()
            for name, value in values.items():
                setattr(program, name, value)
            db.session.commit()

    def user_id(self, sub: str) -> int:
        return db.session.scalars(select(User.id).where(User.sub == sub)).one()

    def pair(self, coach: str, coachee: str, days_ago: int = 0) -> str:
        """``coach`` coaches ``coachee`` (both launched first), paired ``days_ago`` days ago
        (at noon UTC that day, so day counts do not depend on the hour the test runs)."""
        self.member(coach), self.member(coachee)
        with self.lti.app.app_context():
            program = self.program()
            row = Pairing(
                program_id=program.id,
                cycle=program.cycle,
                coach_id=self.user_id(coach),
                coachee_id=self.user_id(coachee),
                source="manual",
                explanation={},
                created_at=noon_utc(days_ago) if days_ago else utcnow(),
            )
            db.session.add(row)
            db.session.commit()
            return row.public_id

    def end_pairs(self) -> None:
        with self.lti.app.app_context():
            db.session.execute(update(Pairing).values(status="ended", ended_at=utcnow()))
            db.session.commit()

    def set_goal(self, user: str, **fields) -> str:
        """``user`` saves a goal through the form; returns its public id."""
        data = {**GOOD_GOAL, "target_date": in_days(60), "action": "save", **fields}
        response = self.member(user).post(f"{self.path}/goals/new", data)
        assert response.status_code == 200 and "Your goal is saved." in response.text, response.text
        return response.url.split("/goals/")[1].split("?")[0]

    def goal_path(self, goal_id: str) -> str:
        return f"{self.path}/goals/{goal_id}"

    def goal(self, goal_id: str) -> Goal:
        with self.lti.app.app_context():
            row = db.session.scalars(select(Goal).where(Goal.public_id == goal_id)).one()
            row.milestones  # noqa: B018 - loaded before the session closes
            db.session.expunge_all()
            return row

    def checkins(self, goal_id: str) -> list[CheckIn]:
        with self.lti.app.app_context():
            rows = list(
                db.session.scalars(
                    select(CheckIn)
                    .join(Goal, Goal.id == CheckIn.goal_id)
                    .where(Goal.public_id == goal_id)
                    .order_by(CheckIn.id)
                )
            )
            db.session.expunge_all()
            return rows

    def check_in(self, user: str, goal_id: str, progress: int = 40, **fields):
        data = {"progress": str(progress), "went_well": "Ran the first call", **fields}
        return self.member(user).post(f"{self.goal_path(goal_id)}/checkins", data)

    def backdate(self, goal_id: str, days: int) -> None:
        """Move the goal and its check-ins ``days`` into the past (as if set back then)."""
        past = timedelta(days=days)
        with self.lti.app.app_context():
            goal = db.session.scalars(select(Goal).where(Goal.public_id == goal_id)).one()
            goal.created_at -= past
            goal.updated_at -= past
            for row in db.session.scalars(select(CheckIn).where(CheckIn.goal_id == goal.id)):
                row.created_at -= past
                if row.coach_feedback_at is not None:
                    row.coach_feedback_at -= past
            db.session.commit()


def circle(lti, **fields) -> Circle:
    return Circle(lti, place_coaching(lti, **fields))
