"""The pull queue: the next reviewer gets the submission with the fewest reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.reviews.allocation import (
    Lease,
    PickReason,
    Reviewer,
    Submission,
    may_review,
    next_submission,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sub(id_, minutes_ago=0, authors=None, group=None):
    return Submission(
        id_, frozenset(authors or {f"author-{id_}"}), group, NOW - timedelta(minutes=minutes_ago)
    )


def pick(subs, me="me", group=None, completed=None, leases=(), reviewed=(), k=None):
    return next_submission(
        subs, completed or {}, leases, Reviewer(me, group), set(reviewed), NOW, k
    )


def test_the_submission_with_the_fewest_reviews_comes_first():
    subs = [sub(1, 30), sub(2, 20), sub(3, 10)]
    chosen = pick(subs, completed={1: 2, 2: 1, 3: 2})
    assert (chosen.submission_id, chosen.reason, chosen.reviews) == (2, PickReason.PICKED, 1)


def test_ties_go_to_the_earliest_submitted_then_the_smallest_id():
    assert pick([sub(1, 5), sub(2, 50), sub(3, 50)]).submission_id == 2
    assert pick([sub(9, 50), sub(4, 50)]).submission_id == 4


def test_active_leases_count_as_reviews_and_expired_ones_do_not():
    subs = [sub(1, 30), sub(2, 20)]
    held = [Lease(1, "other", NOW + timedelta(minutes=5))]
    assert pick(subs, leases=held).submission_id == 2
    expired = [Lease(1, "other", NOW - timedelta(seconds=1))]
    assert pick(subs, leases=expired).submission_id == 1


def test_a_reviewer_gets_back_the_submission_they_already_hold():
    subs = [sub(1, 30), sub(2, 20)]
    mine = [Lease(2, "me", NOW + timedelta(minutes=5))]
    chosen = pick(subs, completed={2: 3}, leases=mine)
    assert (chosen.submission_id, chosen.reason) == (2, PickReason.RESUMED)


def test_never_own_work_own_group_or_something_already_reviewed():
    subs = [sub(1, 40, authors={"me"}), sub(2, 30, group="team"), sub(3, 20), sub(4, 10)]
    chosen = pick(subs, group="team", reviewed={3})
    assert chosen.submission_id == 4


def test_over_reviewing_is_allowed_and_says_so():
    subs = [sub(1, 30), sub(2, 20)]
    chosen = pick(subs, completed={1: 3, 2: 4}, k=3)
    assert (chosen.submission_id, chosen.extra, chosen.reviews) == (1, True, 3)
    assert not pick(subs, completed={1: 2, 2: 4}, k=3).extra


def test_nothing_to_review_comes_with_the_reason():
    assert pick([]).reason is PickReason.NOTHING_SUBMITTED
    own = [sub(1, authors={"me"}), sub(2, group="team")]
    assert pick(own, group="team").reason is PickReason.ONLY_OWN_WORK
    done = [sub(1), sub(2)]
    nothing = pick(done, reviewed={1, 2})
    assert (nothing.submission_id, nothing.reason) == (None, PickReason.ALL_REVIEWED)


def test_a_submission_without_a_time_waits_behind_the_timed_ones():
    untimed = Submission(1, frozenset({"a"}))
    assert pick([untimed, sub(2, 0)]).submission_id == 2


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 3), st.sampled_from([None, "team", "x"])),
        max_size=12,
    ),
    st.sets(st.integers(0, 11)),
    st.lists(st.tuples(st.integers(0, 11), st.integers(-5, 5)), max_size=6),
)
def test_no_eligible_submission_has_fewer_reviews_than_the_pick(rows, reviewed, leases):
    subs = [
        Submission(i, frozenset({"me"} if author == 0 else {f"a{i}"}), group, NOW)
        for i, (_, author, group) in enumerate(rows)
    ]
    completed = {i: count for i, (count, _, _) in enumerate(rows)}
    held = [Lease(s, f"other-{s}", NOW + timedelta(minutes=m)) for s, m in leases]
    me = Reviewer("me", "team")
    chosen = next_submission(subs, completed, held, me, reviewed, NOW)

    def reviews(s):
        return completed[s.id] + sum(
            1 for h in held if h.submission_id == s.id and h.expires_at > NOW
        )

    open_ = [s for s in subs if may_review(me, s) and s.id not in reviewed]
    if not open_:
        assert chosen.submission_id is None
        return
    assert chosen.reason is PickReason.PICKED
    picked = next(s for s in open_ if s.id == chosen.submission_id)
    assert chosen.reviews == reviews(picked) == min(reviews(s) for s in open_)


@pytest.mark.parametrize("size", [4, 7, 8])
def test_a_cohort_pulling_in_turn_gets_k_reviews_each_give_or_take_one(size):
    people = [f"p{i}" for i in range(size)]
    subs = [sub(i, 60 - i, authors={p}) for i, p in enumerate(people)]
    completed: dict[int, int] = {}
    done: dict[str, set[int]] = {p: set() for p in people}
    for _ in range(3):
        for p in people:
            chosen = next_submission(subs, completed, [], Reviewer(p), done[p], NOW, k=3)
            assert chosen.submission_id not in done[p]
            completed[chosen.submission_id] = completed.get(chosen.submission_id, 0) + 1
            done[p].add(chosen.submission_id)
    assert sum(completed.values()) == 3 * size
    assert all(2 <= c <= 4 for c in completed.values())
