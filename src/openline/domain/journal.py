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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openline.domain.canonical import canonical_json

GENESIS_HASH = "0" * 64

SignatureCheck = Callable[[bytes, bytes], bool]
Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class JournalEntry:
    """One journal entry as stored: ``data`` is kept as its canonical JSON text."""

    seq: int
    at: str
    kind: str
    data: str
    prev_hash: str
    hash: str
    sig: str

    def public(self) -> dict[str, Any]:
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


def _json_string(text: str) -> bytes:
    # For strings, json.dumps without ASCII escaping writes exactly the RFC 8785 form.
    return json.dumps(text, ensure_ascii=False).encode("utf-8")


def signing_bytes(seq: int, at: str, kind: str, data: str, prev_hash: str) -> bytes:
    """The canonical JSON of ``{at, data, kind, prev_hash, seq}`` that is hashed and signed.

    ``data`` is already canonical JSON text, so it is embedded as it is: the verifier rebuilds
    exactly the bytes the writer signed without parsing and re-serialising every entry.
    """
    return b"".join(
        (
            b'{"at":',
            _json_string(at),
            b',"data":',
            data.encode("utf-8"),
            b',"kind":',
            _json_string(kind),
            b',"prev_hash":',
            _json_string(prev_hash),
            b',"seq":',
            str(seq).encode("ascii"),
            b"}",
        )
    )


def make_entry(
    *, seq: int, at: str, kind: str, data: Mapping[str, Any], prev_hash: str, sign: Signer
) -> JournalEntry:
    """A new entry after the one whose hash is ``prev_hash``, hashed and signed."""
    data_json = canonical_json(data).decode("utf-8")
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


def verify_chain(entries: Iterable[JournalEntry], check_signature: SignatureCheck) -> ChainReport:
    """Walk the entries in stored order and report the first one that breaks the chain."""
    expected_seq, prev_hash, verified = 1, GENESIS_HASH, 0
    for entry in entries:
        problem = _entry_problem(entry, expected_seq, prev_hash, check_signature)
        if problem is not None:
            return ChainReport(verified, entry.seq, problem)
        expected_seq, prev_hash, verified = entry.seq + 1, entry.hash, verified + 1
    return ChainReport(verified)


def _entry_problem(
    entry: JournalEntry, expected_seq: int, prev_hash: str, check_signature: SignatureCheck
) -> str | None:
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
    body = signing_bytes(entry.seq, entry.at, entry.kind, entry.data, entry.prev_hash)
    if hashlib.sha256(body).hexdigest() != entry.hash:
        return "its content does not match its hash (altered)"
    try:
        signature = base64.b64decode(entry.sig, validate=True)
    except ValueError:
        return "its signature is not valid base64 (altered)"
    if not check_signature(body, signature):
        return "its signature does not verify against the node key"
    return None
