"""The ``openline`` command: the group, ``openline demo`` (what ``make run`` runs), and the
commands of each topic, each in its own module.

Commands that take ``DIR`` work on a node's files directly (creating it, its tokens, checking
its journal) and work whether or not the node runs. Commands that take ``--node DIR`` talk to
the running node over its HTTP API, so the node stays the one writer of its messages.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import click

from openline import __version__
from openline.cli.common import reported_errors
from openline.cli.coord import coord
from openline.cli.interop import export, import_file
from openline.cli.journal import journal
from openline.cli.messages import ack, inbox, send, show
from openline.cli.node import card, init, serve
from openline.cli.notify import conflicts, notify
from openline.cli.peers import peer
from openline.cli.simulate import simulate
from openline.cli.status import status, templates
from openline.cli.tls import tls
from openline.cli.tokens import token


@click.group()
@click.version_option(__version__, prog_name="openline")
def main() -> None:
    """Openline: a self-hosted deconfliction line between parties' nodes."""


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-wait", is_flag=True, help="Stop both nodes after the scenario.")
def demo(directory: Path | None, no_wait: bool) -> None:
    """Two linked nodes on 127.0.0.1, BLUE (English) and RED (Russian), with a scenario.

    The nodes are created in DIRECTORY (a temporary one if none is given; reused when they
    are already there) and run until Ctrl-C.
    """
    import tempfile

    from openline.cli.demo import running, scenario

    base = directory or Path(tempfile.mkdtemp(prefix="openline-demo-"))
    # Ctrl-C or a plain kill: either way both nodes are stopped before the demo exits.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with reported_errors(), running(base) as nodes:
            blue, red = nodes
            click.echo(f"Openline demo in {base}: BLUE and RED are linked and running.")
            scenario(blue, red, lambda line: click.echo(f"  {line}"))
            for node in nodes:
                click.echo(
                    f"{node.party.code:<5} {node.party.name} ({node.party.lang}): {node.url}  "
                    f"token {node.token}"
                )
            click.echo("Consoles at the URLs above (API reference at /docs). Ctrl-C stops both.")
            while not no_wait and all(n.process and n.process.poll() is None for n in nodes):
                time.sleep(0.5)
            if not no_wait:
                raise click.ClickException("a node stopped; see its log beside its directory")
    except KeyboardInterrupt:
        click.echo("BLUE and RED stopped", err=True)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


# Every topic's commands (`openline --help` lists them by name).
for command in (
    init,
    card,
    peer,
    token,
    serve,
    status,
    templates,
    send,
    inbox,
    show,
    ack,
    journal,
    coord,
    notify,
    conflicts,
    simulate,
    import_file,
    export,
    tls,
):
    main.add_command(command)
