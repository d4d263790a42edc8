"""Shared fixtures: a migrated database (SQLite or PostgreSQL), the app, live servers.

Set PEERPATH_TEST_DATABASE_URL=postgresql://... to run the whole suite on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support import TEST_SECRET, LiveServer, free_port

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import keys as tool_keys
from lti_tool.settings import normalise_database_url

PG_URL = os.environ.get("PEERPATH_TEST_DATABASE_URL")


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
        # A connection a previous test left open (a server thread mid-request) would make
        # TRUNCATE wait forever for its lock: end them all first, this database is ours.
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
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
    from lti_tool.lti.platform_keys import platform_keys
    from lti_tool.lti.tool_conf import registry_cache

    tool_keys.reset_cache()
    platform_keys.clear()
    registry_cache.clear()
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


# --- A tool and a dev LMS registered to each other: the platform for launch tests ---

TEST_CLIENT_ID = "peerpath-test"


class LtiEnv:
    """One line per launch in tests: `env.launch("u-2001")` like compair's lti_launch()."""

    def __init__(self, app, devlms_app, tool_url: str, lms_url: str, course):
        self.app = app
        self.devlms_app = devlms_app
        self.tool_url = tool_url
        self.lms_url = lms_url
        self.course = course
        self.client_id = TEST_CLIENT_ID

    # -- launching like a browser --------------------------------------------------
    def initiation_url(self, user: str, link: str | None = None, deep_link: bool = False) -> str:
        if deep_link:
            return (
                f"{self.lms_url}/lti/initiate?user={user}&course={self.course.course_id}"
                f"&deep_link=1&tool={self.client_id}"
            )
        return f"{self.lms_url}/lti/initiate?user={user}&link={link or self.course.link_id}"

    def browser(self, cookies: bool = False):
        from lti_tool.devlms.browser import ScriptedBrowser

        return ScriptedBrowser(cookies=cookies)

    def launch(self, user: str, link: str | None = None, deep_link: bool = False, cookies: bool = False):
        return self.browser(cookies).launch(self.initiation_url(user, link, deep_link))

    # -- forging id_tokens for the negative tests ----------------------------------
    def start_login(self, user: str = "u-2001", cookies: bool = False):
        """Run the real login; return (browser, state, nonce) without completing the launch."""
        from urllib.parse import parse_qs, urlsplit

        browser = self.browser(cookies)
        _resp, auth_url = browser.initiate(self.initiation_url(user))
        query = parse_qs(urlsplit(auth_url).query)
        return browser, query["state"][0], query["nonce"][0]

    def claims(self, nonce: str, user: str = "u-2001", **overrides):
        from lti_tool.devlms import seed, tokens

        person = next(p for p in (*seed.INSTRUCTORS, *seed.LEARNERS) if p.id == user)
        role = "instructor" if person in seed.INSTRUCTORS else "learner"
        claims = tokens.build_launch_claims(
            issuer=self.lms_url,
            client_id=self.client_id,
            deployment_id="1",
            nonce=nonce,
            user={
                "sub": person.id,
                "name": person.name,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": person.email,
                "locale": person.locale,
            },
            roles=tokens.roles_for(role),
            context={"id": self.course.course_id, "label": "PLW101", "title": "Peer Learning at Work"},
            resource_link={"id": self.course.link_id, "title": "PeerPath"},
            target_link_uri=f"{self.tool_url}/lti/launch",
            custom={},
            platform={"guid": "devlms", "name": "Dev LMS", "product_family_code": "peerpath-devlms", "version": "1"},
            return_url=f"{self.lms_url}/courses/{self.course.course_id}",
        )
        claims.update(overrides)
        return claims

    def platform_key(self):
        from lti_tool.devlms import keys as devlms_keys

        with self.devlms_app.app_context():
            return devlms_keys.signing_key()

    def sign(self, claims, key=None, kid: str | None = "default", alg: str = "RS256", headers=None) -> str:
        from lti_tool.devlms import tokens

        platform_kid, platform_private = self.platform_key()
        return tokens.sign(
            claims,
            platform_private if key is None else key,
            platform_kid if kid == "default" else kid,
            alg=alg,
            headers=headers,
        )

    def post_launch(self, browser, id_token: str, state: str, json: bool = True, **extra):
        headers = {"Accept": "application/json"} if json else {}
        return browser.http.post(
            f"{self.tool_url}/lti/launch",
            data={"id_token": id_token, "state": state, **extra},
            headers=headers,
            allow_redirects=False,
            timeout=10,
        )

    # -- looking inside the tool's database ----------------------------------------
    def count(self, model) -> int:
        from sqlalchemy import func, select

        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def lti(app, tool_server, devlms_app, devlms_server) -> LtiEnv:
    from lti_tool.devlms import setup
    from lti_tool.lti import platforms
    from lti_tool.lti.platform_keys import platform_keys
    from lti_tool.lti.tool_conf import registry_cache

    platform_keys.clear()
    registry_cache.clear()
    tool_url = tool_server.url
    setup.register_peerpath(devlms_app, TEST_CLIENT_ID, tool_url, deployment_id="1")
    course = setup.seed_demo_course(devlms_app, TEST_CLIENT_ID)
    with app.app_context():
        platforms.add_platform(setup.platform_input(devlms_app, TEST_CLIENT_ID))
    return LtiEnv(app, devlms_app, tool_url, devlms_server.url, course)
