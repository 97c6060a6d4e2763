"""The ``openline`` command: the group, ``openline demo`` (what ``make run`` runs), and the
commands of each topic, each in its own module.

Every command names its node with ``--node DIR``. Commands on a node's files (its card, tokens,
peers, journal; ``serve``) work whether or not the node runs, and also take ``DIR`` alone.
Commands on the running node talk to it over its HTTP API, so the node stays the one writer of
its messages. ``init DIR`` makes a node, so its DIR is only positional.
"""

from __future__ import annotations

import signal
from pathlib import Path

import click

from openline import __version__
from openline.cli.bundle import bundle
from openline.cli.common import reported_errors
from openline.cli.coord import coord
from openline.cli.interop import export, import_file
from openline.cli.journal import journal
from openline.cli.keys import key, peer_confirm_key, peer_replace_key
from openline.cli.messages import ack, inbox, send, show
from openline.cli.node import card, init, serve
from openline.cli.notify import conflicts, notify, notify_ack
from openline.cli.peers import peer
from openline.cli.relay import relay
from openline.cli.simulate import simulate
from openline.cli.status import status, templates
from openline.cli.tak import tak
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

    from openline.cli.demo import running, scenario, watch

    base = directory or Path(tempfile.mkdtemp(prefix="openline-demo-"))
    # Ctrl-C or a plain kill: either way both nodes are stopped before the demo exits. Ctrl-C's
    # handler is set too: started where it is ignored (in the background of a script, which
    # Python keeps), the demo would otherwise run on past its Ctrl-C.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with reported_errors(), running(base) as (nodes, new):
            blue, red = nodes
            click.echo(f"Openline demo in {base}: BLUE and RED are linked and running.")
            if new:
                scenario(blue, red, lambda line: click.echo(f"  {line}"))
            else:  # replayed, it would add the same messages and conflicts again
                click.echo(
                    "  The nodes were made by an earlier demo: its scenario is not replayed."
                )
            for node in nodes:
                assert node.process is not None
                click.echo(
                    f"{node.party.code:<5} {node.party.name} ({node.party.lang}): {node.url}  "
                    f"token {node.token}  (pid {node.process.pid})"
                )
            click.echo("Consoles at the URLs above (API reference at /docs). Ctrl-C stops both.")
            click.echo("To see a line go down, stop one node: kill PID. The other runs on.")
            if not no_wait:
                watch(nodes, click.echo)
                raise click.ClickException("both nodes stopped")
    except KeyboardInterrupt:
        click.echo("BLUE and RED stopped", err=True)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


# Every topic's commands (`openline --help` lists them by name).
for command in (
    init,
    card,
    peer,
    relay,
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
    notify_ack,
    conflicts,
    simulate,
    import_file,
    export,
    tls,
    tak,
    bundle,
    key,
):
    main.add_command(command)
# A peer's new key taken (cli/keys.py), beside the peer commands of cli/peers.py.
peer.add_command(peer_confirm_key)
peer.add_command(peer_replace_key)
