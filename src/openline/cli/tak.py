"""``openline tak``: the node's connection to its TAK server (docs/tak.md)."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import node_option, reported_errors


@click.group()
def tak() -> None:
    """The node's TAK server: Cursor-on-Target out, position reports in (docs/tak.md)."""


@tak.command("test")
@node_option
def test(directory: Path) -> None:
    """Connect to the node's tak_url as the running node would (same settings, certificates
    and library), send a TAK ping, and say whether the server answered: exit status 1 if it
    cannot be reached or closes the connection."""
    import asyncio
    import os

    from openline.domain.errors import InvalidInput
    from openline.line.tak import check
    from openline.node.settings import load_settings

    with reported_errors():
        settings = load_settings(directory, os.environ)
        if not settings.tak_url:
            raise InvalidInput(f"tak_url is not set for the node in {directory}: no TAK server")
    try:
        said = asyncio.run(check(settings, directory))
    except ConnectionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"TAK server {settings.tak_url}: {said}")
