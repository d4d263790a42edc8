"""Configuration loading: defaults, then a settings file, then PEERPATH_* variables.

Also decides what the app refuses to start with (demo defaults in production).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from config import defaults

ENV_PREFIX = "PEERPATH_"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


def _coerce(name: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{ENV_PREFIX}{name} must be true or false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number, got {raw!r}") from None
    if isinstance(default, list):
        raw = raw.strip()
        if raw.startswith("["):
            return json.loads(raw)
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def load_settings(app: Flask, overrides: dict | None = None) -> None:
    """Fill app.config in the documented order of precedence."""
    for name in dir(defaults):
        if name.isupper():
            app.config[name] = getattr(defaults, name)

    settings_file = os.environ.get(ENV_PREFIX + "SETTINGS_FILE")
    if settings_file:
        if not app.config.from_pyfile(settings_file, silent=False):
            raise ConfigError(f"settings file {settings_file} could not be read")
    else:
        app.config.from_pyfile("settings.py", silent=True)

    for key, raw in os.environ.items():
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX + "SETTINGS_FILE":
            name = key[len(ENV_PREFIX) :]
            app.config[name] = _coerce(name, raw, app.config.get(name))

    if overrides:
        app.config.update(overrides)

    _finish(app)


def _finish(app: Flask) -> None:
    cfg = app.config
    if cfg["ENV"] not in {"production", "development"}:
        raise ConfigError(f"PEERPATH_ENV must be 'production' or 'development', got {cfg['ENV']!r}")
    dev = cfg["ENV"] == "development"
    cfg["DEBUG"] = False
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if not cfg.get("SECRET_KEY"):
        if not dev:
            raise ConfigError(
                "PEERPATH_SECRET_KEY is not set. Production needs a long random secret "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        cfg["SECRET_KEY"] = instance_secret(Path(app.instance_path) / "secret_key")
    elif not dev and len(cfg["SECRET_KEY"]) < 32:
        raise ConfigError("PEERPATH_SECRET_KEY is too short for production: use at least 32 characters.")

    if not cfg.get("DATABASE_URL"):
        if not dev and not cfg.get("TESTING"):
            raise ConfigError(
                "PEERPATH_DATABASE_URL is not set. Production needs an explicit database "
                "(sqlite:////var/lib/peerpath/peerpath.sqlite or postgresql://...)."
            )
        cfg["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "peerpath.sqlite")
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["DATABASE_URL"])
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(cfg["SQLALCHEMY_DATABASE_URI"])

    base_url = (cfg.get("BASE_URL") or "").rstrip("/")
    if not base_url:
        if not dev:
            raise ConfigError("PEERPATH_BASE_URL is not set: give the public https URL the LMS sees.")
        base_url = "http://127.0.0.1:5000"
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"PEERPATH_BASE_URL must be an absolute http(s) URL, got {base_url!r}")
    if parts.scheme == "http" and not (dev and parts.hostname in {"localhost", "127.0.0.1", "::1"}):
        raise ConfigError(
            "PEERPATH_BASE_URL must use https (plain http is allowed only in development on loopback)."
        )
    cfg["BASE_URL"] = base_url

    if cfg["DEVLMS_ENABLED"] and not dev:
        raise ConfigError(
            "The dev LMS is for demos and tests only: it cannot be enabled when PEERPATH_ENV=production."
        )

    secure = parts.scheme == "https"
    # LMSs frame the tool from another site: cookies must be SameSite=None; Secure to
    # reach us at all. On plain-http loopback (development) browsers drop such cookies,
    # so fall back to Lax there; launches then bind through Platform Storage or a handle.
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["SESSION_COOKIE_SAMESITE"] = "None" if secure else "Lax"
    cfg["SESSION_COOKIE_PARTITIONED"] = secure
    cfg["PREFERRED_URL_SCHEME"] = parts.scheme
    cfg.setdefault("BABEL_DEFAULT_LOCALE", cfg["DEFAULT_LOCALE"])
    cfg.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")


def instance_secret(path: Path) -> str:
    """A random secret kept in a 0600 file under instance/, made on first use."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def normalise_database_url(url: str) -> str:
    """Serve postgres URLs through psycopg 3 whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
