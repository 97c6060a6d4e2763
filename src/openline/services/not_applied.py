"""Acknowledging an envelope received but not applied: the officer's action, journaled, that
ends its alarm on every console of the node."""

from __future__ import annotations

from openline.domain.errors import NotFound
from openline.domain.journal import JournalKind
from openline.domain.quoting import quote
from openline.domain.timeutil import format_utc
from openline.line.not_applied import NotApplied
from openline.node.assembly import Node
from openline.store.writer import Operation, UnitOfWork


def acknowledgement(node: Node, envelope_hash: str, operator: str) -> Operation[NotApplied]:
    """Acknowledged once: a second officer's acknowledgement finds the first one's."""

    def acknowledge(uow: UnitOfWork) -> NotApplied:
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

    return acknowledge
