"""Keys over years: this node's key rotated, a peer's rotation taken (or held for an
administrator's confirmation), a peer's lost or stolen key replaced (docs/security.md#key-rotation).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openline.domain.envelopes import Envelope, Refused
from openline.domain.errors import InvalidInput, NotFound
from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.parties import Card, Peer
from openline.domain.rotations import (
    RETIRED_KEY,
    Rotation,
    fingerprint,
    fingerprint_matches,
    read_rotation,
)
from openline.domain.signed_note import parse_checkpoint, parse_note
from openline.domain.timeutil import format_utc
from openline.keys.rotation import (
    PeerKey,
    RetiredKey,
    check_rotation,
    retire_key,
    sign_rotation,
)
from openline.keys.signing import PublicKey, SigningKey, read_private_key, write_private_key
from openline.node.assembly import Node
from openline.node.directory import NodeDirectory, served
from openline.services.outbox import seal_for
from openline.store import keys as store
from openline.store import line as line_store
from openline.store.journal import read_checkpoint_covering, read_head
from openline.store.writer import UnitOfWork

KEY_ROTATION = "key_rotation"
NEW_KEY_FILE = "node.key.new"


@dataclass(frozen=True)
class Rotated:
    old_key: str
    new_key: str
    tree_size: int  # the journal's size the old key signed up to
    # For each peer: the link_seq of the rotation's envelope; with the old key lost, how many
    # envelopes waiting for it were signed again.
    links: dict[str, int]


def rotate_key(directory: Path) -> Rotated:
    """Make a new key pair for the node in ``directory`` (not running: the serve lock is held
    throughout), journal the rotation signed by both keys, seal it for every peer signed by
    the old key, then keep the old key in retired-keys/ and put the new one in its place."""
    with served(NodeDirectory(directory)):
        node = Node.open(directory)
        try:
            return _rotate(node)
        finally:
            node.close()


def _rotate(node: Node) -> Rotated:
    staged = node.directory.path / NEW_KEY_FILE
    staged.unlink(missing_ok=True)  # left by a rotation that stopped before its journal entry
    new = SigningKey.generate()
    write_private_key(staged, new)
    card = node.card().model_copy(update={"public_key": new.public_key.to_base64()})
    rotation = sign_rotation(node.key, new, card, format_utc(node.clock()))
    links, receipted = node.write(lambda uow: _announce(uow, node, rotation))
    size = node.read(read_head)[0]
    retired = RetiredKey(
        node.key.public_key, node.key, size, rotation.rotated_at, rotation.to_body(), links,
        receipted,
    )  # fmt: skip
    retire_key(node.directory.path, staged, retired)
    return Rotated(rotation.old_key, rotation.new_key, size, links)


def replace_lost_key(directory: Path) -> Rotated:
    """A new key for the node in ``directory`` (not running) whose key was lost or stolen: no
    rotation can be signed by it, so none is sent. The envelopes still waiting for a receipt are
    signed again by the new key (the same bytes, so the same hash: each link's chain stands);
    the old public key, read from the journal's last checkpoint, is listed as replaced, and the
    old private key kept only if it is still there. Each peer's administrator takes the new key
    with `openline peer replace-key`, its fingerprint checked out of band."""
    with served(NodeDirectory(directory)):
        key_file = NodeDirectory(directory).key_file
        old = read_private_key(key_file) if key_file.exists() else None
        new = SigningKey.generate()
        staged = directory / NEW_KEY_FILE
        staged.unlink(missing_ok=True)
        write_private_key(staged, new)
        os.replace(staged, key_file)  # the node opens with its new key from here on
        node = Node.open(directory)
        try:
            return _replace(node, old)
        finally:
            node.close()


def _replace(node: Node, old: SigningKey | None) -> Rotated:
    size, note = node.read(lambda conn: read_checkpoint_covering(conn, 0) or (0, ""))
    if old is not None:
        old_key = old.public_key
    elif note:
        origin = parse_checkpoint(parse_note(note).text).origin  # openline/<party>/<key, hex>
        old_key = PublicKey(bytes.fromhex(origin.rsplit("/", 1)[1]))
    else:
        raise InvalidInput("the journal has no checkpoint naming the lost key")
    places = node.read(_places_before)
    retired = RetiredKey(old_key, old, size, format_utc(node.clock()), None, places[0], places[1])
    retire_key(node.directory.path, None, retired)
    resigned = node.write(lambda uow: _resign(uow, node, old_key.to_base64()))
    return Rotated(old_key.to_base64(), node.key.public_key.to_base64(), size, resigned)


def _places_before(conn: Any) -> tuple[dict[str, int], dict[str, int]]:
    """For each peer: the last envelope to it the old key keeps (the last receipted: those
    still waiting are signed again), and the last from it the old key receipted."""
    parties = [peer.party for peer in line_store.list_peers(conn)]
    sealed = {party: store.last_kept(conn, party) for party in parties}
    receipted = {party: line_store.last_applied(conn, party)[0] for party in parties}
    return sealed, receipted


def _resign(uow: UnitOfWork, node: Node, old_key: str) -> dict[str, int]:
    resigned = {
        peer.party: store.sign_waiting_again(uow.conn, peer.party, node.key.sign)
        for peer in line_store.list_peers(uow.conn)
    }
    uow.record(
        JournalKind.NODE_KEY_ROTATED,
        {
            "old_key": old_key,
            "new_key": node.key.public_key.to_base64(),
            "fingerprint": fingerprint(node.key.public_key.to_base64()),
            "old_fingerprint": fingerprint(old_key),
            "old_key_lost": True,
            "signed_again": resigned,
        },
    )
    return resigned


def _announce(
    uow: UnitOfWork, node: Node, rotation: Rotation
) -> tuple[dict[str, int], dict[str, int]]:
    """Seal the rotation for every peer and journal it: the link_seq of each envelope (the
    last the old key signs), and of the last envelope from each peer receipted by it."""
    body = rotation.to_body()
    parties = [peer.party for peer in line_store.list_peers(uow.conn)]
    receipted = {party: line_store.last_applied(uow.conn, party)[0] for party in parties}
    links = {party: seal_for(uow, node, party, KEY_ROTATION, body).link_seq for party in parties}
    uow.record(
        JournalKind.NODE_KEY_ROTATED,
        {
            "old_key": rotation.old_key,
            "new_key": rotation.new_key,
            "fingerprint": fingerprint(rotation.new_key),
            "old_fingerprint": fingerprint(rotation.old_key),
            "sealed": links,
            "receipted": receipted,
            "rotation": body,
        },
    )
    return links, receipted


def apply_rotation(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer's rotation, as the receiver applies it: both signatures checked, then its new key
    taken from the next envelope on (or held for confirmation). A rotation to a key already
    taken or held (a replay) changes nothing."""
    rotation = read_rotation(envelope.body, envelope.sender)
    party = envelope.sender
    current = line_store.peer_public_key(uow.conn, party)
    if current is None:
        raise InvalidInput(f"{party} is not a peer of this node")
    known = {change.new_key for change in store.changes_of(uow.conn, party)}
    if rotation.new_key == current or rotation.new_key in known:
        return
    check_rotation(rotation, current)
    held = node.settings.require_key_confirmation
    change = store.KeyChange(
        party,
        rotation.old_key,
        rotation.new_key,
        envelope.link_seq,
        "rotation",
        store.HELD if held else store.TAKEN,
        format_utc(node.clock()),
        rotation.to_body(),
    )
    store.insert_change(uow.conn, change)
    if held:
        uow.record(JournalKind.PEER_KEY_ROTATION_HELD, _entry(change))
        return
    store.set_peer_key(uow, party, rotation.new_key)
    uow.record(JournalKind.PEER_KEY_ROTATED, {**_entry(change), "confirmed": False})


def confirm_key(node: Node, party: str, given: str) -> store.KeyChange:
    """Take the rotation of ``party`` held for confirmation, if ``given`` is its new key's
    fingerprint (as the peer's operators read it out of band)."""

    def confirm(uow: UnitOfWork) -> store.KeyChange:
        held = store.held_change(uow.conn, party)
        if held is None:
            raise NotFound(f"no key rotation of {party} awaits confirmation")
        _require_fingerprint(given, held.new_key)
        store.take_held(uow.conn, party)
        store.set_peer_key(uow, party, held.new_key)
        uow.record(JournalKind.PEER_KEY_ROTATED, {**_entry(held), "confirmed": True})
        return held

    return node.write(confirm)


def replace_key(node: Node, party: str, card: Card, given: str) -> store.KeyChange:
    """Replace the key of ``party`` by ``card``'s, after an administrator checked its
    fingerprint out of band (the old key lost or stolen): the old key signs nothing after the
    last envelope applied from ``party``."""
    if card.party != party:
        raise InvalidInput(f"the new card is {card.party}'s, not {party}'s", field="party")
    _require_fingerprint(given, card.public_key)

    def replace(uow: UnitOfWork) -> store.KeyChange:
        current = line_store.peer_public_key(uow.conn, party)
        if current is None:
            raise NotFound(f"{party} is not a peer of this node")
        if current == card.public_key:
            raise InvalidInput(f"{party}'s key is already {fingerprint(current)}")
        last, _hash = line_store.last_applied(uow.conn, party)
        change = store.KeyChange(
            party, current, card.public_key, last, "replace-key", store.TAKEN,
            format_utc(node.clock()),
        )  # fmt: skip
        store.insert_change(uow.conn, change)
        store.set_peer_key(uow, party, card.public_key)
        uow.record(JournalKind.PEER_KEY_REPLACED, {**_entry(change), "card": card.model_dump()})
        return change

    return node.write(replace)


def _require_fingerprint(given: str, public_key: str) -> None:
    if not fingerprint_matches(given, public_key):
        raise InvalidInput(
            f"fingerprint {given!r} given, and the new key's is {fingerprint(public_key)!r}: "
            "they differ, so the key is not taken (check it with the peer's operators again)",
            field="fingerprint",
        )


def _entry(change: store.KeyChange) -> dict[str, Any]:
    return {
        "peer": change.party,
        "old_key": change.old_key,
        "new_key": change.new_key,
        "fingerprint": fingerprint(change.new_key),
        "link_seq": change.link_seq,
        "how": change.how,
    }


# --- on the line: which key checks which envelope ---------------------------------------------


def peer_keys(conn: Any) -> dict[str, PublicKey]:
    """Every peer's key as linked, with the keys it retired (the running line's keys)."""
    retired = store.retired_keys(conn)
    return {
        peer.party: PeerKey(peer.card.public_key, retired.get(peer.party, ()))
        for peer in line_store.list_peers(conn)
    }


def keys_differ(keys: Mapping[str, PublicKey], peers: Sequence[Peer]) -> bool:
    """Whether ``keys`` are not those of ``peers`` as linked now (a peer added or removed, a key
    rotated or replaced by another process)."""
    return len(keys) != len(peers) or any(
        (key := keys.get(peer.party)) is None or key.to_base64() != peer.card.public_key
        for peer in peers
    )


KEY_CHANGES = (JournalKind.PEER_KEY_ROTATED, JournalKind.PEER_KEY_REPLACED)


def keys_after_changes(
    keys: dict[str, PublicKey], entries: Sequence[JournalEntry]
) -> dict[str, PublicKey]:
    """``keys`` after the key changes these entries journal: the new key from the next
    envelope on, the old one retired up to its last (``keys`` itself if none)."""
    changes = [entry for entry in entries if entry.kind in KEY_CHANGES]
    if not changes:
        return keys
    changed = dict(keys)
    for entry in changes:
        data = json.loads(entry.data)
        before = changed.get(data["peer"])
        retired = before.retired if isinstance(before, PeerKey) else ()
        kept = tuple((key.to_base64(), until) for key, until in retired)
        changed[data["peer"]] = PeerKey(
            data["new_key"], (*kept, (data["old_key"], data["link_seq"]))
        )
    return changed


def signer_of(key: PublicKey, envelope: Envelope, relaying: bool = False) -> PublicKey:
    """The key that signs ``envelope`` of the peer whose keys are ``key``: the key of its
    place on the link. A relay, which sees another link's places, takes any key the sender
    had (its addressee checks the place)."""
    if not isinstance(key, PeerKey):
        return key
    return key.known() if relaying else key.at(envelope.link_seq)


def refuse_retired(key: PublicKey, envelope: Envelope) -> None:
    """Raise ``Refused`` (retired_key) if a key the sender retired signed ``envelope``: whoever
    holds that key (stolen, or kept) is not the sender any more."""
    if not isinstance(key, PeerKey):
        return
    try:
        signature = base64.b64decode(envelope.sig, validate=True)
    except (binascii.Error, ValueError):
        return
    until = key.retired_signer(envelope.link_seq, envelope.signed, signature)
    if until is not None:
        raise Refused(
            RETIRED_KEY,
            f"envelope {envelope.link_seq} from {envelope.sender} is signed by a key "
            f"{envelope.sender} retired after envelope {until}",
        )


def key_after(node: Node, key: PublicKey, envelope: Envelope) -> PeerKey | None:
    """The sender's keys after ``envelope``, a rotation whose signatures hold and which this
    node takes at once; None otherwise. So the envelopes behind it in the same batch, signed
    by the new key, are checked with it."""
    if envelope.kind != KEY_ROTATION or node.settings.require_key_confirmation:
        return None
    current = signer_of(key, envelope)
    try:
        rotation = read_rotation(envelope.body, envelope.sender)
        check_rotation(rotation, current.to_base64())
    except InvalidInput:
        return None
    retired = key.retired if isinstance(key, PeerKey) else ()
    old = tuple((k.to_base64(), until) for k, until in retired)
    return PeerKey(rotation.new_key, (*old, (rotation.old_key, envelope.link_seq)))


def box_pairs(node: Node, signer: PublicKey, keys: PublicKey) -> Iterator[tuple[SigningKey, str]]:
    """The pairs of keys a body from a peer may be boxed between, the likeliest first (the rest
    made only if it does not open): this node's key and the key that signed it (``signer``);
    then this node's retired keys (a body sealed before it rotated); then the peer's retired
    keys (an envelope signed again after its key was lost: ``replace_lost_key``). The
    signature already holds, so any pair may open it."""
    other = signer.to_base64()
    yield node.key, other
    ours = [node.key, *node.key_history.signing_keys()]
    yield from ((own, other) for own in ours[1:])
    retired = keys.retired if isinstance(keys, PeerKey) else ()
    for key, _until in reversed(retired):
        yield from ((own, key.to_base64()) for own in ours)
