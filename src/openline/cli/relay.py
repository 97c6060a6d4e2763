"""``openline relay``: this node relaying between two of its peers (docs/line.md, relays)."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import EXISTING_NODE, NODE_HELP, node_argument, opened, reported_errors


@click.group()
def relay() -> None:
    """Relaying: carrying envelopes between two peers that have no path between them."""


@relay.command("allow")
@click.option("--node", "node_flag", type=EXISTING_NODE, default=None, help=NODE_HELP)
@click.argument("words", nargs=-1, metavar="[DIR] PARTY_A PARTY_B")
def relay_allow(node_flag: Path | None, words: tuple[str, ...]) -> None:
    """Relay envelopes between the linked peers PARTY_A and PARTY_B, both ways.

    This node stores and forwards what they send each other through it, without being able to
    read it (bodies are encrypted to their addressee) or forge it (envelopes are signed by
    their sender), and journals what it carried by ids, sizes and hashes. Each end then adds
    this node as a path to the other: openline peer via DIR PARTY RELAY_PARTY.
    """
    from openline.services.relay import allow_relay

    if node_flag is None and len(words) == 3:
        node_flag = EXISTING_NODE.convert(words[0], None, click.get_current_context())
        words = words[1:]
    if node_flag is None or len(words) != 2:
        raise click.UsageError("give DIR (or --node DIR), PARTY_A and PARTY_B")
    party_a, party_b = words
    with reported_errors(), opened(node_flag) as node:
        allowed = allow_relay(node, party_a, party_b)
    first, second = sorted((party_a, party_b))
    done = "relays" if allowed else "already relays"
    click.echo(f"{node.party} {done} between {first} and {second}")


@relay.command("list")
@node_argument
def relay_list(directory: Path) -> None:
    """List the pairs of peers this node relays between."""
    from openline.services.relay import relay_pairs

    with reported_errors(), opened(directory) as node:
        pairs = relay_pairs(node)
    if not pairs:
        click.echo("relays for no one: allow a pair with `openline relay allow`", err=True)
    for first, second in pairs:
        click.echo(f"{first} <-> {second}")
