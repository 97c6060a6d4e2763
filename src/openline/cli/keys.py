"""``openline key``: this node's key over the years; and the peer commands that take a peer's
new key (``peer confirm-key``, ``peer replace-key``), registered in the ``peer`` group by
``cli/main.py`` (docs/security.md#key-rotation)."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import node_argument, node_directory, opened, reported_errors

FINGERPRINT_HELP = (
    "The new key's fingerprint as the peer's operators read it to you out of band (openline "
    "key show on their node): 40 hex digits, spaces and colons ignored."
)


@click.group()
def key() -> None:
    """This node's signing key: show it, rotate it."""


@key.command("show")
@node_argument
def key_show(directory: Path) -> None:
    """Print the node's public key, its fingerprint and the keys it retired."""
    from openline.domain.rotations import fingerprint

    with reported_errors(), opened(directory) as node:
        public = node.key.public_key.to_base64()
        click.echo(f"key {public}  fingerprint {fingerprint(public)}")
        for retired in node.key_history.to_json():
            click.echo(
                f"retired {retired['public_key']}  fingerprint {retired['fingerprint']}  "
                f"at {retired['retired_at']}, signed the journal up to {retired['tree_size']}"
            )


@key.command("rotate")
@node_argument
@click.option(
    "--old-key-lost",
    is_flag=True,
    help="The old key is lost or stolen: no rotation is sent (it would need the old key); the "
    "envelopes still waiting are signed again by the new key; each peer's administrator takes "
    "it with `openline peer replace-key`, its fingerprint checked out of band.",
)
def key_rotate(directory: Path, old_key_lost: bool) -> None:
    """Replace the node's key by a new one, the node stopped.

    The rotation (the new card, signed by the old key and the new one) is journaled and sealed
    for every peer, signed by the old key; each peer takes the new key from that envelope on.
    With --old-key-lost nothing is sent: each peer's administrator runs peer replace-key.
    The old key is kept in DIR/retired-keys/ and listed in DIR/key-history.json, so the
    journal's older checkpoints stay checkable. Start the node again to send it.
    """
    from openline.domain.rotations import fingerprint
    from openline.services.keys import replace_lost_key, rotate_key

    with reported_errors():
        rotated = replace_lost_key(directory) if old_key_lost else rotate_key(directory)
    click.echo(f"new key {rotated.new_key}  fingerprint {fingerprint(rotated.new_key)}")
    click.echo(f"old key {rotated.old_key} retired after journal entry {rotated.tree_size}")
    for party, count in sorted(rotated.links.items()):
        if old_key_lost:
            click.echo(f"  {count} envelopes waiting for {party} signed again by the new key")
        else:
            click.echo(f"  rotation sealed for {party} as envelope {count}")
    if old_key_lost:
        click.echo("give each peer's administrator the new card (openline card) and fingerprint")
    elif not rotated.links:
        click.echo("  no peer to tell")


@click.command("confirm-key")
@node_directory(then="party")
@click.argument("party", required=False)
@click.option("--fingerprint", "given", required=True, help=FINGERPRINT_HELP)
def peer_confirm_key(directory: Path, party: str | None, given: str) -> None:
    """Take PARTY's key rotation held for confirmation (require_key_confirmation), if its new
    key's fingerprint is the one given; exit 1 naming both otherwise."""
    from openline.services.keys import confirm_key

    if party is None:
        raise click.UsageError("give PARTY")
    with reported_errors(), opened(directory) as node:
        change = confirm_key(node, party, given)
    click.echo(f"{party}'s new key taken after its envelope {change.link_seq}")


@click.command("replace-key")
@node_directory()
@click.argument("party", required=False)
@click.argument(
    "card_file",
    metavar="NEW_CARD.json",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option("--fingerprint", "given", required=True, help=FINGERPRINT_HELP)
def peer_replace_key(
    directory: Path, party: str | None, card_file: Path | None, given: str
) -> None:
    """Replace PARTY's key by the one in NEW_CARD.json, its old key lost or stolen, after an
    out-of-band check of the new key's fingerprint (exit 1 naming both if they differ).

    Envelopes signed by the old key after the last one this node applied are refused."""
    from openline.services.keys import replace_key
    from openline.services.peers import read_card

    if party is None or card_file is None:
        raise click.UsageError("give PARTY and NEW_CARD.json")
    with reported_errors(), opened(directory) as node:
        change = replace_key(node, party, read_card(card_file), given)
    click.echo(
        f"{party}'s key replaced: the old key signs nothing after envelope {change.link_seq}"
    )
