"""An independent reference for the matcher: the rules re-stated plainly, and brute force.

Nothing here imports the matcher's internals: it reads the issue's rules and the documented
fit formula, so a test comparing the two checks the module against the spec.
"""

from __future__ import annotations

from hypothesis import strategies as st

from lti_tool.coaching.matching import MENTOR_BONUS, Options, Person

SKILLS = ["negotiation", "SQL", "feedback", "Python", "écoute"]


def reference_fit(coach: Person, coachee: Person) -> int:
    total = sum(weight for _, weight in coachee.wants)
    shared = sum(weight for skill, weight in coachee.wants if skill in coach.can_coach)
    return round(1000 * shared / total) if total else 0


def wants_coach(person: Person, options: Options) -> bool:
    if person.opt_out:
        return False
    if options.needs_coach is not None:
        return person.id in options.needs_coach
    return person.new_hire if options.onboarding else len(person.wants) > 0


def can_be_coach(person: Person, options: Options) -> bool:
    if person.opt_out or person.capacity == 0:
        return False
    if options.onboarding:
        return not person.new_hire and (person.experienced or person.is_mentor_role)
    return True


def zero_fit_ok(options: Options) -> bool:
    return options.onboarding if options.allow_zero_fit is None else options.allow_zero_fit


def pair_allowed(
    coach: Person, coachee: Person, previous: set[frozenset[str]], options: Options
) -> bool:
    """Every rule about one pair (capacity and reciprocity are about the whole matching)."""
    if coach.id == coachee.id:
        return False
    if not (can_be_coach(coach, options) and wants_coach(coachee, options)):
        return False
    if options.across_teams and coach.teams & coachee.teams:
        return False
    if not options.allow_previous_pairs and frozenset((coach.id, coachee.id)) in previous:
        return False
    return zero_fit_ok(options) or reference_fit(coach, coachee) > 0


def reference_score(coach: Person, coachee: Person, options: Options) -> int:
    bonus = MENTOR_BONUS if options.onboarding and coach.is_mentor_role else 0
    return reference_fit(coach, coachee) + bonus


def brute_force(people: list[Person], previous_pairs, options: Options) -> tuple[int, int]:
    """(most coachees paired, best total score among those) over every valid matching."""
    previous = {frozenset(pair) for pair in previous_pairs}
    coachees = [p for p in people if wants_coach(p, options)]
    options_of = {
        c.id: [k for k in people if pair_allowed(k, c, previous, options)] for c in coachees
    }
    room = {p.id: p.capacity for p in people}
    coach_of: dict[str, str] = {}
    best = (0, 0)

    def walk(i: int, matched: int, total: int) -> None:
        nonlocal best
        if i == len(coachees):
            best = max(best, (matched, total))
            return
        coachee = coachees[i]
        walk(i + 1, matched, total)
        for coach in options_of[coachee.id]:
            if room[coach.id] == 0:
                continue
            if not options.allow_reciprocal and coach_of.get(coach.id) == coachee.id:
                continue
            room[coach.id] -= 1
            coach_of[coachee.id] = coach.id
            walk(i + 1, matched + 1, total + reference_score(coach, coachee, options))
            del coach_of[coachee.id]
            room[coach.id] += 1

    walk(0, 0, 0)
    return best


def check_rules(people: list[Person], previous_pairs, options: Options, result) -> None:
    """Assert every hard rule on a result, and that unmatched lists exactly who is left out."""
    by_id = {p.id: p for p in people}
    previous = {frozenset(pair) for pair in previous_pairs}
    load: dict[str, int] = {}
    coach_of: dict[str, str] = {}
    for pair in result.pairs:
        coach, coachee = by_id[pair.coach_id], by_id[pair.coachee_id]
        assert pair_allowed(coach, coachee, previous, options), pair
        assert pair.coachee_id not in coach_of, "two coaches for one coachee"
        coach_of[pair.coachee_id] = pair.coach_id
        load[pair.coach_id] = load.get(pair.coach_id, 0) + 1
        assert pair.fit == reference_fit(coach, coachee)
        assert pair.score == reference_score(coach, coachee, options)
        assert pair.shared_skills == tuple(s for s, _ in coachee.wants if s in coach.can_coach)
    for coach_id, count in load.items():
        assert count <= by_id[coach_id].capacity
        assert result.spare_capacity[coach_id] == by_id[coach_id].capacity - count
    if not options.allow_reciprocal:
        for coachee_id, coach_id in coach_of.items():
            assert coach_of.get(coach_id) != coachee_id, (
                f"{coach_id} and {coachee_id} coach each other"
            )
    expected_unmatched = {p.id for p in people if p.opt_out} | {
        p.id for p in people if wants_coach(p, options) and p.id not in coach_of
    }
    assert {u.person_id for u in result.unmatched} == expected_unmatched
    for u in result.unmatched:
        assert u.reason == expected_reason(
            by_id[u.person_id], people, previous, options, coach_of, load
        )
        assert u.message.code == f"unmatched.{u.reason}"


def expected_reason(person, people, previous, options, coach_of, load) -> str:
    """Why an unmatched person has no coach: the first rule that leaves nobody qualified."""
    if person.opt_out:
        return "opted_out"
    if not person.wants and not zero_fit_ok(options):
        return "no_growth_skills"
    coaches = [k for k in people if can_be_coach(k, options)]
    if not coaches:
        return "no_coaches"
    stages = [
        ("no_skill_match", lambda k: zero_fit_ok(options) or reference_fit(k, person) > 0),
        ("only_self", lambda k: k.id != person.id),
        ("only_teammates", lambda k: not (options.across_teams and k.teams & person.teams)),
        (
            "only_last_cycle",
            lambda k: options.allow_previous_pairs or frozenset((k.id, person.id)) not in previous,
        ),
        ("only_reciprocal", lambda k: options.allow_reciprocal or coach_of.get(k.id) != person.id),
    ]
    for reason, keeps in stages:
        coaches = [k for k in coaches if keeps(k)]
        if not coaches:
            return reason
    assert all(load.get(k.id, 0) == k.capacity for k in coaches), "a qualified coach has room"
    return "coaches_full"


@st.composite
def people_lists(draw, max_size: int = 7, skills: list[str] = SKILLS) -> list[Person]:
    size = draw(st.integers(min_value=0, max_value=max_size))
    people = []
    for i in range(size):
        wants_kind = draw(st.sampled_from(["set", "ordered", "weighted"]))
        picked = draw(st.lists(st.sampled_from(skills), unique=True, max_size=3))
        if wants_kind == "set":
            wants = frozenset(picked)
        elif wants_kind == "ordered":
            wants = tuple(picked)
        else:
            wants = {s: draw(st.integers(min_value=1, max_value=5)) for s in picked}
        people.append(
            Person(
                id=f"p{i}",
                name=draw(st.sampled_from(["", "Ana", "Bo", "Zoë", "李雷"])),
                can_coach=frozenset(
                    draw(st.lists(st.sampled_from(skills), unique=True, max_size=3))
                ),
                wants=wants,
                capacity=draw(st.integers(min_value=0, max_value=3)),
                teams=frozenset(
                    draw(st.lists(st.sampled_from(["red", "blue", "green"]), max_size=2))
                ),
                new_hire=draw(st.booleans()),
                experienced=draw(st.booleans()),
                is_mentor_role=draw(st.booleans()),
                opt_out=draw(st.integers(min_value=0, max_value=9)) == 0,
            )
        )
    return people


@st.composite
def option_sets(draw) -> Options:
    return Options(
        allow_reciprocal=draw(st.booleans()),
        across_teams=draw(st.booleans()),
        onboarding=draw(st.booleans()),
        allow_zero_fit=draw(st.sampled_from([None, True, False])),
        allow_previous_pairs=draw(st.booleans()),
    )


@st.composite
def previous_pairs_for(draw, people: list[Person]) -> list[tuple[str, str]]:
    ids = [p.id for p in people]
    if len(ids) < 2:
        return []
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=4))
    return [(a, b) for a, b in pairs if a != b] + [("left-the-course", ids[0])]
