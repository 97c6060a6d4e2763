"""The journal: each node's append-only, hash-chained, signed record of what it did and saw.

An entry is ``{seq, at, kind, data, prev_hash, hash, sig}``. ``hash`` is the SHA-256 of the
RFC 8785 canonical JSON of ``{at, data, kind, prev_hash, seq}``, and ``sig`` is the node's
Ed25519 signature over those same bytes. Each entry names the hash of the one before it, so
changing, removing, inserting or reordering any entry breaks the chain at that entry.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

from openline.domain.canonical import canonical_json

GENESIS_HASH = "0" * 64
# The largest sequence number the journal's seq column keeps (an INTEGER: 32 bits on
# PostgreSQL): a request that names a later one is refused, not passed to the database to
# overflow there.
MAX_SEQ = 2**31 - 1

SignatureCheck = Callable[[bytes, bytes], bool]
Signer = Callable[[bytes], bytes]


class JournalKind(StrEnum):
    """Every kind of entry Openline writes, stored as its value (what each one means:
    docs/architecture.md, "Journal kinds"). An entry read back keeps its kind as plain text,
    since a journal may hold kinds this version does not write."""

    NODE_INITIALIZED = "node.initialized"
    NODE_STARTED = "node.started"
    NODE_STOPPED = "node.stopped"
    OPERATOR_TOKEN_CREATED = "operator.token_created"  # noqa: S105 - a kind, not a secret
    PEER_ADDED = "peer.added"
    PEER_PATHS_CHANGED = "peer.paths_changed"
    MESSAGE_CREATED = "message.created"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_ACKNOWLEDGED = "message.acknowledged"
    MESSAGE_OVERDUE = "message.overdue"
    MESSAGE_REMINDER = "message.reminder"
    ENVELOPE_QUEUED = "envelope.queued"
    ENVELOPE_DELIVERED = "envelope.delivered"
    ENVELOPE_RECEIVED = "envelope.received"
    ENVELOPE_NOT_APPLIED = "envelope.not_applied"
    ENVELOPE_DELIVERED_NOT_APPLIED = "envelope.delivered_not_applied"
    ENVELOPE_NOT_APPLIED_ACKNOWLEDGED = "envelope.not_applied_acknowledged"
    LINE_STATUS = "line.status"
    LINE_DELIVERY_REFUSED = "line.delivery_refused"
    LINE_PATH_STATUS = "line.path_status"
    NOTIFICATION_CREATED = "notification.created"
    NOTIFICATION_UPDATED = "notification.updated"
    NOTIFICATION_RECEIVED = "notification.received"
    CONFLICT_OPENED = "conflict.opened"
    CONFLICT_UPDATED = "conflict.updated"
    CONFLICT_CLEARED = "conflict.cleared"
    PROXIMITY_OPENED = "proximity.opened"
    PROXIMITY_CLEARED = "proximity.cleared"
    PROXIMITY_SUMMARY = "proximity.summary"
    RELAY_ALLOWED = "relay.allowed"
    RELAY_HELD = "relay.held"
    RELAY_FORWARDED = "relay.forwarded"
    RELAY_REFUSED = "relay.refused"
    SECURITY_UNAUTHENTICATED = "security.unauthenticated"
    SECURITY_UNAUTHENTICATED_COUNTED = "security.unauthenticated_counted"
    SECURITY_FORBIDDEN = "security.forbidden"
    SECURITY_ENVELOPE_REFUSED = "security.envelope_refused"
    SECURITY_ENVELOPES_REFUSED = "security.envelopes_refused"
    SECURITY_FEDERATION_MALFORMED = "security.federation_malformed"
    SECURITY_FEDERATION_RATE_LIMITED = "security.federation_rate_limited"
    SECURITY_FEDERATION_TOO_LARGE = "security.federation_too_large"
    SECURITY_CHECKPOINT_REFUSED = "security.checkpoint_refused"
    TAK_COT_DROPPED = "tak.cot_dropped"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry as stored: ``data`` is kept as its canonical JSON text."""

    seq: int
    at: str
    kind: str
    data: str
    prev_hash: str
    hash: str
    sig: str

    def to_json(self) -> dict[str, Any]:
        """The entry as the API shows it, with ``data`` as an object."""
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "data": json.loads(self.data),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "sig": self.sig,
        }


# For a str, json.dumps(text, ensure_ascii=False) is exactly this C encoder's output, and that is
# the RFC 8785 form of a string; calling it directly skips json.dumps's per-call set-up, which
# was a third of the time spent rebuilding an entry's bytes during verification.
_json_string: Callable[[str], str] = encode_basestring


def signing_bytes(seq: int, at: str, kind: str, data: str, prev_hash: str) -> bytes:
    """The canonical JSON of ``{at, data, kind, prev_hash, seq}`` that is hashed and signed.

    ``data`` is already canonical JSON text, so it is embedded as it is: the verifier rebuilds
    exactly the bytes the writer signed without parsing and re-serialising every entry.
    """
    return (
        f'{{"at":{_json_string(at)},"data":{data},"kind":{_json_string(kind)},'
        f'"prev_hash":{_json_string(prev_hash)},"seq":{seq}}}'
    ).encode()


def make_entry(
    *, seq: int, at: str, kind: str, data: Mapping[str, Any], prev_hash: str, sign: Signer
) -> JournalEntry:
    """A new entry after the one whose hash is ``prev_hash``, hashed and signed."""
    kind = str(kind)  # a JournalKind is kept as the plain text it stands for
    data_json = canonical_json(dict(data)).decode("utf-8")
    body = signing_bytes(seq, at, kind, data_json, prev_hash)
    return JournalEntry(
        seq=seq,
        at=at,
        kind=kind,
        data=data_json,
        prev_hash=prev_hash,
        hash=hashlib.sha256(body).hexdigest(),
        sig=base64.b64encode(sign(body)).decode("ascii"),
    )


@dataclass(frozen=True)
class ChainReport:
    """What verification found: how many entries held, and the first one that did not."""

    verified: int
    bad_seq: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


def verify_chain(
    entries: Iterable[JournalEntry],
    check_signature: SignatureCheck,
    *,
    executor: Executor | None = None,
    chunk_size: int = 1024,
) -> ChainReport:
    """Walk the entries in stored order and report the first one that breaks the chain.

    Sequence numbers, links and hashes are checked here, in order. Signatures, which take most
    of the time, are checked in chunks of ``chunk_size``: on ``executor``'s threads when one is
    given (libsodium releases the GIL while it verifies), else here. Either way the report is
    the same: the first bad entry in stored order, and how many entries before it held.
    """
    chunks = _linked_chunks(entries, chunk_size)
    verified = 0
    for chunk, broken, first_bad in _signature_checks(chunks, check_signature, executor):
        if first_bad is not None:
            return ChainReport(verified + first_bad, chunk[first_bad][0], _BAD_SIGNATURE)
        verified += len(chunk)
        if broken is not None:
            return ChainReport(verified, *broken)
    return ChainReport(verified)


_BAD_SIGNATURE = "its signature does not verify against the node key"
_ALTERED = "its content does not match its hash (altered)"

# (seq, signed bytes, signature) of an entry whose place in the chain and hash hold.
_Signed = tuple[int, bytes, bytes]
# The first entry whose place in the chain or hash does not hold: (seq, reason).
_Broken = tuple[int, str]
_Chunk = tuple[list[_Signed], _Broken | None]


def _linked_chunks(entries: Iterable[JournalEntry], size: int) -> Iterator[_Chunk]:
    """Chunks of entries whose links hold; the last one carries the first broken entry, if any."""
    expected_seq, prev_hash = 1, GENESIS_HASH
    chunk: list[_Signed] = []
    for entry in entries:
        checked = _check_links(entry, expected_seq, prev_hash)
        if isinstance(checked, str):
            yield chunk, (entry.seq, checked)
            return
        chunk.append(checked)
        if len(chunk) == size:
            yield chunk, None
            chunk = []
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    yield chunk, None


def _signature_checks(
    chunks: Iterator[_Chunk], check_signature: SignatureCheck, executor: Executor | None
) -> Iterator[tuple[list[_Signed], _Broken | None, int | None]]:
    """Each chunk with the index of its first bad signature (or None), in order.

    With an executor, a few chunks are checked ahead while the next ones are read and linked;
    the look-ahead is bounded so memory stays flat on a long journal.
    """
    if executor is None:
        for chunk, broken in chunks:
            yield chunk, broken, _first_bad_signature(chunk, check_signature)
        return
    ahead: deque[tuple[Future[int | None], list[_Signed], _Broken | None]] = deque()
    try:
        for chunk, broken in chunks:
            ahead.append(
                (executor.submit(_first_bad_signature, chunk, check_signature), chunk, broken)
            )
            if len(ahead) > _LOOK_AHEAD:
                future, done, done_broken = ahead.popleft()
                yield done, done_broken, future.result()
        while ahead:
            future, done, done_broken = ahead.popleft()
            yield done, done_broken, future.result()
    finally:
        for future, _chunk, _broken in ahead:  # the walk stopped early: drop what is left
            future.cancel()


_LOOK_AHEAD = 8


def _first_bad_signature(chunk: list[_Signed], check_signature: SignatureCheck) -> int | None:
    for index, (_seq, body, signature) in enumerate(chunk):
        if not check_signature(body, signature):
            return index
    return None


def _check_links(entry: JournalEntry, expected_seq: int, prev_hash: str) -> _Signed | str:
    """The entry's signed bytes and signature if its place and hash hold, else what is wrong."""
    if entry.seq != expected_seq:
        if entry.seq > expected_seq:
            missing = (
                f"entry {expected_seq} is missing"
                if entry.seq == expected_seq + 1
                else f"entries {expected_seq} to {entry.seq - 1} are missing"
            )
            return f"follows entry {expected_seq - 1}: {missing}"
        return f"out of order: expected entry {expected_seq}"
    if entry.prev_hash != prev_hash:
        return "its prev_hash is not the hash of the entry before it (removed, inserted or moved)"
    try:
        body = signing_bytes(entry.seq, entry.at, entry.kind, entry.data, entry.prev_hash)
    except (TypeError, UnicodeEncodeError):  # SQLite keeps any type in any column
        return _ALTERED
    if hashlib.sha256(body).hexdigest() != entry.hash:
        return _ALTERED
    try:
        signature = base64.b64decode(entry.sig, validate=True)
    except (ValueError, TypeError):
        return "its signature is not valid base64 (altered)"
    # The decoder ignores the unused low bits before "=", so a character changed there would
    # decode to the same signature: only the one canonical encoding is accepted.
    if base64.b64encode(signature).decode("ascii") != entry.sig:
        return "its signature is not valid base64 (altered)"
    return entry.seq, body, signature


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Which entries a reader wants, over the whole journal: ``kinds`` and ``hidden`` each name
    a kind (``message.created``) or every kind under a prefix ending in a dot (``envelope.``);
    ``text`` is found, ignoring case, in the entry's kind or its data as stored (canonical JSON,
    so a text value is searched as JSON writes it). The store turns it into its query."""

    kinds: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    text: str | None = None


EVERY_ENTRY = EntryFilter()
