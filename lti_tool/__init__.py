"""PeerPath: an LTI 1.3 peer-learning tool. `create_app` is the Flask app factory.

Layers (top to bottom): lti/ (protocol edge) -> activity packages -> models/ and services/.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def create_app(test_config: dict | None = None) -> Flask:
    from . import db_setup, error_pages, i18n, security
    from .activities import registry
    from .extensions import babel, db, migrate
    from .settings import load_settings

    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("PEERPATH_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(TEMPLATES),
    )
    load_settings(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True, compare_type=True
    )
    babel.init_app(app, locale_selector=i18n.shown_language, timezone_selector=i18n.select_timezone)
    db_setup.install_sqlite_pragmas()
    security.init_app(app)
    i18n.init_app(app)
    error_pages.init_app(app)

    from .lti.session import template_globals

    app.context_processor(template_globals)

    from .lti.registration_views import bp as registration_bp
    from .lti.views import bp as lti_bp

    app.register_blueprint(lti_bp)
    app.register_blueprint(registration_bp)
    from .grades.views import bp as grades_bp

    app.register_blueprint(grades_bp)
    from .lessons.views import bp as lessons_bp

    app.register_blueprint(lessons_bp)
    from .certificates.views import bp as certificates_bp

    app.register_blueprint(certificates_bp)
    from .lessons.instructor_views import bp as lesson_people_bp

    app.register_blueprint(lesson_people_bp)
    from .reviews.rubric_views import bp as rubrics_bp

    app.register_blueprint(rubrics_bp)
    registry.init_app(app)
    return app
