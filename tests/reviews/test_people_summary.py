"""360 results, pure: nothing of the answers below the threshold (never below 3), aggregates
bounded by the levels, comments in an order that does not depend on who answered when."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.reviews import people_summary as ps
from lti_tool.reviews.rubric import STARTER_360, parse

RUBRIC = parse(STARTER_360)
SCORED = [c for c in RUBRIC.criteria if not c.feedback_only]
PROPERTY = settings(max_examples=150, deadline=None)

answer = st.builds(
    ps.Answer,
    levels=st.fixed_dictionaries(
        {c.key: st.sampled_from([lv.key for lv in c.levels]) for c in SCORED}
    ),
    comments=st.fixed_dictionaries(
        {c.key: st.text(max_size=12) for c in RUBRIC.criteria if c.comment != "off"}
    ),
    overall=st.text(max_size=12),
)


@PROPERTY
@given(answers=st.lists(answer, max_size=8), setting=st.integers(-5, 10))
def test_below_the_threshold_only_the_count_comes_out(answers, setting):
    summary = ps.summarise(RUBRIC, answers, setting)
    assert summary.needed == max(3, setting)
    assert summary.answered == len(answers)
    if len(answers) < summary.needed:
        assert not summary.ready and summary.criteria == () and summary.overall == ()
    else:
        assert summary.ready and len(summary.criteria) == len(RUBRIC.criteria)


@PROPERTY
@given(answers=st.lists(answer, min_size=3, max_size=8), data=st.data())
def test_results_do_not_depend_on_the_order_answers_came_in(answers, data):
    shuffled = data.draw(st.permutations(answers))
    assert ps.summarise(RUBRIC, answers, 3) == ps.summarise(RUBRIC, shuffled, 3)


@PROPERTY
@given(answers=st.lists(answer, min_size=3, max_size=8))
def test_aggregates_stay_within_the_levels_and_count_every_answer(answers):
    summary = ps.summarise(RUBRIC, answers, 3)
    for result in summary.scored:
        points = [lv.points for lv in result.criterion.levels]
        assert min(points) <= result.mean_points <= max(points)
        assert 0 < result.percent <= 100
        assert sum(lc.count for lc in result.distribution) == len(answers)
        assert [lc.level.points for lc in result.distribution] == sorted(points, reverse=True)
        assert abs(result.nearest.points - result.mean_points) <= 0.5


def test_a_worked_example_with_the_lowest_criterion_and_sorted_comments():
    def one(own: str, keep: str) -> ps.Answer:
        levels = {"communication": "usually", "collaboration": "consistently", "growth": "usually"}
        return ps.Answer({**levels, "ownership": own}, {"keep": keep, "try": ""}, "")

    answers = [one("sometimes", "zeal"), one("usually", "Apt"), one("sometimes", "mid")]
    summary = ps.summarise(RUBRIC, answers, 3)
    ownership = next(r for r in summary.scored if r.criterion.key == "ownership")
    assert (ownership.mean_points, ownership.percent) == (2.33, 58.3)
    assert ownership.nearest.key == "sometimes"
    assert [lc.count for lc in ownership.distribution] == [0, 1, 2, 0]
    keep = next(r for r in summary.feedback_only if r.criterion.key == "keep")
    assert keep.comments == ("Apt", "mid", "zeal")  # by text, not by who or when
    assert next(r for r in summary.feedback_only if r.criterion.key == "try").comments == ()
    weakest = ps.lowest(summary)
    assert weakest is ownership
    assert ps.next_level(weakest.criterion, weakest.nearest).key == "usually"
    top = weakest.criterion.levels[-1]
    assert ps.next_level(weakest.criterion, top) is None
    assert ps.lowest(ps.summarise(RUBRIC, answers[:2], 3)) is None
