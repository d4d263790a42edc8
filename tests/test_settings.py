"""Configuration precedence and what production refuses to start with."""

from __future__ import annotations

import pytest

from lti_tool import create_app
from lti_tool.settings import ConfigError, normalise_database_url

GOOD = {
    "ENV": "production",
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "sqlite:///:memory:",
    "BASE_URL": "https://peerpath.example.com",
}


def test_production_with_explicit_settings_starts():
    app = create_app(dict(GOOD))
    assert app.config["SESSION_COOKIE_SAMESITE"] == "None"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_PARTITIONED"] is True


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": None}, "PEERPATH_SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "too short"),
        ({"DATABASE_URL": None}, "PEERPATH_DATABASE_URL is not set"),
        ({"BASE_URL": None}, "PEERPATH_BASE_URL is not set"),
        ({"BASE_URL": "http://peerpath.example.com"}, "must use https"),
        ({"BASE_URL": "peerpath.example.com"}, "absolute http(s) URL"),
        ({"DEVLMS_ENABLED": True}, "dev LMS is for demos and tests only"),
        ({"ENV": "staging"}, "must be 'production' or 'development'"),
    ],
)
def test_production_refuses_demo_defaults(override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_app({**GOOD, **override})


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("PEERPATH_JWT_LEEWAY", "5")
    monkeypatch.setenv("PEERPATH_REQUIRE_BROWSER_BINDING", "true")
    monkeypatch.setenv("PEERPATH_REGISTRATION_ALLOWED_ISSUERS", "https://a.example, https://b.example")
    app = create_app(dict(GOOD))
    assert app.config["JWT_LEEWAY"] == 5
    assert app.config["REQUIRE_BROWSER_BINDING"] is True
    assert app.config["REGISTRATION_ALLOWED_ISSUERS"] == ["https://a.example", "https://b.example"]


def test_bad_boolean_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("PEERPATH_REQUIRE_BROWSER_BINDING", "maybe")
    with pytest.raises(ConfigError, match="PEERPATH_REQUIRE_BROWSER_BINDING must be true or false"):
        create_app(dict(GOOD))


def test_development_on_loopback_allows_http_and_generates_a_secret():
    app = create_app({"ENV": "development", "DATABASE_URL": "sqlite:///:memory:"})
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert len(app.config["SECRET_KEY"]) >= 40


def test_postgres_urls_are_served_through_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
