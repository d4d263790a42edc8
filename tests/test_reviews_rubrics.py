"""Rubric pages through real launches from the dev LMS: the editor (with and without its
script's help), copies, organisation templates, freezing, JSON export and import, and who may
do what: learners, other courses and other platforms are refused.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
import requests
from lessons_support import Member
from reviews_support import join, place_review
from sqlalchemy import create_engine, select, text

from lti_tool.extensions import db
from lti_tool.lti.session import issue_token, new_session_id
from lti_tool.models import (
    Activity,
    Context,
    Deployment,
    LaunchSession,
    Platform,
    ReviewAssignment,
    Rubric,
    User,
)
from lti_tool.models.base import utcnow
from lti_tool.reviews import ReviewError, rubric_form, rubrics
from lti_tool.reviews.rubric import STARTER, RubricError, parse
from lti_tool.settings import normalise_database_url

INSTRUCTOR = "u-1001"  # Aoife Ní Bhriain (seed.INSTRUCTORS)
LEARNER = "u-2001"


# --- helpers ----------------------------------------------------------------------------------


class _EditorForm(HTMLParser):
    """The fields the editor form sends as a browser would: inputs, checked boxes, textareas
    and selected options (only of the form with the given id, not of the <template>s)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a["value"]

    def handle_data(self, data):
        if self.inside and self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def editor_fields(page: str) -> dict[str, str]:
    parser = _EditorForm("pp-rubric-form")
    parser.feed(page)
    parser.fields.pop("lt", None)
    parser.fields.pop("csrf_token", None)
    return parser.fields


def alert(page: str) -> str:
    found = re.search(r'role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert found, page
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def new_rubric(member: Member) -> tuple[str, requests.Response]:
    """Start a rubric from the starter; (its public id, the editor page it opens in)."""
    page = member.post("/rubrics/new")
    assert page.status_code == 200, page.text
    found = re.search(r"/rubrics/([0-9a-f-]{36})\?", page.url)
    assert found, page.url
    return found.group(1), page


def stored(lti, public_id: str) -> Rubric:
    with lti.app.app_context():
        rubric = db.session.scalars(select(Rubric).where(Rubric.public_id == public_id)).one()
        db.session.expunge(rubric)
        return rubric


def freeze(lti, public_id: str) -> None:
    """What the reviewing code does when the first review using the rubric is submitted."""
    with lti.app.app_context():
        rubric = db.session.scalars(select(Rubric).where(Rubric.public_id == public_id)).one()
        assert rubrics.freeze_if_needed(rubric) is True
        assert rubrics.freeze_if_needed(rubric) is False  # once is enough
        db.session.commit()


class Other:
    """Someone launched elsewhere: another course of the same platform, or another platform."""

    def __init__(self, lti, token: str, csrf: str, context_id: int, platform_id: int):
        self.member = Member(lti.tool_url, token, csrf)
        self.context_id = context_id
        self.platform_id = platform_id


def launch_elsewhere(lti, *, other_platform: bool, roles: str = "instructor") -> Other:
    from lti_tool.lti.session import csrf_token_for

    with lti.app.app_context():
        here = db.session.scalars(select(Context)).first()
        platform_id, deployment_id = here.platform_id, here.deployment_id
        if other_platform:
            platform = Platform(
                issuer="https://moodle.other.example",
                client_id="other",
                name="Other organisation",
                auth_login_url="https://moodle.other.example/auth",
                auth_token_url="https://moodle.other.example/token",
                key_set_url="https://moodle.other.example/jwks",
            )
            db.session.add(platform)
            db.session.flush()
            deployment = Deployment(platform_id=platform.id, deployment_id="1")
            db.session.add(deployment)
            db.session.flush()
            platform_id, deployment_id = platform.id, deployment.id
        course = Context(
            platform_id=platform_id,
            deployment_id=deployment_id,
            lms_context_id="course-b",
            title="Course B",
        )
        person = User(platform_id=platform_id, sub="u-9001", name="Wiremu Te Rangi")
        db.session.add_all([course, person])
        db.session.flush()
        launch = LaunchSession(
            id=new_session_id(),
            user_id=person.id,
            context_id=course.id,
            roles=roles,
            message_type="LtiResourceLinkRequest",
            binding="handle",
            expires_at=utcnow() + timedelta(hours=1),
        )
        db.session.add(launch)
        db.session.commit()
        with lti.app.test_request_context():
            token, csrf = issue_token(launch.id), csrf_token_for(launch.id)
        return Other(lti, token, csrf, course.id, platform_id)


@pytest.fixture
def staff(lti) -> Member:
    return Member.launch(lti, INSTRUCTOR)


# --- the list and the editor --------------------------------------------------------------------


def test_instructor_creates_a_rubric_and_the_unchanged_form_saves_the_same_rubric(lti, staff):
    listing = staff.get("/rubrics/")
    assert listing.status_code == 200, listing.text
    assert "This course has no rubric yet." in listing.text
    public_id, editor = new_rubric(staff)
    assert "Edit rubric: Feedback on a piece of work" in editor.text
    # Every input has a label; every criterion is a fieldset with a legend.
    ids = set(re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', editor.text))
    labelled = set(re.findall(r'<label for="([^"]+)"', editor.text))
    assert ids and ids <= labelled, ids - labelled
    assert editor.text.count('<fieldset class="pp-rubric-criterion"') == 3 + 1  # + the <template>
    fields = editor_fields(editor.text)
    assert fields["c1-title"] == "Meets its goal" and fields["c1-weight"] == "2"
    assert fields["c3-feedback_only"] == "yes" and fields["c3-comment"] == "required"
    saved = staff.post(f"/rubrics/{public_id}", fields | {"action": "save"})
    assert saved.status_code == 200 and "Rubric saved." in saved.text
    rubric = stored(lti, public_id)
    assert parse(rubric.definition) == parse(STARTER)
    assert rubric.context_id is not None and not rubric.is_template and rubric.frozen_at is None
    listing = staff.get("/rubrics/")
    assert "Feedback on a piece of work" in listing.text and "Editable" in listing.text


def test_editing_without_javascript_adds_and_removes_rows_then_saves(lti, staff):
    public_id, editor = new_rubric(staff)
    fields = editor_fields(editor.text) | {"title": "Pitch feedback — ¿listo?"}
    # Add a criterion: the page comes back with it (nothing saved yet), its title focused.
    added = staff.post(f"/rubrics/{public_id}", fields | {"action": "add-criterion"})
    assert added.status_code == 200
    assert re.search(r'id="c4-title" name="c4-title" value=""[^>]*autofocus', added.text)
    assert stored(lti, public_id).title == "Feedback on a piece of work"
    fields = editor_fields(added.text)
    assert fields["title"] == "Pitch feedback — ¿listo?"  # typed values are kept
    assert (fields["c4-l1-points"], fields["c4-l2-points"]) == ("0", "1")
    # Add a level to it: points continue from the highest.
    more = staff.post(f"/rubrics/{public_id}", fields | {"action": "add-level-4"})
    fields = editor_fields(more.text)
    assert fields["c4-l3-points"] == "2"
    # Remove the second criterion: the rest move up.
    fewer = staff.post(f"/rubrics/{public_id}", fields | {"action": "remove-criterion-2"})
    fields = editor_fields(fewer.text)
    assert fields["c2-title"] == "One thing to try next" and "c4-title" not in fields
    fields |= {
        "c3-title": "Delivery",
        "c3-weight": "0.5",
        "c3-comment": "off",
        "c3-l1-descriptor": "Read from the slides.",
        "c3-l2-descriptor": "Spoke to the room.",
        "c3-l3-descriptor": "Told a story.",
    }
    saved = staff.post(f"/rubrics/{public_id}", fields | {"action": "save"})
    assert saved.status_code == 200 and "Rubric saved." in saved.text
    parsed = parse(stored(lti, public_id).definition)
    assert parsed.title == "Pitch feedback — ¿listo?"
    assert [c.title for c in parsed.criteria] == [
        "Meets its goal",
        "One thing to try next",
        "Delivery",
    ]
    delivery = parsed.criteria[2]
    assert delivery.key == "c1" and delivery.weight == 0.5 and delivery.comment == "off"
    assert [lv.points for lv in delivery.levels] == [0, 1, 2]
    assert [c.key for c in parsed.criteria[:2]] == ["goal", "next-step"]  # keys survive edits


def test_a_validation_error_names_the_criterion_keeps_the_typed_values_and_saves_nothing(
    lti, staff
):
    public_id, editor = new_rubric(staff)
    before = stored(lti, public_id)
    fields = editor_fields(editor.text) | {
        "title": "Typed, not saved",
        "c1-title": "Meets its goal (typed)",
        "c2-l1-descriptor": "   ",
    }
    refused = staff.post(f"/rubrics/{public_id}", fields | {"action": "save"})
    assert refused.status_code == 422
    message = alert(refused.text)
    assert "Not saved." in message
    assert "Criterion 2 (Clear to its audience), level 1: the descriptor is missing." in message
    assert 'href="#criterion-2"' in refused.text and 'id="criterion-2"' in refused.text
    again = editor_fields(refused.text)
    assert again["title"] == "Typed, not saved" and again["c1-title"] == "Meets its goal (typed)"
    after = stored(lti, public_id)
    assert (after.title, after.definition, after.updated_at) == (
        before.title,
        before.definition,
        before.updated_at,
    )
    # A number that is not one, and a feedback-only criterion without comments.
    refused = staff.post(
        f"/rubrics/{public_id}", editor_fields(editor.text) | {"c1-weight": "lots"}
    )
    assert refused.status_code == 422
    assert "Criterion 1 (Meets its goal): the weight must be a number." in alert(refused.text)
    refused = staff.post(
        f"/rubrics/{public_id}", editor_fields(editor.text) | {"c3-comment": "off"}
    )
    assert "Criterion 3 (One thing to try next) is feedback only" in alert(refused.text)
    assert stored(lti, public_id).definition == before.definition


def test_the_rubric_pages_link_back_to_the_peer_review_using_the_rubric(lti, staff):
    placed = place_review(lti, title="Pitch review — ¿listo?")
    teacher = join(lti, placed, INSTRUCTOR)
    link = re.search(r'/rubrics/([0-9a-f-]{36})\?lt=[^"]*">Rubric: ', teacher.get(placed.path).text)
    public_id = link.group(1)
    back = re.compile(
        rf'<a href="{re.escape(placed.path)}\?lt=[^"]+" dir="auto">Back to Pitch review — ¿listo\?</a>'
    )
    assert back.search(teacher.get(f"/rubrics/{public_id}").text)  # the editor
    freeze(lti, public_id)
    assert back.search(teacher.get(f"/rubrics/{public_id}").text)  # the read-only page
    # A rubric no peer review uses has nowhere to go back to.
    _unused, editor = new_rubric(staff)
    assert "Back to " not in editor.text


def test_copy_is_a_new_unfrozen_rubric_of_the_course(lti, staff):
    public_id, _editor = new_rubric(staff)
    freeze(lti, public_id)
    copied = staff.post(f"/rubrics/{public_id}/copy")
    assert (
        copied.status_code == 200
        and "Edit rubric: Copy of Feedback on a piece of work" in copied.text
    )
    copy_id = re.search(r"/rubrics/([0-9a-f-]{36})\?", copied.url).group(1)
    original, copy = stored(lti, public_id), stored(lti, copy_id)
    assert copy.copied_from_id == original.id and copy.context_id == original.context_id
    assert copy.frozen_at is None and original.frozen_at is not None
    assert copy.definition["criteria"] == original.definition["criteria"]
    assert copy.title == copy.definition["title"] == "Copy of Feedback on a piece of work"


def test_a_frozen_rubric_is_read_only_and_refuses_every_change(lti, staff):
    public_id, editor = new_rubric(staff)
    fields = editor_fields(editor.text)
    freeze(lti, public_id)
    before = stored(lti, public_id)
    page = staff.get(f"/rubrics/{public_id}")
    assert page.status_code == 200
    assert 'id="pp-rubric-form"' not in page.text and '<input type="text"' not in page.text
    assert "Frozen" in page.text and "Copy to change" in page.text
    assert (
        "Meets its goal" in page.text and "Does what it set out to do, convincingly." in page.text
    )
    for action in ("save", "add-criterion", "remove-criterion-1"):
        refused = staff.post(
            f"/rubrics/{public_id}", fields | {"title": "Changed", "action": action}
        )
        assert refused.status_code == 409, (action, refused.text)
        assert "This rubric is frozen" in alert(refused.text)
    refused = staff.post(f"/rubrics/{public_id}/delete")
    assert refused.status_code == 409
    assert stored(lti, public_id).definition == before.definition
    assert "Frozen" in staff.get("/rubrics/").text


def test_an_edit_racing_the_first_review_finds_the_rubric_frozen(lti, staff):
    """The save is conditional: a review that froze the rubric after the editor loaded it wins."""
    public_id, _editor = new_rubric(staff)
    with lti.app.app_context():
        rubric = db.session.scalars(select(Rubric).where(Rubric.public_id == public_id)).one()
        actor = rubrics.Actor(rubric.platform_id, rubric.context_id, rubric.created_by_id)
        assert not rubric.frozen  # what the editor saw
        engine = create_engine(normalise_database_url(lti.app.config["DATABASE_URL"]))
        with engine.begin() as other:  # the reviewing code, in its own transaction
            other.execute(
                text("UPDATE rubric SET frozen_at = :now WHERE id = :id"),
                {"now": utcnow().replace(tzinfo=None), "id": rubric.id},
            )
        engine.dispose()
        changed = dict(STARTER, title="Too late")
        assert rubric.frozen_at is None  # this session has not seen the freeze
        with pytest.raises(ReviewError) as refused:
            rubrics.update_definition(rubric, changed, actor)
        assert refused.value.status == 409
        db.session.rollback()
        assert db.session.get(Rubric, rubric.id).title == "Feedback on a piece of work"


def test_delete_only_what_nothing_uses(lti, staff):
    used_id, _ = new_rubric(staff)
    unused_id, _ = new_rubric(staff)
    with lti.app.app_context():
        rubric = db.session.scalars(select(Rubric).where(Rubric.public_id == used_id)).one()
        activity = Activity(context_id=rubric.context_id, kind="peer_review", title="Pitches")
        db.session.add(activity)
        db.session.flush()
        db.session.add(
            ReviewAssignment(
                activity_id=activity.id, context_id=rubric.context_id, rubric_id=rubric.id
            )
        )
        db.session.commit()
    confirm = staff.get(f"/rubrics/{used_id}/delete")
    assert (
        "used by 1 peer review activity" in confirm.text and "Delete the rubric" not in confirm.text
    )
    refused = staff.post(f"/rubrics/{used_id}/delete")
    assert refused.status_code == 409 and "used by 1 peer review activity" in alert(refused.text)
    confirm = staff.get(f"/rubrics/{unused_id}/delete")
    assert "Delete the rubric" in confirm.text
    deleted = staff.post(f"/rubrics/{unused_id}/delete")
    assert deleted.status_code == 200 and "The rubric was deleted." in deleted.text
    with lti.app.app_context():
        left = set(db.session.scalars(select(Rubric.public_id)))
    assert left == {used_id}
    assert staff.get(f"/rubrics/{unused_id}").status_code == 404


# --- templates and the course boundary -----------------------------------------------------------


def test_templates_are_shared_with_the_organisation_but_never_across_platforms(lti, staff):
    public_id, _ = new_rubric(staff)
    shared = staff.post(f"/rubrics/{public_id}/template")
    assert shared.status_code == 200 and "Saved as an organisation template" in shared.text
    with lti.app.app_context():
        template = db.session.scalars(select(Rubric).where(Rubric.is_template.is_(True))).one()
        source = db.session.scalars(select(Rubric).where(Rubric.public_id == public_id)).one()
        assert template.context_id is None and template.copied_from_id == source.id
        template_id = template.public_id

    # An instructor of another course of the same organisation sees and uses it...
    colleague = launch_elsewhere(lti, other_platform=False)
    listing = colleague.member.get("/rubrics/")
    assert listing.status_code == 200 and template_id in listing.text
    used = colleague.member.post(f"/rubrics/{template_id}/copy")
    assert used.status_code == 200 and "Edit rubric: Feedback on a piece of work" in used.text
    mine_id = re.search(r"/rubrics/([0-9a-f-]{36})\?", used.url).group(1)
    mine = stored(lti, mine_id)
    assert mine.context_id == colleague.context_id and not mine.is_template
    # ... but cannot change it (only who shared it, or an admin): read-only, and refused.
    page = colleague.member.get(f"/rubrics/{template_id}")
    assert 'id="pp-rubric-form"' not in page.text and "Use in this course" in page.text
    fields = editor_fields(staff.get(f"/rubrics/{template_id}").text)  # the sharer may edit
    assert fields["title"] == "Feedback on a piece of work"
    refused = colleague.member.post(f"/rubrics/{template_id}", fields | {"title": "Mine now"})
    assert refused.status_code == 403 and "Only the person who shared this template" in refused.text
    assert colleague.member.post(f"/rubrics/{template_id}/delete").status_code == 403
    assert stored(lti, template_id).title == "Feedback on a piece of work"

    # An instructor on another platform (another organisation) sees none of it.
    stranger = launch_elsewhere(lti, other_platform=True)
    listing = stranger.member.get("/rubrics/")
    assert listing.status_code == 200
    assert template_id not in listing.text and "Feedback on a piece of work" not in listing.text
    for path in (f"/rubrics/{template_id}", f"/rubrics/{template_id}/export.json"):
        refused = stranger.member.get(path)
        assert (
            refused.status_code == 404 and "There is no such rubric in this course." in refused.text
        )
    assert stranger.member.post(f"/rubrics/{template_id}/copy").status_code == 404
    # And their own template stays theirs.
    theirs = stranger.member.post("/rubrics/new")
    theirs_id = re.search(r"/rubrics/([0-9a-f-]{36})\?", theirs.url).group(1)
    assert stranger.member.post(f"/rubrics/{theirs_id}/template").status_code == 200
    assert "Organisation templates" in staff.get("/rubrics/").text
    with lti.app.app_context():
        templates = db.session.scalars(select(Rubric).where(Rubric.is_template.is_(True))).all()
        assert {t.platform_id for t in templates} == {template.platform_id, stranger.platform_id}
    assert staff.get("/rubrics/").text.count('data-rubric="') == 2  # course rubric + own template


def test_another_course_can_neither_see_nor_touch_this_courses_rubric(lti, staff):
    public_id, editor = new_rubric(staff)
    fields = editor_fields(editor.text)
    other = launch_elsewhere(lti, other_platform=False)
    listing = other.member.get("/rubrics/")
    assert listing.status_code == 200 and public_id not in listing.text
    for path in ("", "/export.json", "/delete"):
        refused = other.member.get(f"/rubrics/{public_id}{path}")
        assert refused.status_code == 404, path
        assert "There is no such rubric in this course." in refused.text
    for path, data in (
        ("", fields | {"title": "Hijacked"}),
        ("/copy", {}),
        ("/template", {}),
        ("/delete", {}),
    ):
        refused = other.member.post(f"/rubrics/{public_id}{path}", data)
        assert refused.status_code == 404, path
        assert "There is no such rubric in this course." in alert(refused.text)
    with lti.app.app_context():
        assert db.session.scalars(select(Rubric.title)).all() == ["Feedback on a piece of work"]


# --- export and import -------------------------------------------------------------------------


def test_export_then_import_gives_the_same_rubric(lti, staff):
    public_id, editor = new_rubric(staff)
    fields = editor_fields(editor.text) | {"title": "Retour d’expérience — 日本語"}
    assert staff.post(f"/rubrics/{public_id}", fields).status_code == 200
    exported = staff.get(f"/rubrics/{public_id}/export.json")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("application/json")
    disposition = exported.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="retour-d-exp-rience.json"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Retour d’expérience — 日本語.json"
    document = exported.json()
    assert document["peerpath_rubric"] == 1 and document["title"] == "Retour d’expérience — 日本語"
    imported = staff.post(
        "/rubrics/import", files={"file": ("retour.json", exported.content, "application/json")}
    )
    assert imported.status_code == 200 and "Rubric imported." in imported.text
    new_id = re.search(r"/rubrics/([0-9a-f-]{36})\?", imported.url).group(1)
    assert new_id != public_id
    original, copy = stored(lti, public_id), stored(lti, new_id)
    assert parse(copy.definition) == parse(original.definition)
    assert copy.definition == original.definition and copy.context_id == original.context_id
    again = staff.get(f"/rubrics/{new_id}/export.json").json()
    assert again == document


@pytest.mark.parametrize(
    ("content", "status", "expected"),
    [
        (b'{\n  "title": "Broken",\n  "criteria": [\n}\n', 422, "line 4, column 1"),
        (b'{"title": "x" "criteria": []}', 422, "Expecting ',' delimiter at line 1, column 15"),
        (b"\xff\xfe{}", 422, "not UTF-8 text"),
        (b"", 422, "The file is empty."),
        (b"[1, 2]", 422, "must be a JSON object"),
        (json.dumps({"peerpath_rubric": 2, **STARTER}).encode(), 422, "rubric format 2"),
        (
            json.dumps({**STARTER, "criteria": [STARTER["criteria"][0] | {"levels": []}]}).encode(),
            422,
            "Criterion 1 (Meets its goal) needs from 2 to 10 levels.",
        ),
        (b" " * (64 * 1024) + b"{}", 413, "larger than 64 KB"),
    ],
)
def test_a_bad_import_says_what_is_wrong_and_creates_nothing(lti, staff, content, status, expected):
    refused = staff.post(
        "/rubrics/import", files={"file": ("rubric.json", content, "application/json")}
    )
    assert refused.status_code == status, refused.text
    message = alert(refused.text)
    assert "rubric.json was not imported" in message and expected in message, message
    with lti.app.app_context():
        assert db.session.scalars(select(Rubric)).all() == []


def test_import_without_a_file_is_refused(staff):
    refused = staff.post("/rubrics/import")
    assert refused.status_code == 400 and "Choose a rubric file" in alert(refused.text)


# --- who may ---------------------------------------------------------------------------------


def test_a_learner_is_refused_on_every_rubric_page(lti, staff):
    public_id, editor = new_rubric(staff)
    fields = editor_fields(editor.text)
    learner = Member.launch(lti, LEARNER)
    for path in (
        "/rubrics/",
        f"/rubrics/{public_id}",
        f"/rubrics/{public_id}/export.json",
        f"/rubrics/{public_id}/delete",
    ):
        refused = learner.get(path)
        assert refused.status_code == 403, path
        assert "Only an instructor of this course can do this." in refused.text
        assert "Meets its goal" not in refused.text
    posts = [
        ("/rubrics/new", {}),
        ("/rubrics/import", {}),
        (f"/rubrics/{public_id}", fields | {"title": "Learner's"}),
        (f"/rubrics/{public_id}/copy", {}),
        (f"/rubrics/{public_id}/template", {}),
        (f"/rubrics/{public_id}/delete", {}),
    ]
    for path, data in posts:
        refused = learner.post(path, data)
        assert refused.status_code == 403, path
    with lti.app.app_context():
        assert db.session.scalars(select(Rubric.title)).all() == ["Feedback on a piece of work"]


def test_a_form_without_its_csrf_token_is_refused(lti, staff):
    public_id, editor = new_rubric(staff)
    fields = editor_fields(editor.text) | {"title": "Forged"}
    for path, data in (
        ("/rubrics/new", {}),
        (f"/rubrics/{public_id}", fields),
        (f"/rubrics/{public_id}/delete", {}),
    ):
        refused = requests.post(
            f"{lti.tool_url}{path}", data={"lt": staff.token, **data}, timeout=10
        )
        assert refused.status_code == 400, path
        assert "was not sent from your current PeerPath page" in refused.text
        wrong = requests.post(
            f"{lti.tool_url}{path}",
            data={"lt": staff.token, "csrf_token": "0" * 64, **data},
            timeout=10,
        )
        assert wrong.status_code == 400, path
    with lti.app.app_context():
        assert db.session.scalars(select(Rubric.title)).all() == ["Feedback on a piece of work"]


# --- the editor's form model ------------------------------------------------------------------


def test_form_rows_are_ordered_by_number_and_new_rows_get_keys_nobody_uses():
    draft = rubric_form.draft_from_form(
        {
            "title": "T",
            "c10-title": "Second",
            "c10-key": "",
            "c2-title": "First",
            "c2-key": "c1",
            "c2-l5-points": "3",
            "c2-l1-points": "1",
            "c10-feedback_only": "yes",
            "c10-l1-points": "4",  # a feedback-only criterion keeps no levels
        }
    )
    assert [c["title"] for c in draft["criteria"]] == ["First", "Second"]
    assert [c["key"] for c in draft["criteria"]] == ["c1", "c2"]
    assert [lv["points"] for lv in draft["criteria"][0]["levels"]] == ["1", "3"]
    assert [lv["key"] for lv in draft["criteria"][0]["levels"]] == ["l1", "l2"]
    assert draft["criteria"][1]["levels"] == []
    with pytest.raises(RubricError, match="no longer in the form"):
        rubric_form.apply_action(draft, "remove-criterion-3")
    with pytest.raises(RubricError, match="Unknown editor action"):
        rubric_form.apply_action(draft, "drop-tables")
