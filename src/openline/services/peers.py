"""Linking this node to a peer party from its card, and unlinking it (docs/line.md)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from openline.domain.errors import Conflict, InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.parties import Card, Peer, check_party_code
from openline.domain.timeutil import format_utc
from openline.keys.signing import PublicKey
from openline.keys.tls import check_pin
from openline.node.assembly import Node
from openline.store import line as store
from openline.store.writer import UnitOfWork


def read_card(path: Path) -> Card:
    """A card from a JSON file, checked: every member, and a real Ed25519 public key."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{path} cannot be read as a card (JSON): {exc}") from None
    return check_card(raw, source=str(path))


def check_card(raw: object, *, source: str = "card") -> Card:
    try:
        card = Card.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "card"
        raise InvalidInput(f"{source}: {where}: {error['msg']}", field=where) from None
    PublicKey.from_base64(card.public_key)  # raises with the reason if it is not a key
    return card


def linked_peers(node: Node) -> list[Peer]:
    """Every peer this node is linked to, by party code."""
    return node.read(store.list_peers)


def add_peer(node: Node, card: Card, tls_pin: str | None = None) -> Peer:
    """Link this node to ``card``'s party, its https connections pinned to ``tls_pin`` if
    given. Adding the same card and pin again changes nothing; a different card or pin for a
    party already linked is refused (a new key is never taken silently).
    """
    if card.party == node.party:
        raise InvalidInput(f"{card.party} is this node's own party, not a peer", field="party")
    if card.public_key == node.key.public_key.to_base64():
        raise InvalidInput("this card carries this node's own public key", field="public_key")
    if tls_pin is not None:
        tls_pin = check_pin(tls_pin)
        if not card.url.startswith("https://"):
            raise InvalidInput(
                f"a TLS pin needs an https peer, and {card.party}'s card gives {card.url}",
                field="pin",
            )

    def link(uow: UnitOfWork) -> Peer:
        existing = store.get_peer(uow.conn, card.party)
        if existing is not None:
            if existing.card == card and existing.tls_pin == tls_pin:
                return existing
            raise Conflict(
                f"{card.party} is already a peer with a different card or TLS pin "
                f"(key {existing.card.public_key[:12]}..., url {existing.card.url}, "
                f"pin {existing.tls_pin or 'none'}); "
                "a party's key, address or pin is never replaced silently"
            )
        added_at = format_utc(node.clock())
        store.insert_peer(uow.conn, card, added_at, tls_pin)
        pinned = {"tls_pin": tls_pin} if tls_pin is not None else {}
        uow.record(JournalKind.PEER_ADDED, {"card": card.model_dump(), **pinned})
        return Peer(card, added_at, tls_pin=tls_pin)

    return node.write(link)


def remove_peer(node: Node, party: str) -> Peer:
    """End the link to ``party``: it is no longer a peer (its envelopes are refused, nothing
    is sent to it), and it is journaled (``peer.removed``); its outbox, what it sent and the
    journal are kept, so that adding it back resumes the same link. Refused while another
    peer's path goes through its node; NotFound if it is not a peer."""
    check_party_code(party)

    def unlink(uow: UnitOfWork) -> Peer:
        peer = store.get_peer(uow.conn, party)
        if peer is None:
            raise NotFound(f"{party} is not a peer of {node.party}", field="party")
        if relaying := store.relayed_through(uow.conn, party):
            raise Conflict(
                f"{', '.join(relaying)} reached through {party}'s node: change those paths "
                "first (openline peer paths)"
            )
        store.delete_peer(uow, party)
        uow.record(
            JournalKind.PEER_REMOVED,
            {
                "peer": party,
                "card": peer.card.model_dump(),
                "paths": [path.to_json() for path in peer.paths],
                "waiting": store.count_waiting(uow.conn, party),
            },
        )
        return peer

    return node.write(unlink)


def link_directories(first: Path, second: Path) -> None:
    """Link two node directories on this machine to each other (both ways), as two
    `openline peer add` runs with each other's card would. Linking again changes nothing."""
    cards = []
    for directory in (first, second):
        node = Node.open(directory, environ={})
        try:
            cards.append(node.card())
        finally:
            node.close()
    for directory, card in ((first, cards[1]), (second, cards[0])):
        node = Node.open(directory, environ={})
        try:
            add_peer(node, card)
        finally:
            node.close()
