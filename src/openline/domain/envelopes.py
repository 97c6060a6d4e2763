"""Envelopes and receipts: what crosses the line between two nodes, and the proof it arrived.

An envelope is ``{v, id, from, to, link_seq, prev, sent_at, kind, body, sig}``. ``link_seq``
counts 1, 2, 3... on each (sender -> receiver) link; ``prev`` is the hash of the envelope before
it on that link (the genesis hash for the first); ``sig`` is the sender's Ed25519 signature over
the RFC 8785 canonical JSON of every other member, and the envelope's hash is the SHA-256 of
those same bytes. A receipt is the receiver's signature over an envelope's hash: proof of
delivery, kept by the sender.

The body crosses the line encrypted to the addressee, always: ``body`` is ``{"box": TEXT}``,
the canonical JSON of what the envelope carries boxed between the sender's key and the
addressee's (``openline.keys.boxes``). The signature covers the box, not the plaintext, so
whoever carries an envelope (a relay) can check who sealed it and that nothing changed, without
reading it, and can forge nothing; the addressee checks the signature before it opens the box.

This module checks everything that can be checked on one envelope alone (shape, size,
addressing, signature, the box); the order on the link is checked by the receiver against what
it has applied (``openline.line.receiver``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from openline.domain import strict_json
from openline.domain.canonical import canonical_json
from openline.domain.errors import OpenlineError
from openline.domain.journal import GENESIS_HASH
from openline.domain.quoting import quote, quote_all

ENVELOPE_VERSION = 1
KINDS = (
    "message",
    "ack",
    "reminder",
    "line_check",
    "line_check_reply",
    "notification",
    "notification_update",
    "track",
    "checkpoint",
    "cosignature",
    "notification_ack",
    "notification_reminder",
    "resolution",
    "resolution_accept",
    "conflict_report",
    "key_rotation",
    "blind_offer",  # blind deconfliction: domain/blind.py
    "blind_reply",
    "blind_finish",
)
_ENVELOPE_KEYS = frozenset(
    ("v", "id", "from", "to", "link_seq", "prev", "sent_at", "kind", "body", "sig")
)
_RECEIPT_KEYS = frozenset(
    (
        "v",
        "envelope_id",
        "envelope_hash",
        "link_seq",
        "sender",
        "receiver",
        "received_at",
        "sig",
    )
)
# A receipt that says the receiver took the envelope in its place on the link but could not
# apply it carries why, in at most this many characters.
NOT_APPLIED_MAX_CHARS = 500
_HASH = re.compile(r"^[0-9a-f]{64}$")
# A kind as Openline writes them, lowercase words joined by "_". A kind this version does not
# know (a later version's) is still an envelope: received but not applied, its receipt saying
# "this node does not take ... envelopes yet", so that a peer upgraded first never stops the link
# behind its new kinds. Sealing takes only the kinds of KINDS.
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PARTY = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

Signer = Callable[[bytes], bytes]
Verifier = Callable[[bytes, bytes], bool]
# The body's canonical JSON boxed to the addressee, as text; and what opens such a box again
# (raising OpenlineError, saying why, when it does not open).
Boxer = Callable[[bytes], str]
Unboxer = Callable[[str], bytes]


class Refused(Exception):
    """An envelope the receiver will not apply, with a code the sender can act on."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# Refusal codes. The sender resends from the expected envelope after a gap or broken link;
# every other refusal is for an operator to look at, and each is journaled as a security event.
MALFORMED = "malformed"
TOO_LARGE = "too_large"
WRONG_RECIPIENT = "wrong_recipient"
UNKNOWN_SENDER = "unknown_sender"
BAD_SIGNATURE = "bad_signature"
SEQUENCE_GAP = "sequence_gap"
BROKEN_LINK = "broken_link"
CONFLICTING_REPLAY = "conflicting_replay"
INVALID_BODY = "invalid_body"
RELAY_NOT_ALLOWED = "relay_not_allowed"  # a relay asked to carry for a pair it does not relay


def envelope_hash(signed: bytes) -> str:
    return hashlib.sha256(signed).hexdigest()


@dataclass(frozen=True)
class Envelope:
    """One envelope, with the canonical bytes that were signed and its hash."""

    id: str
    sender: str
    to: str
    link_seq: int
    prev: str
    sent_at: str
    kind: str
    box: str  # the body, boxed to the addressee: what crosses the line and is signed
    sig: str
    signed: bytes
    hash: str
    # What the envelope carries, in the clear: known to its sender, and to its addressee once
    # opened (open_body); empty while it is still boxed, or if its box did not open (why, in
    # ``unreadable``: the receiver then takes it in its place as not applied).
    body: Mapping[str, Any] = field(default_factory=dict)
    unreadable: str | None = None

    def unsigned(self) -> dict[str, Any]:
        """The envelope without its signature: the members whose canonical JSON is signed.
        Not the envelope as JSON (that is :meth:`to_json`, with ``sig``)."""
        return {
            "v": ENVELOPE_VERSION,
            "id": self.id,
            "from": self.sender,
            "to": self.to,
            "link_seq": self.link_seq,
            "prev": self.prev,
            "sent_at": self.sent_at,
            "kind": self.kind,
            "body": {"box": self.box},
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.unsigned(), "sig": self.sig}

    @cached_property
    def text(self) -> str:
        """The envelope as canonical JSON text: what the outbox stores and the line carries.

        Built from the signed bytes rather than serialised again: members are in code-point
        order, so ``sig`` goes just before ``to``, and ``to`` is the last member but ``v``
        (``body`` comes first, so the last ``,"to":"`` is the envelope's own).
        """
        signed = self.signed.decode("utf-8")
        at = signed.rindex(',"to":"')
        return f'{signed[:at]},"sig":"{self.sig}"{signed[at:]}'


def seal(
    *,
    envelope_id: str,
    sender: str,
    to: str,
    link_seq: int,
    prev: str,
    sent_at: str,
    kind: str,
    body: Mapping[str, Any],
    sign: Signer,
    box: Boxer,
) -> Envelope:
    """A new envelope, its body boxed by ``box`` (to the addressee's key) and the whole signed
    by ``sign`` (the sender's key)."""
    if kind not in KINDS:
        raise ValueError(f"envelope kind {kind!r} is not one of {', '.join(KINDS)}")
    unsigned = Envelope(
        id=envelope_id,
        sender=sender,
        to=to,
        link_seq=link_seq,
        prev=prev,
        sent_at=sent_at,
        kind=kind,
        box=box(canonical_json(body)),
        sig="",
        signed=b"",
        hash="",
        body=dict(body),
    )
    signed = canonical_json(unsigned.unsigned())
    return replace(
        unsigned,
        sig=base64.b64encode(sign(signed)).decode("ascii"),
        signed=signed,
        hash=envelope_hash(signed),
    )


def open_envelope(value: object, *, max_bytes: int) -> Envelope:
    """Check an envelope's shape and size (not yet its signature, sender or addressee)."""
    if not isinstance(value, dict):
        raise Refused(MALFORMED, f"an envelope is a JSON object, got {type(value).__name__}")
    keys = set(value)
    if keys != _ENVELOPE_KEYS:
        missing, extra = sorted(_ENVELOPE_KEYS - keys), sorted(keys - _ENVELOPE_KEYS)
        raise Refused(
            MALFORMED,
            f"envelope members wrong: missing {quote_all(missing) or 'none'}, "
            f"unexpected {quote_all(extra) or 'none'}",
        )
    if value["v"] != ENVELOPE_VERSION or isinstance(value["v"], bool):
        raise Refused(MALFORMED, f"envelope version {quote(value['v'])} is not {ENVELOPE_VERSION}")
    _require(value, "id", _ID)
    _require(value, "from", _PARTY)
    _require(value, "to", _PARTY)
    _require(value, "prev", _HASH)
    _require(value, "sent_at", _INSTANT)
    seq = value["link_seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise Refused(MALFORMED, f"link_seq {quote(seq)} is not a whole number from 1")
    _require(value, "kind", _KIND)
    body = value["body"]
    if not isinstance(body, dict) or set(body) != {"box"} or not isinstance(body["box"], str):
        raise Refused(MALFORMED, 'body is not {"box": TEXT}: a body crosses the line encrypted')
    if not isinstance(value["sig"], str):
        raise Refused(MALFORMED, "sig is not base64 text")
    unsigned = {k: v for k, v in value.items() if k != "sig"}
    try:
        signed = canonical_json(unsigned)
    except (TypeError, ValueError) as exc:
        raise Refused(MALFORMED, f"the envelope cannot be put in canonical form: {exc}") from None
    size = len(signed) + len(value["sig"])
    if size > max_bytes:
        raise Refused(TOO_LARGE, f"envelope of {size} bytes, over the limit of {max_bytes} bytes")
    return Envelope(
        id=value["id"],
        sender=value["from"],
        to=value["to"],
        link_seq=seq,
        prev=value["prev"],
        sent_at=value["sent_at"],
        kind=value["kind"],
        box=body["box"],
        sig=value["sig"],
        signed=signed,
        hash=envelope_hash(signed),
    )


def _require(value: Mapping[str, Any], key: str, pattern: re.Pattern[str]) -> None:
    member = value[key]
    if not isinstance(member, str) or not pattern.match(member):
        raise Refused(MALFORMED, f"{key} {quote(member)} is not valid")


def check_signature(envelope: Envelope, verify: Verifier) -> None:
    """Refuse an envelope whose signature is not the sender's over its canonical bytes."""
    if not verify(envelope.signed, _decode_signature(envelope.sig)):
        raise Refused(
            BAD_SIGNATURE,
            f"signature of envelope {quote(envelope.link_seq)} does not verify with "
            f"{envelope.sender}'s key",
        )


def open_body(envelope: Envelope, unbox: Unboxer) -> Envelope:
    """The envelope with its body opened by ``unbox`` (the key between its sender and this
    node): call it once its signature holds. ``Unreadable`` if the box does not open or holds
    no JSON object."""
    try:
        plaintext = unbox(envelope.box)
    except OpenlineError as exc:
        raise Unreadable(exc.message) from None
    try:
        body = strict_json.loads(plaintext)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unreadable(f"its box holds no JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Unreadable(f"its box holds no JSON object but {type(body).__name__}")
    return replace(envelope, body=body)


class Unreadable(OpenlineError):
    """A body whose box its own sender signed but that does not open, or holds no JSON object:
    received but not applied, like any body that cannot be applied."""


def _decode_signature(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""
    return raw if len(raw) == 64 and base64.b64encode(raw).decode("ascii") == text else b""


def first_prev() -> str:
    """``prev`` of the first envelope on a link."""
    return GENESIS_HASH


@dataclass(frozen=True)
class Receipt:
    """The receiver's signed statement that it took the envelope with this hash in its place
    on the link: applied, or, with ``not_applied`` (why, in words), received but not applied."""

    envelope_id: str
    envelope_hash: str
    link_seq: int
    sender: str
    receiver: str
    received_at: str
    sig: str
    not_applied: str | None = None

    def unsigned(self) -> dict[str, Any]:
        """The receipt without its signature: the members whose canonical JSON is signed.
        Not the receipt as JSON (that is :meth:`to_json`, with ``sig``)."""
        members = {
            "v": ENVELOPE_VERSION,
            "envelope_id": self.envelope_id,
            "envelope_hash": self.envelope_hash,
            "link_seq": self.link_seq,
            "sender": self.sender,
            "receiver": self.receiver,
            "received_at": self.received_at,
        }
        if self.not_applied is not None:  # absent from the receipt of an applied envelope
            members["not_applied"] = self.not_applied
        return members

    def to_json(self) -> dict[str, Any]:
        return {**self.unsigned(), "sig": self.sig}


def issue_receipt(
    envelope: Envelope, received_at: str, sign: Signer, *, not_applied: str | None = None
) -> Receipt:
    """The receipt for ``envelope``; ``not_applied``: why it could not be applied (cut to
    ``NOT_APPLIED_MAX_CHARS``)."""
    unsigned = Receipt(
        envelope.id,
        envelope.hash,
        envelope.link_seq,
        envelope.sender,
        envelope.to,
        received_at,
        "",
        None if not_applied is None else not_applied[:NOT_APPLIED_MAX_CHARS],
    )
    sig = base64.b64encode(sign(canonical_json(unsigned.unsigned()))).decode("ascii")
    return replace(unsigned, sig=sig)


class BadReceipt(Exception):
    """A receipt that does not prove delivery of the envelope it names."""


def check_receipt(value: object, envelope_hash: str, verify: Verifier) -> Receipt:
    """The receipt, if it is well formed, names ``envelope_hash`` and carries a good signature."""
    if not isinstance(value, dict) or set(value) - {"not_applied"} != _RECEIPT_KEYS:
        raise BadReceipt(f"not a receipt: {str(value)[:200]}")
    not_applied = value.get("not_applied")
    if "not_applied" in value and not (
        isinstance(not_applied, str) and 0 < len(not_applied) <= NOT_APPLIED_MAX_CHARS
    ):
        raise BadReceipt(
            f"receipt for link_seq {value.get('link_seq')}: not_applied is not a reason of 1 to "
            f"{NOT_APPLIED_MAX_CHARS} characters"
        )
    if value["envelope_hash"] != envelope_hash:
        raise BadReceipt(
            f"receipt for link_seq {value.get('link_seq')} names hash "
            f"{value['envelope_hash']!r}, not {envelope_hash}"
        )
    try:
        receipt = Receipt(**{k: v for k, v in value.items() if k != "v"})
        signed = canonical_json(receipt.unsigned())
    except (TypeError, ValueError) as exc:
        raise BadReceipt(f"receipt cannot be read: {exc}") from None
    if value["v"] != ENVELOPE_VERSION or not verify(signed, _decode_signature(receipt.sig)):
        raise BadReceipt(f"receipt for link_seq {receipt.link_seq} has a bad signature")
    return receipt
