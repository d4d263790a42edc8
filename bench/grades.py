"""Grade delivery throughput: scores/s from the outbox to the dev LMS on loopback, and token requests.

The dev LMS runs on its own gunicorn (sync workers, SQLite file) reached as http://localhost:<p>;
PeerPath's worker(s) deliver --scores queued scores for 50 learners across 20 line items.
Configurations: one worker on SQLite; one and --pg-workers worker processes on PostgreSQL
(a fresh database peerpath_bench_<random>, dropped afterwards).

Usage:  .venv/bin/python bench/grades.py [--scores 2000] [--pg-workers 4] [--only sqlite_1,...]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _servers import PgDatabase, cpu_seconds, free_port, gunicorn_devlms  # noqa: E402

DEVLMS_ENGINE_OPTIONS = {"pool_pre_ping": True}

CLIENT_ID = "peerpath-bench"
LEARNERS = 50
LINE_ITEMS = 20


@dataclass
class Result:
    name: str
    database: str
    workers: int
    send_threads: int
    scores: int
    seconds: float
    token_requests: int
    score_posts: int
    delivered: int
    tool_cpu: float
    lms_cpu: float

    @property
    def per_second(self) -> float:
        return self.scores / self.seconds if self.seconds else 0.0


def tool_config(database_url: str, tool_port: int, threads: int) -> dict:
    return {
        "ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ["BENCH_TOOL_SECRET"],
        "BASE_URL": f"http://127.0.0.1:{tool_port}",
        "GRADES_SEND_THREADS": threads,
        "GRADES_BATCH_SIZE": 200,
    }


def prepare(database_url: str, lms_url: str, lms_db_url: str, tool_port: int, n_scores: int, threads: int):
    """Migrate the tool, register it with the dev LMS, seed learners and line items, queue scores."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from lti_tool import create_app
    from lti_tool.devlms import create_devlms_app, setup
    from lti_tool.devlms.models import LEARNER, Enrolment, Person
    from lti_tool.devlms.models import db as lms_db
    from lti_tool.extensions import db
    from lti_tool.lti import claims as c
    from lti_tool.lti import keys as tool_keys
    from lti_tool.lti import platforms
    from lti_tool.models import Context, Deployment, Platform, ResourceLink, User
    from lti_tool.services import oauth

    # Each configuration has its own database, hence its own tool key: forget the last one's.
    tool_keys.reset_cache()
    oauth.tokens.clear()
    app = create_app(tool_config(database_url, tool_port, threads))
    lms_config = {"ISSUER": lms_url, "DATABASE_URL": lms_db_url, "SECRET_KEY": "bench-lms", "TESTING": False}
    if lms_db_url.startswith("postgresql"):
        lms_config["SQLALCHEMY_ENGINE_OPTIONS"] = DEVLMS_ENGINE_OPTIONS
    lms = create_devlms_app(lms_config)
    tool_url = f"http://127.0.0.1:{tool_port}"
    setup.register_tool(lms, client_id=CLIENT_ID, name="PeerPath", login_url=f"{tool_url}/lti/login",
                        launch_url=f"{tool_url}/lti/launch", jwks_url=f"{tool_url}/lti/jwks")
    course = setup.seed_demo_course(lms, CLIENT_ID)
    learners = [f"b-{i:03d}" for i in range(LEARNERS)]
    with lms.app_context():
        # WAL persists in the file, so the dev LMS's gunicorn workers use it too: the
        # benchmark then measures PeerPath's sender, not the platform's rollback journal.
        if lms_db_url.startswith("sqlite"):
            lms_db.session.execute(text("PRAGMA journal_mode=WAL"))
        for pid in learners:
            lms_db.session.add(Person(id=pid, name=pid, given_name=pid, family_name="", email=f"{pid}@example.com"))
            lms_db.session.add(Enrolment(course_id=course.course_id, person_id=pid, role=LEARNER))
        lms_db.session.commit()
    with app.app_context():
        upgrade()
        platform = platforms.add_platform(setup.platform_input(lms, CLIENT_ID))
        platform = db.session.scalars(select(Platform)).one()
        deployment = db.session.scalars(select(Deployment)).one()
        context = Context(platform_id=platform.id, deployment_id=deployment.id, lms_context_id=course.course_id)
        db.session.add(context)
        db.session.flush()
        # The AGS claim exactly as the dev LMS sends it at launch.
        link = ResourceLink(context_id=context.id, lms_resource_link_id=course.link_id, ags_claim={
            "scope": [c.SCOPE_LINEITEM, c.SCOPE_LINEITEM_READONLY, c.SCOPE_RESULT_READONLY, c.SCOPE_SCORE],
            "lineitems": f"{lms_url}/api/courses/{course.course_id}/lineitems",
        })
        db.session.add(link)
        users = [User(platform_id=platform.id, sub=pid, name=pid) for pid in learners]
        db.session.add_all(users)
        db.session.commit()
    return app, link.id, [u.id for u in users], course.course_id


def queue_scores(app, link_id: int, user_ids: list[int], n_scores: int, lms_url: str) -> None:
    import random

    from lti_tool.extensions import db
    from lti_tool.models import Context, Platform, ResourceLink, User
    from lti_tool.services import ags, oauth, outbox

    rng = random.Random(1)
    with app.app_context():
        link = db.session.get(ResourceLink, link_id)
        platform = db.session.get(Platform, db.session.get(Context, link.context_id).platform_id)
        client = ags.AgsClient(ags.endpoint_for_link(link, platform))
        items = [client.create_line_item(label=f"Bench {i}", score_maximum=100, tag=f"b{i}")["id"] for i in range(LINE_ITEMS)]
        users = [db.session.get(User, uid) for uid in user_ids]
        # Distinct (line item, learner) pairs first, so every queued score is really sent.
        pairs = [(i, u) for i in items for u in users]
        rng.shuffle(pairs)
        while len(pairs) < n_scores:
            pairs += pairs
        for n, (item, user) in enumerate(pairs[:n_scores]):
            outbox.enqueue_score(user=user, resource_link=link, line_item_url=item,
                                 score_given=rng.randrange(0, 101), score_maximum=100)
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
    oauth.tokens.clear()  # the timed part starts with no token, like a fresh worker


def _worker_process(config: dict, queue) -> None:
    from lti_tool import create_app
    from lti_tool.services import worker

    app = create_app(config)
    before = _self_cpu()
    totals = worker.drain(app, timeout=600)
    queue.put({**totals.counts, "_cpu": _self_cpu() - before})


def devlms_wsgi():
    """gunicorn factory for the dev LMS on SQLite or PostgreSQL (BENCH_DEVLMS_* variables)."""
    from lti_tool.devlms import create_devlms_app

    url = os.environ["BENCH_DEVLMS_DATABASE_URL"]
    config = {"ISSUER": os.environ["BENCH_DEVLMS_ISSUER"], "DATABASE_URL": url,
              "SECRET_KEY": os.environ["BENCH_DEVLMS_SECRET_KEY"], "PLATFORM_STORAGE": False, "TESTING": False}
    if url.startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = DEVLMS_ENGINE_OPTIONS
    return create_devlms_app(config)


def _self_cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def serve_jwks(app, port: int):
    """The tool over HTTP (the dev LMS fetches our JWKS to verify client assertions)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_one(name: str, database: str, workers: int, threads: int, n_scores: int, log_dir: Path, lms_database: str) -> Result:
    pg = PgDatabase().create() if database == "postgresql" else None
    lms_pg = PgDatabase().create() if lms_database == "postgresql" else None
    tool_db = pg.url if pg else f"sqlite:///{log_dir / (name + '-tool.sqlite')}"
    lms_port, tool_port = free_port(), free_port()
    lms_db = lms_pg.url.replace("postgresql://", "postgresql+psycopg://") if lms_pg else f"sqlite:///{log_dir / (name + '-devlms.sqlite')}"
    lms_url = f"http://localhost:{lms_port}"
    devlms = None
    server = None
    try:
        app, link_id, user_ids, _course = prepare(tool_db, lms_url, lms_db, tool_port, n_scores, threads)
        server = serve_jwks(app, tool_port)
        devlms = gunicorn_devlms(lms_port, lms_db, "bench-lms", log_dir, workers=4)
        devlms.argv[-1] = "grades:devlms_wsgi()"  # our factory: it also runs the LMS on PostgreSQL
        devlms.start()
        queue_scores(app, link_id, user_ids, n_scores, lms_url)
        requests.post(f"{lms_url}/api/_dev/stats/reset", timeout=10)
        from lti_tool.services import worker

        started = time.perf_counter()
        lms_cpu0, tool_cpu0 = cpu_seconds(devlms.pids()), _self_cpu()
        if workers == 1:
            totals = worker.drain(app, timeout=600)
            delivered = totals.counts.get("delivered", 0)
        else:
            ctx = mp.get_context("spawn")
            queue = ctx.Queue()
            procs = [ctx.Process(target=_worker_process, args=(tool_config(tool_db, tool_port, threads), queue)) for _ in range(workers)]
            for p in procs:
                p.start()
            counts = [queue.get(timeout=600) for _ in procs]
            tool_cpu0 -= sum(c.pop("_cpu", 0.0) for c in counts)
            for p in procs:
                p.join(30)
            delivered = sum(c.get("delivered", 0) for c in counts)
        seconds = time.perf_counter() - started
        lms_cpu, tool_cpu = cpu_seconds(devlms.pids()) - lms_cpu0, _self_cpu() - tool_cpu0
        stats = requests.get(f"{lms_url}/api/_dev/stats", timeout=10).json()
        return Result(name, database, workers, threads, n_scores, seconds, stats["token_requests"],
                      stats["score_posts"], delivered, tool_cpu, lms_cpu)
    finally:
        if server is not None:
            server.shutdown()
        if devlms is not None:
            devlms.stop()
        if pg is not None:
            from lti_tool.extensions import db

            try:
                with app.app_context():
                    db.engine.dispose()
            except Exception as exc:  # noqa: BLE001 - best effort before dropping the database
                print(f"(could not dispose the engine: {exc})", file=sys.stderr)
            pg.drop()
        if lms_pg is not None:
            lms_pg.drop()


CONFIGS = {
    "sqlite_1": ("sqlite", 1),
    "postgresql_1": ("postgresql", 1),
    "postgresql_n": ("postgresql", None),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scores", type=int, default=2000)
    parser.add_argument("--pg-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="sender threads per worker (GRADES_SEND_THREADS)")
    parser.add_argument("--lms-db", choices=["sqlite", "postgresql"], default="sqlite",
                        help="the dev LMS's own database (SQLite serialises its writes: it becomes the bottleneck)")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(CONFIGS))
    args = parser.parse_args(argv)
    os.environ.setdefault("BENCH_TOOL_SECRET", secrets.token_urlsafe(48))
    os.environ["PEERPATH_ENV"] = "development"
    chosen = [n for n in CONFIGS if not args.only or n in args.only.split(",")]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-grades-") as tmp:
        os.environ["PEERPATH_INSTANCE_PATH"] = tmp
        for name in chosen:
            database, workers = CONFIGS[name]
            results.append(run_one(name, database, workers or args.pg_workers, args.threads, args.scores, Path(tmp), args.lms_db))

    print(f"{'configuration':<16}{'db':<12}{'workers':>8}{'threads':>8}{'scores':>8}{'seconds':>9}{'scores/s':>10}{'token req':>10}{'POSTs':>7}{'tool CPU s':>11}{'LMS CPU s':>10}")
    for r in results:
        print(f"{r.name:<16}{r.database:<12}{r.workers:>8}{r.send_threads:>8}{r.scores:>8}{r.seconds:>9.2f}"
              f"{r.per_second:>10.0f}{r.token_requests:>10}{r.score_posts:>7}{r.tool_cpu:>11.2f}{r.lms_cpu:>10.2f}")
    print(f"dev LMS: gunicorn, 4 sync workers, {args.lms_db}; token lifetime 3600 s; one token per worker process; {os.cpu_count()} CPUs.")
    figures = {
        r.name: {"database": r.database, "workers": r.workers, "send_threads": r.send_threads, "scores": r.scores,
                 "seconds": round(r.seconds, 3), "scores_per_second": round(r.per_second, 1),
                 "token_requests": r.token_requests, "score_posts": r.score_posts, "delivered": r.delivered,
                 "tool_cpu_seconds": round(r.tool_cpu, 2), "devlms_cpu_seconds": round(r.lms_cpu, 2),
                 "cpus": os.cpu_count()}
        for r in results
    }
    print(json.dumps({"bench": "grades", "results": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
