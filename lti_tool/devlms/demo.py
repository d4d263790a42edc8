"""`peerpath demo`: the dev LMS and the tool, registered to each other, on SQLite."""

import click


@click.command("demo")
def demo_command() -> None:
    """Start the dev LMS and the tool with a seeded course."""
    raise click.ClickException("the demo is being assembled in this change")
