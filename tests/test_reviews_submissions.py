"""Peer review: placement, phases, submissions (text, links, files), late policy, access."""

from __future__ import annotations

from reviews_support import INSTRUCTOR, assignment, join, move_phase, place_review, said
from reviews_support import settings_form as _settings_form
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Rubric, Submission, SubmissionFile, User
from lti_tool.reviews import groups


def test_placing_creates_the_assignment_with_its_own_rubric_and_a_line_item(lti):
    placed = place_review(lti, k="2", allocation_mode="queue")
    assert placed.line_item and placed.line_item["score_maximum"] == 100
    a = assignment(lti, placed)
    assert (a.phase, a.reviews_per_submission, a.allocation_mode, a.mode) == (
        "setup",
        2,
        "queue",
        "work",
    )
    with lti.app.app_context():
        rubric = db.session.get(Rubric, a.rubric_id)
        assert (
            rubric.context_id == a.context_id
            and not rubric.is_template
            and rubric.frozen_at is None
        )
        assert [c["key"] for c in rubric.definition["criteria"]] == ["goal", "clarity", "next-step"]


def test_a_learner_submits_markdown_links_and_a_file_and_script_is_never_served(lti):
    placed = place_review(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    move_phase(teacher, placed, "submission")
    learner = join(lti, placed, "u-2001")
    page = learner.get(placed.path)
    assert "Your work" in said(page) and "Submit for review" in said(page)

    response = learner.post(
        f"{placed.path}/submission",
        {
            "title": "Q3 pitch",
            "source": "# Plan\n\n<script>alert(1)</script> **bold**",
            "links": "https://example.com/deck",
            "action": "submit",
        },
    )
    assert response.status_code == 200, response.text
    assert "Submitted on" in said(response)
    with lti.app.app_context():
        sub = db.session.query(Submission).one()
        assert sub.submitted_at is not None and not sub.is_late
        assert "<strong>bold</strong>" in sub.html and "<script" not in sub.html
        assert sub.links == ["https://example.com/deck"]

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    up = learner.post(
        f"{placed.path}/submission/files", files={"file": ("plan.pdf", pdf, "application/pdf")}
    )
    assert up.status_code == 200 and "plan.pdf" in said(up)
    with lti.app.app_context():
        file_id = db.session.query(SubmissionFile).one().public_id
    got = learner.get(f"{placed.path}/files/{file_id}")
    assert got.content == pdf and got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    # A colleague who is not reviewing it cannot open it.
    other = join(lti, placed, "u-2002")
    refused = other.get(f"{placed.path}/files/{file_id}")
    assert refused.status_code == 403 and "Only the authors and the instructors" in said(refused)


def test_headings_in_the_work_never_outrank_the_pages_headings(lti):
    placed = place_review(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    move_phase(teacher, placed, "submission")
    titled, untitled = join(lti, placed, "u-2001"), join(lti, placed, "u-2002")
    for member, title in ((titled, "Q3 pitch"), (untitled, "")):
        saved = member.post(
            f"{placed.path}/submission",
            {"title": title, "source": "# Plan\n\n## Costs\n\ntext", "action": "submit"},
        )
        assert saved.status_code == 200, saved.text
    move_phase(teacher, placed, "review")  # the page now shows the work under "Your work" (h2)
    page = titled.get(placed.path).text
    assert "<h3>Q3 pitch</h3><h4>Plan</h4>" in page and "<h5>Costs</h5>" in page
    assert "<h1>Plan</h1>" not in page
    page = untitled.get(placed.path).text  # no title (h3): its headings start at h3
    assert "<h3>Plan</h3>" in page and "<h4>Costs</h4>" in page


def test_bad_files_and_links_are_refused_with_reasons_and_nothing_is_stored(lti):
    placed = place_review(lti)
    move_phase(join(lti, placed, INSTRUCTOR), placed, "submission")
    learner = join(lti, placed, "u-2001")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = learner.post(
        f"{placed.path}/submission/files", files={"file": ("x.svg", svg, "image/svg+xml")}
    )
    assert r.status_code == 415 and "can't be attached" in said(r)
    fake = learner.post(
        f"{placed.path}/submission/files",
        files={"file": ("deck.pdf", b"MZ\x90\x00", "application/pdf")},
    )
    assert fake.status_code == 415
    big = learner.post(
        f"{placed.path}/submission/files",
        files={"file": ("big.txt", b"a" * 5_000_001, "text/plain")},
    )
    assert big.status_code == 413 and "limit is 5 MB" in said(big)
    link = learner.post(
        f"{placed.path}/submission",
        {"source": "x", "links": "javascript:alert(1)", "action": "submit"},
    )
    assert link.status_code == 400 and "is not a web address" in said(link)
    with lti.app.app_context():
        assert db.session.query(SubmissionFile).count() == 0
        assert db.session.query(Submission).count() == 0


def test_after_the_deadline_work_is_refused_or_marked_late_by_policy(lti):
    placed = place_review(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    learner = join(lti, placed, "u-2001")
    early = learner.post(f"{placed.path}/submission", {"source": "too early", "action": "submit"})
    assert early.status_code == 409 and "not open yet" in said(early)
    move_phase(teacher, placed, "review")
    late = learner.post(f"{placed.path}/submission", {"source": "late", "action": "submit"})
    assert late.status_code == 409 and "deadline has passed" in said(late)

    settings = teacher.get(f"{placed.path}/settings")
    assert settings.status_code == 200 and "Work handed in after the deadline" in said(settings)
    form = _settings_form(late_policy="penalty", late_penalty_percent="20")
    saved = teacher.post(f"{placed.path}/settings", form)
    assert saved.status_code == 200, saved.text
    accepted = learner.post(f"{placed.path}/submission", {"source": "late", "action": "submit"})
    assert accepted.status_code == 200 and "It was late." in said(accepted)
    with lti.app.app_context():
        assert db.session.query(Submission).one().is_late


def test_settings_errors_name_the_field_and_change_nothing(lti):
    placed = place_review(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    bad = teacher.post(
        f"{placed.path}/settings",
        _settings_form(
            review_opens_at="2030-01-10T10:00",
            submission_opens_at="2030-01-12T10:00",
            instructions="changed",
        ),
    )
    assert bad.status_code == 400
    assert "'Reviewing opens (submission deadline)' must be after 'Submissions open'" in said(bad)
    assert assignment(lti, placed).instructions == ""
    k = teacher.post(f"{placed.path}/settings", _settings_form(reviews_per_submission="0"))
    assert (
        k.status_code == 400
        and "Reviews per submission must be a whole number from 1 to 10" in said(k)
    )
    fac = teacher.post(
        f"{placed.path}/settings", _settings_form(small_cohort_fallback="facilitator")
    )
    assert fac.status_code == 400 and "Choose the facilitator" in said(fac)


def test_learners_cannot_change_settings_or_phases(lti):
    placed = place_review(lti)
    learner = join(lti, placed, "u-2001")
    assert learner.post(f"{placed.path}/phase", {"phase": "review"}).status_code == 403
    assert learner.get(f"{placed.path}/settings").status_code == 403
    assert assignment(lti, placed).phase == "setup"


def test_groups_are_typed_by_name_and_a_group_hands_in_one_piece_of_work(lti):
    placed = place_review(lti)
    teacher = join(lti, placed, INSTRUCTOR)
    assert (
        teacher.post(f"{placed.path}/settings", _settings_form(group_submissions="yes")).status_code
        == 200
    )
    with lti.app.app_context():
        ids = dict(db.session.execute(select(User.sub, User.public_id)).all())
    for sub in ("u-2001", "u-2002", "u-2003"):
        join(lti, placed, sub)
    with lti.app.app_context():
        ids = dict(db.session.execute(select(User.sub, User.public_id)).all())
    saved = teacher.post(
        f"{placed.path}/groups",
        {
            f"group-{ids['u-2001']}": "Team Ωmega",
            f"group-{ids['u-2002']}": " team  ωmega ",
            f"group-{ids['u-2003']}": "Blue",
        },
    )
    assert saved.status_code == 200 and "Saved: 2 groups." in said(saved)
    with lti.app.app_context():
        a = assignment(lti, placed)
        names = groups.groups_of(a)
        assert (
            len(names) == 3 and len(set(names.values())) == 2
        )  # the same name in any case: one group
        assert sorted(n.casefold() for n in names.values()) == ["blue", "team ωmega", "team ωmega"]

    move_phase(teacher, placed, "submission")
    first = join(lti, placed, "u-2001")
    assert (
        first.post(
            f"{placed.path}/submission", {"source": "Our plan", "action": "submit"}
        ).status_code
        == 200
    )
    teammate = join(lti, placed, "u-2002")
    page = teammate.get(placed.path)
    assert "Our plan" in page.text  # the group's work, editable by every member
    assert (
        teammate.post(
            f"{placed.path}/submission", {"source": "Our plan, v2", "action": "submit"}
        ).status_code
        == 200
    )
    with lti.app.app_context():
        (only,) = db.session.query(Submission).all()
        assert only.source == "Our plan, v2" and only.group_id is not None
    late = teacher.post(f"{placed.path}/groups", {f"group-{ids['u-2003']}": "Team Ωmega"})
    assert late.status_code == 409 and "groups can't change now" in said(late)


def test_a_learner_cannot_see_or_change_groups(lti):
    placed = place_review(lti)
    learner = join(lti, placed, "u-2001")
    assert learner.get(f"{placed.path}/groups").status_code == 403
    assert learner.post(f"{placed.path}/groups", {}).status_code == 403


def test_placing_with_an_organisation_template_gives_the_activity_its_own_copy(lti):
    from lti_tool.models import Context, Platform
    from lti_tool.reviews import rubrics
    from lti_tool.reviews.rubric import STARTER

    join(lti, place_review(lti, title="Warm-up"), INSTRUCTOR)  # the course exists in PeerPath now
    with lti.app.app_context():
        context = db.session.query(Context).one()
        platform = db.session.query(Platform).one()
        teacher_id = db.session.scalars(select(User.id).where(User.sub == INSTRUCTOR)).one()
        actor = rubrics.Actor(platform_id=platform.id, context_id=context.id, user_id=teacher_id)
        template = rubrics.save_as_template(
            rubrics.create(actor, {**STARTER, "title": "Sales pitch"}), actor
        )
        db.session.commit()
        template_id, template_pk = template.public_id, template.id
    placed = place_review(lti, title="Pitch review", rubric=template_id)
    a = assignment(lti, placed)
    with lti.app.app_context():
        own = db.session.get(Rubric, a.rubric_id)
        assert own.id != template_pk and own.copied_from_id == template_pk
        assert own.title == "Sales pitch" and not own.is_template and own.context_id == a.context_id
    page = join(lti, placed, INSTRUCTOR).get(placed.path)
    assert "Rubric: Sales pitch" in said(page)
