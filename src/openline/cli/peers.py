"""``openline peer``: the other ends of this node's lines."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import (
    EXISTING_NODE,
    NODE_HELP,
    node_argument,
    node_directory,
    opened,
    reported_errors,
)
from openline.domain.parties import Peer
from openline.domain.paths import PeerPath, RelayPath


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
    """List the peers this node is linked to: party, name, and each path in order of
    preference (its URL and TLS pin, or the relay)."""
    from openline.domain.paths import paths_at
    from openline.domain.timeutil import format_utc
    from openline.services.peers import linked_peers

    with reported_errors(), opened(directory) as node:
        found, now = linked_peers(node), format_utc(node.clock())
    if not found:
        click.echo("no peers: link one with `openline peer add`", err=True)
    for linked in found:
        card = linked.card
        shown = [_path_text(path) for path in paths_at(linked.paths, now)] or ["no path"]
        click.echo(f"{card.party:<16} {card.name}  {shown[0]}")
        for text in shown[1:]:
            click.echo(f"{'':<16} then {text}")


@peer.command("paths")
@click.option("--node", "node_flag", type=EXISTING_NODE, default=None, help=NODE_HELP)
@click.argument("words", nargs=-1, metavar="[DIR] PARTY URL [URL ...]")
def peer_paths(node_flag: Path | None, words: tuple[str, ...]) -> None:
    """Replace the paths to the linked peer PARTY by the URLs given, the first preferred.

    Each URL is http:// or https://, with its TLS pin after a '#' if it is to be pinned:
    https://red.example.org:8470#sha256/BASE64. A relay path (`openline peer via`) stays the
    last. The peer's key and card do not change; a running node uses the new paths within a
    second.
    """
    from openline.services.paths import replace_direct_paths

    if node_flag is None and words:
        node_flag, words = (
            EXISTING_NODE.convert(words[0], None, click.get_current_context()),
            words[1:],
        )
    if node_flag is None or len(words) < 2:
        raise click.UsageError("give DIR (or --node DIR), PARTY and at least one URL")
    party, *specs = words
    with reported_errors(), opened(node_flag) as node:
        changed = replace_direct_paths(node, party, specs)
    _echo_paths(changed)


@peer.command("via")
@click.option("--node", "node_flag", type=EXISTING_NODE, default=None, help=NODE_HELP)
@click.argument("words", nargs=-1, metavar="[DIR] PARTY RELAY_PARTY")
def peer_via(node_flag: Path | None, words: tuple[str, ...]) -> None:
    """Reach the linked peer PARTY through RELAY_PARTY's node as the last path.

    RELAY_PARTY is a party both ends have linked, whose node allows it (openline relay allow
    there); it carries the envelopes but cannot read them (bodies are encrypted to PARTY) nor
    forge them (they are signed). A relay path already there is replaced.
    """
    from openline.services.relay import relay_through

    node_flag, (party, relay) = _node_and(node_flag, words, "PARTY", "RELAY_PARTY")
    with reported_errors(), opened(node_flag) as node:
        changed = relay_through(node, party, relay)
    _echo_paths(changed)


@peer.command("pin")
@click.option("--node", "node_flag", type=EXISTING_NODE, default=None, help=NODE_HELP)
@click.argument("words", nargs=-1, metavar="[DIR] PARTY PIN")
@click.option("--path", "url", default=None, help="The https path's URL (if PARTY has several).")
@click.option(
    "--overlap",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="How long the pin replaced is still accepted: 12h, 7d, 0s for not at all.",
)
def peer_pin(node_flag: Path | None, words: tuple[str, ...], url: str | None, overlap: str) -> None:
    """Rotate the TLS pin of PARTY's https path to PIN (as `openline tls pin` prints it): the
    certificates of the pin replaced and of PIN are both accepted for --overlap, then only
    PIN's. A running node uses it within a second."""
    from openline.services.paths import rotate_pin

    node_flag, (party, pin) = _node_and(node_flag, words, "PARTY", "PIN")
    with reported_errors(), opened(node_flag) as node:
        _changed, path = rotate_pin(node, party, pin, url=url, overlap=overlap)
    click.echo(f"{party} at {path.url}: pin {path.tls_pin}")
    if path.old_pin is not None:
        click.echo(f"  and, until {path.old_pin_until}, the pin it replaces: {path.old_pin}")


@peer.command("remove")
@click.option("--node", "node_flag", type=EXISTING_NODE, default=None, help=NODE_HELP)
@click.argument("words", nargs=-1, metavar="[DIR] PARTY")
def peer_remove(node_flag: Path | None, words: tuple[str, ...]) -> None:
    """End the link to PARTY: nothing more is sent to it or taken from it. Its outbox and the
    journal are kept: `openline peer add` with its card resumes the same link (docs/line.md)."""
    from openline.services.peers import remove_peer

    node_flag, (party,) = _node_and(node_flag, words, "PARTY")
    with reported_errors(), opened(node_flag) as node:
        removed = remove_peer(node, party)
    click.echo(f"removed {removed.party} ({removed.card.name}); its outbox and journal are kept")


def _node_and(
    node_flag: Path | None, words: tuple[str, ...], *names: str
) -> tuple[Path, tuple[str, ...]]:
    """The node (``--node DIR``, or the first of ``words``) and the words after it, one for
    each of ``names``; a usage error naming them otherwise."""
    if node_flag is None and len(words) == len(names) + 1:
        node_flag = EXISTING_NODE.convert(words[0], None, click.get_current_context())
        words = words[1:]
    if node_flag is None or len(words) != len(names):
        *first, last = names
        wanted = f"{', '.join(first)} and {last}" if first else last
        raise click.UsageError(f"give DIR (or --node DIR), {wanted}")
    return node_flag, words


def _echo_paths(changed: Peer) -> None:
    click.echo(f"paths to {changed.party}, the first preferred:")
    for number, path in enumerate(changed.paths, start=1):
        click.echo(f"  {number}. {_path_text(path)}")


def _path_text(path: PeerPath) -> str:
    if isinstance(path, RelayPath):
        return f"relay through {path.relay}"
    overlap = f" (and {path.old_pin} until {path.old_pin_until})" if path.old_pin else ""
    return f"{path.url}  pin {path.tls_pin or 'none'}{overlap}"
