"""The ``openline`` command.

Commands that take ``DIR`` work on a node's files directly (creating it, its tokens, checking
its journal) and work whether or not the node runs. Commands that take ``--node DIR`` talk to
the running node over its HTTP API, so the node stays the one writer of its messages.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from openline import __version__
from openline.cli.common import (
    EXISTING_NODE,
    NODE_DIR,
    call_node,
    emit_json,
    node_lang,
    reported_errors,
)
from openline.cli.coord import coord
from openline.cli.interop import export, import_file
from openline.cli.notify import conflicts, notify
from openline.cli.simulate import simulate
from openline.cli.tls import tls
from openline.domain.roles import Role


@click.group()
@click.version_option(__version__, prog_name="openline")
def main() -> None:
    """Openline: a self-hosted deconfliction line between parties' nodes."""


@main.command()
@click.argument("directory", type=NODE_DIR)
@click.option("--party", required=True, help="This party's code, e.g. BLUE.")
@click.option("--name", required=True, help="The party's display name.")
@click.option("--lang", required=True, help="Operators' language: en, ru, fr or ar.")
@click.option("--url", default=None, help="URL peers and operators reach the node at.")
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
    url: str | None,
    host: str | None,
    port: int | None,
    database_url: str | None,
    operator: str,
) -> None:
    """Create a new node in DIR and print its first operator token (shown only once)."""
    from openline.services.setup import init_node

    values: dict[str, str | int] = {"party": party, "name": name, "lang": lang}
    optional = {"url": url, "host": host, "port": port, "database_url": database_url}
    values.update({k: v for k, v in optional.items() if v is not None})
    with reported_errors():
        created = init_node(directory, values, operator=operator)
    click.echo(
        f"Created node {party} in {directory}; it will serve at {created.card_url}", err=True
    )
    click.echo(f"Operator token for {operator!r} (shown once, keep it safe):", err=True)
    click.echo(created.token)


@main.command()
@click.argument("directory", type=EXISTING_NODE)
def card(directory: Path) -> None:
    """Print this node's card (JSON) to give to peer parties."""
    with reported_errors(), _opened(directory) as node:
        emit_json(node.card().model_dump())


@main.group()
def peer() -> None:
    """Peer parties: the other ends of this node's lines."""


@peer.command("add")
@click.argument("directory", type=EXISTING_NODE)
@click.argument("card_file", metavar="CARD.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--pin",
    default=None,
    help="Accept the peer's https certificate only if it matches this pin: sha256/BASE64 "
    "(its public key) or cert-sha256/BASE64 (the certificate), as `openline tls` prints.",
)
def peer_add(directory: Path, card_file: Path, pin: str | None) -> None:
    """Link this node to the party whose card (from `openline card`) is in CARD.json.

    A running node starts its line to the new peer within a second.
    """
    from openline.services.peers import add_peer, read_card

    with reported_errors(), _opened(directory) as node:
        linked = add_peer(node, read_card(card_file), tls_pin=pin)
    pinned = f", pinned to {linked.tls_pin}" if linked.tls_pin else ""
    click.echo(f"linked to {linked.party} ({linked.card.name}) at {linked.card.url}{pinned}")


@main.group()
def token() -> None:
    """Operator tokens."""


@token.command("create")
@click.argument("directory", type=EXISTING_NODE)
@click.option("--operator", required=True, help="The operator's name.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.DUTY_OFFICER.value,
    show_default=True,
    help="What the token may do (docs/security.md).",
)
def token_create(directory: Path, operator: str, role: str) -> None:
    """Create a token for OPERATOR with ROLE and print it (and nothing else) on stdout."""
    from openline.services.operators import create_token

    with reported_errors(), _opened(directory) as node:
        click.echo(create_token(node, operator, Role(role)))


@token.command("list")
@click.argument("directory", type=EXISTING_NODE)
def token_list(directory: Path) -> None:
    """List the node's tokens: operator, role, when made, and the token's fingerprint."""
    from openline.services.operators import list_tokens

    with reported_errors(), _opened(directory) as node:
        found = list_tokens(node)
    for record in found:
        click.echo(
            f"{record.operator:<24} {record.role:<13} {record.created_at}  {record.token_id}"
        )


@main.command()
@click.argument("directory", type=EXISTING_NODE)
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
    from openline.node.settings import env_name

    # The flags are the settings of the same names, for this run; paths as the shell gave them.
    flags = {"tls_cert_file": tls_cert, "tls_key_file": tls_key}
    environ = {**os.environ, **{env_name(k): str(v.resolve()) for k, v in flags.items() if v}}
    with reported_errors():
        node = Node.open(directory, environ=environ, upgrade=True)
    click.echo(f"Openline node {node.party} serving at {node.settings.public_url}", err=True)
    with reported_errors():  # a TLS setting naming a missing file, say
        serve_node(node)


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


@main.command()
@click.option("--node", "directory", type=EXISTING_NODE, required=True, help="The node's DIR.")
@click.option("--to", "to", multiple=True, required=True, help="Recipient party (repeatable).")
@click.option("--precedence", required=True, help="flash, immediate, priority or routine.")
@click.option("--template", default=None, help="Phrasebook template.")
@click.option("--field", "fields", multiple=True, help="NAME=VALUE; VALUE may be JSON.")
@click.option("--text", default=None, help="Free text instead of a template.")
@click.option("--lang", default=None, help="Language of the free text.")
@click.option("--reply-to", default=None, help="Id of the message this answers.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored message as JSON.")
def send(
    *,
    directory: Path,
    to: tuple[str, ...],
    precedence: str,
    template: str | None,
    fields: tuple[str, ...],
    text: str | None,
    lang: str | None,
    reply_to: str | None,
    as_json: bool,
) -> None:
    """Send a message through the running node."""
    body: dict[str, Any] = {"to": list(to), "precedence": precedence, "in_reply_to": reply_to}
    if text is not None:
        body.update(text=text, lang=lang or node_lang(directory))
    if template is not None:
        body.update(template=template, fields=_parse_fields(fields))
    elif fields:  # the node refuses fields without a template; never drop them silently here
        body["fields"] = _parse_fields(fields)
    message = call_node(directory, lambda c: c.request("POST", "/api/v1/messages", json=body))
    if as_json:
        emit_json(message)
    else:
        click.echo(f"{message['id']} {message['state']} (deadline {message['deadline']})")


@main.command()
@click.option("--node", "directory", type=EXISTING_NODE, required=True, help="The node's DIR.")
@click.option("--box", type=click.Choice(["in", "out"]), default="in", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
def inbox(directory: Path, box: str, limit: int, as_json: bool) -> None:
    """List the newest messages received (or sent, with --box out)."""
    params = {"box": box, "limit": limit}
    found = call_node(directory, lambda c: c.request("GET", "/api/v1/messages", params=params))
    messages = found["messages"]
    if as_json:
        emit_json(messages)
        return
    from openline.cli.tables import message_table

    message_table(messages, box)


@main.command()
@click.option("--node", "directory", type=EXISTING_NODE, required=True, help="The node's DIR.")
@click.argument("message_id")
def show(directory: Path, message_id: str) -> None:
    """Print MESSAGE_ID as this node's operators read it, in the node's language."""
    message = call_node(directory, lambda c: c.request("GET", f"/api/v1/messages/{message_id}"))
    click.echo(message["rendering"]["text"])
    click.echo(f"[{message['state']}]")


@main.command()
@click.option("--node", "directory", type=EXISTING_NODE, required=True, help="The node's DIR.")
@click.argument("message_id")
def ack(directory: Path, message_id: str) -> None:
    """Acknowledge MESSAGE_ID: it was read and understood."""
    path = f"/api/v1/messages/{message_id}/ack"
    message = call_node(directory, lambda c: c.request("POST", path))
    click.echo(f"{message['id']} {message['state']}")


@main.group()
def journal() -> None:
    """The node's signed, hash-chained journal."""


@journal.command("verify")
@click.argument("directory", type=EXISTING_NODE)
def journal_verify(directory: Path) -> None:
    """Recompute every hash and signature; exit 1 naming the first bad entry."""
    from openline.services.journal import verify_journal

    with reported_errors(), _opened(directory) as node:
        report = verify_journal(node)
    if report.intact:
        click.echo(f"journal intact: {report.verified} entries verified")
        return
    click.echo(f"journal broken at entry {report.bad_seq}: {report.reason}", err=True)
    click.echo(f"({report.verified} entries before it verified)", err=True)
    sys.exit(1)


@journal.command("export")
@click.argument("directory", type=EXISTING_NODE)
@click.option("--from", "since", default=None, help="Entries at or after this UTC instant.")
@click.option("--to", "until", default=None, help="Entries before this UTC instant.")
def journal_export(directory: Path, since: str | None, until: str | None) -> None:
    """Write the journal as a signed transcript (JSON Lines) on stdout."""
    from openline.domain.timeutil import parse_utc
    from openline.services.transcripts import export_transcript

    with reported_errors(), _opened(directory) as node:
        count = export_transcript(
            node,
            sys.stdout,
            since=parse_utc(since, field="--from") if since else None,
            until=parse_utc(until, field="--to") if until else None,
        )
    click.echo(f"{count} journal entries exported", err=True)


@journal.command("cross-verify")
@click.argument("ours", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def journal_cross_verify(ours: Path, theirs: Path) -> None:
    """Check two nodes' transcripts against each other; exit 1 naming every difference."""
    from openline.services.transcripts import cross_verify_files

    with reported_errors():
        report = cross_verify_files(ours, theirs)
    for link, count in report.agreed.items():
        click.echo(f"{link}: {count} envelopes agree (same hash, same order, receipts match)")
    for pending in report.in_transit:
        click.echo(f"in transit: {pending}")
    if report.agree:
        click.echo("the transcripts agree")
        return
    for difference in report.differences:
        click.echo(f"DIFFERENCE: {difference}", err=True)
    click.echo(f"{len(report.differences)} differences", err=True)
    sys.exit(1)


main.add_command(coord)
main.add_command(notify)
main.add_command(conflicts)
main.add_command(simulate)
main.add_command(import_file)
main.add_command(export)
main.add_command(tls)


@contextmanager
def _opened(directory: Path) -> Iterator[Any]:
    from openline.node.assembly import Node

    node = Node.open(directory)
    try:
        yield node
    finally:
        node.close()


def _parse_fields(pairs: tuple[str, ...]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--field")
        try:
            fields[name] = json.loads(raw)
        except json.JSONDecodeError:
            fields[name] = raw  # plain text needs no quotes
    return fields
