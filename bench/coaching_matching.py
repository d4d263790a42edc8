"""Benchmark of the coaching matcher (issue 7, item 7): 5,000 people matched in <= 2 s.

Run: .venv/bin/python bench/coaching_matching.py [--repeat 3] [--sizes 5000,1000,200]
Prints a table (median of --repeat runs per row, wall and CPU seconds of ``match()``), then
one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lti_tool.coaching.matching import Options, Person, match  # noqa: E402

SKILLS = [f"skill {k:02d}" for k in range(30)]


def cohort(n: int, seed: int, onboarding: bool = False, capacity=None) -> list[Person]:
    """A realistic roster: 30 skills, can coach 2-5, wants 1-3 (ordered), capacity 0-3,
    teams of about 8, 2 % opted out; for onboarding 10 % new hires, 40 % experienced,
    5 % holding the LMS Mentor role. ``capacity(rnd)`` overrides the capacity draw."""
    rnd = random.Random(seed)
    capacity = capacity or (lambda rnd: rnd.randint(0, 3))
    people = []
    for i in range(n):
        new_hire = onboarding and rnd.random() < 0.10
        people.append(
            Person(
                id=f"user-{i:05d}",
                name=f"Person {i}",
                can_coach=frozenset(rnd.sample(SKILLS, rnd.randint(2, 5))),
                wants=tuple(rnd.sample(SKILLS, rnd.randint(1, 3))),
                capacity=0 if new_hire else capacity(rnd),
                teams=frozenset({f"team {rnd.randrange(max(1, n // 8))}"}),
                new_hire=new_hire,
                experienced=not new_hire and rnd.random() < 0.45,
                is_mentor_role=not new_hire and rnd.random() < 0.05,
                opt_out=rnd.random() < 0.02,
            )
        )
    return people


def timed(people, previous, options, repeat: int) -> dict:
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = match(people, previous, options)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    reasons: dict[str, int] = {}
    for u in result.unmatched:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    return {
        "wall_s": round(statistics.median(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
        "runs": repeat,
        "coachees": result.coachee_count,
        "places": result.place_count,
        "pairs": len(result.pairs),
        "unmatched": reasons,
        "mean_fit": round(sum(p.fit for p in result.pairs) / max(len(result.pairs), 1) / 10, 1),
        "optimal": result.optimal,
        "nodes": result.nodes,
        "rounds": result.rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="5000,1000,200")
    args = parser.parse_args()

    load_before = Path("/proc/loadavg").read_text().split()[0]
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        repeat = args.repeat if n >= 5000 else max(args.repeat, 5)
        start = time.perf_counter()
        people = cohort(n, seed=n)
        build = time.perf_counter() - start
        last_cycle = [(p.coach_id, p.coachee_id) for p in match(people).pairs]
        configs = [
            ("default", (), Options()),
            ("across teams, last cycle avoided", last_cycle, Options(across_teams=True)),
            ("onboarding (10 % new hires)", (), Options(onboarding=True)),
        ]
        groups = [people, people, cohort(n, seed=n, onboarding=True)]
        if n == max(int(s) for s in args.sizes.split(",")):
            # Stress: places short (15 % coach one person), and everyone coaching exactly one
            # (many people could coach each other: the reciprocal rule's search has work).
            configs += [
                ("stress: places short", (), Options()),
                ("stress: everyone coaches one", (), Options()),
            ]
            groups += [
                cohort(n, seed=n, capacity=lambda rnd: int(rnd.random() < 0.15)),
                cohort(n, seed=n, capacity=lambda rnd: 1),
            ]
        for (name, previous, options), group in zip(configs, groups, strict=True):
            figures = timed(group, previous, options, repeat)
            rows.append({"people": n, "config": name, "build_people_s": round(build, 3), **figures})

    header = f"{'people':>6} {'config':<33} {'wall s':>7} {'cpu s':>6} {'coachees':>8} {'pairs':>6} {'unmatched':>9} {'fit %':>6} {'optimal':>7} {'nodes':>5} {'rounds':>6}"
    print(header)
    print("-" * len(header))
    for row in rows:
        unmatched = sum(v for k, v in row["unmatched"].items() if k != "opted_out")
        print(
            f"{row['people']:>6} {row['config']:<33} {row['wall_s']:>7.3f} {row['cpu_s']:>6.3f} "
            f"{row['coachees']:>8} {row['pairs']:>6} {unmatched:>9} {row['mean_fit']:>6} "
            f"{row['optimal']!s:>7} {row['nodes']:>5} {row['rounds']:>6}"
        )
    print(
        "wall/cpu: median of the runs (5,000 people: 3 runs; smaller cohorts: 5) of match() alone;"
    )
    print("unmatched: people who wanted a coach and got none (opted-out people not counted).")
    load_after = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"machine load average (1 min) before/after: {load_before}/{load_after} on {os.cpu_count()} cores"
    )
    target = next(
        r
        for r in rows
        if r["people"] == max(r2["people"] for r2 in rows) and r["config"] == "default"
    )
    summary = {
        "benchmark": "coaching_matching",
        "target_s": 2.0,
        "largest_default_wall_s": target["wall_s"],
        "largest_default_cpu_s": target["cpu_s"],
        "load_average": [float(load_before), float(load_after)],
        "rows": rows,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
