"""The review page: the draft as learners see it (its checks cannot be sent from here) and the
answer key a reviewer needs to judge "Accurate". The library's lesson page cannot send them either."""

from __future__ import annotations

import html
import re

from lessons_support import Member
from sqlalchemy import select
from test_lessons_placement import publish

from lti_tool.extensions import db
from lti_tool.models import User

LESSON = """---
title: Kind code reviews
summary: Review a colleague's change so that they want to ask you again.
---

## Start with what works

::: quiz single id=first points=2
What do you say first in a kind review?

- [ ] Every problem you found, most serious first
  > A list of faults first makes people defensive.
- [x] One thing the change does well
  > Yes: it shows you read the change with care.

Starting with what works keeps the conversation open.
:::

::: quiz short id=word
One word for a comment that asks instead of orders?

- [x] Question
:::
"""


def _asked_for_review(lti) -> tuple[Member, Member, str]:
    reviewer = Member.launch(lti, "u-2001")
    author = Member.launch(lti, "u-2007")
    lesson_id = author.new_lesson()
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": LESSON}).status_code == 200
    with lti.app.app_context():
        reviewer_id = db.session.scalars(select(User.public_id).where(User.sub == "u-2001")).one()
    assert (
        author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": reviewer_id}).status_code
        == 200
    )
    return author, reviewer, lesson_id


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_reviewer_sees_the_answer_key_with_feedback_and_explanation(lti):
    _author, reviewer, lesson_id = _asked_for_review(lti)
    page = reviewer.get(f"/lessons/{lesson_id}/review")
    assert page.status_code == 200
    key = page.text.split('<section aria-labelledby="key-heading"', 1)[1].split("</section>", 1)[0]
    options = [
        _text(li)
        for li in re.findall(r"<li class=\"pp-key-(?:right|wrong)\">(.*?)</li>", key, re.S)
    ]
    assert options == [
        "Wrong: Every problem you found, most serious first Feedback: A list of faults first makes people defensive.",
        "Right: One thing the change does well Feedback: Yes: it shows you read the change with care.",
        "Accepted: Question",
    ]
    assert "Explanation: Starting with what works keeps the conversation open." in _text(key)
    assert "Knowledge check 1 (2 points)" in _text(key) and "Knowledge check 2 (1 point)" in _text(
        key
    )


def test_the_drafts_checks_cannot_be_sent_from_the_review_page(lti):
    _author, reviewer, lesson_id = _asked_for_review(lti)
    page = reviewer.get(f"/lessons/{lesson_id}/review").text
    draft = page.split('class="pp-review-draft"', 1)[1].split("</section>", 1)[0]
    buttons = re.findall(r"<button[^>]*class=\"kc-submit\"[^>]*>", draft)
    assert len(buttons) == 2 and all(" disabled" in b for b in buttons), buttons
    # The review form's own button still works.
    assert re.search(r'<button type="submit" class="pp-button">Send review</button>', page)


def test_a_draft_without_checks_has_no_answer_key(lti):
    reviewer = Member.launch(lti, "u-2001")
    author = Member.launch(lti, "u-2007")
    lesson_id = author.new_lesson()
    plain = "---\ntitle: Reading the room\n---\n\n## Look\n\nWho is quiet?\n"
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": plain}).status_code == 200
    with lti.app.app_context():
        reviewer_id = db.session.scalars(select(User.public_id).where(User.sub == "u-2001")).one()
    author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": reviewer_id})
    page = reviewer.get(f"/lessons/{lesson_id}/review").text
    assert "Who is quiet?" in page
    assert "Answer key" not in page and "cannot be sent from this page" not in page


def test_after_sending_the_reviewer_reads_what_she_sent_at_the_top(lti):
    _author, reviewer, lesson_id = _asked_for_review(lti)
    before = reviewer.get(f"/lessons/{lesson_id}/review").text
    assert "pp-review-sent" not in before
    sent = reviewer.post(f"/lessons/{lesson_id}/review", {"verdict": "approve", "comment": "Kind."})
    assert sent.status_code == 200
    notice = re.search(
        r'<div class="pp-alert pp-alert-ok pp-review-sent" role="status">(.*?)</div>',
        sent.text,
        re.S,
    )
    assert notice and "ready to publish" in _text(notice.group(1)), sent.text
    assert sent.text.index("pp-review-sent") < sent.text.index("pp-review-draft")
    again = reviewer.post(
        f"/lessons/{lesson_id}/review", {"verdict": "comment", "comment": "One more thing."}
    )
    assert "it needs changes" in again.text and "ready to publish." not in again.text


def test_the_library_lesson_page_shows_the_checks_without_sending_them(lti):
    author, lesson_id = publish(lti, LESSON)
    page = author.get(f"/lessons/{lesson_id}")
    assert page.status_code == 200
    buttons = re.findall(r"<button[^>]*class=\"kc-submit\"[^>]*>", page.text)
    assert len(buttons) == 2 and all(" disabled" in b for b in buttons), buttons
    assert "The knowledge checks are answered when the lesson is taken in a course." in page.text
    # What a sent check would have met: this page only shows the lesson.
    assert author.post(f"/lessons/{lesson_id}", {"q-first": "b"}).status_code == 405
