"""The `peerpath` console script: a Flask CLI group on the app factory.

Sub-commands live next to what they drive (lti/cli.py, devlms/demo.py, ...); this file only gathers them.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from . import create_app


def _create_app():
    return create_app()


main = FlaskGroup(
    name="peerpath",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    help="PeerPath, the LTI 1.3 peer-learning tool. Configure with PEERPATH_* variables.",
)
main.add_command(shell_command)
main.add_command(routes_command)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
@with_appcontext
def run_command(host: str, port: int, workers: int) -> None:
    """Serve the tool alone (gunicorn with sync workers; schema upgraded first)."""
    from .serve import serve_tool

    serve_tool(host=host, port=port, workers=workers)


def _register_commands() -> None:
    from .lti.cli import keys_cli, platform_cli

    main.add_command(platform_cli)
    main.add_command(keys_cli)
    from .devlms.demo import demo_command

    main.add_command(demo_command)
    # -- more command groups register below (content, certificates, worker, grades) --
    from content.cli import certificates_cli, content_cli

    main.add_command(content_cli)
    main.add_command(certificates_cli)
    from .services.cli import grades_cli, worker_command

    main.add_command(worker_command)
    main.add_command(grades_cli)
    from .services.roster_cli import roster_cli

    main.add_command(roster_cli)


_register_commands()
