"""``openline send``, ``inbox``, ``show`` and ``ack``: messages, through the running node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from openline.cli.common import call_node, emit_json, node_lang, node_option


@click.command()
@node_option
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


@click.command()
@node_option
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


@click.command()
@node_option
@click.argument("message_id")
def show(directory: Path, message_id: str) -> None:
    """Print MESSAGE_ID as this node's operators read it, in the node's language."""
    message = call_node(directory, lambda c: c.request("GET", f"/api/v1/messages/{message_id}"))
    click.echo(message["rendering"]["text"])
    click.echo(f"[{message['state']}]")


@click.command()
@node_option
@click.argument("message_id")
def ack(directory: Path, message_id: str) -> None:
    """Acknowledge MESSAGE_ID: it was read and understood."""
    path = f"/api/v1/messages/{message_id}/ack"
    message = call_node(directory, lambda c: c.request("POST", path))
    click.echo(f"{message['id']} {message['state']}")


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
