"""Changing the paths this node reaches a linked peer by (docs/line.md#paths)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from openline.domain.errors import InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.parties import Peer, check_party_code
from openline.domain.paths import DirectPath, PeerPath, RelayPath, check_paths, parse_direct_path
from openline.domain.timeutil import format_utc, parse_duration
from openline.keys.tls import check_pin
from openline.node.assembly import Node
from openline.store import line as store
from openline.store.writer import UnitOfWork

PathsChange = Callable[[tuple[PeerPath, ...]], Sequence[PeerPath]]
LONGEST_OVERLAP = timedelta(days=365)
DEFAULT_OVERLAP = "24h"


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
        peer = _linked(uow, node, party)
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


def rotate_pin(
    node: Node, party: str, pin: str, *, url: str | None = None, overlap: str = DEFAULT_OVERLAP
) -> tuple[Peer, DirectPath]:
    """Pin ``party``'s https path at ``url`` (its one https path, if not given) to ``pin``,
    its pin until now still accepted for ``overlap`` (``24h``, ``0s``), and journal it
    (``peer.pin_changed``); the same pin again changes nothing. Returns the peer and the path.
    """
    check_party_code(party)
    pin = check_pin(pin)
    lasting = parse_duration(overlap, field="overlap", most=LONGEST_OVERLAP)

    def write(uow: UnitOfWork) -> tuple[Peer, DirectPath]:
        peer = _linked(uow, node, party)
        now = node.clock()
        index, path = _https_path(peer, url)
        if path.tls_pin == pin:
            return peer, path
        old = path.tls_pin if lasting and path.tls_pin is not None else None
        until = format_utc(now + lasting) if old is not None else None
        rotated = DirectPath(path.url, pin, old, until)
        paths = (*peer.paths[:index], rotated, *peer.paths[index + 1 :])
        store.replace_paths(uow.conn, party, paths)
        uow.record(
            JournalKind.PEER_PIN_CHANGED,
            {"peer": party, "url": path.url, "pin": pin, "was": path.tls_pin, "until": until},
        )
        return replace(peer, paths=paths), rotated

    return node.write(write)


def _https_path(peer: Peer, url: str | None) -> tuple[int, DirectPath]:
    """The https path to rotate a pin on, and its place: the one at ``url``, or the only
    https one; InvalidInput naming the choice otherwise."""
    https = [
        (index, path)
        for index, path in enumerate(peer.paths)
        if isinstance(path, DirectPath) and path.url.startswith("https://")
    ]
    chosen = [(i, path) for i, path in https if url is None or path.url == url]
    if len(chosen) == 1:
        return chosen[0]
    urls = ", ".join(path.url for _, path in https) or "none"
    if url is not None:
        raise InvalidInput(
            f"{url} is not an https path to {peer.party} (its https paths: {urls})", field="path"
        )
    raise InvalidInput(
        f"{peer.party} has {len(https)} https paths ({urls}): name one with --path URL",
        field="path",
    )


def _linked(uow: UnitOfWork, node: Node, party: str) -> Peer:
    peer = store.get_peer(uow.conn, party)
    if peer is None:
        raise NotFound(
            f"{party} is not a peer of {node.party}: link it first (openline peer add)",
            field="party",
        )
    return peer
