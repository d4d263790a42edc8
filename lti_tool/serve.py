"""`peerpath run`: migrate the schema, then serve the tool with gunicorn (sync workers).

The same code path serves SQLite and PostgreSQL; only PEERPATH_DATABASE_URL differs.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade
from gunicorn.app.base import BaseApplication

CONFIG_FILE = Path(__file__).resolve().parent.parent / "config" / "gunicorn.conf.py"


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict):
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        # config/gunicorn.conf.py first (operators edit it), then the command-line options.
        settings = runpy.run_path(str(CONFIG_FILE))
        for key, value in settings.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._app


def serve_tool(host: str, port: int, workers: int) -> None:
    app = current_app._get_current_object()
    upgrade()
    from .lti.keys import ensure_key

    ensure_key()
    from .extensions import db

    # Workers fork after this point: they must not share the parent's connections.
    db.engine.dispose()
    _Gunicorn(app, {"bind": f"{host}:{port}", "workers": workers}).run()
