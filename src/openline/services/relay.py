"""Relays: allowing this node to relay between two of its peers, and reaching a peer through a
relay (docs/line.md#encryption-and-relays)."""

from __future__ import annotations

from openline.domain.errors import InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.parties import Peer, check_party_code
from openline.domain.paths import DirectPath, RelayPath
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
from openline.services.paths import change_paths
from openline.store import line as line_store
from openline.store import relay as store
from openline.store.writer import UnitOfWork


def allow_relay(node: Node, party_a: str, party_b: str) -> bool:
    """Allow this node to relay between its peers ``party_a`` and ``party_b`` (both ways), and
    journal it; False if it was allowed already (nothing changes). NotFound naming a party that
    is not a peer; InvalidInput for this node's own party or the same party twice."""
    for party, field in ((party_a, "party_a"), (party_b, "party_b")):
        check_party_code(party, field=field)
        if party == node.party:
            raise InvalidInput(
                f"{field} {party} is this node's own party: a relay carries between two others",
                field=field,
            )
    if party_a == party_b:
        raise InvalidInput(f"a relay carries between two parties, and {party_a} is given twice")

    def allow(uow: UnitOfWork) -> bool:
        for party, field in ((party_a, "party_a"), (party_b, "party_b")):
            if not line_store.peer_exists(uow.conn, party):
                raise NotFound(
                    f"{field} {party} is not a peer of {node.party}: a relay carries only "
                    "between parties it is linked to (openline peer add)",
                    field=field,
                )
        if not store.allow_pair(uow.conn, party_a, party_b, format_utc(node.clock())):
            return False
        parties = sorted((party_a, party_b))
        uow.record(JournalKind.RELAY_ALLOWED, {"parties": parties})
        return True

    return node.write(allow)


def relay_pairs(node: Node) -> list[tuple[str, str]]:
    """The pairs this node relays between, each in alphabetical order."""
    return node.read(store.allowed_pairs)


def relay_through(node: Node, party: str, relay: str) -> Peer:
    """Make the node of ``relay`` the last path to ``party`` (``openline peer via``): the
    direct paths stay first, in their order, and a relay path before is replaced. NotFound
    naming ``relay`` if it is not a peer of this node (or ``party`` if that is not one)."""
    check_party_code(relay, field="relay")
    if relay == party:
        raise InvalidInput(f"{party} cannot relay to itself: name a third party", field="relay")
    if not node.read(lambda conn: line_store.peer_exists(conn, relay)):
        raise NotFound(
            f"relay {relay} is not a peer of {node.party}: a relay is a party both ends have "
            "linked (openline peer add), which allows it (openline relay allow on its node)",
            field="relay",
        )
    return change_paths(
        node,
        party,
        lambda now: [*(path for path in now if isinstance(path, DirectPath)), RelayPath(relay)],
    )
