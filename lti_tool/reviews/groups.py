"""Groups (teams) of one peer review, defined in PeerPath by the instructor.

Groups matter twice: nobody reviews their own group's work, and with group submissions a
group hands in one piece of work together. They are fixed once reviewers are allocated.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..extensions import db
from ..models import ReviewAssignment, ReviewGroup, ReviewGroupMember, Submission, User
from . import ReviewError

MAX_GROUP_NAME = 200


def groups_of(assignment: ReviewAssignment) -> dict[int, str]:
    """{user id: group name} for everyone in a group."""
    rows = db.session.execute(
        select(ReviewGroupMember.user_id, ReviewGroup.name)
        .join(ReviewGroup, ReviewGroup.id == ReviewGroupMember.group_id)
        .where(ReviewGroupMember.assignment_id == assignment.id)
    )
    return {user_id: name for user_id, name in rows}


def set_groups(assignment: ReviewAssignment, wanted: Mapping[User, str]) -> int:
    """Replace the groups: each person's group name ("" = no group). Returns the group count.

    Refused once reviewers are allocated, or when a group with submitted work would change.
    """
    if assignment.allocated_at is not None:
        raise ReviewError(_("Reviewers are already allocated: groups can't change now."), 409)
    names: dict[str, list[User]] = {}
    for person, raw in wanted.items():
        name = " ".join(raw.split())
        if len(name) > MAX_GROUP_NAME:
            raise ReviewError(
                _("A group name can have at most %(n)d characters.", n=MAX_GROUP_NAME)
            )
        if name:
            names.setdefault(name.casefold(), []).append(person)
    handed_in = db.session.scalar(
        select(Submission.id)
        .where(Submission.assignment_id == assignment.id, Submission.group_id.is_not(None))
        .limit(1)
    )
    if handed_in is not None:
        raise ReviewError(
            _("A group has already started its work here: groups can't change now."), 409
        )
    # Keep each group's display name as first typed; rebuild the rows in one go.
    db.session.execute(
        delete(ReviewGroupMember).where(ReviewGroupMember.assignment_id == assignment.id)
    )
    existing = {
        g.name.casefold(): g
        for g in db.session.scalars(
            select(ReviewGroup).where(ReviewGroup.assignment_id == assignment.id)
        )
    }
    for key, group in existing.items():
        if key not in names:
            db.session.delete(group)
    for key, people in names.items():
        group = existing.get(key)
        if group is None:
            display = " ".join(wanted[people[0]].split())
            group = ReviewGroup(assignment_id=assignment.id, name=display)
            db.session.add(group)
            db.session.flush()
        for person in people:
            db.session.add(
                ReviewGroupMember(assignment_id=assignment.id, group_id=group.id, user_id=person.id)
            )
    db.session.flush()
    return len(names)
