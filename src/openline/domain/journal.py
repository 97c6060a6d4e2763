"""The journal: each node's append-only, hash-chained record of what it did and saw, kept as a
Merkle tree whose checkpoints the node signs (a transparency log, docs/journal.md).

An entry is ``{seq, at, kind, data, prev_hash, hash, sig}``. ``hash`` is the SHA-256 of the
RFC 8785 canonical JSON of ``{at, data, kind, prev_hash, seq}`` (the entry's bytes), and each
entry names the hash of the one before it, so changing, removing, inserting or reordering any
entry breaks the chain at that entry. The entry's bytes are also a leaf of the journal's
RFC 9162 Merkle tree (domain/merkle.py), and every commit's checkpoint, signed by the node,
covers the tree up to its last entry. Entries written before checkpoints carry their own
Ed25519 signature in ``sig``, over the same bytes; entries written since carry none (``""``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

from openline.domain.canonical import canonical_json
from openline.domain.merkle import fold, grow, leaf_hash

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
    NODE_KEY_ROTATED = "node.key_rotated"
    OPERATOR_TOKEN_CREATED = "operator.token_created"  # noqa: S105 - a kind, not a secret
    OPERATOR_TOKEN_REVOKED = "operator.token_revoked"  # noqa: S105 - a kind, not a secret
    PEER_ADDED = "peer.added"
    PEER_PATHS_CHANGED = "peer.paths_changed"
    PEER_PIN_CHANGED = "peer.pin_changed"
    PEER_REMOVED = "peer.removed"
    PEER_KEY_ROTATED = "peer.key_rotated"
    PEER_KEY_ROTATION_HELD = "peer.key_rotation_held"
    PEER_KEY_REPLACED = "peer.key_replaced"
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
    LINE_LEADER = "line.leader"
    LINE_PATH_STATUS = "line.path_status"
    NOTIFICATION_CREATED = "notification.created"
    NOTIFICATION_UPDATED = "notification.updated"
    NOTIFICATION_RECEIVED = "notification.received"
    NOTIFICATION_ACKNOWLEDGED = "notification.acknowledged"
    NOTIFICATION_ACK_OVERDUE = "notification.ack_overdue"
    NOTIFICATION_ACK_REMINDER = "notification.ack_reminder"
    NOTIFICATION_DISCLOSED = "notification.disclosed"
    CONFLICT_OPENED = "conflict.opened"
    CONFLICT_UPDATED = "conflict.updated"
    CONFLICT_CLEARED = "conflict.cleared"
    CONFLICT_PROPOSED = "conflict.proposed"
    CONFLICT_AGREED = "conflict.agreed"
    CONFLICT_BLIND_OFFERED = "conflict.blind_offered"
    CONFLICT_BLIND_ANSWERED = "conflict.blind_answered"
    CONFLICT_BLIND_RUN = "conflict.blind_run"
    CONFLICT_BLIND_REFUSED = "conflict.blind_refused"
    CONFLICT_POSSIBLE_OPENED = "conflict.possible_opened"
    CONFLICT_POSSIBLE_UPDATED = "conflict.possible_updated"
    CONFLICT_POSSIBLE_CLEARED = "conflict.possible_cleared"
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
    """One journal entry as stored: ``data`` is kept as its canonical JSON text; ``tree``, when
    read from the database, holds the hashes of the Merkle tree nodes the entry completes."""

    seq: int
    at: str
    kind: str
    data: str
    prev_hash: str
    hash: str
    sig: str
    tree: bytes | None = None

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

    def body(self) -> bytes:
        """The entry's bytes: what its hash and its leaf in the Merkle tree are taken over."""
        return signing_bytes(self.seq, self.at, self.kind, self.data, self.prev_hash)


# For a str, json.dumps(text, ensure_ascii=False) is exactly this C encoder's output, and that is
# the RFC 8785 form of a string; calling it directly skips json.dumps's per-call set-up, which
# was a third of the time spent rebuilding an entry's bytes during verification.
_json_string: Callable[[str], str] = encode_basestring


def signing_bytes(seq: int, at: str, kind: str, data: str, prev_hash: str) -> bytes:
    """The canonical JSON of ``{at, data, kind, prev_hash, seq}``: the entry's bytes, hashed
    for the chain and as a leaf of the tree (and signed, in entries from before checkpoints).

    ``data`` is already canonical JSON text, so it is embedded as it is: the verifier rebuilds
    exactly the bytes the writer wrote without parsing and re-serialising every entry.
    """
    return _entry_bytes(seq, _json_string(at), _json_string(kind), data, _json_string(prev_hash))


def _entry_bytes(seq: int, at_json: str, kind_json: str, data: str, prev_hash_json: str) -> bytes:
    """The entry's bytes from its strings already written as JSON strings."""
    return (
        f'{{"at":{at_json},"data":{data},"kind":{kind_json},'
        f'"prev_hash":{prev_hash_json},"seq":{seq}}}'
    ).encode()


def make_entry(
    *,
    seq: int,
    at: str,
    kind: str,
    data: Mapping[str, Any],
    prev_hash: str,
    sign: Signer | None = None,
) -> JournalEntry:
    """A new entry after the one whose hash is ``prev_hash``, hashed. The commit's checkpoint
    signs it; with ``sign``, it carries its own signature instead, as entries written before
    checkpoints did (the form the journal still verifies in an older journal)."""
    kind = str(kind)  # a JournalKind is kept as the plain text it stands for
    data_json, body, hash_ = _hashed(seq, at, kind, data, prev_hash)
    sig = base64.b64encode(sign(body)).decode("ascii") if sign else ""
    return JournalEntry(seq, at, kind, data_json, prev_hash, hash_, sig)


def next_entry(
    edge: list[bytes], *, seq: int, at: str, kind: str, data: Mapping[str, Any], prev_hash: str
) -> tuple[JournalEntry, bytes]:
    """The new entry ``seq`` after the one whose hash is ``prev_hash``, hashed and added as a
    leaf to the journal's Merkle tree, whose right edge ``edge`` grows in place
    (``merkle.grow``); with the hashes of the tree nodes it completes, as stored. What the
    writer appends: the commit's checkpoint signs it."""
    kind = str(kind)  # a JournalKind is kept as the plain text it stands for
    data_json, body, hash_ = _hashed(seq, at, kind, data, prev_hash)
    tree = grow(edge, seq - 1, leaf_hash(body))
    return JournalEntry(seq, at, kind, data_json, prev_hash, hash_, ""), tree


def _hashed(
    seq: int, at: str, kind: str, data: Mapping[str, Any], prev_hash: str
) -> tuple[str, bytes, str]:
    """An entry's data as canonical JSON text, its bytes and its hash."""
    data_json = canonical_json(data if isinstance(data, dict) else dict(data)).decode("utf-8")
    body = signing_bytes(seq, at, kind, data_json, prev_hash)
    return data_json, body, hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What verification found: how many entries held, and the first entry (``bad_seq``) or
    checkpoint (``bad_checkpoint``, by its tree size) that did not."""

    verified: int
    bad_seq: int | None = None
    reason: str | None = None
    bad_checkpoint: int | None = None
    checkpoints: int = 0
    cosignatures: int = 0

    @property
    def intact(self) -> bool:
        return self.bad_seq is None and self.bad_checkpoint is None


EntryRow = tuple[Any, ...]
"""An entry as its row is read: ``(seq, at, kind, data, prev_hash, hash, sig, tree)``, with
``tree`` None when the stored tree nodes are not read (``JournalEntry``'s fields, in order)."""


def verify_chain(
    entries: Iterable[JournalEntry],
    check_signature: SignatureCheck,
    *,
    checkpoints: Iterable[CheckedCheckpoint] = (),
    executor: Executor | None = None,
    chunk_size: int = 1024,
) -> ChainReport:
    """``verify_rows`` over entries (a journal read through the API, or built in a test)."""
    rows = ((e.seq, e.at, e.kind, e.data, e.prev_hash, e.hash, e.sig, e.tree) for e in entries)
    return verify_rows(
        rows, check_signature, checkpoints=checkpoints, executor=executor, chunk_size=chunk_size
    )


def verify_rows(
    rows: Iterable[EntryRow],
    check_signature: SignatureCheck,
    *,
    checkpoints: Iterable[CheckedCheckpoint] = (),
    executor: Executor | None = None,
    chunk_size: int = 1024,
) -> ChainReport:
    """Walk the entries' rows in stored order and report the first entry, or the first
    checkpoint, that does not hold.

    Sequence numbers, links, hashes, the Merkle tree (its nodes as stored, when the rows
    carry them, and each checkpoint's root) are checked here, in order; ``checkpoints`` come in
    order of tree size, already read from their notes (``domain/checkpoints.py``). Every entry
    must be signed by a checkpoint covering it, or, in the part of the journal written before
    checkpoints, carry its own signature. Signatures, which take most of the time, are checked
    in chunks of ``chunk_size`` (or fewer, gathered over four times as many entries): on
    ``executor``'s threads when one is given (libsodium
    releases the GIL while it verifies), else here. Either way the report is the same: the
    first bad entry or checkpoint in stored order, and how many entries before it held.
    """
    walk = _Walk(check_signature, iter(checkpoints))
    chunks = walk.chunks(rows, chunk_size)
    for chunk, broken, first_bad in _signature_checks(chunks, executor):
        if first_bad is not None:
            return walk.report_bad_signature(chunk[first_bad])
        if broken is not None:
            return walk.report(broken)
    return walk.report(None)


_BAD_SIGNATURE = "its signature does not verify against the node key"
_ALTERED = "its content does not match its hash (altered)"
_TREE_ALTERED = (
    "its content does not match its leaf in the Merkle tree that the checkpoint signatures "
    "cover (altered)"
)
_NOT_BASE64 = "its signature is not valid base64 (altered)"

# Where a signature is: an entry (seq, 0, 0) or the checkpoint of tree size n (n, 1, m), which
# comes after entry n in stored order; m is the size of the checkpoint before it (0 if none).
# (seq, 2, 0) is an entry found bad only at the end: no checkpoint signs it.
_Place = tuple[int, int, int]
# One signature to check: where, the signed bytes, the signature and the key's check.
_Signed = tuple[_Place, bytes, bytes, SignatureCheck]
# The first entry or checkpoint whose place, hash or tree does not hold: (place, reason).
_Broken = tuple[_Place, str]
_Chunk = tuple[list[_Signed], _Broken | None]
_NO_MORE = float("inf")  # the size of the checkpoint after the last one
# A chunk of signatures is checked when it holds chunk_size of them, or once this many times
# chunk_size entries have been walked since the last one went (a journal of checkpoints has a
# signature a commit, of a hundred entries or so: without it they would all wait for the end).
_ENTRIES_PER_SIGNATURE = 4


@dataclass(frozen=True)
class CheckedCheckpoint:
    """A checkpoint as verification needs it: its tree size and root, and the signatures its
    note holds (the node's and its witnesses' cosignatures), each with the bytes it signs and
    the check of its key; or, for a note that cannot be read, what is wrong with it."""

    size: int
    root: bytes = b""
    signatures: tuple[tuple[str, bytes, bytes, SignatureCheck], ...] = ()
    problem: str | None = None


class _JsonStrings(dict[str, str]):
    """Texts written as JSON strings, each written once and kept (an entry's kind: a journal
    has a few dozen). A value that is not text raises TypeError, as ``_json_string`` does."""

    def __missing__(self, text: str) -> str:
        written = _json_string(text)
        if len(self) < _KINDS_KEPT:  # a journal altered to hold a new kind in every entry
            self[text] = written
        return written


_KINDS_KEPT = 1024


class _Walk:
    """The state of one verification: the tree so far and the next checkpoint."""

    def __init__(self, check: SignatureCheck, checkpoints: Iterator[CheckedCheckpoint]) -> None:
        self._check = check
        self._checkpoints = checkpoints
        self._next = next(checkpoints, None)
        self._edge: list[bytes] = []  # the tree's right edge (merkle.grow)
        self._signed_up_to = 0  # entries covered by a checkpoint or their own signature
        self._last_checkpoint = 0
        self.checkpoints = 0
        self.cosignatures = 0
        # The size of each checkpoint walked, and the cosignatures up to it: a bad signature
        # found after the walk went past it counts only the checkpoints before it.
        self._sizes = array("q")
        self._cosignatures_to = array("q")
        self._entries = 0  # the last entry walked with its place, hash and tree holding

    def chunks(self, rows: Iterable[EntryRow], size: int) -> Iterator[_Chunk]:
        """Chunks of signatures to check; the last one carries the first broken place, if any.

        One tight loop over the rows as read: an entry's bytes are made once and hashed twice
        (its hash, its leaf), and the tree grows in place, with no object made per entry."""
        sha256, edge, check = hashlib.sha256, self._edge, self._check
        json_string, entry_bytes, kinds = _json_string, _entry_bytes, _JsonStrings()
        chunk: list[_Signed] = []
        seq, prev = 0, GENESIS_HASH  # the last entry that held, and its hash
        next_size = self._next_size()
        broken: _Broken | None = None
        every = _ENTRIES_PER_SIGNATURE * size  # entries walked before a chunk goes anyway
        flush_at = every
        for row_seq, at, kind, data, prev_hash, hash_, sig, tree in rows:
            if row_seq != seq + 1 or prev_hash != prev:
                broken = (row_seq, 0, 0), _misplaced(seq, row_seq)
                break
            try:
                # prev_hash is the hash of the entry before, checked already (hex digits, or
                # the genesis hash): as a JSON string it is itself between quotes.
                body = entry_bytes(row_seq, json_string(at), kinds[kind], data, f'"{prev_hash}"')
            except (TypeError, UnicodeEncodeError):  # SQLite keeps any type in any column
                broken = (row_seq, 0, 0), _ALTERED
                break
            if sha256(body).hexdigest() != hash_:
                broken = (row_seq, 0, 0), _ALTERED
                break
            signature = None if sig == "" else _own_signature(sig)  # from before checkpoints
            if signature is None and sig != "":
                broken = (row_seq, 0, 0), _NOT_BASE64
                break
            completed = grow(edge, seq, leaf_hash(body))
            if tree is not None and tree != completed:
                broken = (row_seq, 0, 0), _TREE_ALTERED
                break
            if signature is not None:
                if self._signed_up_to == seq:
                    self._signed_up_to = row_seq
                chunk.append(((row_seq, 0, 0), body, signature, check))
            seq, prev = row_seq, hash_
            if seq >= next_size:
                broken = self._checkpoints_at(seq, chunk)
                if broken is not None:
                    break
                next_size = self._next_size()
            if seq >= flush_at or len(chunk) >= size:
                # Handed over after so many entries too, so that the threads check the
                # checkpoints' signatures (one a commit) while the walk goes on, not after it.
                yield chunk, None
                chunk = []
                flush_at = seq + every
        self._entries = seq
        yield chunk, broken if broken is not None else self._end()

    def _next_size(self) -> float:
        return self._next.size if self._next is not None else _NO_MORE

    def _checkpoints_at(self, seq: int, chunk: list[_Signed]) -> _Broken | None:
        """Check every checkpoint of tree size ``seq`` against the tree (their signatures go
        into ``chunk``); a checkpoint of a size already passed is out of order."""
        while self._next is not None and self._next.size <= seq:
            checkpoint, self._next = self._next, next(self._checkpoints, None)
            place = (checkpoint.size, 1, self._last_checkpoint)
            if checkpoint.problem is not None:
                return place, checkpoint.problem
            if checkpoint.size <= self._last_checkpoint:
                return place, f"it follows the checkpoint of size {self._last_checkpoint}"
            if checkpoint.root != fold(self._edge):
                return place, (
                    "its root hash is not the root of the journal's first "
                    f"{checkpoint.size} entries (entries or checkpoint altered)"
                )
            for who, message, signature, check in checkpoint.signatures:
                chunk.append((place, message, signature, check))
                self.cosignatures += who != "node"
            self._last_checkpoint = self._signed_up_to = checkpoint.size
            self.checkpoints += 1
            self._sizes.append(checkpoint.size)
            self._cosignatures_to.append(self.cosignatures)
        return None

    def _end(self) -> _Broken | None:
        if self._next is not None:
            return (self._next.size, 1, self._last_checkpoint), (
                f"it covers {self._next.size} entries, but the journal ends at entry "
                f"{self._entries} (entries removed from its end)"
            )
        if self._signed_up_to < self._entries:
            first = self._signed_up_to + 1
            return (first, 2, 0), (
                f"no checkpoint signs it: the journal's last checkpoint covers "
                f"{self._last_checkpoint} entries (appended after the last commit)"
            )
        return None

    def report(self, broken: _Broken | None) -> ChainReport:
        if broken is None:
            return self._report(self._entries)
        (where, what, before), reason = broken
        if what == 0:  # every entry walked before it held
            return self._report(self._entries, bad_seq=where, reason=reason)
        if what == 2:  # found at the end: the entries before it held
            return self._report(where - 1, bad_seq=where, reason=reason)
        return self._report(before, bad_checkpoint=where, reason=reason)

    def report_bad_signature(self, signed: _Signed) -> ChainReport:
        (where, what, before), _body, _signature, _check = signed
        # Only the checkpoints before the bad signature's place were verified: those of a
        # smaller size (an entry's own signature comes before the checkpoint of its seq).
        held = bisect_left(self._sizes, where)
        counts = {
            "checkpoints": held,
            "cosignatures": self._cosignatures_to[held - 1] if held else 0,
        }
        if what == 0:
            return ChainReport(where - 1, bad_seq=where, reason=_BAD_SIGNATURE, **counts)
        return ChainReport(
            before,
            bad_checkpoint=where,
            reason="a signature in its note does not verify (the node's, or a witness's "
            "cosignature)",
            **counts,
        )

    def _report(self, verified: int, **bad: Any) -> ChainReport:
        return ChainReport(
            verified, checkpoints=self.checkpoints, cosignatures=self.cosignatures, **bad
        )


def _signature_checks(
    chunks: Iterator[_Chunk], executor: Executor | None
) -> Iterator[tuple[list[_Signed], _Broken | None, int | None]]:
    """Each chunk with the index of its first bad signature (or None), in order.

    With an executor, a few chunks are checked ahead while the next ones are read and linked;
    the look-ahead is bounded so memory stays flat on a long journal.
    """
    if executor is None:
        for chunk, broken in chunks:
            yield chunk, broken, _first_bad_signature(chunk)
        return
    ahead: deque[tuple[Future[int | None], list[_Signed], _Broken | None]] = deque()
    try:
        for chunk, broken in chunks:
            ahead.append((executor.submit(_first_bad_signature, chunk), chunk, broken))
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


def _first_bad_signature(chunk: list[_Signed]) -> int | None:
    for index, (_place, body, signature, check) in enumerate(chunk):
        if not check(body, signature):
            return index
    return None


def _misplaced(last_seq: int, seq: Any) -> str:
    """What is wrong with the place of entry ``seq``, read after entry ``last_seq``: its
    number, or else its link to the entry before it."""
    expected = last_seq + 1
    if seq == expected:
        return "its prev_hash is not the hash of the entry before it (removed, inserted or moved)"
    if seq > expected:
        missing = (
            f"entry {expected} is missing"
            if seq == expected + 1
            else f"entries {expected} to {seq - 1} are missing"
        )
        return f"follows entry {last_seq}: {missing}"
    return f"out of order: expected entry {expected}"


def _own_signature(sig: Any) -> bytes | None:
    """An entry's own signature (from before checkpoints), or None if it is not valid base64."""
    try:
        signature = base64.b64decode(sig, validate=True)
    except (ValueError, TypeError):
        return None
    # The decoder ignores the unused low bits before "=", so a character changed there would
    # decode to the same signature: only the one canonical encoding is accepted.
    if base64.b64encode(signature).decode("ascii") != sig:
        return None
    return signature


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
