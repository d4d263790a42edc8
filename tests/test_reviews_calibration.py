"""Calibration through the dev LMS: the instructor's examples with reference assessments, practice
reviews required before peer work, and the comparison (with the why) shown after each one."""

from __future__ import annotations

from reviewing_support import cohort, move_phase, pairs, review, reviews, submission_of
from reviews_support import LEARNERS, said
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Submission
from lti_tool.reviews import calibration


def _example_id(lti, title: str) -> str:
    with lti.app.app_context():
        return db.session.scalars(
            select(Submission.public_id).where(
                Submission.kind == "example", Submission.title == title
            )
        ).one()


def test_practice_first_then_the_comparison_with_the_reference_and_why(lti):
    c = cohort(lti, LEARNERS[:3], settings={"calibration_examples": "1"})
    staff_page = said(c.teacher.get(c.path))
    assert "Calibration examples and their reference assessments" in staff_page
    assert "Examples with a reference assessment so far: 0" in staff_page

    # The instructor writes an example, then its reference assessment with reasons.
    empty = c.teacher.post(f"{c.path}/examples", {"title": "", "source": "text"})
    assert empty.status_code == 400 and "Give the example a title." in said(empty)
    added = c.teacher.post(
        f"{c.path}/examples",
        {
            "title": "A pitch for the new canteen",
            "source": "# Canteen\n\nWe should **open** a canteen.",
            "explanation": "It states a goal but never shows who it helps.",
        },
    )
    assert added.status_code == 200 and "A pitch for the new canteen" in said(added)
    example = _example_id(lti, "A pitch for the new canteen")
    reference = review(
        c.teacher,
        c.placed,
        example,
        goal="partly",
        clarity="clear",
        next_step="Name the people it helps.",
        **{"comment-goal": "The goal is there, the benefit is not.", "comment-clarity": ""},
    )
    assert reference.status_code == 200, reference.text
    assert "Done (score" in said(reference)
    assert {r.kind for r in reviews(lti, c.placed)} == {"reference"}

    move_phase(c.teacher, c.placed, "review")
    learner = c.people["u-2001"]
    page = said(learner.get(c.path))
    assert "Practice reviews" in page and "Practise on this example" in page
    assert "First complete 1 more practice review" in page
    assert "Reviewing quality = (0.4 × C + 0.4 × P + 0.2 × H)" in page

    # Peer work is refused until the practice review is done.
    author = next(a for a, r, _s in pairs(lti, c.placed) if r == "u-2001")
    work = submission_of(lti, c.placed, author)
    early = learner.get(f"{c.path}/reviewing/{work}")
    assert early.status_code == 409 and "First complete 1 more practice review" in said(early)

    form = learner.get(f"{c.path}/reviewing/{example}")
    assert form.status_code == 200 and "Practice review: A pitch for the new canteen" in said(form)
    assert "We should <strong>open</strong> a canteen." in form.text
    compared = review(learner, c.placed, example, goal="fully", clarity="clear")
    assert compared.status_code == 200, compared.text
    text = said(compared)
    assert "How you compare with the reference" in text
    assert "1 level more generous" in text and "Same level" in text
    assert "The goal is there, the benefit is not." in text  # the reference's reason
    assert "It states a goal but never shows who it helps." in text  # the explanation
    assert str(calibration.formula()) in text
    # Agreement: goal one of two steps apart (0.5) weight 2, clarity same (1) weight 1 -> 67%.
    assert "Agreement with the instructor: 67%." in text

    # A practice review can't be redone; peer work is open now.
    again = review(learner, c.placed, example, goal="partly")
    assert again.status_code == 409 and "can't be changed" in said(again)
    assert learner.get(f"{c.path}/reviewing/{work}").status_code == 200
    assert review(learner, c.placed, work).status_code == 200
    kinds = sorted(r.kind for r in reviews(lti, c.placed))
    assert kinds == ["peer", "practice", "reference"]

    # The example can't be changed under participants' feet once practised on.
    changed = c.teacher.post(
        f"{c.path}/examples/{example}",
        {"title": "Changed", "source": "x", "explanation": ""},
    )
    assert changed.status_code == 409 and "already practised on this example" in said(changed)
    # Learners can't add examples.
    assert learner.post(f"{c.path}/examples", {"title": "x", "source": "y"}).status_code == 403
