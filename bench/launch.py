"""Full LTI 1.3 launches per second (login -> platform auth -> launch -> first page), four ways.

Configurations: the tool and the dev LMS in this process (no sockets), and the tool on
gunicorn (config/gunicorn.conf.py: 2 sync workers on 127.0.0.1) with the dev LMS on its own
gunicorn (2 sync workers) reached as http://localhost:<p> -- each on SQLite (WAL, a fresh file)
and on PostgreSQL (a fresh database peerpath_bench_<random>, dropped afterwards).

One launch, as a browser that blocks third-party cookies does it (no cookie is ever sent):
  1. GET  LMS  /lti/initiate      -> auto-submitting form
  2. POST tool /lti/login         -> 302 to the LMS auth endpoint
  3. GET  LMS  /lti/auth          -> auto-submitting form with the signed id_token
  4. POST tool /lti/launch        -> 303 to the activity page
  5. GET  tool /a/<activity>?lt=  -> 200, the welcome page (the first page)
The course has --users learners (default 100, plus the 10 seeded people); every one of them
launched once before timing, so the timed launches are returning users (the common case).

Usage:  .venv/bin/python bench/launch.py [--quick] [--only gunicorn_sqlite,...]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import types
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _servers  # noqa: E402

CONFIGS = ["inprocess_sqlite", "inprocess_postgres", "gunicorn_sqlite", "gunicorn_postgres"]
CLIENT_ID = "peerpath-bench"
ACTIVITY_TITLE = "Bench welcome"
TARGET_LAUNCHES_PER_S = 300
TARGET_P99_MS = 50
MAX_LAUNCHES_PER_CLIENT = 200_000  # a hard bound besides the clock

HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)"')
FORM_ACTION = re.compile(r'<form[^>]*\baction="([^"]*)"')
DATA_ATTR = re.compile(r'data-([a-z-]+)="([^"]*)"')


# --- transports: real HTTP on loopback, or the WSGI callables in this process --------------


@dataclass
class Reply:
    status: int
    location: str | None
    text: str
    seconds: float
    cpu: float = 0.0  # thread CPU seconds spent in the app (in-process transport only)


class Transport(Protocol):
    def send(
        self, method: str, url: str, fields: dict[str, str] | None = None, tag: str = ""
    ) -> Reply: ...


class HttpTransport:
    """One TCP connection per request (gunicorn sync workers close after each response).

    `localhost` is resolved to 127.0.0.1 here, as a browser would; the Host header keeps the name.
    """

    def send(
        self, method: str, url: str, fields: dict[str, str] | None = None, tag: str = ""
    ) -> Reply:
        parts = urlsplit(url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        headers = {
            "Host": parts.netloc,
            "X-Bench-Launch": tag,
            "Connection": "close",
            "Accept": "text/html",
        }
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
        try:
            conn.request(method, path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        seconds = time.perf_counter() - start
        return Reply(
            resp.status, resp.getheader("Location"), data.decode("utf-8", "replace"), seconds
        )


class WsgiTransport:
    """werkzeug.test.Client (cookies off) on each app's WSGI callable, chosen by host:port."""

    def __init__(self, apps: dict[str, Any]):
        from werkzeug.test import Client

        self.clients = {netloc: Client(app, use_cookies=False) for netloc, app in apps.items()}

    def send(
        self, method: str, url: str, fields: dict[str, str] | None = None, tag: str = ""
    ) -> Reply:
        parts = urlsplit(url)
        client = self.clients[parts.netloc]
        path = parts.path + ("?" + parts.query if parts.query else "")
        start, cpu_start = time.perf_counter(), time.thread_time()
        resp = client.open(
            path,
            base_url=f"{parts.scheme}://{parts.netloc}",
            method=method,
            data=fields,
            headers={"X-Bench-Launch": tag, "Accept": "text/html"},
        )
        text = resp.get_data(as_text=True)
        seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
        resp.close()
        return Reply(resp.status_code, resp.headers.get("Location"), text, seconds, cpu)


# --- one launch --------------------------------------------------------------------------


class LaunchFailed(Exception):
    pass


@dataclass
class LaunchTiming:
    tag: str
    total: float
    tool: float  # time in the requests to the tool (client-side, incl. transport)
    lms: float
    end: float  # perf_counter at the end
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, CPU s) in-process only


def _form(text: str) -> tuple[str, dict[str, str]]:
    match = FORM_ACTION.search(text)
    if match is None:
        raise LaunchFailed("no form in page: " + text[:200])
    fields = {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(text)}
    return html.unescape(match.group(1)), fields


def launch_once(
    t: Transport, lms_url: str, link_id: str, user: str, tag: str, marker: str = ACTIVITY_TITLE
) -> LaunchTiming:
    """The five requests of a cookie-less launch; raises LaunchFailed on anything unexpected."""
    start = time.perf_counter()
    tool = lms = 0.0
    steps: list[tuple[str, float]] = []
    r = t.send("GET", f"{lms_url}/lti/initiate?user={user}&link={link_id}", tag=tag)
    steps.append(("LMS /lti/initiate", r.cpu))
    lms += r.seconds
    if r.status != 200:
        raise LaunchFailed(f"initiate {r.status}: {r.text[:200]}")
    action, fields = _form(r.text)
    r = t.send("POST", action, fields, tag)
    tool += r.seconds
    steps.append(("tool /lti/login", r.cpu))
    storage: dict[str, str] = {}
    if r.status == 302 and r.location:
        auth_url = r.location
    elif r.status == 200 and 'id="pp-storage"' in r.text:
        # Platform Storage: play lti.put_data (what the LMS frame would keep for us).
        attrs = dict(DATA_ATTR.findall(r.text.split('id="pp-storage"', 1)[1].split(">", 1)[0]))
        storage[html.unescape(attrs["key"])] = html.unescape(attrs["value"])
        auth_url = html.unescape(attrs["auth-url"])
    else:
        raise LaunchFailed(f"login {r.status}: {r.text[:200]}")
    r = t.send("GET", auth_url, tag=tag)
    lms += r.seconds
    steps.append(("LMS /lti/auth", r.cpu))
    if r.status != 200:
        raise LaunchFailed(f"auth {r.status}: {r.text[:200]}")
    action, fields = _form(r.text)
    r = t.send("POST", action, fields, tag)
    tool += r.seconds
    steps.append(("tool /lti/launch", r.cpu))
    if r.status == 200 and 'id="pp-storage-launch"' in r.text:
        page = r.text.split('id="pp-storage-launch"', 1)
        attrs = dict(DATA_ATTR.findall(page[0].rsplit("<", 1)[1] + page[1].split(">", 1)[0]))
        _action, fields = _form(page[1])
        fields["pp_binding"] = storage.get(html.unescape(attrs.get("key", "")), "")
        r = t.send("POST", action, fields, tag)
        tool += r.seconds
        steps.append(("tool /lti/launch (storage)", r.cpu))
    if r.status != 303 or not r.location:
        raise LaunchFailed(f"launch {r.status}: {r.text[:300]}")
    r = t.send("GET", urljoin(action, r.location), tag=tag)
    tool += r.seconds
    steps.append(("tool /a/<id> (first page)", r.cpu))
    if r.status != 200 or marker not in r.text:
        raise LaunchFailed(f"first page {r.status}: {r.text[:300]}")
    end = time.perf_counter()
    return LaunchTiming(tag, end - start, tool, lms, end, steps)


# --- preparing a configuration -----------------------------------------------------------


@dataclass
class Prepared:
    name: str
    tool_url: str
    lms_url: str
    link_id: str
    users: list[str]
    tool_env: dict[str, str]
    lms_db_url: str
    lms_secret: str
    tmp: Path
    tool_app: Any = None
    lms_app: Any = None
    pg: Any = None  # _servers.PgDatabase for the *_postgres configurations
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def _learner_ids(n: int) -> list[str]:
    return [f"b-{i:04d}" for i in range(n)]


def prepare(name: str, tmp: Path, n_users: int, platform_storage: bool) -> Prepared:
    """Fresh databases, migrations, both apps registered to each other, the course seeded."""
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.devlms import create_devlms_app, seed, setup
    from lti_tool.devlms.models import LEARNER, Enrolment, Person
    from lti_tool.devlms.models import db as lms_db
    from lti_tool.extensions import db
    from lti_tool.lti import keys as tool_keys
    from lti_tool.lti import platforms
    from lti_tool.lti.platform_keys import platform_keys

    cleanups: list[Callable[[], None]] = []
    pg = None
    if name.endswith("postgres"):
        pg = _servers.PgDatabase().create()
        cleanups.append(pg.drop)
        tool_db = pg.url
    else:
        tool_db = f"sqlite:///{tmp / 'peerpath.sqlite'}"
    tool_port, lms_port = _servers.free_port(), _servers.free_port()
    tool_url, lms_url = f"http://127.0.0.1:{tool_port}", f"http://localhost:{lms_port}"
    (tmp / "instance").mkdir(exist_ok=True)
    tool_env = {
        "PEERPATH_ENV": "development",  # plain http on loopback
        "PEERPATH_DEVLMS_ENABLED": "true",
        "PEERPATH_DATABASE_URL": tool_db,
        "PEERPATH_BASE_URL": tool_url,
        "PEERPATH_SECRET_KEY": secrets.token_urlsafe(48),
        "PEERPATH_INSTANCE_PATH": str(tmp / "instance"),
    }
    lms_db_url = f"sqlite:///{tmp / 'devlms.sqlite'}"
    lms_secret = secrets.token_urlsafe(32)

    tool_keys.reset_cache()
    platform_keys.clear()
    with _environ(tool_env):
        tool_app = create_app()  # exactly what lti_tool.wsgi does, from PEERPATH_* variables
    with tool_app.app_context():
        upgrade()
        tool_keys.ensure_key()
    lms_app = create_devlms_app(
        {
            "ISSUER": lms_url,
            "DATABASE_URL": lms_db_url,
            "SECRET_KEY": lms_secret,
            "PLATFORM_STORAGE": platform_storage,
            "TESTING": False,
        }
    )
    setup.register_peerpath(lms_app, CLIENT_ID, tool_url, deployment_id="1")
    course = setup.seed_demo_course(lms_app, CLIENT_ID)
    learners = _learner_ids(n_users)
    with lms_app.app_context():
        for i, pid in enumerate(learners):
            lms_db.session.add(
                Person(
                    id=pid,
                    given_name=f"Learner{i}",
                    family_name="Bench",
                    name=f"Learner{i} Bench",
                    email=f"{pid}@example.com",
                    locale="en-GB",
                )
            )
            lms_db.session.add(Enrolment(course_id=course.course_id, person_id=pid, role=LEARNER))
        lms_db.session.commit()
    with tool_app.app_context():
        platforms.add_platform(setup.platform_input(lms_app, CLIENT_ID))
        db.engine.dispose()
    users = [*course.learner_ids, *learners]
    prepared = Prepared(
        name,
        tool_url,
        lms_url,
        course.link_id,
        users,
        tool_env,
        lms_db_url,
        lms_secret,
        tmp,
        tool_app,
        lms_app,
        cleanups,
    )
    prepared.pg = pg
    prepared.instructor = seed.INSTRUCTORS[0].id  # type: ignore[attr-defined]
    return prepared


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


def set_up_activity(t: Transport, p: Prepared) -> None:
    """An instructor's first launch lands on the picker: choose the welcome page once."""
    r = t.send("GET", f"{p.lms_url}/lti/initiate?user={p.instructor}&link={p.link_id}")  # type: ignore[attr-defined]
    action, fields = _form(r.text)
    r = t.send("POST", action, fields)
    r = t.send("GET", r.location or "")
    action, fields = _form(r.text)
    r = t.send("POST", action, fields)
    if r.status != 303:
        raise LaunchFailed(f"instructor launch {r.status}: {r.text[:300]}")
    page_url = urljoin(action, r.location or "")
    r = t.send("GET", page_url)
    action, fields = _form(r.text)
    fields.update(
        {
            "kind": "welcome",
            "welcome-title": ACTIVITY_TITLE,
            "welcome-message": "Hello.\n\nWelcome.",
        }
    )
    r = t.send("POST", urljoin(page_url, action), fields)
    if r.status != 303:
        raise LaunchFailed(f"activity set-up {r.status}: {r.text[:300]}")


def launch_everyone(t_factory: Callable[[], Transport], p: Prepared, threads: int) -> None:
    """Each user's first launch (provisioning inserts) happens here, before any timing."""
    errors: list[str] = []

    def work(chunk: list[str]) -> None:
        t = t_factory()
        for user in chunk:
            try:
                launch_once(t, p.lms_url, p.link_id, user, "first")
            except LaunchFailed as exc:
                errors.append(str(exc))

    workers = [threading.Thread(target=work, args=(p.users[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    if errors:
        raise LaunchFailed(f"{len(errors)} first launches failed, e.g. {errors[0]}")


# --- the load loop -------------------------------------------------------------------------


@dataclass
class ClientResult:
    timings: list[LaunchTiming]
    errors: int
    first_error: str


def client_loop(
    t: Transport, p_lms: str, link_id: str, users: list[str], cid: int, warm_end: float, end: float
) -> ClientResult:
    """Launch random users back to back; keep launches that finish inside [warm_end, end]."""
    rng = random.Random(cid)  # noqa: S311 - load pattern, not security
    kept: list[LaunchTiming] = []
    errors, first_error = 0, ""
    for seq in range(MAX_LAUNCHES_PER_CLIENT):
        if time.perf_counter() >= end:
            break
        tag = f"c{cid}-{seq}"
        try:
            timing = launch_once(t, p_lms, link_id, rng.choice(users), tag)
        except (LaunchFailed, OSError, http.client.HTTPException) as exc:
            errors += 1 if time.perf_counter() >= warm_end else 0
            first_error = first_error or f"{type(exc).__name__}: {exc}"
            continue
        if warm_end <= timing.end - timing.total and timing.end <= end:
            kept.append(timing)
    return ClientResult(kept, errors, first_error)


def _client_process(args: tuple, queue: mp.Queue) -> None:
    lms_url, link_id, users, cid, warm_end, end = args
    try:
        result = client_loop(HttpTransport(), lms_url, link_id, users, cid, warm_end, end)
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        result = ClientResult([], 1, f"client crashed: {exc!r}")
    queue.put((os.getpid(), result))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))]


def machine_idle() -> tuple[float, float]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return float(fields[3] + fields[4]), float(sum(fields[:8]))


@dataclass
class Outcome:
    name: str
    launches: int
    seconds: float
    errors: int
    first_error: str
    latencies_ms: list[float]
    tool_ms: list[float]  # per launch, tool's share
    lms_ms: list[float]
    endpoints: dict[str, list[float]] = field(default_factory=dict)  # tool endpoint -> ms
    cpu_ms_per_launch: dict[str, float] = field(default_factory=dict)
    busy_pct: float = float("nan")
    clients: int = 0
    notes: str = ""


def run_inprocess(p: Prepared, warm: float, duration: float, clients: int) -> Outcome:
    from lti_tool.lti import platform_keys as pk_module

    apps = {urlsplit(p.tool_url).netloc: p.tool_app, urlsplit(p.lms_url).netloc: p.lms_app}

    # The tool fetches the platform's JWKS once per process; with no sockets, hand it the
    # LMS's /lti/certs through the same in-process transport.
    def fake_get(url: str, timeout: float = 10, headers: dict | None = None):
        reply = WsgiTransport(apps).send("GET", url)
        return types.SimpleNamespace(
            status_code=reply.status,
            json=lambda: json.loads(reply.text),
            raise_for_status=lambda: None,
        )

    real_requests = pk_module.requests
    pk_module.requests = types.SimpleNamespace(
        get=fake_get, RequestException=real_requests.RequestException
    )
    try:
        t0 = WsgiTransport(apps)
        set_up_activity(t0, p)
        launch_everyone(lambda: WsgiTransport(apps), p, 1)
        now = time.perf_counter()
        warm_end, end = now + warm, now + warm + duration
        results: list[ClientResult] = []

        def run(cid: int) -> None:
            results.append(
                client_loop(WsgiTransport(apps), p.lms_url, p.link_id, p.users, cid, warm_end, end)
            )

        threads = [threading.Thread(target=run, args=(cid,)) for cid in range(clients)]
        for th in threads:
            th.start()
        # process CPU over the timed window only
        time.sleep(max(0.0, warm_end - time.perf_counter()))
        backends = p.pg.backend_pids() if p.pg is not None else []
        cpu_start, idle0, pg0 = time.process_time(), machine_idle(), _servers.cpu_seconds(backends)
        for th in threads:
            th.join(warm + duration + 60)
        cpu_end, idle1, pg1 = time.process_time(), machine_idle(), _servers.cpu_seconds(backends)
    finally:
        pk_module.requests = real_requests
    timings = [tm for r in results for tm in r.timings]
    out = _outcome(p.name, timings, results, duration, clients)
    n = max(1, len(timings))
    out.busy_pct = _busy(idle0, idle1)
    endpoints: dict[str, list[float]] = defaultdict(list)
    for tm in timings:
        for step, cpu in tm.steps:
            endpoints[step].append(1000 * cpu)
    out.endpoints = dict(endpoints)
    tool_cpu = sum(sum(v) for k, v in endpoints.items() if k.startswith("tool")) / n
    lms_cpu = sum(sum(v) for k, v in endpoints.items() if k.startswith("LMS")) / n
    everything = 1000 * (cpu_end - cpu_start) / n
    out.cpu_ms_per_launch = {
        "tool": tool_cpu,
        "platform": lms_cpu,
        "client": everything - tool_cpu - lms_cpu,
    }
    if backends:
        out.cpu_ms_per_launch["tool's PostgreSQL backends"] = 1000 * (pg1 - pg0) / n
    out.notes = "werkzeug.test.Client on both WSGI callables; tool/LMS split = time inside each app"
    return out


def _busy(a: tuple[float, float], b: tuple[float, float]) -> float:
    idle, total = b[0] - a[0], b[1] - a[1]
    return 100.0 * (1 - idle / total) if total else float("nan")


def _outcome(
    name: str,
    timings: list[LaunchTiming],
    results: list[ClientResult],
    duration: float,
    clients: int,
) -> Outcome:
    errors = sum(r.errors for r in results)
    first_error = next((r.first_error for r in results if r.first_error), "")
    return Outcome(
        name=name,
        launches=len(timings),
        seconds=duration,
        errors=errors,
        first_error=first_error,
        latencies_ms=[1000 * tm.total for tm in timings],
        tool_ms=[1000 * tm.tool for tm in timings],
        lms_ms=[1000 * tm.lms for tm in timings],
        clients=clients,
    )


def run_gunicorn(
    p: Prepared,
    warm: float,
    duration: float,
    clients: int,
    platform_storage: bool,
    py_spy: Path | None = None,
) -> Outcome:
    log_dir = p.tmp / "logs"
    log_dir.mkdir(exist_ok=True)
    tool = _servers.gunicorn_tool(urlsplit(p.tool_url).port or 0, p.tool_env, log_dir)
    lms = _servers.gunicorn_devlms(
        urlsplit(p.lms_url).port or 0,
        p.lms_db_url,
        p.lms_secret,
        log_dir,
        platform_storage=platform_storage,
    )
    try:
        lms.start()
        tool.start()
        set_up_activity(HttpTransport(), p)
        launch_everyone(HttpTransport, p, 4)
        ctx = mp.get_context("fork")
        queue: mp.Queue = ctx.Queue()
        now = time.perf_counter()
        warm_end, end = now + warm, now + warm + duration
        procs = [
            ctx.Process(
                target=_client_process,
                args=((p.lms_url, p.link_id, p.users, cid, warm_end, end), queue),
            )
            for cid in range(clients)
        ]
        for proc in procs:
            proc.start()
        time.sleep(max(0.0, warm_end - time.perf_counter()))
        groups = {
            "tool": tool.pids(),
            "platform": lms.pids(),
            "client": [pr.pid for pr in procs if pr.pid],
        }
        if p.pg is not None:
            groups["tool's PostgreSQL backends"] = p.pg.backend_pids()
        spy = (
            _servers.start_py_spy(tool, py_spy / f"{p.name}-tool.txt", duration) if py_spy else None
        )
        cpu0 = {k: _servers.cpu_seconds(v) for k, v in groups.items()}
        idle0 = machine_idle()
        time.sleep(max(0.0, end - time.perf_counter()))
        cpu1 = {k: _servers.cpu_seconds(v) for k, v in groups.items()}
        idle1 = machine_idle()
        if spy is not None:
            spy.wait(timeout=duration + 30)
        results: list[ClientResult] = []
        for _ in procs:
            _pid, result = queue.get(timeout=60)
            results.append(result)
        for proc in procs:
            proc.join(10)
    finally:
        tool.stop()
        lms.stop()
    timings = [tm for r in results for tm in r.timings]
    out = _outcome(p.name, timings, results, duration, clients)
    n = max(1, len(timings))
    out.cpu_ms_per_launch = {k: 1000 * (cpu1[k] - cpu0[k]) / n for k in groups}
    # CPU the rest of the machine used meanwhile (other people's jobs): not ours, but it competes.
    busy_s = ((idle1[1] - idle0[1]) - (idle1[0] - idle0[0])) / _servers.CLK_TCK
    out.cpu_ms_per_launch["other processes"] = max(
        0.0, 1000 * busy_s / n - sum(out.cpu_ms_per_launch.values())
    )
    out.busy_pct = _busy(idle0, idle1)
    # Server-side time of the tool's own requests, from its access log (%(D)s microseconds).
    kept = {tm.tag for tm in timings}
    per_launch: dict[str, float] = defaultdict(float)
    endpoints: dict[str, list[float]] = defaultdict(list)
    for path, _status, micros, tag in _servers.parse_access_log(log_dir / "tool-access.log"):
        if tag in kept:
            per_launch[tag] += micros / 1000
            endpoints[_endpoint(path)].append(micros / 1000)
    out.tool_ms = list(per_launch.values())
    lms_launch: dict[str, float] = defaultdict(float)
    for path, _status, micros, tag in _servers.parse_access_log(log_dir / "devlms-access.log"):
        if tag in kept:
            lms_launch[tag] += micros / 1000
            endpoints["LMS " + path].append(micros / 1000)
    out.lms_ms = list(lms_launch.values())
    out.endpoints = dict(endpoints)
    out.notes = "tool/LMS split = gunicorn access-log %(D)s (server-side)"
    return out


def _endpoint(path: str) -> str:
    return "tool /a/<id> (first page)" if path.startswith("/a/") else "tool " + path


# --- report ------------------------------------------------------------------------------


def summarise(outcomes: list[Outcome], args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for o in outcomes:
        k = o.name
        figures[f"{k}_launches_per_s"] = round(o.launches / o.seconds, 1)
        figures[f"{k}_p50_ms"] = (
            round(statistics.median(o.latencies_ms), 2) if o.latencies_ms else None
        )
        figures[f"{k}_p99_ms"] = round(pct(o.latencies_ms, 0.99), 2) if o.latencies_ms else None
        figures[f"{k}_errors"] = o.errors
        figures[f"{k}_tool_only_p50_ms"] = (
            round(statistics.median(o.tool_ms), 2) if o.tool_ms else None
        )
        figures[f"{k}_tool_only_p99_ms"] = round(pct(o.tool_ms, 0.99), 2) if o.tool_ms else None
        figures[f"{k}_platform_p50_ms"] = (
            round(statistics.median(o.lms_ms), 2) if o.lms_ms else None
        )
        if o.tool_ms:
            # What the tool alone could sustain if nothing else wanted the CPU.
            cores = 2 if k.startswith("gunicorn") else 1
            # The database server runs on the same cores: its CPU for our queries counts too.
            tool_cpu = o.cpu_ms_per_launch.get("tool") or statistics.mean(o.tool_ms)
            tool_cpu += o.cpu_ms_per_launch.get("tool's PostgreSQL backends", 0.0)
            figures[f"{k}_tool_only_capacity_launches_per_s"] = round(cores * 1000 / tool_cpu, 1)
        for part, ms in o.cpu_ms_per_launch.items():
            if part in {"tool", "platform", "client", "other processes"}:
                figures[f"{k}_{part.split()[0]}_cpu_ms_per_launch"] = round(ms, 3)
            elif "PostgreSQL" in part:
                figures[f"{k}_postgres_backend_cpu_ms_per_launch"] = round(ms, 3)
        figures[f"{k}_cpu_busy_pct"] = round(o.busy_pct, 1)
    for k in ("gunicorn_sqlite", "gunicorn_postgres"):
        if f"{k}_launches_per_s" in figures:
            figures[f"{k}_meets_target"] = bool(
                figures[f"{k}_launches_per_s"] >= TARGET_LAUNCHES_PER_S
                and (figures[f"{k}_p99_ms"] or 1e9) <= TARGET_P99_MS
            )
    figures["seconds_per_config"] = args.duration
    figures["clients_gunicorn"] = args.clients
    figures["clients_inprocess"] = args.inprocess_clients
    figures["users"] = args.users + 10
    figures["platform_storage"] = args.platform_storage
    figures["cpus"] = os.cpu_count()
    return figures


def print_table(outcomes: list[Outcome], figures: dict[str, Any]) -> None:
    print()
    print(
        "Full LTI launches (cookies off): initiate -> /lti/login -> LMS auth -> /lti/launch -> first page"
    )
    header = f"{'configuration':20} {'clients':>7} {'launches/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'tool p50':>9} {'tool p99':>9} {'LMS p50':>8} {'errors':>6} {'CPU busy':>8}"
    print(header)
    print("-" * len(header))
    for o in outcomes:
        k = o.name
        print(
            f"{k:20} {o.clients:>7} {figures[f'{k}_launches_per_s']:>10.1f} {_f(figures[f'{k}_p50_ms']):>8} "
            f"{_f(figures[f'{k}_p99_ms']):>8} {_f(figures[f'{k}_tool_only_p50_ms']):>9} "
            f"{_f(figures[f'{k}_tool_only_p99_ms']):>9} {_f(figures[f'{k}_platform_p50_ms']):>8} "
            f"{o.errors:>6} {o.busy_pct:>7.0f}%"
        )
    print()
    print(
        "CPU per launch (ms, from /proc utime+stime over the timed window) and tool-only capacity:"
    )
    for o in outcomes:
        parts = ", ".join(f"{part} {ms:.2f}" for part, ms in o.cpu_ms_per_launch.items())
        cap = figures.get(f"{o.name}_tool_only_capacity_launches_per_s")
        print(
            f"  {o.name:20} {parts};  tool (+ its DB server) alone could do ~{_f(cap)} launches/s"
        )
    for o in outcomes:
        if o.endpoints:
            if o.name.startswith("inprocess"):
                print(f"\nCPU time per request, {o.name} (ms, thread CPU inside the WSGI call):")
            else:
                print(
                    f"\nServer-side time per request, {o.name} (ms, gunicorn %(D)s, wall, under contention):"
                )
            for name, values in sorted(o.endpoints.items()):
                print(
                    f"  {name:32} n={len(values):6}  p50 {statistics.median(values):7.2f}  p99 {pct(values, 0.99):7.2f}"
                )
    for o in outcomes:
        if o.first_error:
            print(f"\n{o.name}: {o.errors} errors, first: {o.first_error[:300]}")
    print()
    print(
        f"Target (issue 2, item 11): >= {TARGET_LAUNCHES_PER_S} full launches/s through gunicorn, p99 <= {TARGET_P99_MS} ms. "
        "The client, the dev LMS and the tool share the same CPUs."
    )


def _f(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 s per configuration (smoke run)")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="timed seconds per configuration"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="untimed seconds of load before timing"
    )
    parser.add_argument(
        "--clients", type=int, default=6, help="concurrent client processes (gunicorn)"
    )
    parser.add_argument(
        "--inprocess-clients", type=int, default=1, help="client threads (in-process)"
    )
    parser.add_argument("--users", type=int, default=100, help="extra learners in the course")
    parser.add_argument(
        "--platform-storage", action="store_true", help="LMS offers lti_storage_target"
    )
    parser.add_argument(
        "--py-spy", type=Path, default=None, help="record the tool's gunicorn workers into DIR"
    )
    parser.add_argument(
        "--only", default=",".join(CONFIGS), help="comma-separated subset of " + ",".join(CONFIGS)
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 2.0, 0.5
    wanted = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = set(wanted) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(sorted(unknown))}")

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="peerpath-bench-") as tmp_root:
        for name in wanted:
            tmp = Path(tmp_root) / name
            tmp.mkdir()
            print(f"[{name}] preparing ...", file=sys.stderr, flush=True)
            p = prepare(name, tmp, args.users, args.platform_storage)
            try:
                print(
                    f"[{name}] running {args.warmup:g} s warm-up + {args.duration:g} s ...",
                    file=sys.stderr,
                    flush=True,
                )
                if name.startswith("inprocess"):
                    outcome = run_inprocess(p, args.warmup, args.duration, args.inprocess_clients)
                else:
                    outcome = run_gunicorn(
                        p,
                        args.warmup,
                        args.duration,
                        args.clients,
                        args.platform_storage,
                        args.py_spy,
                    )
                outcomes.append(outcome)
            finally:
                _dispose(p)
                for cleanup in p.cleanups:
                    cleanup()
    figures = summarise(outcomes, args)
    print_table(outcomes, figures)
    print(json.dumps(figures, sort_keys=False))
    return 0


def _dispose(p: Prepared) -> None:
    from lti_tool.devlms.models import db as lms_db
    from lti_tool.extensions import db

    for app, database in ((p.tool_app, db), (p.lms_app, lms_db)):
        with app.app_context():
            database.session.remove()
            database.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
