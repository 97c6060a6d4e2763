"""What the ``openline`` commands share: how a node is named (``--node DIR`` for a running
node, ``DIR`` for its files), error reporting, JSON output, the node's API client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openline.domain.errors import OpenlineError

if TYPE_CHECKING:
    from openline.node.assembly import Node

NODE_DIR = click.Path(path_type=Path, file_okay=False)
EXISTING_NODE = click.Path(path_type=Path, file_okay=False, exists=True)

# The two ways a command names its node, each declared once: ``--node DIR`` for commands that
# talk to the running node over its API, ``DIR`` for commands that work on the node's files.
node_option = click.option(
    "--node", "directory", type=EXISTING_NODE, required=True, help="The node's DIR."
)
node_argument = click.argument("directory", type=EXISTING_NODE)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn Openline's own errors into a one-line message and exit status 1."""
    try:
        yield
    except OpenlineError as exc:
        where = f" [{exc.field}]" if exc.field else ""
        raise click.ClickException(f"{exc.message}{where}") from None


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def call_node(directory: Path, request: Callable[[Any], Any]) -> Any:
    from openline.cli.client import NodeClient

    with reported_errors():
        client = NodeClient.for_node(directory)
        try:
            return request(client)
        finally:
            client.close()


def node_lang(directory: Path) -> str:
    import os

    from openline.node.settings import load_settings

    with reported_errors():
        return load_settings(directory, os.environ).lang


@contextmanager
def opened(directory: Path) -> Iterator[Node]:
    """The node in ``directory``, opened on its files (its writer not started), then closed."""
    from openline.node.assembly import Node

    node = Node.open(directory)
    try:
        yield node
    finally:
        node.close()
