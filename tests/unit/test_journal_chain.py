"""The journal chain: every change, removal, insertion or reordering names the first bad entry."""

from __future__ import annotations

import base64
import hashlib
import string
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any
from unittest.mock import ANY

import pytest

from openline.domain.canonical import canonical_json
from openline.domain.journal import (
    GENESIS_HASH,
    ChainReport,
    CheckedCheckpoint,
    JournalEntry,
    make_entry,
    next_entry,
    signing_bytes,
    verify_chain,
)
from openline.domain.merkle import fold
from openline.keys.signing import SigningKey

NODE_KEY = SigningKey(bytes(range(32)))
OTHER_KEY = SigningKey(bytes(range(100, 132)))
CHAIN_LENGTH = 5

ENTRY_DATA: list[dict[str, Any]] = [
    {"id": "msg_01", "to": ["BLUE"], "precedence": "flash"},
    {"volume": {"lower_m": 0.5, "upper_m": 1e21, "radius_m": 1e-7}, "n": -0.0},
    {"text": "Привет, как слышно? مرحبا 😀", "lang": "ru"},  # the entry tampered with below
    {"nested": {"b": [1, {"z": None, "a": True}], "a": {"\ufb33": 1, "\U0001f600": 2}}},
    {"quote": 'he said "stop" \\ now\n', "control": "\x00\x1f"},
]


def build_chain(length: int = CHAIN_LENGTH, key: SigningKey = NODE_KEY) -> list[JournalEntry]:
    entries: list[JournalEntry] = []
    prev_hash = GENESIS_HASH
    for seq in range(1, length + 1):
        entry = make_entry(
            seq=seq,
            at=f"2024-12-03T12:00:{seq:02d}.000Z",
            kind="message.created",
            data=ENTRY_DATA[(seq - 1) % len(ENTRY_DATA)],
            prev_hash=prev_hash,
            sign=key.sign,
        )
        entries.append(entry)
        prev_hash = entry.hash
    return entries


def verify(entries: list[JournalEntry], **options: Any) -> ChainReport:
    return verify_chain(entries, NODE_KEY.public_key.verify, **options)


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2, thread_name_prefix="test-verify") as executor:
        yield executor


@pytest.fixture(params=["one chunk, in order", "chunks of 2, in order", "chunks of 2, on threads"])
def options(request: pytest.FixtureRequest, pool: ThreadPoolExecutor) -> dict[str, Any]:
    """Ways to run the same verification: each must give the same report."""
    ways: dict[str, dict[str, Any]] = {
        "one chunk, in order": {},
        "chunks of 2, in order": {"chunk_size": 2},
        "chunks of 2, on threads": {"chunk_size": 2, "executor": pool},
    }
    return ways[request.param]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"a": 1},
        {"text": "Привет мир", "ar": "مرحبا", "emoji": "😀", "cjk": "漢字"},
        {"nested": {"list": [1, [2, [3, {"deep": None}]]], "flag": False}},
        {"floats": [0.1, 1e30, 4.5, -0.0, 5e-324, 333333333.33333329, 1e21, 1e-7]},
        {"\ufb33": "dalet", "\U0001f600": "emoji", "\r": "cr", "1": "one"},
        {"escapes": '"\\/\b\f\n\r\t\x00\x7f\u2028'},
    ],
)
@pytest.mark.parametrize("kind", ["message.created", "security.bad_token", 'odd "kind"\n'])
def test_signing_bytes_are_the_canonical_json_of_the_entry_without_hash_and_sig(
    data: dict[str, Any], kind: str
) -> None:
    at = "2024-12-03T12:00:00.000Z"
    data_json = canonical_json(data).decode("utf-8")
    whole = {"seq": 42, "at": at, "kind": kind, "data": data, "prev_hash": "ab" * 32}
    assert signing_bytes(42, at, kind, data_json, "ab" * 32) == canonical_json(whole)


def test_an_entry_is_hashed_and_signed_over_its_signing_bytes() -> None:
    entry = build_chain(1)[0]
    body = signing_bytes(entry.seq, entry.at, entry.kind, entry.data, entry.prev_hash)
    assert entry.prev_hash == GENESIS_HASH
    assert entry.hash == hashlib.sha256(body).hexdigest()
    assert NODE_KEY.public_key.verify(body, base64.b64decode(entry.sig))
    assert entry.data == canonical_json(ENTRY_DATA[0]).decode("utf-8")


def test_each_entry_names_the_hash_of_the_one_before_it() -> None:
    entries = build_chain()
    assert [e.prev_hash for e in entries] == [GENESIS_HASH] + [e.hash for e in entries[:-1]]


def test_an_intact_chain_verifies_every_entry(options: dict[str, Any]) -> None:
    report = verify(build_chain(), **options)
    assert report == ChainReport(verified=CHAIN_LENGTH)
    assert report.intact


def test_the_empty_chain_verifies_zero_entries(options: dict[str, Any]) -> None:
    report = verify([], **options)
    assert report == ChainReport(verified=0)
    assert report.intact


def test_entries_may_come_as_a_one_pass_stream() -> None:
    report = verify_chain(iter(build_chain()), NODE_KEY.public_key.verify)
    assert report.verified == CHAIN_LENGTH


HEX = "0123456789abcdef"
BASE64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"


def changed_character(field: str, text: str, index: int) -> str:
    """``text`` with the character at ``index`` replaced by a neighbour of the same alphabet.

    Hashes stay hex and signatures stay base64, so only the checks that matter can catch the
    change; the neighbour differs in the lowest bit, the one a lax decoder is likeliest to drop.
    """
    char = text[index]
    if field in ("hash", "prev_hash"):
        new = HEX[HEX.index(char) ^ 1]
    elif field == "sig" and char in BASE64:
        new = BASE64[BASE64.index(char) ^ 1]
    else:
        new = chr(ord(char) ^ 1)
    return text[:index] + new + text[index + 1 :]


@pytest.mark.parametrize("field", ["at", "kind", "data", "prev_hash", "hash", "sig"])
def test_a_change_to_any_character_of_a_stored_field_names_that_entry(
    field: str, options: dict[str, Any]
) -> None:
    entries = build_chain()
    target = entries[2]
    stored: str = getattr(target, field)
    undetected = []
    for index in range(len(stored)):
        changed: dict[str, Any] = {field: changed_character(field, stored, index)}
        tampered = replace(target, **changed)
        report = verify([*entries[:2], tampered, *entries[3:]], **options)
        if (report.bad_seq, report.verified) != (3, 2):
            undetected.append((index, report))
    assert undetected == []


def test_a_changed_sequence_number_names_that_entry() -> None:
    entries = build_chain()
    report = verify([*entries[:2], replace(entries[2], seq=4), *entries[3:]])
    assert (report.bad_seq, report.verified) == (4, 2)
    assert report.reason is not None
    assert "entry 3 is missing" in report.reason


Tampering = Callable[[list[JournalEntry]], list[JournalEntry]]


def remove(index: int) -> Tampering:
    return lambda entries: entries[:index] + entries[index + 1 :]


def swap_positions(entries: list[JournalEntry]) -> list[JournalEntry]:
    return [entries[0], entries[2], entries[1], *entries[3:]]


def swap_contents_keeping_seq(entries: list[JournalEntry]) -> list[JournalEntry]:
    # What swapping two rows' columns in the database, but not their keys, looks like.
    second, third = entries[1], entries[2]
    return [entries[0], replace(third, seq=2), replace(second, seq=3), *entries[3:]]


def insert_forged(entries: list[JournalEntry]) -> list[JournalEntry]:
    forged = make_entry(
        seq=3,
        at="2024-12-03T12:00:02.500Z",
        kind="message.created",
        data={"forged": True},
        prev_hash=entries[1].hash,
        sign=OTHER_KEY.sign,
    )
    return [*entries[:2], forged, *entries[2:]]


def insert_copy(entries: list[JournalEntry]) -> list[JournalEntry]:
    return [*entries[:2], entries[1], *entries[2:]]


def signed_by(entry: JournalEntry, key: SigningKey) -> JournalEntry:
    body = signing_bytes(entry.seq, entry.at, entry.kind, entry.data, entry.prev_hash)
    return replace(entry, sig=base64.b64encode(key.sign(body)).decode("ascii"))


def resign_with_other_key(entries: list[JournalEntry]) -> list[JournalEntry]:
    return [*entries[:2], signed_by(entries[2], OTHER_KEY), *entries[3:]]


def rehash_changed_data(entries: list[JournalEntry]) -> list[JournalEntry]:
    # A forger who also recomputes the hash is still caught by the signature.
    e = entries[2]
    data = canonical_json({"id": "msg_forged"}).decode("utf-8")
    body = signing_bytes(e.seq, e.at, e.kind, data, e.prev_hash)
    forged = replace(e, data=data, hash=hashlib.sha256(body).hexdigest())
    return [*entries[:2], forged, *entries[3:]]


def set_sig(sig: str) -> Tampering:
    return lambda entries: [*entries[:2], replace(entries[2], sig=sig), *entries[3:]]


def flip_sig_padding_bit(entries: list[JournalEntry]) -> list[JournalEntry]:
    # 64 bytes take 86 base64 characters and "==": the last character has 4 unused low bits,
    # which a lenient decoder drops, so this text decodes to the very same signature.
    sig = entries[2].sig
    assert sig.endswith("==")
    flipped = sig[:85] + BASE64[BASE64.index(sig[85]) ^ 1] + "=="
    assert base64.b64decode(flipped) == base64.b64decode(sig)
    return set_sig(flipped)(entries)


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "verified", "reason"),
    [
        (remove(0), 2, 0, "entry 1 is missing"),
        (remove(2), 4, 2, "entry 3 is missing"),
        (lambda entries: entries[:1] + entries[3:], 4, 1, "entries 2 to 3 are missing"),
        (swap_positions, 3, 1, "entry 2 is missing"),
        (lambda entries: [*entries[:3], entries[4], entries[3]], 5, 3, "entry 4 is missing"),
        (swap_contents_keeping_seq, 2, 1, "prev_hash"),
        (insert_forged, 3, 2, "signature does not verify"),
        (insert_copy, 2, 2, "out of order: expected entry 3"),
        (resign_with_other_key, 3, 2, "signature does not verify"),
        (rehash_changed_data, 3, 2, "signature does not verify"),
        (set_sig("not base64!"), 3, 2, "not valid base64"),
        (set_sig(""), 3, 2, "no checkpoint signs it"),
        (flip_sig_padding_bit, 3, 2, "not valid base64"),
        (set_sig(base64.b64encode(b"\x00" * 64).decode("ascii")), 3, 2, "does not verify"),
        (set_sig(base64.b64encode(b"short").decode("ascii")), 3, 2, "does not verify"),
    ],
    ids=[
        "first entry removed",
        "middle entry removed",
        "two middle entries removed",
        "two entries swapped",
        "last two entries swapped",
        "two entries' contents swapped under their seq",
        "entry signed by another key inserted",
        "copy of an entry inserted after it",
        "entry re-signed by another key",
        "data changed and hash recomputed",
        "signature not base64",
        "signature empty",
        "signature's unused padding bit changed",
        "signature of zeros",
        "signature too short",
    ],
)
def test_tampering_names_the_first_bad_entry(
    tamper: Tampering, bad_seq: int, verified: int, reason: str, options: dict[str, Any]
) -> None:
    report = verify(tamper(build_chain()), **options)
    assert (report.bad_seq, report.verified) == (bad_seq, verified)
    assert not report.intact
    assert report.reason is not None
    assert reason in report.reason


def test_a_chain_signed_by_another_key_fails_at_its_first_entry(options: dict[str, Any]) -> None:
    report = verify(build_chain(key=OTHER_KEY), **options)
    assert (report.bad_seq, report.verified) == (1, 0)
    assert report.reason == "its signature does not verify against the node key"


def test_a_chain_that_does_not_start_at_genesis_fails_at_its_first_entry() -> None:
    entries = build_chain()
    first = entries[0]
    body = signing_bytes(1, first.at, first.kind, first.data, "1" * 64)
    moved = replace(
        first,
        prev_hash="1" * 64,
        hash=hashlib.sha256(body).hexdigest(),
        sig=base64.b64encode(NODE_KEY.sign(body)).decode("ascii"),
    )
    report = verify([moved, *entries[1:]])
    assert (report.bad_seq, report.verified) == (1, 0)


def test_the_public_form_of_an_entry_shows_its_data_as_an_object() -> None:
    entry = build_chain(2)[1]
    public = entry.to_json()
    assert public["data"] == ENTRY_DATA[1]
    assert {k: v for k, v in public.items() if k != "data"} == {
        "seq": 2,
        "at": entry.at,
        "kind": entry.kind,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "sig": entry.sig,
    }


LONG_CHAIN = build_chain(60)


@pytest.mark.parametrize("seq", [1, 4, 5, 37, 60])
def test_a_bad_signature_anywhere_in_a_long_chain_is_the_one_named(
    seq: int, options: dict[str, Any]
) -> None:
    entries = list(LONG_CHAIN)
    entries[seq - 1] = signed_by(entries[seq - 1], OTHER_KEY)
    report = verify(entries, **options)
    assert (report.bad_seq, report.verified) == (seq, seq - 1)


@pytest.mark.parametrize("seq", [1, 4, 5, 37, 59])
def test_a_removed_entry_anywhere_in_a_long_chain_names_the_one_after_it(
    seq: int, options: dict[str, Any]
) -> None:
    entries = [e for e in LONG_CHAIN if e.seq != seq]
    report = verify(entries, **options)
    assert (report.bad_seq, report.verified) == (seq + 1, seq - 1)


def test_a_long_intact_chain_verifies_every_entry(options: dict[str, Any]) -> None:
    assert verify(LONG_CHAIN, **options) == ChainReport(verified=60)


def build_checkpointed_chain(
    length: int, every: int, bad_at: int | None = None
) -> tuple[list[JournalEntry], list[CheckedCheckpoint]]:
    """Entries signed by checkpoints (one each ``every`` entries and one at the end), as the
    writer appends them; the checkpoint of tree size ``bad_at`` signed by another key."""
    entries: list[JournalEntry] = []
    checkpoints: list[CheckedCheckpoint] = []
    edge: list[bytes] = []
    prev_hash = GENESIS_HASH
    for seq in range(1, length + 1):
        data = ENTRY_DATA[(seq - 1) % len(ENTRY_DATA)]
        at = f"2024-12-03T12:00:{seq:02d}.000Z"
        entry, tree = next_entry(
            edge, seq=seq, at=at, kind="message.created", data=data, prev_hash=prev_hash
        )
        entries.append(replace(entry, tree=tree))
        prev_hash = entry.hash
        if seq % every == 0 or seq == length:
            root = fold(edge)
            signer = OTHER_KEY if seq == bad_at else NODE_KEY
            signed = (("node", root, signer.sign(root), NODE_KEY.public_key.verify),)
            checkpoints.append(CheckedCheckpoint(seq, root, signed))
    return entries, checkpoints


@pytest.mark.parametrize(
    ("bad_at", "expected"),
    [
        (None, ChainReport(verified=12, checkpoints=3)),
        (5, ChainReport(verified=0, bad_checkpoint=5, checkpoints=0, reason=ANY)),
        (10, ChainReport(verified=5, bad_checkpoint=10, checkpoints=1, reason=ANY)),
    ],
)
def test_checkpoint_signatures_are_checked_whether_gathered_by_count_or_by_entries_walked(
    options: dict[str, Any], bad_at: int | None, expected: ChainReport
) -> None:
    # Checkpoints at 5, 10 and 12: in chunks of 2, the first goes alone after 8 entries walked.
    entries, checkpoints = build_checkpointed_chain(12, 5, bad_at)
    report = verify_chain(entries, NODE_KEY.public_key.verify, checkpoints=checkpoints, **options)
    assert report == expected
