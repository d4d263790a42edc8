"""WSGI entry point for gunicorn and other servers: `gunicorn 'lti_tool.wsgi:app'`."""

from . import create_app

app = create_app()
