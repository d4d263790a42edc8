"""360 feedback (a peer review in "people" mode): colleagues nominated by the person and approved
by the instructor, or chosen by the instructor; the allocations that follow; the person's
anonymous results; and turning them into a development goal in the course's peer coaching.

The thing reviewed is the person: one Submission of kind "work" per person (author = the
person, no text), created when their first reviewer is approved. Approved nominations become
allocations, so reviewers find them in their list and answer with the normal rubric form.
Results come from `people_summary` (pure), which holds nothing of the answers below the
threshold. Functions flush and never commit: the web edge commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..coaching import goals
from ..coaching.errors import CoachingError
from ..extensions import db
from ..models import (
    Activity,
    Allocation,
    CoachingProgram,
    Goal,
    Nomination,
    Review,
    ReviewAssignment,
    Submission,
    User,
)
from ..models.base import utcnow
from ..models.reviews import MODE_PEOPLE, REVIEW_SELF, SUBMISSION_WORK, WITHDRAWN
from . import ReviewError, allocating, phases, reviewing
from . import people_summary as summary_of

PROPOSED, APPROVED, DECLINED = "proposed", "approved", "declined"
MAX_NOMINATIONS = 12  # colleagues one person may have nominated (declined ones not counted)
NOMINATING = (phases.SETUP, phases.SUBMISSION)  # when people nominate
CHOOSING = (phases.SETUP, phases.SUBMISSION, phases.REVIEW)  # when instructors add reviewers
GOAL_ORIGIN = "peer_review_360"
COACHING_KIND = "coaching"


def require_people_mode(assignment: ReviewAssignment) -> None:
    if assignment.mode != MODE_PEOPLE:
        raise ReviewError(_("This peer review is about work, not 360 feedback on people."), 404)


# --- who takes part ---------------------------------------------------------------------------


def _by_name(people: Iterable[User]) -> list[User]:
    return sorted(people, key=lambda u: (u.display_name.casefold(), u.id))


def colleagues(assignment: ReviewAssignment) -> list[User]:
    """The course's current learners: the people who get feedback and may give it."""
    ids = allocating.learner_ids(assignment)
    if not ids:
        return []
    return _by_name(db.session.scalars(select(User).where(User.id.in_(ids))))


def is_participant(assignment: ReviewAssignment, user: User) -> bool:
    return user.id in set(allocating.learner_ids(assignment))


def _colleague(assignment: ReviewAssignment, public_id: str, missing: str) -> User:
    """A current learner of this course by public id; 400 with ``missing`` when none was chosen."""
    public_id = (public_id or "").strip()
    if not public_id:
        raise ReviewError(missing)
    person = db.session.scalars(select(User).where(User.public_id == public_id)).first()
    if person is None or not is_participant(assignment, person):
        raise ReviewError(
            _(
                "This person is not a participant of this course: only colleagues taking part in it can give feedback."
            )
        )
    return person


def subject_submission(assignment: ReviewAssignment, subject: User) -> Submission | None:
    return db.session.scalars(
        select(Submission).where(
            Submission.assignment_id == assignment.id,
            Submission.kind == SUBMISSION_WORK,
            Submission.author_id == subject.id,
        )
    ).first()


def ensure_subject_submission(
    assignment: ReviewAssignment, subject: User, now: datetime | None = None
) -> Submission:
    """The person's row as the thing reviewed, created on first need (two requests creating it
    at once: the unique index keeps one, the loser reads it)."""
    existing = subject_submission(assignment, subject)
    if existing is not None:
        return existing
    now = now or utcnow()
    try:
        with db.session.begin_nested():
            row = Submission(
                assignment_id=assignment.id,
                kind=SUBMISSION_WORK,
                author_id=subject.id,
                submitted_at=now,
                created_at=now,
            )
            db.session.add(row)
    except IntegrityError:
        row = subject_submission(assignment, subject)
        assert row is not None
    return row


# --- nominations ------------------------------------------------------------------------------


def nominations_of(assignment: ReviewAssignment, subject: User) -> list[Nomination]:
    rows = db.session.scalars(
        select(Nomination).where(
            Nomination.assignment_id == assignment.id, Nomination.subject_id == subject.id
        )
    ).all()
    return sorted(rows, key=lambda n: (n.reviewer.display_name.casefold(), n.id))


def all_nominations(assignment: ReviewAssignment) -> dict[int, list[Nomination]]:
    """Subject id -> their nominations (by reviewer name), in one query."""
    out: dict[int, list[Nomination]] = {}
    for row in db.session.scalars(
        select(Nomination).where(Nomination.assignment_id == assignment.id)
    ):
        out.setdefault(row.subject_id, []).append(row)
    for rows in out.values():
        rows.sort(key=lambda n: (n.reviewer.display_name.casefold(), n.id))
    return out


def _nomination(assignment: ReviewAssignment, subject: User, reviewer: User) -> Nomination | None:
    return db.session.scalars(
        select(Nomination).where(
            Nomination.assignment_id == assignment.id,
            Nomination.subject_id == subject.id,
            Nomination.reviewer_id == reviewer.id,
        )
    ).first()


def nominating_open(assignment: ReviewAssignment) -> bool:
    return assignment.nomination == "approved" and assignment.phase in NOMINATING


def nominate(
    assignment: ReviewAssignment,
    subject: User,
    reviewer_public_id: str,
    now: datetime | None = None,
) -> Nomination:
    """``subject`` asks a colleague for feedback; the instructor approves it before it counts."""
    require_people_mode(assignment)
    if assignment.nomination != "approved":
        raise ReviewError(
            _("In this 360 feedback your instructor chooses the colleagues who give feedback."),
            409,
        )
    if assignment.phase not in NOMINATING:
        raise ReviewError(
            _(
                "Nominations closed when reviewing opened. Ask your instructor if someone is missing."
            ),
            409,
        )
    if not is_participant(assignment, subject):
        raise ReviewError(
            _("Only participants of the course nominate colleagues for their feedback."), 403
        )
    if (reviewer_public_id or "").strip() == subject.public_id:
        raise ReviewError(
            _(
                "You can't nominate yourself: choose colleagues who work with you. (If self-assessment is on, you assess yourself separately.)"
            )
        )
    reviewer = _colleague(assignment, reviewer_public_id, _("Choose a colleague to nominate."))
    existing = _nomination(assignment, subject, reviewer)
    if existing is not None:
        if existing.status == DECLINED:
            raise ReviewError(
                _(
                    "Your instructor declined %(name)s as a reviewer for you. Choose another colleague.",
                    name=reviewer.display_name,
                )
            )
        raise ReviewError(_("You already nominated %(name)s.", name=reviewer.display_name))
    active = sum(1 for n in nominations_of(assignment, subject) if n.status != DECLINED)
    if active >= MAX_NOMINATIONS:
        raise ReviewError(_("You can nominate at most %(n)d colleagues.", n=MAX_NOMINATIONS), 400)
    row = Nomination(
        assignment_id=assignment.id,
        subject_id=subject.id,
        reviewer_id=reviewer.id,
        nominated_by_id=subject.id,
        status=PROPOSED,
        created_at=now or utcnow(),
    )
    return _insert(row, reviewer)


def _insert(row: Nomination, reviewer: User) -> Nomination:
    """Store a new nomination; the same pair stored a moment ago by another request is refused
    (the unique constraint decides), never a server error."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise ReviewError(
            _("%(name)s was nominated a moment ago. Reload the page.", name=reviewer.display_name),
            409,
        ) from None
    return row


def withdraw_nomination(
    assignment: ReviewAssignment, subject: User, reviewer_public_id: str
) -> None:
    """The person takes back a nomination the instructor has not decided on yet."""
    require_people_mode(assignment)
    reviewer = db.session.scalars(select(User).where(User.public_id == reviewer_public_id)).first()
    row = _nomination(assignment, subject, reviewer) if reviewer is not None else None
    if row is None:
        raise ReviewError(_("You have not nominated this person."), 404)
    if row.status != PROPOSED:
        raise ReviewError(
            _(
                "Your instructor has already decided on %(name)s: ask them if this should change.",
                name=reviewer.display_name,
            ),
            409,
        )
    db.session.delete(row)
    db.session.flush()


def _check_choosing(assignment: ReviewAssignment) -> None:
    require_people_mode(assignment)
    if assignment.phase not in CHOOSING:
        raise ReviewError(
            _("Reviewing is over: who gives feedback can no longer change."),
            409,
        )


def _allocate(assignment: ReviewAssignment, row: Nomination, now: datetime) -> None:
    """The approved reviewer gets the person to review (again, if they had been withdrawn)."""
    submission = ensure_subject_submission(assignment, row.subject, now)
    existing = allocating.allocation_of(submission.id, row.reviewer_id)
    if existing is not None and existing.status != WITHDRAWN:
        return
    allocating.assign(assignment, submission.public_id, row.reviewer.public_id, now)


def _approve(assignment: ReviewAssignment, row: Nomination, instructor: User, now: datetime):
    row.status = APPROVED
    row.decided_by_id = instructor.id
    _allocate(assignment, row, now)


def _pair(assignment: ReviewAssignment, subject_id: str, reviewer_id: str) -> Nomination:
    subject = db.session.scalars(select(User).where(User.public_id == subject_id)).first()
    reviewer = db.session.scalars(select(User).where(User.public_id == reviewer_id)).first()
    row = _nomination(assignment, subject, reviewer) if subject and reviewer else None
    if row is None:
        raise ReviewError(_("There is no such nomination (any more)."), 404)
    return row


def decide(
    assignment: ReviewAssignment,
    subject_id: str,
    reviewer_id: str,
    approve: bool,
    instructor: User,
    now: datetime | None = None,
) -> Nomination:
    """Approve a nomination (the reviewer gets the person to review) or decline it (taken back
    from the reviewer unless they already answered: an answer given stays)."""
    _check_choosing(assignment)
    now = now or utcnow()
    row = _pair(assignment, subject_id, reviewer_id)
    if approve:
        _approve(assignment, row, instructor, now)
    else:
        submission = subject_submission(assignment, row.subject)
        allocation = (
            allocating.allocation_of(submission.id, row.reviewer_id) if submission else None
        )
        if allocation is not None and allocation.status != WITHDRAWN:
            allocating.withdraw(assignment, submission.public_id, row.reviewer.public_id)
        row.status = DECLINED
        row.decided_by_id = instructor.id
    db.session.flush()
    return row


def approve_all(assignment: ReviewAssignment, instructor: User, now: datetime | None = None) -> int:
    """Approve every nomination still waiting; how many were approved."""
    _check_choosing(assignment)
    now = now or utcnow()
    waiting = db.session.scalars(
        select(Nomination)
        .where(Nomination.assignment_id == assignment.id, Nomination.status == PROPOSED)
        .order_by(Nomination.id)
    ).all()
    for row in waiting:
        _approve(assignment, row, instructor, now)
    db.session.flush()
    return len(waiting)


def choose(
    assignment: ReviewAssignment,
    subject_public_id: str,
    reviewer_public_id: str,
    instructor: User,
    now: datetime | None = None,
) -> Nomination:
    """The instructor asks a colleague for feedback on a person (approved at once)."""
    _check_choosing(assignment)
    now = now or utcnow()
    subject = _colleague(assignment, subject_public_id, _("Choose the person to get feedback."))
    reviewer = _colleague(assignment, reviewer_public_id, _("Choose a colleague to give feedback."))
    if reviewer.id == subject.id:
        raise ReviewError(
            _(
                "%(name)s can't give feedback on themself here: turn on self-assessment for that.",
                name=subject.display_name,
            )
        )
    row = _nomination(assignment, subject, reviewer)
    if row is not None and row.status == APPROVED:
        raise ReviewError(
            _(
                "%(reviewer)s already gives feedback to %(subject)s.",
                reviewer=reviewer.display_name,
                subject=subject.display_name,
            )
        )
    if row is None:
        row = Nomination(
            assignment_id=assignment.id,
            subject_id=subject.id,
            reviewer_id=reviewer.id,
            nominated_by_id=instructor.id,
            created_at=now,
        )
        _insert(row, reviewer)
    _approve(assignment, row, instructor, now)
    db.session.flush()
    return row


# --- progress and results ---------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    asked: int  # colleagues currently given the person to review
    answered: int  # their submitted answers (self-assessment not counted)
    needed: int

    @property
    def ready(self) -> bool:
        return self.answered >= self.needed


def _answered_by_subject(assignment: ReviewAssignment) -> Counter:
    rows = db.session.execute(
        select(Submission.author_id, func.count(Review.id))
        .join(Review, Review.submission_id == Submission.id)
        .where(
            Submission.assignment_id == assignment.id,
            Submission.kind == SUBMISSION_WORK,
            Review.kind.in_(reviewing.RECEIVED_KINDS),
            Review.submitted_at.is_not(None),
            Review.reviewer_id != Submission.author_id,
        )
        .group_by(Submission.author_id)
    ).all()
    return Counter(dict(rows))


def _asked_by_subject(assignment: ReviewAssignment) -> Counter:
    rows = db.session.execute(
        select(Submission.author_id, func.count(Allocation.id))
        .join(Allocation, Allocation.submission_id == Submission.id)
        .where(
            Submission.assignment_id == assignment.id,
            Submission.kind == SUBMISSION_WORK,
            Allocation.status != WITHDRAWN,
        )
        .group_by(Submission.author_id)
    ).all()
    return Counter(dict(rows))


def progress_all(assignment: ReviewAssignment) -> dict[int, Progress]:
    """Subject id -> how many colleagues were asked and answered (two queries in all)."""
    need = summary_of.needed(assignment.min_responses)
    asked, answered = _asked_by_subject(assignment), _answered_by_subject(assignment)
    return {uid: Progress(asked[uid], answered[uid], need) for uid in set(asked) | set(answered)}


def progress(assignment: ReviewAssignment, subject: User) -> Progress:
    found = progress_all(assignment).get(subject.id)
    return found or Progress(0, 0, summary_of.needed(assignment.min_responses))


def _answers(assignment: ReviewAssignment, submission: Submission) -> list[summary_of.Answer]:
    out = []
    for review in reviewing.received(assignment, submission):
        if review.reviewer_id == submission.author_id:
            continue
        out.append(
            summary_of.Answer(
                levels={row.criterion_key: row.level_key for row in review.criteria},
                comments={row.criterion_key: row.comment for row in review.criteria},
                overall=review.overall_comment,
            )
        )
    return out


def results(assignment: ReviewAssignment, subject: User) -> summary_of.Summary:
    """What may be shown of the answers about ``subject`` (counts only below the threshold)."""
    require_people_mode(assignment)
    submission = subject_submission(assignment, subject)
    answers = _answers(assignment, submission) if submission is not None else []
    return summary_of.summarise(
        reviewing.rubric_of(assignment),
        answers,
        assignment.min_responses,
        answering_closed=phases.passed(assignment.phase, phases.GRADING),
    )


def self_assessment(assignment: ReviewAssignment, subject: User) -> Review | None:
    """The person's submitted self-assessment, when the assignment asks for one."""
    if not assignment.self_assessment:
        return None
    submission = subject_submission(assignment, subject)
    if submission is None:
        return None
    return db.session.scalars(
        select(Review).where(
            Review.submission_id == submission.id,
            Review.kind == REVIEW_SELF,
            Review.reviewer_id == subject.id,
            Review.submitted_at.is_not(None),
        )
    ).first()


def subject_for(
    assignment: ReviewAssignment, viewer: User, staff: bool, subject_public_id: str | None
) -> User:
    """Whose results ``viewer`` asks for: their own, or (instructors only) a participant's."""
    require_people_mode(assignment)
    if subject_public_id is None or subject_public_id == viewer.public_id:
        if staff:
            raise ReviewError(_("Choose the participant whose results you want to see."), 404)
        return viewer
    if not staff:
        raise ReviewError(
            _(
                "360 results are shown only to the person they are about and to the course's instructors."
            ),
            403,
        )
    person = db.session.scalars(select(User).where(User.public_id == subject_public_id)).first()
    if person is None or not is_participant(assignment, person):
        raise ReviewError(_("This person is not a participant of this course."), 404)
    return person


# --- a development goal from the results --------------------------------------------------------


def coaching_choices(assignment: ReviewAssignment) -> list[tuple[Activity, CoachingProgram]]:
    """The peer coaching activities of the same course, by title."""
    rows = db.session.execute(
        select(Activity, CoachingProgram)
        .join(CoachingProgram, CoachingProgram.activity_id == Activity.id)
        .where(Activity.context_id == assignment.context_id, Activity.kind == COACHING_KIND)
        .order_by(Activity.title, Activity.id)
    ).all()
    return [(activity, program) for activity, program in rows]


def goal_draft(summary: summary_of.Summary) -> dict[str, str]:
    """What and why (and a measure), prefilled from the criterion colleagues rated lowest."""
    weakest = summary_of.lowest(summary)
    if weakest is None:
        return {"what": "", "why": "", "measure": ""}
    criterion = weakest.criterion
    target = summary_of.next_level(criterion, weakest.nearest) or weakest.nearest
    return {
        "what": _(
            "Grow in %(criterion)s, towards: %(level)s",
            criterion=criterion.title,
            level=target.descriptor if target else "",
        ),
        "why": _(
            "In my 360 feedback colleagues rated %(criterion)s lowest of the competencies: %(points)s of %(max)s on average (%(percent)s%%), closest to: %(level)s",
            criterion=criterion.title,
            points=f"{weakest.mean_points:g}",
            max=f"{criterion.max_points:g}",
            percent=f"{weakest.percent:g}",
            level=weakest.nearest.descriptor if weakest.nearest else "",
        ),
        "measure": _(
            "In my next 360 feedback colleagues rate %(criterion)s at: %(level)s",
            criterion=criterion.title,
            level=target.descriptor if target else "",
        ),
    }


def goals_from(assignment: ReviewAssignment, activity: Activity, subject: User) -> list:
    """(coaching activity, goal) for the goals ``subject`` made from this 360 feedback."""
    programs = {program.id: act for act, program in coaching_choices(assignment)}
    if not programs:
        return []
    rows = db.session.scalars(
        select(Goal)
        .where(Goal.owner_id == subject.id, Goal.program_id.in_(programs))
        .order_by(Goal.created_at, Goal.id)
    ).all()
    wanted = {"kind": GOAL_ORIGIN, "activity": activity.public_id}
    return [(programs[g.program_id], g) for g in rows if (g.origin or {}) == wanted]


def create_goal(
    assignment: ReviewAssignment, activity: Activity, subject: User, form: Mapping[str, str]
) -> tuple[Activity, Goal]:
    """The person's development goal in a peer coaching activity of the same course, made from
    their results (which must be showing), with where it came from."""
    if not results(assignment, subject).ready:
        raise ReviewError(
            _("Your results are not showing yet: a goal can be made from them once they are."),
            409,
        )
    choices = coaching_choices(assignment)
    if not choices:
        raise ReviewError(
            _(
                "This course has no peer coaching activity yet. Your instructor can add one; then you can turn this feedback into a goal."
            ),
            409,
        )
    chosen = (form.get("coaching") or "").strip()
    found = next(((a, p) for a, p in choices if a.public_id == chosen), None)
    if found is None:
        raise ReviewError(_("Choose one of this course's peer coaching activities."))
    coaching_activity, program = found
    try:
        goal = goals.create(program, subject, goals.parse_goal(form))
    except CoachingError as err:
        raise ReviewError(err.message, err.status) from None
    goal.origin = {"kind": GOAL_ORIGIN, "activity": activity.public_id}
    db.session.flush()
    return coaching_activity, goal
