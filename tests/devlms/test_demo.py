"""`peerpath demo`: setup is idempotent, both servers answer, production is refused.

Runs the real tool app (migrated SQLite) and the dev LMS in a temporary instance folder.
"""

from __future__ import annotations

import socket

import pytest
import requests
from click.testing import CliRunner

from lti_tool.devlms import demo, seed
from lti_tool.devlms.models import Course, DevTool, Person, ResourceLink
from lti_tool.devlms.models import db as lms_db


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.delenv("PEERPATH_ENV", raising=False)
    monkeypatch.delenv("PEERPATH_DATABASE_URL", raising=False)
    # prepare_demo points the tool at this folder; monkeypatch restores the variable afterwards.
    monkeypatch.setenv("PEERPATH_INSTANCE_PATH", str(tmp_path))
    return tmp_path


def test_prepare_demo_is_idempotent(instance):
    from lti_tool.lti import platforms

    tool_port, lms_port = _port(), _port()
    first = demo.prepare_demo(tool_port, lms_port, instance=instance)
    second = demo.prepare_demo(tool_port, lms_port, instance=instance)
    assert first.course == second.course
    assert (instance / "devlms.sqlite").exists() and (instance / "peerpath.sqlite").exists()
    with second.lms_app.app_context():
        assert lms_db.session.query(DevTool).count() == 1
        assert lms_db.session.query(Course).count() == 1
        assert lms_db.session.query(Person).count() == len(seed.INSTRUCTORS) + len(seed.LEARNERS)
        assert lms_db.session.query(ResourceLink).count() == 1
        tool = lms_db.session.query(DevTool).one()
        assert tool.login_url == f"http://127.0.0.1:{tool_port}/lti/login"
    with second.tool_app.app_context():
        registered = [p for p in platforms.list_platforms() if p.client_id == demo.DEMO_CLIENT_ID]
        assert len(registered) == 1
        assert registered[0].issuer == f"http://localhost:{lms_port}"
        assert registered[0].auth_login_url == f"http://localhost:{lms_port}/lti/auth"
        assert [d.deployment_id for d in registered[0].deployments] == ["1"]


def test_demo_serves_the_lms_on_localhost_and_the_tool_on_127(instance):
    tool_port, lms_port = _port(), _port()
    prepared = demo.prepare_demo(tool_port, lms_port, platform_storage=False, instance=instance)
    servers = demo.DemoServers(prepared, tool_port, lms_port).start()
    http = requests.Session()
    http.trust_env = False
    try:
        page = http.get(f"http://localhost:{lms_port}/courses/{seed.DEMO_COURSE_ID}", timeout=10)
        assert page.status_code == 200 and "Peer Learning at Work" in page.text
        jwks = http.get(f"http://127.0.0.1:{tool_port}/lti/jwks", timeout=10)
        assert jwks.status_code == 200 and jwks.json()["keys"]
        text = demo.instructions(prepared)
        assert f"Open http://localhost:{lms_port}/" in text
    finally:
        servers.stop()


def test_demo_refuses_a_production_environment(instance, monkeypatch):
    monkeypatch.setenv("PEERPATH_ENV", "production")
    result = CliRunner().invoke(demo.demo_command, ["--instance", str(instance)])
    assert result.exit_code != 0
    assert "runs only in development" in result.output
    assert not (instance / "devlms.sqlite").exists()


def test_demo_refuses_the_same_port_twice(instance):
    result = CliRunner().invoke(demo.demo_command, ["--tool-port", "5055", "--lms-port", "5055"])
    assert result.exit_code != 0 and "must differ" in result.output
