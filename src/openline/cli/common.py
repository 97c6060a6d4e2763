"""What the ``openline`` commands share: how a node is named (``--node DIR``, or for commands on
its files ``DIR`` alone), error reporting, JSON output, the node's API client."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from openline.domain.errors import OpenlineError

if TYPE_CHECKING:
    from openline.node.assembly import Node

NODE_DIR = click.Path(path_type=Path, file_okay=False)
EXISTING_NODE = click.Path(path_type=Path, file_okay=False, exists=True)

NODE_HELP = "The node's DIR."

# Every command names its node with ``--node DIR``. Commands that talk to the running node over
# its API take only that; commands that work on the node's files also take DIR alone, as they
# always have (``node_directory``).
node_option = click.option("--node", "directory", type=EXISTING_NODE, required=True, help=NODE_HELP)

Command = TypeVar("Command", bound=Callable[..., Any])


def node_directory(*, then: str | None = None) -> Callable[[Command], Command]:
    """``--node DIR`` or the positional ``DIR`` (the older form, kept so scripts keep working),
    passed to the command as ``directory``; both or neither is a usage error.

    ``then`` names a positional argument that follows DIR (``peer add DIR CARD.json``): with
    ``--node DIR`` the first positional is that one, so it is handed on.
    """

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def run(*args: Any, node_dir: Path | None, node_flag: Path | None, **kwargs: Any) -> Any:
            if then and node_flag is not None and kwargs[then] is None:
                kwargs[then], node_dir = node_dir, None
            if node_dir is not None and node_flag is not None:
                raise click.UsageError(f"give the node once: --node {node_flag} or {node_dir}")
            given = node_flag if node_flag is not None else node_dir
            if given is None:
                raise click.UsageError("give the node's directory: --node DIR")
            context = click.get_current_context()
            if then and kwargs[then] is None:
                following = next(p for p in context.command.params if p.name == then)
                raise click.MissingParameter(ctx=context, param=following)
            try:
                directory = EXISTING_NODE.convert(given, None, context)
            except click.BadParameter as exc:
                exc.param_hint = "'--node'" if node_flag is not None else "'DIR'"
                raise
            return command(*args, directory=directory, **kwargs)

        run = click.argument(
            "node_dir", metavar="[DIR]", required=False, type=click.Path(path_type=Path)
        )(run)
        run = click.option("--node", "node_flag", type=click.Path(path_type=Path), help=NODE_HELP)(
            run
        )
        return cast("Command", run)

    return decorate


node_argument = node_directory()


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
