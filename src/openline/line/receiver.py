"""Receiving envelopes from peers: each applied exactly once, in link order, and receipted.

A batch is checked in two steps. Everything that can be judged on one envelope alone (shape,
size, addressee, sender, signature) is checked first, off the event loop. Then one writer
operation checks each envelope's place on its link against what was applied before, applies
it and issues the receipt, in the same transaction. An envelope already applied gets its
original receipt back; every refusal is journaled as a security event naming the reason. One
in its place that cannot be applied is received but not applied: its place taken, its receipt
saying why, so the link never stops behind it (docs/line.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import InterfaceError, InternalError, OperationalError

from openline.domain import envelopes as rules
from openline.domain.canonical import MAX_SAFE_INTEGER, canonical_json
from openline.domain.envelopes import Envelope, Refused
from openline.domain.errors import OpenlineError, Unavailable
from openline.domain.journal import JournalKind
from openline.domain.quoting import quote, quote_if_unusual
from openline.domain.rotations import RETIRED_KEY
from openline.domain.timeutil import format_utc
from openline.keys.boxes import open_by_any
from openline.keys.signing import PublicKey
from openline.line.escalation import apply_reminder
from openline.node.assembly import Node
from openline.services import (
    acknowledgements,
    blind,
    messages,
    notifications,
    resolutions,
    tracks,
    witness,
)
from openline.services.keys import (
    apply_rotation,
    box_pairs,
    key_after,
    refuse_retired,
    signer_of,
)
from openline.services.outbox import seal_for
from openline.store import line as store
from openline.store.writer import Operation, UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Node, Envelope], None]


def _answer_line_check(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    seal_for(uow, node, envelope.sender, "line_check_reply", {"answers": envelope.id})


def _nothing_more(_uow: UnitOfWork, _node: Node, _envelope: Envelope) -> None:
    """The envelope.received entry is all there is to record."""


HANDLERS: dict[str, Handler] = {
    "message": messages.apply_incoming_message,
    "ack": messages.apply_incoming_ack,
    "reminder": apply_reminder,
    "line_check": _answer_line_check,
    "line_check_reply": _nothing_more,
    "notification": notifications.apply_incoming,
    "notification_update": notifications.apply_incoming,
    "track": tracks.apply_incoming,
    "checkpoint": witness.apply_checkpoint,
    "cosignature": witness.apply_cosignature,
    "notification_ack": acknowledgements.apply_ack,
    "notification_reminder": acknowledgements.apply_reminder,
    "resolution": resolutions.apply_proposal,
    "resolution_accept": resolutions.apply_acceptance,
    "conflict_report": notifications.apply_conflict_report,
    "key_rotation": apply_rotation,
    "blind_offer": blind.apply_offer,  # services/blind.py
    "blind_reply": blind.apply_reply,
    "blind_finish": blind.apply_finish,
}


@dataclass(frozen=True)
class Outcome:
    """What became of one envelope of a batch: its receipt, or why it was refused."""

    link_seq: object
    id: object
    receipt: dict[str, Any] | None = None
    refused: Refused | None = None
    expected_seq: int | None = None
    held: bool = False  # a relay holds it, its addressee's receipt not back yet (line/relay.py)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"link_seq": self.link_seq, "id": self.id}
        if self.receipt is not None:
            out["receipt"] = self.receipt
        if self.held:
            out["held"] = True
        if self.refused is not None:
            out["refused"] = {"code": self.refused.code, "reason": self.refused.reason}
        if self.expected_seq is not None:
            out["expected_seq"] = self.expected_seq
        return out


@dataclass(frozen=True)
class Rejected:
    """An envelope refused before any peer's key verified it, as it came."""

    raw: object
    refused: Refused
    by_retired_key: bool = False  # signed by a key its sender retired: journaled as verified


Checked = Envelope | Rejected


def check_alone(
    node: Node,
    raw_envelopes: Sequence[object],
    keys: Mapping[str, PublicKey],
    *,
    relaying: bool = False,
) -> list[Checked]:
    """Shape, size, addressee, sender and signature of each envelope (CPU work, no writes),
    then its body opened.

    ``keys``: the peers' keys, as the running line last read them. ``relaying``: the envelopes
    came for this node to relay (line/relay.py): addressed to another party, and left boxed.
    """
    checked: list[Checked] = []
    for raw in raw_envelopes:
        try:
            envelope = rules.open_envelope(raw, max_bytes=node.settings.max_envelope_bytes)
            if (envelope.to == node.party) == relaying:
                raise Refused(rules.WRONG_RECIPIENT, _misaddressed(node, envelope, relaying))
            key = keys.get(envelope.sender)
            if key is None:
                raise Refused(
                    rules.UNKNOWN_SENDER, f"{envelope.sender} is not a peer of {node.party}"
                )
            signer = signer_of(key, envelope, relaying)  # services/keys.py
            try:
                rules.check_signature(envelope, signer.verify)
            except Refused:
                refuse_retired(key, envelope)
                raise
        except Refused as refused:
            checked.append(Rejected(raw, refused, refused.code == RETIRED_KEY))
        else:
            opened = envelope if relaying else _opened(node, envelope, signer, key)
            checked.append(opened)
            rotated = None if relaying else key_after(node, key, opened)
            if rotated is not None:  # the rest of the batch is checked with the new key
                keys = {**keys, envelope.sender: rotated}
    if not relaying:  # a blind run's costly part, here rather than in the writer
        blind.prepare_received(node, checked)
    return checked


def _misaddressed(node: Node, envelope: Envelope, relaying: bool) -> str:
    if relaying:
        return f"envelope addressed to {node.party} itself: deliver it, a relay relays to others"
    return f"envelope addressed to {envelope.to}, and this node is {node.party}"


def _opened(node: Node, envelope: Envelope, key: PublicKey, keys: PublicKey) -> Envelope:
    """The envelope with its body opened; one its sender signed whose box does not open says
    why, and takes its place as not applied (its sender alone could have sealed it so)."""
    try:
        pairs = box_pairs(node, key, keys)  # this place's keys first: services/keys.py
        return rules.open_body(envelope, lambda box: open_by_any(box, pairs))
    except rules.Unreadable as exc:
        return replace(envelope, unreadable=exc.message)


def unverified_refusals(checked: list[Checked]) -> list[Refused]:
    """The refusals of the envelopes of ``checked`` no peer's key verified, in order."""
    return [item.refused for item in checked if isinstance(item, Rejected)]


def apply_batch(
    node: Node,
    checked: list[Checked],
    client: str | None,
    *,
    unverified_in_full: bool = True,
    heard: bool = True,
    via: str | None = None,
) -> Operation[list[Outcome]]:
    """Apply the envelopes a peer's key verified, each in its place, and journal the refusals.

    ``unverified_in_full``: whether the first refusal of an envelope no key verified is
    journaled in full; the others are not (the federation endpoint counts them). ``heard``:
    whether the batch came over the network (a courier bundle says nothing of the line's
    state). ``via``: what carried the envelopes, when not their sender itself (``bundle``,
    ``relay:PARTY``: openline.domain.paths), recorded in their entries.
    """

    def apply(uow: UnitOfWork) -> list[Outcome]:
        heads: dict[str, tuple[int, str]] = {}
        refusals = Refusals(uow, client, unverified_in_full)
        messages.look_for_incoming(uow, checked)  # one read for all the batch's messages
        outcomes = [_apply_one(uow, node, item, heads, refusals, via=via) for item in checked]
        refusals.summarise()
        now = format_utc(node.clock())
        for sender in heads if heard else ():
            store.mark_heard(uow.conn, sender, now)
        return outcomes

    return apply


class Refusals:
    """The refusals of one batch, journaled as security events, with what the envelope claimed
    to be.

    Of envelopes a peer's key verified (a gap, a replay, a broken link): the first
    ``JOURNALED_IN_FULL`` each in full and the rest counted in one summary entry, so a peer (or
    whoever holds its key) grows the journal by at most two entries a request, and the
    endpoint's per-peer rate limit bounds the requests. Of envelopes no key verified (shape,
    addressee, sender, signature: anyone can send them): the first in full if
    ``unverified_in_full``, none of the others, which the endpoint counts per address and period
    (``api/unverified.py``) whatever their rate.
    """

    JOURNALED_IN_FULL = 1

    def __init__(self, uow: UnitOfWork, client: str | None, unverified_in_full: bool) -> None:
        self.uow, self.client = uow, client
        self.in_full = 0
        self.unverified_in_full = unverified_in_full
        self.counted: dict[str, int] = {}

    def refuse(
        self,
        raw: dict[str, Any],
        refused: Refused,
        envelope_hash: str | None = None,
        *,
        verified: bool,
    ) -> Outcome:
        link_seq, envelope_id = _short(raw.get("link_seq")), raw.get("id")
        if verified:
            in_full = self.in_full < self.JOURNALED_IN_FULL
            self.in_full += in_full
            if not in_full:
                self.counted[refused.code] = self.counted.get(refused.code, 0) + 1
        else:
            in_full, self.unverified_in_full = self.unverified_in_full, False
        if in_full:
            self.uow.record(
                JournalKind.SECURITY_ENVELOPE_REFUSED,
                {
                    "code": refused.code,
                    "reason": refused.reason,
                    "from": _short(raw.get("from")),
                    "to": _short(raw.get("to")),
                    "link_seq": link_seq if isinstance(link_seq, int) else None,
                    "id": _short(envelope_id),
                    "hash": envelope_hash,
                    "client": self.client,
                },
            )
        return Outcome(link_seq, _short(envelope_id), refused=refused)

    def summarise(self) -> None:
        if self.counted:
            self.uow.record(
                JournalKind.SECURITY_ENVELOPES_REFUSED,
                {
                    "count": sum(self.counted.values()),
                    "codes": dict(sorted(self.counted.items())),
                    "client": self.client,
                },
            )


def _apply_one(
    uow: UnitOfWork,
    node: Node,
    item: Checked,
    heads: dict[str, tuple[int, str]],
    refusals: Refusals,
    *,
    via: str | None,
) -> Outcome:
    if isinstance(item, Rejected):
        raw = item.raw if isinstance(item.raw, dict) else {}
        return refusals.refuse(raw, item.refused, verified=item.by_retired_key)
    envelope = item
    if envelope.sender not in heads:
        heads[envelope.sender] = store.last_applied(uow.conn, envelope.sender)
    seq, head = heads[envelope.sender]
    if envelope.link_seq <= seq:
        prior = store.applied(uow.conn, envelope.sender, envelope.link_seq)
        if prior is not None and prior[0] == envelope.hash:
            return Outcome(envelope.link_seq, envelope.id, receipt=json.loads(prior[1]))
        refused = Refused(
            rules.CONFLICTING_REPLAY,
            f"envelope {envelope.link_seq} from {envelope.sender} differs from the one "
            "already applied at that place",
        )
    elif envelope.link_seq > seq + 1:
        refused = Refused(
            rules.SEQUENCE_GAP,
            f"gap: envelope {envelope.link_seq} from {envelope.sender}, expected {seq + 1}",
        )
    elif envelope.prev != head:
        refused = Refused(
            rules.BROKEN_LINK,
            f"envelope {envelope.link_seq} from {envelope.sender} does not follow the hash of "
            f"envelope {seq}",
        )
    else:
        try:
            receipt = uow.attempt(lambda: _apply(uow, node, envelope, via))
        except _THE_DATABASES_OWN_TROUBLE:
            raise  # not the envelope's fault: the batch fails, and the sender sends it again
        except Exception as exc:  # whatever its body made fail: not applied, and the link goes on
            receipt = _receipted(uow, node, envelope, via, not_applied=_why_not(envelope, exc))
        heads[envelope.sender] = (envelope.link_seq, envelope.hash)
        return Outcome(envelope.link_seq, envelope.id, receipt=receipt)
    outcome = refusals.refuse(envelope.to_json(), refused, envelope.hash, verified=True)
    return Outcome(outcome.link_seq, outcome.id, refused=outcome.refused, expected_seq=seq + 1)


def _apply(uow: UnitOfWork, node: Node, envelope: Envelope, via: str | None) -> dict[str, Any]:
    if envelope.unreadable is not None:
        raise rules.Unreadable(envelope.unreadable)
    handler = HANDLERS.get(envelope.kind)
    if handler is None:
        raise OpenlineError(f"this node does not take {envelope.kind} envelopes yet")
    receipt = _receipted(uow, node, envelope, via)
    handler(uow, node, envelope)
    return receipt


def _receipted(
    uow: UnitOfWork,
    node: Node,
    envelope: Envelope,
    via: str | None,
    *,
    not_applied: str | None = None,
) -> dict[str, Any]:
    """Take ``envelope`` in its place on the link and issue its receipt: applied (the handler
    runs next, in the same savepoint), or received but not applied, saying why. Either way
    the place is taken, so the link goes on and a resend gets this same receipt back."""
    now = format_utc(node.clock())
    receipt = rules.issue_receipt(envelope, now, node.key.sign, not_applied=not_applied).to_json()
    store.insert_applied(uow.conn, envelope, canonical_json(receipt).decode("utf-8"), now)
    data = {"envelope": envelope.to_json(), "hash": envelope.hash, "receipt": receipt}
    if via is not None:
        data["via"] = via
    if not_applied is None:
        uow.record(JournalKind.ENVELOPE_RECEIVED, data)
    else:
        uow.record(JournalKind.ENVELOPE_NOT_APPLIED, {**data, "reason": receipt["not_applied"]})
    return receipt


# Errors of the database itself (disk full, connection lost), which say nothing of the envelope.
# ...and the node's: Unavailable is a process still loading its conflict finder after its
# start, or a database that could not keep the write.
_THE_DATABASES_OWN_TROUBLE = (OperationalError, InterfaceError, InternalError, Unavailable)


def _why_not(envelope: Envelope, exc: Exception) -> str:
    """Why an envelope could not be applied, for its receipt and both journals."""
    if isinstance(exc, OpenlineError):
        reason = f"{envelope.kind} body refused: {exc.message}"
    else:  # a fault of this node's code: its traceback is for whoever maintains it
        log.error("envelope %s could not be applied", envelope.id, exc_info=exc)
        reason = f"{envelope.kind} could not be applied: {type(exc).__name__}: {exc}"
    log.warning(
        "envelope %d from %s (%s) received but not applied: %s",
        envelope.link_seq,
        envelope.sender,
        envelope.id,
        reason[:200],
    )
    return reason[: rules.NOT_APPLIED_MAX_CHARS] or "could not be applied"


CLAIM_SHOWN = 64  # characters of what a refused envelope claimed (its id, sender, addressee)


def _short(value: object) -> object:
    """What a refused envelope claimed, cut short and escaped: its members may be anything at
    all (a newline, a terminal's escape sequence). A whole number beyond what canonical JSON
    writes exactly (link_seq 10**4000) is cut as text, digits alone: the journal could keep no
    entry holding it, and the batch's refusals would go unrecorded."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else str(value)[:CLAIM_SHOWN]
    if isinstance(value, str):
        return quote_if_unusual(value, CLAIM_SHOWN)
    return quote(value, CLAIM_SHOWN)
