"""Acknowledging envelopes received but not applied: the officer's action, journaled, that ends
their alarm on every console of the node."""

from __future__ import annotations

from collections.abc import Sequence

from openline.domain.errors import NotFound
from openline.domain.journal import JournalKind
from openline.domain.quoting import quote
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
from openline.node.not_applied import NotApplied
from openline.store.writer import Operation, UnitOfWork


def acknowledgements(
    node: Node, envelope_hashes: Sequence[str], operator: str
) -> Operation[list[NotApplied]]:
    """In one transaction, each journaled as the officer's own acknowledgement, once: a second
    officer's finds the first one's. One unknown hash refuses them all (nothing is journaled)."""

    def acknowledge_all(uow: UnitOfWork) -> list[NotApplied]:
        return [
            _acknowledge(uow, node, envelope_hash, operator) for envelope_hash in envelope_hashes
        ]

    return acknowledge_all


def _acknowledge(uow: UnitOfWork, node: Node, envelope_hash: str, operator: str) -> NotApplied:
    held = node.not_applied.get(envelope_hash)
    if held is None:
        raise NotFound(
            f"no envelope {quote(envelope_hash)} received but not applied on this node's links"
        )
    if held.acknowledged_by is not None:
        return held
    data = held.acknowledgement(operator, format_utc(node.clock()))
    entry = uow.record(JournalKind.ENVELOPE_NOT_APPLIED_ACKNOWLEDGED, data)
    # Taken now, not at the commit: another acknowledgement in this same batch finds it.
    node.not_applied.on_commit([entry])
    uow.on_rollback(lambda: node.not_applied.unacknowledge(envelope_hash))
    return node.not_applied.get(envelope_hash) or held
