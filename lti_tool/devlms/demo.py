"""`peerpath demo`: the dev LMS and the tool, registered to each other, on SQLite.

`prepare_demo` does the idempotent setup (tests call it); `DemoServers` serves both apps.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from ..settings import instance_secret
from . import create_devlms_app, setup

DEMO_CLIENT_ID = "peerpath-demo"
DEMO_DEPLOYMENT_ID = "1"


class DemoError(click.ClickException):
    """The demo cannot start; the message says what to change."""


@dataclass
class Demo:
    tool_app: Flask
    lms_app: Flask
    course: setup.DemoCourse
    tool_url: str
    lms_url: str


def check_development() -> None:
    """Refuse when the environment says this is a production install."""
    env = os.environ.get("PEERPATH_ENV", "development").strip().lower()
    if env != "development":
        raise DemoError(
            f"peerpath demo runs only in development, but PEERPATH_ENV={env!r}. "
            "The demo starts a fake LMS with seeded people: never run it on a production install. "
            "Unset PEERPATH_ENV (or set it to 'development') on a development machine."
        )


def prepare_demo(
    tool_port: int = 5000,
    lms_port: int = 5001,
    platform_storage: bool = True,
    instance: str | os.PathLike[str] | None = None,
) -> Demo:
    """Create both apps, migrate the tool, register each in the other and seed the course."""
    check_development()
    from flask_migrate import upgrade

    from .. import ROOT, create_app
    from ..lti import platforms

    instance_dir = Path(instance) if instance else ROOT / "instance"
    instance_dir.mkdir(parents=True, exist_ok=True)
    # The tool's app factory takes its instance path from the environment.
    os.environ["PEERPATH_INSTANCE_PATH"] = str(instance_dir.resolve())
    tool_url = f"http://127.0.0.1:{tool_port}"
    lms_url = f"http://localhost:{lms_port}"

    tool_app = create_app({"ENV": "development", "DEVLMS_ENABLED": True, "BASE_URL": tool_url})
    lms_app = create_devlms_app(
        {
            "ISSUER": lms_url,
            "DATABASE_URL": f"sqlite:///{(instance_dir / 'devlms.sqlite').resolve()}",
            "SECRET_KEY": instance_secret(instance_dir / "devlms_secret_key"),
            "PLATFORM_STORAGE": platform_storage,
            "TESTING": False,
        }
    )
    setup.register_peerpath(lms_app, DEMO_CLIENT_ID, tool_url, deployment_id=DEMO_DEPLOYMENT_ID)
    course = setup.seed_demo_course(lms_app, client_id=DEMO_CLIENT_ID)
    with tool_app.app_context():
        upgrade()
        if platforms.find(lms_url, DEMO_CLIENT_ID) is None:
            platforms.add_platform(setup.platform_input(lms_app, client_id=DEMO_CLIENT_ID))
    return Demo(
        tool_app=tool_app, lms_app=lms_app, course=course, tool_url=tool_url, lms_url=lms_url
    )


class DemoServers:
    """Both apps on threaded werkzeug servers bound to 127.0.0.1 (the LMS is reached as localhost)."""

    def __init__(self, demo: Demo, tool_port: int, lms_port: int):
        self.servers: list[BaseWSGIServer] = []
        try:
            self.servers.append(make_server("127.0.0.1", tool_port, demo.tool_app, threaded=True))
            self.servers.append(make_server("127.0.0.1", lms_port, demo.lms_app, threaded=True))
        except OSError as exc:
            self.stop()
            raise DemoError(
                f"cannot listen on port {tool_port} or {lms_port} ({exc.strerror}); "
                "choose others with --tool-port and --lms-port"
            ) from exc
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in self.servers]

    def start(self) -> DemoServers:
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def instructions(demo: Demo) -> str:
    from . import seed

    first_instructor = seed.INSTRUCTORS[0]
    first_learner = seed.LEARNERS[0]
    return "\n".join(
        [
            "",
            "PeerPath demo is running.",
            f"  Dev LMS (the platform): {demo.lms_url}/",
            f"  PeerPath (the tool):    {demo.tool_url}/",
            "",
            f"Open {demo.lms_url}/ in your browser, choose the course “{seed.DEMO_COURSE_TITLE}”,",
            f"then “Launch as {first_instructor.name}” to set up the activity as an instructor,",
            f"and “Launch as {first_learner.name}” (or any learner) to take part.",
            "The LMS and the tool are on different sites (localhost vs 127.0.0.1), like a real LMS.",
            "",
            "Press Ctrl+C to stop.",
        ]
    )


@click.command("demo")
@click.option("--tool-port", default=5000, show_default=True, type=int, help="port for PeerPath")
@click.option("--lms-port", default=5001, show_default=True, type=int, help="port for the dev LMS")
@click.option(
    "--no-platform-storage",
    is_flag=True,
    help="do not offer LTI Platform Storage (exercises the cookie / one-time handle paths)",
)
@click.option(
    "--instance",
    type=click.Path(file_okay=False),
    default=None,
    help="folder for the SQLite databases and keys [default: instance/]",
)
def demo_command(
    tool_port: int, lms_port: int, no_platform_storage: bool, instance: str | None
) -> None:
    """Start the dev LMS and the tool with a seeded course (development only)."""
    if tool_port == lms_port:
        raise DemoError("--tool-port and --lms-port must differ")
    demo = prepare_demo(
        tool_port, lms_port, platform_storage=not no_platform_storage, instance=instance
    )
    servers = DemoServers(demo, tool_port, lms_port).start()
    from ..services.worker import BackgroundWorker

    # The demo is one process: the grade outbox's sender runs beside the servers.
    sender = BackgroundWorker(demo.tool_app).start()
    click.echo(instructions(demo))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Stopping the demo.")
    finally:
        sender.stop()
        servers.stop()
