"""360 feedback (a peer review of people): nominations and their rules, approval into
allocations, the reviewer's form, results only from three answers on (and nothing of the
content before), no names anywhere, the instructor's counts, and a development goal made from
the results in the course's peer coaching.

Everything goes through the dev LMS and the tool's HTTP server; only reads look in the database.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from coaching_support import place_coaching
from lessons_support import Member
from reviewing_support import pairs, submission_of, user_public_id
from reviews_support import (
    INSTRUCTOR,
    Placed,
    assignment,
    join,
    move_phase,
    place_review,
    said,
    settings_form,
)
from sqlalchemy import select
from test_reviews_dashboard import _second_course

from lti_tool.devlms import seed
from lti_tool.extensions import db
from lti_tool.models import Goal, Nomination, Review, Rubric

NAMES = {p.id: p.name for p in (*seed.LEARNERS, *seed.INSTRUCTORS)}
SUBJECT = "u-2001"
COLLEAGUES = ["u-2002", "u-2003", "u-2004", "u-2005"]


@dataclass
class Circle:
    lti: object
    placed: Placed
    teacher: Member
    people: dict[str, Member]

    @property
    def path(self) -> str:
        return self.placed.path

    def pid(self, user: str) -> str:
        return user_public_id(self.lti, user)

    def nominate(self, subject: str, reviewer_public_id: str):
        return self.people[subject].post(
            f"{self.path}/people/nominations", {"reviewer": reviewer_public_id}
        )

    def decide(self, action: str, subject: str = "", reviewer: str = "", who: Member | None = None):
        fields = {"action": action}
        if subject:
            fields["subject"] = self.pid(subject)
        if reviewer:
            fields["reviewer"] = self.pid(reviewer)
        return (who or self.teacher).post(f"{self.path}/people/manage", fields)

    def results(self, viewer: str, subject: str | None = None):
        member = self.teacher if viewer == INSTRUCTOR else self.people[viewer]
        tail = f"/{self.pid(subject)}" if subject else ""
        return member.get(f"{self.path}/people/results{tail}")

    def answer(self, reviewer: str, subject: str = SUBJECT, action: str = "submit", **fields):
        """The 360 starter rubric's form, as a colleague fills it in."""
        form = {
            "level-communication": "usually",
            "level-collaboration": "consistently",
            "level-ownership": "sometimes",
            "level-growth": "usually",
            "comment-keep": f"Keep note from {reviewer}",
            "comment-try": f"Try note from {reviewer}",
            "overall": "",
            "action": action,
        }
        form.update({k.replace("_", "-"): v for k, v in fields.items()})
        work = submission_of(self.lti, self.placed, subject)
        return self.people[reviewer].post(f"{self.path}/reviewing/{work}", form)


def circle(lti, learners: list[str] | None = None, **settings) -> Circle:
    """A 360 feedback placed and opened for nominations, with ``learners`` launched."""
    placed = place_review(lti, "Team 360", mode="people")
    teacher = join(lti, placed, INSTRUCTOR)
    if settings:
        saved = teacher.post(f"{placed.path}/settings", settings_form(**settings))
        assert saved.status_code == 200, saved.text
    move_phase(teacher, placed, "submission")
    people = {user: join(lti, placed, user) for user in learners or [SUBJECT, *COLLEAGUES]}
    return Circle(lti, placed, teacher, people)


def approved_circle(lti, reviewers: list[str], **settings) -> Circle:
    """SUBJECT nominated ``reviewers``, the instructor approved them all, reviewing is open."""
    c = circle(lti, [SUBJECT, *reviewers, "u-2006"], **settings)
    for reviewer in reviewers:
        assert c.nominate(SUBJECT, c.pid(reviewer)).status_code == 200
    assert c.decide("approve_all").status_code == 200
    move_phase(c.teacher, c.placed, "review")
    return c


def nominations(lti, placed: Placed) -> list[tuple[str, str]]:
    a = assignment(lti, placed)
    with lti.app.app_context():
        rows = db.session.scalars(select(Nomination).where(Nomination.assignment_id == a.id))
        return sorted((n.reviewer.sub, n.status) for n in rows)


def text_of(response) -> str:
    """The page's text without tags, whitespace collapsed (what a reader sees)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split()).replace(
        " :", ":"
    )


def names_in(page: str, users) -> list[str]:
    return [NAMES[u] for u in users if NAMES[u] in page]


# --- placement ---------------------------------------------------------------------------------


def test_a_360_is_placed_ungraded_with_the_competency_starter_rubric(lti):
    placed = place_review(lti, "Team 360", mode="people")
    assert placed.line_item is None  # 360 feedback is never graded
    a = assignment(lti, placed)
    assert (a.mode, a.nomination, a.min_responses) == ("people", "approved", 3)
    with lti.app.app_context():
        rubric = db.session.get(Rubric, a.rubric_id)
        criteria = rubric.definition["criteria"]
        assert [c["key"] for c in criteria] == [
            "communication",
            "collaboration",
            "ownership",
            "growth",
            "keep",
            "try",
        ]
        assert all(len(c["levels"]) == 4 for c in criteria[:4])
        assert [c["feedback_only"] for c in criteria[4:]] == [True, True]
    learner = join(lti, placed, SUBJECT)
    page = said(learner.get(placed.path))
    assert "Colleagues giving you feedback" in page and "Your work" not in page
    assert "Nobody has asked you for feedback yet." in page
    # A review of work has no 360 pages.
    work = place_review(lti, "Pitch review")
    learner = join(lti, work, SUBJECT)
    for path in ("/people/nominations", "/people/results"):
        missing = learner.get(work.path + path)
        assert missing.status_code == 404 and "not 360 feedback" in said(missing)


# --- nominations ------------------------------------------------------------------------------


def test_nominations_refuse_self_duplicates_and_outsiders_and_write_nothing(lti):
    c = circle(lti)
    outsider = _second_course(lti)  # Jürgen launched into another course of the same platform
    ok = c.nominate(SUBJECT, c.pid("u-2002"))
    assert ok.status_code == 200 and "Nominated. Your instructor decides on it." in said(ok)
    assert NAMES["u-2002"] in said(ok) and "Waiting for approval" in said(ok)

    refusals = {
        c.pid(SUBJECT): "You can't nominate yourself",
        c.pid("u-2002"): f"You already nominated {NAMES['u-2002']}.",
        c.pid(INSTRUCTOR): "This person is not a participant of this course",
        user_public_id(lti, "u-1002"): "This person is not a participant of this course",
        "not-a-person": "This person is not a participant of this course",
        "": "Choose a colleague to nominate.",
    }
    for reviewer, message in refusals.items():
        refused = c.nominate(SUBJECT, reviewer)
        assert refused.status_code == 400, reviewer
        assert message in said(refused) and "Nothing was saved." in said(refused)
    assert nominations(lti, c.placed) == [("u-2002", "proposed")]

    # The choice list offers colleagues only: not the person, not the instructor, not taken ones.
    page = said(c.people[SUBJECT].get(f"{c.path}/people/nominations"))
    options = re.findall(
        r'<option value="([^"]+)"', c.people[SUBJECT].get(f"{c.path}/people/nominations").text
    )
    assert set(options) == {c.pid(u) for u in COLLEAGUES[1:]}
    assert "Nominate colleagues" in page

    # A learner can't decide on nominations, and an instructor of another course sees nothing.
    for member in (c.people["u-2002"], c.people[SUBJECT]):
        assert c.decide("approve_all", who=member).status_code == 403
        assert member.get(f"{c.path}/people/manage").status_code == 403
    foreign = outsider.get(f"{c.path}/people/manage")
    assert foreign.status_code == 403 and "belongs to another course" in said(foreign)
    assert nominations(lti, c.placed) == [("u-2002", "proposed")]
    assert pairs(lti, c.placed) == []

    # Taking a nomination back, then nominations close when reviewing opens.
    back = c.people[SUBJECT].post(
        f"{c.path}/people/nominations", {"action": "withdraw", "reviewer": c.pid("u-2002")}
    )
    assert back.status_code == 200 and "Nomination taken back." in said(back)
    assert nominations(lti, c.placed) == []
    move_phase(c.teacher, c.placed, "review")
    late = c.nominate(SUBJECT, c.pid("u-2003"))
    assert late.status_code == 409 and "Nominations closed when reviewing opened" in said(late)
    assert nominations(lti, c.placed) == []


def test_approved_nominations_become_allocations_and_declined_ones_do_not(lti):
    c = circle(lti)
    for reviewer in ("u-2002", "u-2003", "u-2004"):
        assert c.nominate(SUBJECT, c.pid(reviewer)).status_code == 200
    assert c.decide("decline", SUBJECT, "u-2004").status_code == 200
    one = c.decide("approve", SUBJECT, "u-2002")
    assert one.status_code == 200 and "Approved" in said(one)
    assert pairs(lti, c.placed) == [(SUBJECT, "u-2002", "manual")]
    bulk = c.decide("approve_all")
    assert bulk.status_code == 200 and "1 nomination approved." in said(bulk)
    assert nominations(lti, c.placed) == [
        ("u-2002", "approved"),
        ("u-2003", "approved"),
        ("u-2004", "declined"),
    ]
    assert pairs(lti, c.placed) == [(SUBJECT, "u-2002", "manual"), (SUBJECT, "u-2003", "manual")]

    # The person sees the decisions; a declined colleague can't be nominated again.
    page = text_of(c.people[SUBJECT].get(c.path))
    assert f"{NAMES['u-2004']}: declined" in page and f"{NAMES['u-2002']}: approved" in page
    again = c.nominate(SUBJECT, c.pid("u-2004"))
    assert again.status_code == 400 and "Your instructor declined" in said(again)

    # The reviewer finds the person in their list, and the form says whom it is about.
    listed = said(c.people["u-2002"].get(c.path))
    assert "Feedback to give" in listed and NAMES[SUBJECT] in listed
    assert "Opens when reviewing starts" in listed
    assert "Nobody has asked you for feedback yet." in said(c.people["u-2004"].get(c.path))
    move_phase(c.teacher, c.placed, "review")
    work = submission_of(lti, c.placed, SUBJECT)
    form = said(c.people["u-2002"].get(f"{c.path}/reviewing/{work}"))
    assert f'<h1 dir="auto">Feedback for {NAMES[SUBJECT]}</h1>' in form
    assert "never who said what" in form and "The work" not in form
    assert "One thing to keep doing" in form and "Communication" in form
    refused = c.people["u-2004"].get(f"{c.path}/reviewing/{work}")
    assert refused.status_code == 403
    own = c.people[SUBJECT].get(f"{c.path}/reviewing/{work}")
    assert own.status_code == 403  # no self-assessment in this one

    # Once a colleague answered, the instructor can no longer take them away.
    assert c.answer("u-2002").status_code == 200
    kept = c.decide("decline", SUBJECT, "u-2002")
    assert kept.status_code == 409 and "already submitted" in said(kept)
    assert ("u-2002", "approved") in nominations(lti, c.placed)


def test_in_instructor_mode_the_instructor_chooses_and_learners_cannot_nominate(lti):
    c = circle(lti, nomination="instructor")
    refused = c.nominate(SUBJECT, c.pid("u-2002"))
    assert refused.status_code == 409 and "your instructor chooses" in said(refused)
    assert "Your instructor chooses the colleagues" in said(c.people[SUBJECT].get(c.path))

    chosen = c.decide("choose", SUBJECT, "u-2003")
    assert chosen.status_code == 200 and "Added" in said(chosen)
    assert pairs(lti, c.placed) == [(SUBJECT, "u-2003", "manual")]
    self_review = c.decide("choose", SUBJECT, SUBJECT)
    assert self_review.status_code == 400 and "can't give feedback on themself" in said(self_review)
    twice = c.decide("choose", SUBJECT, "u-2003")
    assert twice.status_code == 400 and "already gives feedback to" in said(twice)
    outsider = c.teacher.post(
        f"{c.path}/people/manage",
        {"action": "choose", "subject": c.pid(SUBJECT), "reviewer": c.pid(INSTRUCTOR)},
    )
    assert outsider.status_code == 400 and "not a participant" in said(outsider)
    assert pairs(lti, c.placed) == [(SUBJECT, "u-2003", "manual")]
    assert nominations(lti, c.placed) == [("u-2003", "approved")]


# --- the threshold and anonymity ----------------------------------------------------------------


def test_results_show_nothing_below_three_answers_then_only_anonymous_aggregates(lti):
    c = approved_circle(lti, COLLEAGUES)
    reviewers = COLLEAGUES
    # Submitted in this order; shown sorted by text, so the order says nothing about who.
    assert c.answer("u-2002", comment_keep="Zebra: keeps meetings short").status_code == 200
    assert c.answer("u-2003", comment_keep="Alpha: shares the plan early").status_code == 200

    # Two answers: the count and nothing else, on the page and the results page.
    for page in (said(c.people[SUBJECT].get(c.path)), said(c.results(SUBJECT))):
        assert "2 of 4 colleagues have answered; your results appear when at least 3 have." in page
        assert "Zebra" not in page and "Alpha" not in page and "Try note" not in page
        assert "Average" not in page and "How many colleagues chose" not in page
    assert names_in(said(c.results(SUBJECT)), reviewers) == []
    # Not by the back doors either: the work's feedback page and a single review.
    feedback = c.people[SUBJECT].get(f"{c.path}/feedback")
    assert "Zebra" not in said(feedback) and "/people/results" in feedback.url
    with lti.app.app_context():
        review_ids = list(db.session.scalars(select(Review.public_id)))
    for rid in review_ids:
        for viewer in (c.people[SUBJECT], c.teacher):
            single = viewer.get(f"{c.path}/reviews/{rid}")
            assert single.status_code == 403 and "single answers are never shown" in said(single)
            assert "Zebra" not in said(single)
    # The instructor sees the same: counts, no content yet.
    early = said(c.results(INSTRUCTOR, SUBJECT))
    assert "2 of 4 colleagues have answered" in early and "Zebra" not in early

    draft = c.answer("u-2004", action="draft", comment_keep="Mango: a draft")
    assert draft.status_code == 200
    assert "Mango" not in said(c.results(SUBJECT))  # a draft is not an answer
    assert c.answer("u-2004", comment_keep="Mango: asks good questions").status_code == 200
    # Enough answers, but colleagues may still answer: a change in the results would tell
    # whoever knows who answered last what that person said, so nothing shows yet.
    waiting = said(c.results(SUBJECT))
    assert (
        "3 of 4 colleagues have answered. Results appear when the instructor ends the answering"
        in waiting
    )
    assert "Mango" not in waiting and "Average" not in waiting
    move_phase(c.teacher, c.placed, "grading")

    page = said(c.results(SUBJECT))
    assert "3 colleagues answered." in page
    # communication: usually ×3 = 3 of 4; ownership: sometimes ×3 = 2 of 4 (the lowest)
    assert "Average: 3 of 4 points (75%)." in page
    assert "Average: 2 of 4 points (50%)." in page
    assert page.index("Alpha: shares") < page.index("Mango: asks") < page.index("Zebra: keeps")
    assert "Try note from u-2002" in page and "Try note from u-2004" in page
    assert names_in(page, reviewers) == []  # nobody's name, anywhere in the page
    table = re.search(
        r"<caption>How many colleagues chose each level</caption>(.*?)</table>", page, re.S
    )
    counts = re.findall(r"<td>(\d)</td></tr>", table.group(1))
    assert counts == ["0", "3", "0", "0"]  # communication: consistently, usually, sometimes, rarely

    # The instructor: the counts per person and the same aggregate, without names.
    board = said(c.teacher.get(f"{c.path}/people/manage"))
    assert "3 of 4 colleagues have answered." in board and "See the results" in board
    theirs = said(c.results(INSTRUCTOR, SUBJECT))
    assert f"360 feedback for {NAMES[SUBJECT]}" in theirs
    assert "Average: 2 of 4 points (50%)." in theirs and "Mango: asks" in theirs
    assert names_in(theirs, reviewers) == [] and "Turn this into a development goal" not in theirs

    # Nobody else: another learner (a reviewer too) gets a 403, and their own results are empty.
    for other in ("u-2002", "u-2006"):
        refused = c.results(other, SUBJECT)
        assert refused.status_code == 403 and "Zebra" not in said(refused)
        assert "only to the person they are about" in said(refused)
    assert "0 of 0 colleagues have answered" in said(c.results("u-2006"))
    instructor_own = c.teacher.get(f"{c.path}/people/results")
    assert instructor_own.status_code == 404


def test_min_responses_is_never_below_three_and_a_higher_one_holds_results_back(lti):
    placed = place_review(lti, "Team 360", mode="people")
    teacher = join(lti, placed, INSTRUCTOR)
    refused = teacher.post(f"{placed.path}/settings", settings_form(min_responses="2"))
    assert refused.status_code == 400
    assert "Answers needed before 360 results show must be a whole number from 3 to 50" in said(
        refused
    )
    assert assignment(lti, placed).min_responses == 3

    c = approved_circle(lti, COLLEAGUES, min_responses="4")
    for reviewer in COLLEAGUES[:3]:
        assert c.answer(reviewer).status_code == 200
    page = said(c.results(SUBJECT))
    assert "3 of 4 colleagues have answered; your results appear when at least 4 have." in page
    assert "Keep note" not in page
    assert c.answer(COLLEAGUES[3]).status_code == 200
    move_phase(c.teacher, c.placed, "grading")
    assert "Keep note from u-2005" in said(c.results(SUBJECT))


def test_the_self_assessment_is_shown_beside_the_others_and_not_counted(lti):
    c = approved_circle(lti, COLLEAGUES[:3], self_assessment="yes")
    started = c.people[SUBJECT].post(f"{c.path}/people/self")
    assert started.status_code == 200 and "Assess yourself" in said(started)
    work = submission_of(lti, c.placed, SUBJECT)
    assert f"/reviewing/{work}" in started.url
    mine = c.answer(SUBJECT, level_ownership="consistently", comment_keep="Self: my keep")
    assert mine.status_code == 200
    for reviewer in COLLEAGUES[:2]:
        assert c.answer(reviewer).status_code == 200
    waiting = said(c.results(SUBJECT))
    assert "2 of 3 colleagues have answered" in waiting and "Self: my keep" not in waiting
    assert c.answer(COLLEAGUES[2]).status_code == 200
    move_phase(c.teacher, c.placed, "grading")
    page = text_of(c.results(SUBJECT))
    assert "3 colleagues answered." in page
    assert "Your self-assessment: Consistently owns outcomes end to end" in page
    assert "Your own answer: Self: my keep" in page
    # The colleagues' ownership average ignores the self-assessment (sometimes ×3).
    assert "Average: 2 of 4 points (50%)." in page


# --- a development goal -------------------------------------------------------------------------


def test_results_turn_into_a_coaching_goal_with_its_origin(lti):
    c = approved_circle(lti, COLLEAGUES[:3])
    for reviewer in COLLEAGUES[:2]:
        assert c.answer(reviewer).status_code == 200
    early = c.people[SUBJECT].post(f"{c.path}/people/goal", {"coaching": "x", "what": "Grow"})
    assert early.status_code == 409 and "not showing yet" in said(early)
    assert c.answer(COLLEAGUES[2]).status_code == 200
    move_phase(c.teacher, c.placed, "grading")

    no_coaching = said(c.results(SUBJECT))
    assert "This course has no peer coaching activity yet" in no_coaching

    coaching = place_coaching(lti, "Coaching circle")
    page = said(c.results(SUBJECT))
    assert "Turn this into a development goal" in page and "Coaching circle" in page
    # Prefilled from the lowest-rated competency (ownership: sometimes).
    what = html.unescape(re.search(r'id="goal-what"[^>]*>([^<]*)<', page).group(1))
    assert what.startswith("Grow in Ownership, towards: Usually delivers what was promised")
    assert "rated Ownership lowest" in page

    fields = {
        "coaching": coaching.activity_id,
        "what": "Say early when a deadline slips",
        "why": "Colleagues rated ownership lowest.",
        "measure": "Every slip announced a day ahead",
        "target_date": "2030-06-30",
    }
    bad = c.people[SUBJECT].post(f"{c.path}/people/goal", {**fields, "what": ""})
    assert bad.status_code == 400 and "Say what you want to achieve" in said(bad)
    assert "Nothing was saved." in said(bad)
    wrong = c.people[SUBJECT].post(f"{c.path}/people/goal", {**fields, "coaching": "elsewhere"})
    assert wrong.status_code == 400 and "Choose one of this course's peer coaching" in said(wrong)
    refused = c.teacher.post(f"{c.path}/people/goal", fields)
    assert refused.status_code == 403
    with lti.app.app_context():
        assert db.session.scalars(select(Goal)).all() == []

    made = c.people[SUBJECT].post(f"{c.path}/people/goal", fields)
    assert made.status_code == 200 and f"/coach/{coaching.activity_id}/goals/" in made.url
    assert "Say early when a deadline slips" in said(made)
    with lti.app.app_context():
        goal = db.session.scalars(select(Goal)).one()
        assert goal.owner.sub == SUBJECT and goal.what == "Say early when a deadline slips"
        assert goal.origin == {"kind": "peer_review_360", "activity": c.placed.activity_id}
        assert str(goal.target_date) == "2030-06-30"
        goal_id = goal.public_id
    listed = c.results(SUBJECT).text
    assert f"/coach/{coaching.activity_id}/goals/{goal_id}" in listed
