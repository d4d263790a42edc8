"""Helpers for the grading and dashboard tests: a cohort that handed in work through the dev
LMS, reviews written as rows (the reviews are grading's input), the dev LMS gradebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from lessons_support import Member
from reviews_support import INSTRUCTOR, Placed, join, move_phase, place_review
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import (
    Activity,
    Allocation,
    Review,
    ReviewAssignment,
    Submission,
    SubmissionGrade,
    User,
)
from lti_tool.models.base import utcnow
from lti_tool.models.reviews import SUBMISSION_EXAMPLE, SUBMISSION_WORK
from lti_tool.reviews import allocating, groups, reviewing

# The starter rubric: goal (weight 2) and clarity (weight 1), three levels each.
# score = (goal points + clarity points / 2) / 3 × 100
SCORES = {
    100.0: ("fully", "clear"),
    83.33: ("fully", "mostly"),
    66.67: ("partly", "clear"),
    50.0: ("partly", "mostly"),
    33.33: ("not-yet", "clear"),
    0.0: ("not-yet", "hard"),
}


AUTHOR = "u-2001"


@dataclass
class Cohort:
    lti: object
    placed: Placed
    teacher: Member
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.placed.path

    def __getitem__(self, sub: str) -> Member:
        return self.members[sub]

    def assignment_update(self, **values) -> None:
        with self.lti.app.app_context():
            row = assignment_row(self.placed)
            for name, value in values.items():
                setattr(row, name, value)
            db.session.commit()


def busy_class(lti) -> Cohort:
    """Four hand in work, one leaves a draft, one only looks; four review the first piece of
    work (one far from the others), and one has not done all the reviews they were given."""
    group = cohort(
        lti,
        [AUTHOR, "u-2002", "u-2003", "u-2004"],
        others=("u-2005", "u-2006"),
        drafts=("u-2005",),
        aggregation="median",
    )
    review(group, "u-2002", AUTHOR, 100.0, comment="Clear goal.")
    review(group, "u-2003", AUTHOR, 100.0)
    review(group, "u-2005", AUTHOR, 100.0)
    review(group, "u-2004", AUTHOR, 0.0, comment="I did not like it.")
    review(group, "u-2004", "u-2003", 83.33)  # a single review: never flagged
    allocate(group, "u-2005", "u-2002")
    move_phase(group.teacher, group.placed, "grading")
    return group


def assignment_row(placed: Placed) -> ReviewAssignment:
    activity = db.session.scalars(
        select(Activity).where(Activity.public_id == placed.activity_id)
    ).one()
    return db.session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.activity_id == activity.id)
    ).one()


def work_of(a: ReviewAssignment, author: str) -> Submission:
    """The work `author` handed in (or saved) in this assignment."""
    return db.session.scalars(
        select(Submission).where(
            Submission.assignment_id == a.id,
            Submission.author_id == user(author).id,
            Submission.kind == SUBMISSION_WORK,
        )
    ).one()


def user(sub: str) -> User:
    return db.session.scalars(select(User).where(User.sub == sub)).one()


def cohort(
    lti,
    submitters: list[str],
    *,
    others: tuple[str, ...] = (),
    drafts: tuple[str, ...] = (),
    teams: dict[str, str] | None = None,
    **assignment,
) -> Cohort:
    """A placed peer review: `submitters` hand in work, `others` only launch (`drafts` among
    them save a draft); reviewing open. `teams`: group names, set before any work is saved.

    Allocation is left to the tests (`review` allocates what it reviews): allocated_at is set
    before reviewing opens, so batch allocation never runs here.
    """
    placed = place_review(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    group = Cohort(lti, placed, teacher)
    if assignment:
        group.assignment_update(**assignment)
    move_phase(teacher, placed, "submission")
    for sub in [*submitters, *others]:
        group.members[sub] = join(lti, placed, sub)
    if teams:
        with lti.app.app_context():
            groups.set_groups(
                assignment_row(placed), {user(sub): name for sub, name in teams.items()}
            )
            db.session.commit()
    for sub in submitters:
        response = group.members[sub].post(
            f"{placed.path}/submission",
            {"title": f"Work of {sub}", "source": f"Plan by {sub}", "action": "submit"},
        )
        assert response.status_code == 200, response.text
    for sub in drafts:
        response = group.members[sub].post(
            f"{placed.path}/submission", {"title": "Half done", "source": "…", "action": "save"}
        )
        assert response.status_code == 200, response.text
    group.assignment_update(allocated_at=utcnow())
    move_phase(teacher, placed, "review")
    return group


def review(
    group: Cohort,
    reviewer: str,
    author: str,
    score: float,
    *,
    comment: str = "",
    submission_id: int | None = None,
    fallback: bool = False,
    submit: bool = True,
) -> str:
    """`reviewer` writes a review of `author`'s work (or of the example `submission_id`) with
    the levels giving `score`, through the reviewing service; returns its public id.

    Peer reviewers are allocated the work first when nobody has (`fallback`: as the
    instructor's fallback review); the kind follows from who reviews what, as in the app.
    """
    goal, clarity = SCORES[score]
    with group.lti.app.app_context():
        a = assignment_row(group.placed)
        who = user(reviewer)
        staff = reviewer.startswith("u-1")
        if submission_id is not None:
            submission = db.session.get(Submission, submission_id)
        else:
            submission = work_of(a, author)
            if who.id != submission.author_id and not allocating.allocation_of(
                submission.id, who.id
            ):
                db.session.add(
                    Allocation(
                        assignment_id=a.id,
                        submission_id=submission.id,
                        reviewer_id=who.id,
                        source=allocating.FALLBACK if fallback else allocating.MANUAL,
                    )
                )
                db.session.flush()
        form = {
            "level-goal": goal,
            "level-clarity": clarity,
            "comment-next-step": comment or "Add one example.",
            "overall": comment,
        }
        row = reviewing.save_review(a, who, submission, form, submit=submit, staff=staff)
        db.session.commit()
        return row.public_id


def rate(group: Cohort, author: str, review_id: str, value: int) -> None:
    """The author rates how helpful a review of their work was (feedback must be released)."""
    with group.lti.app.app_context():
        reviewing.rate(assignment_row(group.placed), user(author), review_id, str(value), "")
        db.session.commit()


def kind_of(group: Cohort, review_id: str) -> str:
    with group.lti.app.app_context():
        return db.session.scalars(select(Review.kind).where(Review.public_id == review_id)).one()


def allocate(group: Cohort, reviewer: str, author: str) -> None:
    """`reviewer` is given `author`'s work to review (not reviewed yet)."""
    with group.lti.app.app_context():
        a = assignment_row(group.placed)
        submission = work_of(a, author)
        db.session.add(
            Allocation(
                assignment_id=a.id, submission_id=submission.id, reviewer_id=user(reviewer).id
            )
        )
        db.session.commit()


def example_with_reference(group: Cohort, reference: float) -> int:
    """A calibration example with the instructor's reference review; returns its id."""
    with group.lti.app.app_context():
        a = assignment_row(group.placed)
        example = Submission(
            assignment_id=a.id,
            kind=SUBMISSION_EXAMPLE,
            author_id=user(INSTRUCTOR).id,
            title="Example",
            source="An example",
            html="<p>An example</p>",
            submitted_at=utcnow(),
        )
        db.session.add(example)
        db.session.commit()
        example_id = example.id
    review(group, INSTRUCTOR, "", reference, submission_id=example_id)
    return example_id


def grade_of(group: Cohort, author: str) -> SubmissionGrade | None:
    with group.lti.app.app_context():
        a = assignment_row(group.placed)
        submission = work_of(a, author)
        row = db.session.scalars(
            select(SubmissionGrade).where(SubmissionGrade.submission_id == submission.id)
        ).first()
        if row is not None:
            db.session.expunge(row)
        return row


def submission_public_id(group: Cohort, author: str) -> str:
    with group.lti.app.app_context():
        return work_of(assignment_row(group.placed), author).public_id


def gradebook(lti) -> list[dict]:
    """The dev LMS's line items of the course with every learner's current result."""
    body = requests.get(
        f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/gradebook", timeout=10
    ).json()
    return body["line_items"]
