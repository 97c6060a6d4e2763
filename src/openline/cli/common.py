"""What the ``openline`` commands share: error reporting, JSON output, the node's API client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from openline.domain.errors import OpenlineError

NODE_DIR = click.Path(path_type=Path, file_okay=False)
EXISTING_NODE = click.Path(path_type=Path, file_okay=False, exists=True)


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
