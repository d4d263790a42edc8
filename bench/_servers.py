"""Helpers for bench/launch.py: gunicorn processes, a throw-away PostgreSQL database, /proc CPU.

Also the dev LMS's WSGI entry for gunicorn (`_servers:devlms_wsgi()`), configured by BENCH_DEVLMS_*.
Everything listens on 127.0.0.1 only; every process started here is stopped by its own pid.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# path, status, request time in microseconds, the client's launch tag (one header per launch).
ACCESS_LOG_FORMAT = "%(U)s %(s)s %(D)s %({x-bench-launch}i)s"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def devlms_wsgi():
    """gunicorn factory for the dev LMS (the platform), configured from the environment."""
    from lti_tool.devlms import create_devlms_app

    return create_devlms_app(
        {
            "ISSUER": os.environ["BENCH_DEVLMS_ISSUER"],
            "DATABASE_URL": os.environ["BENCH_DEVLMS_DATABASE_URL"],
            "SECRET_KEY": os.environ["BENCH_DEVLMS_SECRET_KEY"],
            "PLATFORM_STORAGE": os.environ.get("BENCH_DEVLMS_PLATFORM_STORAGE") == "1",
            "TESTING": False,
        }
    )


@dataclass
class Gunicorn:
    """One gunicorn master + its sync workers, started as a subprocess, stopped by pid."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_dir: Path
    proc: subprocess.Popen | None = None
    stderr_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.stderr_path = self.log_dir / f"{self.name}.stderr"

    def start(self, timeout: float = 30.0) -> Gunicorn:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv built by the benchmark
            self.argv,
            env=self.env,
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=self.stderr_path.open("w"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.stderr_path.read_text()[-2000:]}")
            if len(self.worker_pids()) >= self.expected_workers and _port_open(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not start in {timeout} s: {self.stderr_path.read_text()[-2000:]}"
        )

    @property
    def expected_workers(self) -> int:
        return int(self.env.get("BENCH_WORKERS", "2"))

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        return children(self.proc.pid)

    def pids(self) -> list[int]:
        return [self.proc.pid, *self.worker_pids()] if self.proc else []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # gunicorn master: graceful stop of its workers
        try:
            self.proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    out: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(p) for p in text)
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes (not their children), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / CLK_TCK


def gunicorn_tool(port: int, env: Mapping[str, str], log_dir: Path, workers: int = 2) -> Gunicorn:
    """The tool exactly as config/gunicorn.conf.py serves it, plus a timing access log."""
    full_env = {
        **os.environ,
        **env,
        "PEERPATH_BIND": f"127.0.0.1:{port}",
        "PEERPATH_WORKERS": str(workers),
        "PEERPATH_ACCESS_LOG": str(log_dir / "tool-access.log"),
        "BENCH_WORKERS": str(workers),
    }
    argv = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "lti_tool.wsgi:app",
    ]
    return Gunicorn("tool", argv, full_env, port, log_dir)


def gunicorn_devlms(
    port: int,
    database_url: str,
    secret: str,
    log_dir: Path,
    workers: int = 2,
    platform_storage: bool = False,
) -> Gunicorn:
    """The dev LMS (the platform) on its own gunicorn, reached by the client as http://localhost:port."""
    full_env = {
        **os.environ,
        "BENCH_DEVLMS_ISSUER": f"http://localhost:{port}",
        "BENCH_DEVLMS_DATABASE_URL": database_url,
        "BENCH_DEVLMS_SECRET_KEY": secret,
        "BENCH_DEVLMS_PLATFORM_STORAGE": "1" if platform_storage else "0",
        "BENCH_WORKERS": str(workers),
    }
    argv = [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--pythonpath",
        str(ROOT / "bench"),
        "--access-logfile",
        str(log_dir / "devlms-access.log"),
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "_servers:devlms_wsgi()",
    ]
    return Gunicorn("devlms", argv, full_env, port, log_dir)


class PgDatabase:
    """A fresh database peerpath_bench_<random> on the local server, dropped by drop()."""

    def __init__(self) -> None:
        self.name = "peerpath_bench_" + secrets.token_hex(4)
        self.url = f"postgresql://postgres@127.0.0.1:5432/{self.name}"

    def create(self) -> PgDatabase:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def backend_pids(self) -> list[int]:
        """Server processes currently connected to this database (their CPU is the tool's too)."""
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def start_py_spy(server: Gunicorn, out: Path, duration: float) -> subprocess.Popen:
    """Sample the server's workers (py-spy, 100 Hz, raw collapsed stacks) for `duration` s."""
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        str(VENV_BIN / "py-spy"),
        "record",
        "--pid",
        str(server.proc.pid if server.proc else 0),
        "--subprocesses",
    ]
    argv += [
        "--duration",
        str(max(1, int(duration))),
        "--rate",
        "100",
        "--format",
        "raw",
        "--output",
        str(out),
    ]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def parse_access_log(path: Path) -> list[tuple[str, int, int, str]]:
    """(path, status, microseconds, launch tag) per line of ACCESS_LOG_FORMAT."""
    rows = []
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        parts = line.split(" ")
        if len(parts) != 4:
            continue
        try:
            rows.append((parts[0], int(parts[1]), int(parts[2]), parts[3]))
        except ValueError:
            continue
    return rows
