"""``openline init``, ``card`` and ``serve``: a node made, introduced to peers, run."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import NODE_DIR, emit_json, node_argument, opened, reported_errors


@click.command()
@click.argument("directory", type=NODE_DIR)
@click.option("--party", required=True, help="This party's code, e.g. BLUE.")
@click.option("--name", required=True, help="The party's display name.")
@click.option("--lang", required=True, help="Operators' language: en, ru, fr or ar.")
@click.option(
    "--url",
    "urls",
    multiple=True,
    help="URL peers and operators reach the node at; again for each further URL peers may "
    "reach it at, in order of preference (the card's urls).",
)
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 8470).")
@click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL of an empty database, e.g. postgresql+psycopg://USER@HOST/DB "
    "(default: the SQLite file DIR/openline.db).",
)
@click.option("--operator", default="admin", show_default=True, help="First operator's name.")
def init(
    *,
    directory: Path,
    party: str,
    name: str,
    lang: str,
    urls: tuple[str, ...],
    host: str | None,
    port: int | None,
    database_url: str | None,
    operator: str,
) -> None:
    """Create a new node in DIR and print its first operator token (shown only once)."""
    from openline.domain.paths import check_path_url
    from openline.services.setup import init_node

    values: dict[str, str | int | list[str]] = {"party": party, "name": name, "lang": lang}
    optional = {"host": host, "port": port, "database_url": database_url}
    values.update({k: v for k, v in optional.items() if v is not None})
    with reported_errors():
        for url in urls:
            check_path_url(url, field="--url")
        if urls:
            values["url"] = urls[0]
        if urls[1:]:
            values["backup_urls"] = list(urls[1:])
        created = init_node(directory, values, operator=operator)
    click.echo(
        f"Created node {party} in {directory}; it will serve at {created.card_url}", err=True
    )
    click.echo(f"Operator token for {operator!r} (shown once, keep it safe):", err=True)
    click.echo(created.token)


@click.command()
@node_argument
def card(directory: Path) -> None:
    """Print this node's card (JSON) to give to peer parties."""
    with reported_errors(), opened(directory) as node:
        emit_json(node.card().model_dump())


@click.command()
@node_argument
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Serve https with this PEM certificate (the tls_cert_file setting).",
)
@click.option(
    "--tls-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The certificate's PEM private key (the tls_key_file setting).",
)
def serve(directory: Path, tls_cert: Path | None, tls_key: Path | None) -> None:
    """Run the node: its API, its console and its lines to peers."""
    import os

    from openline.api.server import serve as serve_node
    from openline.node.assembly import Node
    from openline.node.directory import NodeDirectory, served
    from openline.node.settings import env_name, load_settings
    from openline.store.database import database_url, sqlite_path

    # The flags are the settings of the same names, for this run; paths as the shell gave them.
    flags = {"tls_cert_file": tls_cert, "tls_key_file": tls_key}
    environ = {**os.environ, **{env_name(k): str(v.resolve()) for k, v in flags.items() if v}}
    # Refused before anything is written if another process serves this node already.
    with reported_errors():
        configured = load_settings(directory, environ).database_url
        alone = sqlite_path(database_url(configured, directory)) is not None
        with served(NodeDirectory(directory), alone=alone):
            node = Node.open(directory, environ=environ, upgrade=True)
            serving = f"Openline node {node.party} serving at {node.settings.public_url}"
            click.echo(serving, err=True)
            serve_node(node)  # a TLS setting naming a missing file raises here, say
