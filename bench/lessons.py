"""Lesson page views per second through gunicorn, and editor preview renders (issue 5, item 9).

The tool runs exactly as production serves it (config/gunicorn.conf.py: 2 sync workers on
127.0.0.1), configured by PEERPATH_* variables. Before timing, in this process: a fresh
database (SQLite file, or PostgreSQL peerpath_bench_<random>), migrations, a platform, a
course with --learners learners, an author and a reviewer; a ~5 KB lesson written, sent to
review and published through the lesson services, and placed as an activity of the course;
one LaunchSession per person (what a launch stores) and its signed token (`issue_token`).
Every learner opens the page once (their start is recorded) before the clock starts.

Timed, from --clients client processes (http.client, one TCP connection per request):
  views:    GET /learn/<activity>?lt=<token of a random learner>  -> 200, the lesson page
  previews: POST /lessons/<id>/preview with the author's Bearer token + X-CSRF-Token, JSON
            {"source": <the 5 KB lesson with one word changed>}, as the editor sends it
plus one client sending previews back to back for the round-trip median, and (first
configuration only) the same view load against a bare page of the same app and size
(`bare_wsgi`: what gunicorn, Flask, the app's hooks and the clients cost with no view at all).

Usage:  .venv/bin/python bench/lessons.py [--quick] [--only sqlite,postgres] [--py-spy DIR]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import multiprocessing as mp
import os
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _servers  # noqa: E402

CONFIGS = ["sqlite", "postgres"]
TARGET_VIEWS_PER_S = 1000
TARGET_PREVIEW_MEDIAN_MS = 30
MARKER = "Giving feedback that lands"


def lesson_source(target_bytes: int = 5000) -> str:
    """A realistic lesson of about ``target_bytes``: sections, two checks, a reflection."""
    head = """---
title: Giving feedback that lands
summary: A short guide to feedback colleagues can use, with two knowledge checks.
tags: [feedback, teamwork]
authors: [Bench Author]
pass_mark: 50
---

"""
    checks = """
::: quiz single id=when points=2
When is feedback most useful?

- [ ] A month later, in the yearly review
  > Too late to act on.
- [x] Soon after the moment, in private
  > Yes: fresh and safe.

People can act on feedback while they still remember the situation.
:::

::: quiz multiple id=parts points=2
Which parts belong in useful feedback?

- [x] What you saw
- [x] The effect it had
- [ ] A guess at their motives
:::

::: reflection id=next
Which piece of feedback will you give this week, and to whom?
:::
"""
    paragraph = (
        "Good feedback describes what you saw, the effect it had, and what you would like to see next. "
        "It is specific, **timely** and kind; it talks about the work and not the person. "
        "Ask first whether now is a good moment, and listen to the answer before you go on.\n\n"
    )
    body, n = [], 0
    while len(head) + len("".join(body)) + len(checks) < target_bytes:
        n += 1
        body.append(
            f"## Part {n}\n\n{paragraph}- one point to remember\n- another point, with `code`\n\n"
        )
    return head + "".join(body) + checks


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


BARE_PATH = "/bench/bare"


def bare_wsgi():
    """gunicorn factory: this app (its hooks, headers, Babel) plus one page that does nothing.

    The response is a constant of the lesson page's size, so the baseline differs from a
    lesson view only by the view's own work (auth, queries, the page)."""
    from flask import request

    from lti_tool import create_app

    app = create_app()
    body = (
        "<!doctype html><title>bare</title>"
        + "x" * int(os.environ.get("BENCH_BARE_BYTES", "15000"))
    ).encode()

    @app.get(BARE_PATH)
    def bare():
        request.args.get("lt")  # parsed, as a view's auth would
        return body, 200, {"Content-Type": "text/html; charset=utf-8"}

    return app


def gunicorn_bare(
    port: int, env: dict[str, str], log_dir: Path, page_bytes: int
) -> _servers.Gunicorn:
    """The bare page on the same gunicorn settings as the tool (config/gunicorn.conf.py)."""
    tool = _servers.gunicorn_tool(port, env, log_dir)
    argv = tool.argv[:-1] + [
        "--pythonpath",
        str(Path(__file__).resolve().parent),
        "lessons:bare_wsgi()",
    ]
    env = {**tool.env, "BENCH_BARE_BYTES": str(page_bytes)}
    return _servers.Gunicorn("bare", argv, env, port, log_dir)


@dataclass
class Prepared:
    """A database with a placed lesson, and the tokens the clients send."""

    name: str
    port: int
    env: dict[str, str]
    activity: str
    lesson: str
    learner_tokens: list[str]
    author_token: str
    author_csrf: str
    source: str
    lesson_html_bytes: int
    pg: Any = None


def prepare(name: str, tmp: Path, n_learners: int) -> Prepared:
    """Fresh database, migrations, a course, a published ~5 KB lesson placed, launch tokens."""
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.extensions import db
    from lti_tool.lessons import authoring, workflow
    from lti_tool.lti.session import csrf_token_for, issue_token, new_session_id
    from lti_tool.models import Activity, Context, LaunchSession, User
    from lti_tool.models.base import utcnow
    from lti_tool.models.people import Membership
    from lti_tool.models.platform import Deployment, Platform

    pg = None
    if name == "postgres":
        pg = _servers.PgDatabase().create()
        url = pg.url
    else:
        url = f"sqlite:///{tmp / 'peerpath.sqlite'}"
    port = _servers.free_port()
    (tmp / "instance").mkdir(exist_ok=True)
    env = {
        "PEERPATH_ENV": "development",  # plain http on loopback
        "PEERPATH_DATABASE_URL": url,
        "PEERPATH_BASE_URL": f"http://127.0.0.1:{port}",
        "PEERPATH_SECRET_KEY": secrets.token_urlsafe(48),
        "PEERPATH_INSTANCE_PATH": str(tmp / "instance"),
    }
    with _environ(env):
        app = create_app()  # what lti_tool.wsgi does, from PEERPATH_* variables
    source = lesson_source()
    with app.app_context():
        upgrade()
        platform = Platform(
            issuer="https://lms.bench.example",
            client_id="bench",
            name="Bench LMS",
            auth_login_url="https://lms.bench.example/auth",
            auth_token_url="https://lms.bench.example/token",  # noqa: S106 - a URL
            key_set_url="https://lms.bench.example/jwks",
        )
        db.session.add(platform)
        db.session.flush()
        deployment = Deployment(platform_id=platform.id, deployment_id="1")
        db.session.add(deployment)
        db.session.flush()
        course = Context(
            platform_id=platform.id,
            deployment_id=deployment.id,
            lms_context_id="bench-course",
            title="Bench course",
        )
        db.session.add(course)
        db.session.flush()

        def person(sub: str, name: str, roles: str) -> User:
            user = User(platform_id=platform.id, sub=sub, name=name, email=f"{sub}@example.com")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, context_id=course.id, roles=roles))
            return user

        author = person("author", "Bench Author", "learner")
        reviewer = person("reviewer", "Bench Reviewer", "learner")
        learners = [person(f"learner-{i}", f"Learner {i}", "learner") for i in range(n_learners)]
        lesson = authoring.create_lesson(author, course.id, False, source)
        workflow.request_review(lesson, author, course.id, [reviewer.public_id])
        version = workflow.publish(lesson, author, substantive=True)
        activity = Activity(
            context_id=course.id,
            kind="lesson",
            title=version.title,
            settings={
                "lesson": lesson.public_id,
                "max_attempts": 3,
                "version_policy": "latest_at_start",
            },
            score_maximum=float(version.points_total) or None,
        )
        db.session.add(activity)

        def launch(user: User, roles: str) -> str:
            sid = new_session_id()
            db.session.add(
                LaunchSession(
                    id=sid,
                    user_id=user.id,
                    context_id=course.id,
                    roles=roles,
                    message_type="LtiResourceLinkRequest",
                    binding="handle",
                    expires_at=utcnow() + timedelta(hours=2),
                )
            )
            return sid

        learner_sessions = [launch(u, "learner") for u in learners]
        author_session = launch(author, "learner")
        db.session.commit()
        html_bytes = len(version.html.encode())
        result = Prepared(
            name,
            port,
            env,
            activity.public_id,
            lesson.public_id,
            [],
            "",
            "",
            source,
            html_bytes,
            pg,
        )
        with app.test_request_context():
            result.learner_tokens = [issue_token(s) for s in learner_sessions]
            result.author_token = issue_token(author_session)
            result.author_csrf = csrf_token_for(author_session)
        db.engine.dispose()
    return result


# --- clients --------------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, bytes, float]:
    """One request on its own connection: (status, body, seconds)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body, {"Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return resp.status, data, time.perf_counter() - start


def view(p: Prepared, token: str, timeout: float = 10) -> tuple[int, bytes, float]:
    return request(
        p.port,
        "GET",
        f"/learn/{p.activity}?lt={token}",
        headers={"Accept": "text/html"},
        timeout=timeout,
    )


def bare_view(p: Prepared, token: str, timeout: float = 10) -> tuple[int, bytes, float]:
    return request(
        p.port, "GET", f"{BARE_PATH}?lt={token}", headers={"Accept": "text/html"}, timeout=timeout
    )


# Workers import the app after gunicorn listens: on a loaded machine that takes seconds, so
# the untimed warm-up requests wait longer than timed ones.
WARM_TIMEOUT = 120


def preview(p: Prepared, n: int) -> tuple[int, bytes, float]:
    body = json.dumps({"source": p.source.replace("Part 1\n", f"Part 1 (edit {n})\n", 1)}).encode()
    return request(
        p.port,
        "POST",
        f"/lessons/{p.lesson}/preview",
        body,
        {
            "Authorization": f"Bearer {p.author_token}",
            "X-CSRF-Token": p.author_csrf,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )


@dataclass
class ClientResult:
    """What one client process saw inside the timed window."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    cpu_seconds: float = 0.0  # this client process's own CPU inside the timed window


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def client_loop(p: Prepared, what: str, cid: int, warm_end: float, end: float) -> ClientResult:
    """Requests back to back; keep those that started and ended inside [warm_end, end]."""
    rng = random.Random(cid)  # noqa: S311 - load pattern, not security
    out = ClientResult()
    seq = 0
    cpu_start: float | None = None
    while time.perf_counter() < end:
        seq += 1
        started = time.perf_counter()
        if cpu_start is None and started >= warm_end:
            cpu_start = _own_cpu()
        try:
            if what == "views":
                status, data, seconds = view(p, rng.choice(p.learner_tokens))
                ok = status == 200 and MARKER.encode() in data
            elif what == "bare":
                status, data, seconds = bare_view(p, rng.choice(p.learner_tokens))
                ok = status == 200 and b"<title>bare</title>" in data
            else:
                status, data, seconds = preview(p, cid * 1_000_000 + seq)
                ok = status == 200 and b'"ok":true' in data.replace(b" ", b"")
        except (OSError, http.client.HTTPException) as exc:
            status, data, seconds, ok = 0, repr(exc).encode(), 0.0, False
        inside = started >= warm_end and time.perf_counter() <= end
        if not ok:
            out.errors += 1 if inside else 0
            out.first_error = out.first_error or f"{status}: {data[:200]!r}"
        elif inside:
            out.latencies.append(seconds)
    out.cpu_seconds = _own_cpu() - cpu_start if cpu_start is not None else 0.0
    return out


def _client_process(args: tuple, queue: mp.Queue) -> None:
    p, what, cid, warm_end, end = args
    try:
        queue.put(client_loop(p, what, cid, warm_end, end))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        queue.put(ClientResult([], 1, f"client crashed: {exc!r}"))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))]


@dataclass
class Phase:
    """One timed load: requests per second, client latency, tool CPU and server time."""

    config: str
    what: str
    clients: int
    requests: int
    seconds: float
    errors: int
    first_error: str
    latencies_ms: list[float]
    tool_cpu_ms: float  # per request, the tool's workers (+ its PostgreSQL backends)
    server_ms: list[float]  # from the access log
    client_cpu_ms: float  # per request, the client processes
    busy: float  # share of the machine's cores busy over the timed window (all processes)
    other_cpu_ms: float  # per request, every other process on the machine meanwhile
    db_cpu_ms: float  # per request, the PostgreSQL backends (part of tool_cpu_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, Any]:
        return {
            "per_s": round(self.per_second, 1),
            "requests": self.requests,
            "clients": self.clients,
            "p50_ms": round(pct(self.latencies_ms, 0.5), 2),
            "p99_ms": round(pct(self.latencies_ms, 0.99), 2),
            "server_p50_ms": round(pct(self.server_ms, 0.5), 2),
            "tool_cpu_ms_per_request": round(self.tool_cpu_ms, 2),
            "client_cpu_ms_per_request": round(self.client_cpu_ms, 2),
            "cpu_busy": round(self.busy, 3),
            "other_cpu_ms_per_request": round(self.other_cpu_ms, 2),
            "postgres_backends_cpu_ms_per_request": round(self.db_cpu_ms, 2),
            "errors": self.errors,
            "first_error": self.first_error,
        }


def wait_quiet(server: _servers.Gunicorn, timeout: float = 120) -> None:
    """Until no worker uses CPU while nothing is asked of them: both have imported the app, so
    the timed window counts no start-up work (workers import it after gunicorn listens)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = [_servers.cpu_seconds([pid]) for pid in server.worker_pids()]
        time.sleep(0.5)
        after = [_servers.cpu_seconds([pid]) for pid in server.worker_pids()]
        if (
            len(after) == len(before) == server.expected_workers
            and max(a - b for a, b in zip(after, before, strict=True)) < 0.02
        ):
            return
    raise RuntimeError(f"{server.name}: workers still busy after {timeout} s")


def timed(
    p: Prepared,
    tool: _servers.Gunicorn,
    what: str,
    clients: int,
    warm: float,
    duration: float,
    log: Path,
) -> Phase:
    """Run ``clients`` processes against the tool for warm + duration seconds."""
    wait_quiet(tool)
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    before_log = len(_servers.parse_access_log(log))
    now = time.perf_counter()
    warm_end, end = now + warm, now + warm + duration
    procs = [
        ctx.Process(target=_client_process, args=((p, what, cid, warm_end, end), queue))
        for cid in range(clients)
    ]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, warm_end - time.perf_counter()))
    backends = p.pg.backend_pids() if p.pg else []
    pids = tool.pids() + backends
    cpu0, db0, busy0 = _servers.cpu_seconds(pids), _servers.cpu_seconds(backends), _machine_busy()
    time.sleep(max(0.0, end - time.perf_counter()))
    cpu1, db1, busy1 = _servers.cpu_seconds(pids), _servers.cpu_seconds(backends), _machine_busy()
    results = [queue.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    latencies = [s * 1000 for r in results for s in r.latencies]
    path = {"views": "/learn/", "bare": BARE_PATH}.get(what)
    server = [
        us / 1000
        for (u, status, us, _tag) in _servers.parse_access_log(log)[before_log:]
        if status == 200 and (u.startswith(path) if path else u.endswith("/preview"))
    ]
    n = len(latencies)
    per = (lambda seconds: seconds * 1000 / n) if n else (lambda _s: float("nan"))
    busy = (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) if busy1[1] > busy0[1] else float("nan")
    clients_cpu = sum(r.cpu_seconds for r in results)
    busy_seconds = (busy1[0] - busy0[0]) / _servers.CLK_TCK
    return Phase(
        p.name,
        what,
        clients,
        n,
        duration,
        sum(r.errors for r in results),
        next((r.first_error for r in results if r.first_error), ""),
        latencies,
        per(cpu1 - cpu0),
        server,
        per(clients_cpu),
        busy,
        per(max(0.0, busy_seconds - (cpu1 - cpu0) - clients_cpu)),
        per(db1 - db0),
    )


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run(name: str, args: argparse.Namespace) -> tuple[list[Phase], dict[str, Any]]:
    """Prepare, start gunicorn, warm every learner's page, then time views and previews."""
    tmp = Path(tempfile.mkdtemp(prefix=f"pp-bench-lessons-{name}-"))
    p = prepare(name, tmp, args.learners)
    log_dir = tmp / "logs"
    log_dir.mkdir()
    tool = _servers.gunicorn_tool(p.port, p.env, log_dir)
    log = log_dir / "tool-access.log"
    extra: dict[str, Any] = {
        "lesson_source_bytes": len(p.source.encode()),
        "lesson_html_bytes": p.lesson_html_bytes,
    }
    loads = set(args.loads.split(","))
    phases: list[Phase] = []
    try:
        tool.start()
        # The first opening records the start; timed views are returning learners.
        for token in p.learner_tokens:
            status, data, _s = view(p, token, WARM_TIMEOUT)
            if status != 200:
                raise RuntimeError(f"learner page: {status} {data[:300]!r}")
        extra["page_bytes"] = len(view(p, p.learner_tokens[0])[1])
        spy = (
            _servers.start_py_spy(
                tool, args.py_spy / f"{name}-views.txt", args.warmup + args.duration
            )
            if args.py_spy
            else None
        )
        if "views" in loads:
            phases.append(timed(p, tool, "views", args.clients, args.warmup, args.duration, log))
        if spy:
            spy.wait(timeout=60)
        if "previews" in loads:
            phases.append(previews(p, tool, args, extra, log))
        tool.stop()
        if "bare" in loads:
            bp = dataclasses.replace(p, port=_servers.free_port())
            bare = gunicorn_bare(bp.port, p.env, log_dir, extra["page_bytes"]).start()
            try:
                for token in p.learner_tokens[:20]:
                    status, data, _s = bare_view(bp, token, WARM_TIMEOUT)
                    if status != 200:
                        raise RuntimeError(f"bare page: {status} {data[:300]!r}")
                phases.append(
                    timed(bp, bare, "bare", args.clients, args.warmup, args.duration, log)
                )
            finally:
                bare.stop()
        if "inprocess" in loads:
            extra["inprocess"] = inprocess(p, args.inprocess_rounds)
    finally:
        tool.stop()
        if p.pg:
            p.pg.drop()
    return phases, extra


class _OpcodeCounter:
    """Python opcodes executed (sys.settrace): a measure of a request's work that, unlike
    time, does not depend on what else the machine is doing (C code such as SQLite is not in it)."""

    def __init__(self) -> None:
        self.count = 0

    def _trace(self, frame, event, _arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            self.count += 1
        return self._trace

    def per_call(self, fn, calls: int = 20) -> float:
        self.count = 0
        sys.settrace(self._trace)
        try:
            for _ in range(calls):
                fn()
        finally:
            sys.settrace(None)
        return self.count / calls


def inprocess(p: Prepared, rounds: int) -> dict[str, Any]:
    """The tool's app in this process, no sockets: a returning learner's view and the bare page,
    as Python opcodes per request and as this thread's CPU per request (median of interleaved
    rounds of 50, so both see the same machine)."""
    from werkzeug.test import EnvironBuilder

    with _environ(p.env):
        app = bare_wsgi()
    query = {"lt": p.learner_tokens[0]}
    environs = {
        "views": EnvironBuilder(path=f"/learn/{p.activity}", query_string=query).get_environ(),
        "bare": EnvironBuilder(path=BARE_PATH, query_string=query).get_environ(),
    }

    def call(environ: dict) -> None:
        statuses: list[str] = []
        b"".join(app.wsgi_app(dict(environ), lambda status, *_rest: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"in-process {environ['PATH_INFO']}: {statuses[0]}")

    for environ in environs.values():
        for _ in range(20):
            call(environ)
    counter = _OpcodeCounter()
    out: dict[str, Any] = {
        k: {"opcodes": round(counter.per_call(lambda e=e: call(e)))} for k, e in environs.items()
    }
    samples: dict[str, list[float]] = {k: [] for k in environs}
    for _ in range(rounds):
        for k, environ in environs.items():
            start = time.thread_time()
            for _ in range(50):
                call(environ)
            samples[k].append((time.thread_time() - start) * 1000 / 50)
    for k, values in samples.items():
        out[k]["cpu_ms_median"] = round(statistics.median(values), 3)
        out[k]["cpu_ms_min"] = round(min(values), 3)
    with app.app_context():
        from lti_tool.extensions import db

        db.engine.dispose()
    return out


def previews(
    p: Prepared, tool: _servers.Gunicorn, args: argparse.Namespace, extra: dict[str, Any], log: Path
) -> Phase:
    """The editor's previews: the round trip of one editor alone, then --clients at once."""
    # Preview round trip: one editor, one request at a time (as the debounced editor sends them).
    single = [preview(p, i) for i in range(args.preview_samples)]
    bad = [s for s, d, _t in single if s != 200 or b'"ok":true' not in d.replace(b" ", b"")]
    extra["preview_round_trip_ms"] = {
        "samples": len(single),
        "errors": len(bad),
        "p50": round(statistics.median(t * 1000 for _s, _d, t in single), 2),
        "p95": round(pct([t * 1000 for _s, _d, t in single], 0.95), 2),
    }
    return timed(p, tool, "previews", args.clients, args.warmup, args.duration, log)


def print_table(phases: list[Phase], extras: dict[str, dict[str, Any]]) -> None:
    print(
        f"{'config':10} {'load':9} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'server p50':>10} {'CPU ms/req: tool':>16} {'of it PG':>8} {'clients':>7} {'others':>6} {'busy':>5} "
        f"{'errors':>6}"
    )
    print("-" * 123)
    for ph in phases:
        f = ph.figures()
        print(
            f"{ph.config:10} {ph.what:9} {ph.clients:>7} {f['per_s']:>9.1f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} "
            f"{f['server_p50_ms']:>10.2f} {f['tool_cpu_ms_per_request']:>16.2f} "
            f"{(f'{ph.db_cpu_ms:.2f}' if ph.config == 'postgres' else '-'):>8} {f['client_cpu_ms_per_request']:>7.2f} "
            f"{f['other_cpu_ms_per_request']:>6.2f} {ph.busy:>5.0%} {ph.errors:>6}"
        )
    print(
        "(bare = the same load on a page of this app that does nothing: gunicorn, Flask, the app's hooks, "
        "the clients; others = CPU of every other process on the machine meanwhile, per request; "
        "busy = share of both cores in use)"
    )
    for name, extra in extras.items():
        rt = extra.get("preview_round_trip_ms")
        if rt is not None:
            print(
                f"{name}: preview round trip (one editor, sequential, {rt['samples']} samples): median {rt['p50']} ms, "
                f"p95 {rt['p95']} ms, errors {rt['errors']}; lesson source {extra['lesson_source_bytes']} B, "
                f"stored HTML {extra['lesson_html_bytes']} B, page {extra['page_bytes']} B"
            )
        inproc = extra.get("inprocess")
        if inproc is not None:
            v, b = inproc["views"], inproc["bare"]
            print(
                f"{name}: in-process, per request: view {v['opcodes']} Python opcodes, CPU median "
                f"{v['cpu_ms_median']} ms (min {v['cpu_ms_min']}); bare page {b['opcodes']} opcodes, "
                f"{b['cpu_ms_median']} ms (min {b['cpu_ms_min']})"
            )
    for ph in phases:
        if ph.first_error:
            print(f"{ph.config} {ph.what}: first error: {ph.first_error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", default=",".join(CONFIGS))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--preview-samples", type=int, default=200)
    parser.add_argument(
        "--loads",
        default="views,previews,bare,inprocess",
        help="which loads to time (bare runs in the first configuration only; inprocess: the "
        "view and the bare page in this process, opcodes and CPU per request)",
    )
    parser.add_argument("--inprocess-rounds", type=int, default=20)
    parser.add_argument(
        "--quick", action="store_true", help="0.5 s warm-up + 2 s per load, 50 learners"
    )
    parser.add_argument(
        "--py-spy", type=Path, help="directory for py-spy raw stacks of the workers during views"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.learners, args.preview_samples = 2.0, 0.5, 50, 50
    configs = [c for c in args.only.split(",") if c]
    phases: list[Phase] = []
    extras: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(configs):
        if i == 1:
            args.loads = args.loads.replace("bare", "")
        got, extra = run(name, args)
        phases += got
        extras[name] = extra
    print_table(phases, extras)
    figures: dict[str, Any] = {
        "benchmark": "lessons",
        "targets": {
            "views_per_s": TARGET_VIEWS_PER_S,
            "preview_round_trip_median_ms": TARGET_PREVIEW_MEDIAN_MS,
        },
    }
    for name in configs:
        mine = {ph.what: ph.figures() for ph in phases if ph.config == name}
        figures[name] = {**mine, **extras[name]}
        if "views" in mine:
            figures[name]["meets_views_target"] = mine["views"]["per_s"] >= TARGET_VIEWS_PER_S
        if "preview_round_trip_ms" in extras[name]:
            figures[name]["meets_preview_target"] = (
                extras[name]["preview_round_trip_ms"]["p50"] <= TARGET_PREVIEW_MEDIAN_MS
            )
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
