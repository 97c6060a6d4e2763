"""Changing the paths this node reaches a linked peer by (docs/line.md#paths)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from openline.domain.errors import NotFound
from openline.domain.journal import JournalKind
from openline.domain.parties import Peer, check_party_code
from openline.domain.paths import DirectPath, PeerPath, RelayPath, check_paths, parse_direct_path
from openline.keys.tls import check_pin
from openline.node.assembly import Node
from openline.store import line as store
from openline.store.writer import UnitOfWork

PathsChange = Callable[[tuple[PeerPath, ...]], Sequence[PeerPath]]


def direct_paths(specs: Sequence[str]) -> list[DirectPath]:
    """Each ``URL`` or ``URL#PIN`` as a direct path, checked; InvalidInput naming the first
    that is not one."""
    paths = []
    for spec in specs:
        url, pin = parse_direct_path(spec, field="path")
        paths.append(DirectPath(url, check_pin(pin) if pin is not None else None))
    return paths


def replace_direct_paths(node: Node, party: str, specs: Sequence[str]) -> Peer:
    """``party``'s direct paths replaced by ``specs`` (``URL`` or ``URL#PIN``), in this order,
    a relay path kept as the last. The peer's key and card do not change."""
    paths = direct_paths(specs)
    return change_paths(node, party, lambda now: [*paths, *_relays(now)])


def change_paths(node: Node, party: str, change: PathsChange) -> Peer:
    """Make ``change(paths now)`` the paths to ``party``, checked (1 to 8, none twice, a relay
    only last), and journal it; the same paths again change nothing. NotFound if ``party``
    is not a peer."""
    check_party_code(party)

    def write(uow: UnitOfWork) -> Peer:
        peer = store.get_peer(uow.conn, party)
        if peer is None:
            raise NotFound(
                f"{party} is not a peer of {node.party}: link it first (openline peer add)",
                field="party",
            )
        paths = check_paths(change(peer.paths))
        if paths == peer.paths:
            return peer
        store.replace_paths(uow.conn, party, paths)
        uow.record(
            JournalKind.PEER_PATHS_CHANGED,
            {
                "peer": party,
                "paths": [path.to_json() for path in paths],
                "was": [path.to_json() for path in peer.paths],
            },
        )
        return replace(peer, paths=paths)

    return node.write(write)


def _relays(paths: tuple[PeerPath, ...]) -> list[PeerPath]:
    return [path for path in paths if isinstance(path, RelayPath)]
