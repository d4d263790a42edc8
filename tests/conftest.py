"""Shared fixtures: a migrated database (SQLite or PostgreSQL), the app, live servers.

Set PEERPATH_TEST_DATABASE_URL=postgresql://... to run the whole suite on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import keys as tool_keys
from lti_tool.settings import normalise_database_url

PG_URL = os.environ.get("PEERPATH_TEST_DATABASE_URL")
TEST_SECRET = "test-secret-key-with-enough-length-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _migrate(url: str, instance: Path) -> None:
    app = create_app(
        {"TESTING": True, "ENV": "development", "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET}
    )
    from flask_migrate import upgrade

    with app.app_context():
        if url.startswith("postgres"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _instance_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("instance")
    os.environ["PEERPATH_INSTANCE_PATH"] = str(root)
    return root


@pytest.fixture(scope="session")
def _template_db(_instance_root, tmp_path_factory) -> str:
    """Migrate once per test session: a SQLite file to copy, or the PostgreSQL database."""
    if PG_URL:
        _migrate(PG_URL, _instance_root)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    _migrate(f"sqlite:///{path}", _instance_root)
    return str(path)


def _truncate_all(url: str) -> None:
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
            )
        ]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(_template_db, tmp_path) -> str:
    if PG_URL:
        _truncate_all(PG_URL)
        return PG_URL
    path = tmp_path / "peerpath.sqlite"
    shutil.copy(_template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def tool_port() -> int:
    return free_port()


@pytest.fixture
def app_config(database_url, tool_port) -> dict:
    """Override in a test module to change settings before the app is made."""
    return {
        "TESTING": True,
        "ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "BASE_URL": f"http://127.0.0.1:{tool_port}",
        "DEVLMS_ENABLED": True,
    }


@pytest.fixture
def app(app_config) -> Iterator:
    tool_keys.reset_cache()
    application = create_app(app_config)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class LiveServer:
    def __init__(self, wsgi_app, host: str, port: int, public_host: str | None = None):
        self.server = make_server(host, port, wsgi_app, threaded=True)
        self.url = f"http://{public_host or host}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def tool_server(app, tool_port) -> Iterator[LiveServer]:
    """The tool served over real HTTP at BASE_URL (the dev LMS fetches our JWKS)."""
    server = LiveServer(app, "127.0.0.1", tool_port).start()
    yield server
    server.stop()


# --- The dev LMS: a real LTI 1.3 platform on another site (localhost vs 127.0.0.1) ---


@pytest.fixture
def devlms_port() -> int:
    return free_port()


@pytest.fixture
def devlms_config(tmp_path, devlms_port) -> dict:
    """Override in a test module to switch Platform Storage on, etc."""
    return {
        "ISSUER": f"http://localhost:{devlms_port}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'devlms.sqlite'}",
        "SECRET_KEY": "devlms-test-secret",
        "PLATFORM_STORAGE": False,
        "TESTING": True,
    }


@pytest.fixture
def devlms_app(devlms_config):
    from lti_tool.devlms import create_devlms_app

    return create_devlms_app(devlms_config)


@pytest.fixture
def devlms_server(devlms_app, devlms_port) -> Iterator[LiveServer]:
    server = LiveServer(devlms_app, "127.0.0.1", devlms_port, public_host="localhost").start()
    yield server
    server.stop()
