"""Peer review through the database: allocation stored by the service, and a whole review cycle.

1. "allocate": 10,000 submitted pieces of work (10,000 learners), k=3; the timed part is
   `assignments.move_phase(a, "review")` + commit, i.e. the review hook of allocating.py
   (read the cohort, allocation.allocate, one bulk insert of 30,000 allocations). Median of
   --runs runs, each on a fresh assignment of the same course.
2. "cycle": a 500-person course through the services, one transaction per person's action
   as the web requests would do it: 500 submissions (submissions.save, Markdown rendered),
   reviewing opens (batch allocation, k=3), 1,500 reviews (reviewing.save_review, rubric
   scored, criteria rows), grading opens (grading.compute_grades: work and reviewing grades).

Each on SQLite (a fresh file, the app's WAL pragmas) and PostgreSQL (a fresh database
peerpath_bench_<random>, dropped afterwards). Setup rows (people, the 10,000 submissions) go in
with bulk inserts and are not timed.

Usage:  .venv/bin/python bench/reviews_store.py [--runs 3] [--only sqlite,postgres]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _servers import PgDatabase, cpu_seconds  # noqa: E402

K = 3
ALLOCATE_N = 10_000
CYCLE_N = 500
STEPS = ("submissions", "allocation", "reviews", "grades")
TEXT = "# My pitch\n\nWe should **try** a four-day week for the support team.\n\n- fewer handovers\n- calmer days\n"


class Clock:
    """Wall time, this process's CPU time and the database server's CPU time (PostgreSQL
    backends, from /proc) of one timed step. On a shared machine wall time includes waiting
    for a core; the two CPU times do not."""

    def __init__(self, server_pids) -> None:
        self.server_pids = server_pids

    def _server(self) -> dict[int, float]:
        return {pid: cpu_seconds([pid]) for pid in self.server_pids()}

    def __enter__(self) -> Clock:
        self.before = self._server()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        after = self._server()
        self.server = sum(v - self.before.get(pid, 0.0) for pid, v in after.items())

    def figures(self, step: str) -> dict[str, float]:
        return {f"{step}_s": self.wall, f"{step}_cpu_s": self.cpu, f"{step}_db_cpu_s": self.server}


def make_app(url: str):
    from flask_migrate import upgrade

    from lti_tool import create_app

    app = create_app(
        {
            "ENV": "development",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-reviews-store-" + "x" * 20,
            "BASE_URL": "http://127.0.0.1:5999",
        }
    )
    with app.app_context():
        upgrade()
    return app


def seed_course(n_learners: int, tag: str) -> tuple[int, list[int], int]:
    """A platform, a course, an instructor and n learners (bulk inserts); returns ids."""
    from sqlalchemy import insert, select

    from lti_tool.extensions import db
    from lti_tool.models import Context, Deployment, Membership, Platform, User
    from lti_tool.models.base import new_public_id, utcnow

    platform = db.session.scalars(select(Platform)).first()
    if platform is None:
        platform = Platform(
            issuer="https://lms.bench.example",
            client_id="bench",
            auth_login_url="https://lms.bench.example/auth",
            auth_token_url="https://lms.bench.example/token",  # noqa: S106 - a URL
            key_set_url="https://lms.bench.example/jwks",
        )
        db.session.add(platform)
        db.session.flush()
        db.session.add(Deployment(platform_id=platform.id, deployment_id="1"))
        db.session.flush()
    deployment = db.session.scalars(select(Deployment)).first()
    context = Context(
        platform_id=platform.id, deployment_id=deployment.id, lms_context_id=f"course-{tag}"
    )
    db.session.add(context)
    db.session.flush()
    now = utcnow()
    people = [
        {
            "public_id": new_public_id(),
            "platform_id": platform.id,
            "sub": f"{tag}-{i}",
            "name": f"Person {tag}-{i}",
            "created_at": now,
        }
        for i in range(n_learners + 1)
    ]
    db.session.execute(insert(User), people)
    ids = list(
        db.session.scalars(
            select(User.id).where(User.sub.in_([p["sub"] for p in people])).order_by(User.id)
        )
    )
    instructor, learners = ids[0], ids[1:]
    db.session.execute(
        insert(Membership),
        [
            {
                "user_id": uid,
                "context_id": context.id,
                "roles": "instructor" if uid == instructor else "learner",
                "lis_roles": [],
                "updated_at": now,
            }
            for uid in ids
        ],
    )
    db.session.commit()
    return context.id, learners, instructor


def place(context_id: int, instructor: int, title: str):
    from lti_tool.extensions import db
    from lti_tool.models import Activity, Context
    from lti_tool.reviews import assignments

    activity = Activity(context_id=context_id, kind="peer_review", title=title, score_maximum=100)
    db.session.add(activity)
    db.session.flush()
    platform_id = db.session.get(Context, context_id).platform_id
    a = assignments.create_for_placement(
        activity, {"k": K, "allocation_mode": "batch"}, instructor, platform_id
    )
    assignments.move_phase(a, "submission")
    db.session.commit()
    return a


def bulk_submissions(a, learners: list[int]) -> None:
    from sqlalchemy import insert

    from lti_tool.extensions import db
    from lti_tool.models import Submission
    from lti_tool.models.base import new_public_id, utcnow

    now = utcnow()
    db.session.execute(
        insert(Submission),
        [
            {
                "public_id": new_public_id(),
                "assignment_id": a.id,
                "kind": "work",
                "author_id": uid,
                "title": f"Work {uid}",
                "source": "text",
                "html": "<p>text</p>",
                "links": [],
                "submitted_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for uid in learners
        ],
    )
    db.session.commit()


def count(model, **where) -> int:
    from sqlalchemy import func, select

    from lti_tool.extensions import db

    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def bench_allocate(app, runs: int, server_pids) -> dict:
    from collections import Counter

    from sqlalchemy import select

    from lti_tool.extensions import db
    from lti_tool.models import Allocation
    from lti_tool.reviews import assignments

    walls, cpus, servers = [], [], []
    with app.test_request_context():
        context_id, learners, instructor = seed_course(ALLOCATE_N, "alloc")
        for run in range(runs):
            a = place(context_id, instructor, f"Allocation run {run}")
            bulk_submissions(a, learners)
            gc.collect()
            with Clock(server_pids) as clock:
                assignments.move_phase(a, "review")
                db.session.commit()
            walls.append(clock.wall)
            cpus.append(clock.cpu)
            servers.append(clock.server)
            loads = Counter(
                db.session.scalars(
                    select(Allocation.reviewer_id).where(Allocation.assignment_id == a.id)
                )
            )
            assert sum(loads.values()) == ALLOCATE_N * K and set(loads.values()) == {K}, loads
            db.session.remove()
    return {
        "submissions": ALLOCATE_N,
        "allocations": ALLOCATE_N * K,
        "runs": runs,
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "median_cpu_s": statistics.median(cpus),
        "median_db_cpu_s": statistics.median(servers),
    }


def bench_cycle(app, server_pids) -> dict:
    from sqlalchemy import func, select

    from lti_tool.extensions import db
    from lti_tool.models import (
        Allocation,
        ReviewAssignment,
        ReviewerGrade,
        Submission,
        SubmissionGrade,
        User,
    )
    from lti_tool.reviews import assignments, reviewing, submissions

    steps: dict[str, float] = {}
    with app.test_request_context():
        context_id, learners, instructor = seed_course(CYCLE_N, "cycle")
        a = place(context_id, instructor, "A 500-person review cycle")
        a_id = a.id
        db.session.remove()

        with Clock(server_pids) as clock:
            for uid in learners:
                a = db.session.get(ReviewAssignment, a_id)
                submissions.save(
                    a,
                    db.session.get(User, uid),
                    title=f"Pitch {uid}",
                    source=TEXT,
                    links=[],
                    submit=True,
                )
                db.session.commit()
        steps.update(clock.figures("submissions"))
        db.session.remove()

        with Clock(server_pids) as clock:
            a = db.session.get(ReviewAssignment, a_id)
            assignments.move_phase(a, "review")
            db.session.commit()
        steps.update(clock.figures("allocation"))
        work = db.session.execute(
            select(Allocation.reviewer_id, Allocation.submission_id).where(
                Allocation.assignment_id == a_id
            )
        ).all()
        db.session.remove()

        levels = ("fully", "partly", "not-yet")
        with Clock(server_pids) as clock:
            for n, (reviewer_id, submission_id) in enumerate(work):
                a = db.session.get(ReviewAssignment, a_id)
                form = {
                    "level-goal": levels[n % 3],
                    "level-clarity": ("clear", "mostly", "hard")[(n // 3) % 3],
                    "comment-next-step": "Add one customer quote.",
                    "overall": "Thanks for sharing.",
                }
                reviewing.save_review(
                    a,
                    db.session.get(User, reviewer_id),
                    db.session.get(Submission, submission_id),
                    form,
                    submit=True,
                )
                db.session.commit()
        steps.update(clock.figures("reviews"))
        db.session.remove()

        with Clock(server_pids) as clock:
            a = db.session.get(ReviewAssignment, a_id)
            assignments.move_phase(a, "grading")  # grading.py computes every grade
            db.session.commit()
        steps.update(clock.figures("grades"))
        graded = db.session.scalar(
            select(func.count(SubmissionGrade.id)).where(SubmissionGrade.peer_score.is_not(None))
        )
        reviewer_grades = count(ReviewerGrade, assignment_id=a_id)
    assert len(work) == CYCLE_N * K
    assert graded == CYCLE_N and reviewer_grades == CYCLE_N, (graded, reviewer_grades)
    for part in ("_s", "_cpu_s", "_db_cpu_s"):
        steps[f"total{part}"] = sum(steps[f"{step}{part}"] for step in STEPS)
    return {"people": CYCLE_N, "reviews": len(work), "grades": graded, **steps}


def run(name: str, url: str, runs: int, server_pids=list) -> dict:
    from lti_tool.extensions import db

    app = make_app(url)
    try:
        allocate = bench_allocate(app, runs, server_pids)
        cycle = bench_cycle(app, server_pids)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {"database": name, "allocate": allocate, "cycle": cycle}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="sqlite,postgres")
    args = parser.parse_args()
    os.environ.setdefault("PEERPATH_INSTANCE_PATH", tempfile.mkdtemp(prefix="pp-bench-"))
    results = []
    wanted = args.only.split(",")
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run("sqlite", f"sqlite:///{tmp}/bench.sqlite", args.runs))
    if "postgres" in wanted:
        pg = PgDatabase().create()
        try:
            results.append(run("postgres", pg.url, args.runs, pg.backend_pids))
        finally:
            pg.drop()

    load = os.getloadavg()[0]
    print(f"\nload average {load:.1f} on {os.cpu_count()} cores")
    print(
        f"10,000 submissions allocated (k={K}) and stored through the service, median of {args.runs}"
    )
    print(
        f"{'database':<10} {'wall ms':>8} {'min ms':>8} {'max ms':>8} {'CPU ms':>7} {'DB CPU ms':>10}"
        f" {'allocations':>12}"
    )
    for r in results:
        a = r["allocate"]
        print(
            f"{r['database']:<10} {a['median_s'] * 1000:>8.1f} {a['min_s'] * 1000:>8.1f}"
            f" {a['max_s'] * 1000:>8.1f} {a['median_cpu_s'] * 1000:>7.1f}"
            f" {a['median_db_cpu_s'] * 1000:>10.1f} {a['allocations']:>12,}"
        )
    print(
        f"\nA {CYCLE_N}-person review cycle through the services (one commit per person's action)"
    )
    print("seconds: wall / CPU of this process / CPU of the database server (PostgreSQL)")
    print(
        f"{'database':<10} {'500 submissions':>18} {'allocation':>18} {'1,500 reviews':>18}"
        f" {'grades':>18} {'total':>18}"
    )
    for r in results:
        c = r["cycle"]
        cells = [
            f"{c[f'{step}_s']:.2f}/{c[f'{step}_cpu_s']:.2f}/{c[f'{step}_db_cpu_s']:.2f}"
            for step in (*STEPS, "total")
        ]
        print(f"{r['database']:<10} " + " ".join(f"{cell:>18}" for cell in cells))
    print(json.dumps({"k": K, "load_average": load, "results": results}))


if __name__ == "__main__":
    main()
