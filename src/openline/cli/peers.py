"""``openline peer``: the other ends of this node's lines."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import node_argument, node_directory, opened, reported_errors


@click.group()
def peer() -> None:
    """Peer parties: the other ends of this node's lines."""


@peer.command("add")
@node_directory(then="card_file")
@click.argument(
    "card_file",
    metavar="CARD.json",
    required=False,  # checked by node_directory, after --node DIR is taken into account
    type=click.Path(dir_okay=False, path_type=Path),
)
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

    with reported_errors(), opened(directory) as node:
        linked = add_peer(node, read_card(card_file), tls_pin=pin)
    pinned = f", pinned to {linked.tls_pin}" if linked.tls_pin else ""
    click.echo(f"linked to {linked.party} ({linked.card.name}) at {linked.card.url}{pinned}")


@peer.command("list")
@node_argument
def peer_list(directory: Path) -> None:
    """List the peers this node is linked to: party, name, URL and TLS pin (if pinned)."""
    from openline.services.peers import linked_peers

    with reported_errors(), opened(directory) as node:
        found = linked_peers(node)
    if not found:
        click.echo("no peers: link one with `openline peer add`", err=True)
    for linked in found:
        card = linked.card
        click.echo(f"{card.party:<16} {card.name}  {card.url}  pin {linked.tls_pin or 'none'}")
