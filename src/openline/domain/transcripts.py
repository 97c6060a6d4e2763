"""Transcripts: a node's signed journal exported for a time range, and two nodes' transcripts
checked against each other.

A transcript is JSON Lines. The first line is a header signed by the node: its card, the cards
of its peers, the range, the entries it holds and the journal's newest checkpoint. Every other
line is one journal entry as the journal holds it. An entry from before checkpoints carries its
own signature; every other one is signed by the header's checkpoint: the header holds the
inclusion proof in the checkpoint's Merkle tree of the last entry of each run of consecutive
entries (``inclusion``, by seq), and each entry before it in the run is linked to it by the hash
chain. So each entry is written exactly as in the whole transcript, filtered or not.
``cross_verify`` checks each transcript on its own (every hash, every signature and proof, the
chain between consecutive entries), then compares what the two nodes recorded
of the envelopes between them: the same envelopes, with the same hashes, in the same order on
each link, and the receipts the sender holds are the ones the receiver issued. Every
difference is named.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openline.domain.canonical import canonical_json
from openline.domain.checkpoints import NodeKey, read_checkpoint
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind, signing_bytes
from openline.domain.merkle import leaf_hash, verify_inclusion
from openline.domain.rotations import handover_problem

TRANSCRIPT_VERSION = 1
HEADER_KEY = "openline_transcript"
# The header's checkpoint (its signed note), and the inclusion proofs in its tree (by seq).
CHECKPOINT_KEY = "checkpoint"
INCLUSION_KEY = "inclusion"
# A filtered transcript's header says what it leaves out: the filter, how many entries, and the
# runs of sequence numbers left out (``[first, last]``), so every gap in its chain is declared,
# and how many entries it keeps.
LEFT_OUT_KEY = "left_out"
# The keys the node retired (docs/security.md#key-rotation), oldest first: each with its
# rotation (signed by it and its successor) and, per peer, the last envelope it sealed
# ("sealed") and the last it receipted ("receipted"). Absent when the node never rotated.
RETIRED_KEYS = "retired_keys"
# The envelopes that only keep the line up: its checks, and the checkpoints offered to the peer
# as witness with each check and its cosignatures back (docs/journal.md#witnessing). Their
# entries are most of a journal.
LINE_CHECK_ENVELOPES = frozenset(("line_check", "line_check_reply", "checkpoint", "cosignature"))


# The entries that record one envelope on its way: sealed, delivered, received (applied or not).
ENVELOPE_ENTRIES = frozenset(
    (
        JournalKind.ENVELOPE_QUEUED,
        JournalKind.ENVELOPE_DELIVERED,
        JournalKind.ENVELOPE_RECEIVED,
        JournalKind.ENVELOPE_NOT_APPLIED,
        JournalKind.ENVELOPE_DELIVERED_NOT_APPLIED,
    )
)


def is_line_check(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether a journal entry records a line-check envelope (sealed, delivered or received)."""
    if kind not in ENVELOPE_ENTRIES:
        return False
    envelope = data.get("envelope")
    envelope_kind = envelope.get("kind") if isinstance(envelope, dict) else data.get("kind")
    return envelope_kind in LINE_CHECK_ENVELOPES


def is_blind(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether a journal entry holds the record of a blind notification (docs/blind.md), which
    its owner does not hand to the parties it is deconflicted with blind."""
    blind_records = (JournalKind.NOTIFICATION_CREATED, JournalKind.NOTIFICATION_UPDATED)
    return kind in blind_records and bool(data.get("blind_with"))


# What ``openline journal export --hide`` can leave out, by name.
HIDE_FILTERS: dict[str, Callable[[str, Mapping[str, Any]], bool]] = {
    "line-checks": is_line_check,
    "blind": is_blind,
}

KeyFor = Callable[[str], Callable[[bytes, bytes], bool]]


def sign_header(header: Mapping[str, Any], sign: Callable[[bytes], bytes]) -> dict[str, Any]:
    body = {k: v for k, v in header.items() if k != "sig"}
    return {**body, "sig": base64.b64encode(sign(canonical_json(body))).decode("ascii")}


def _signature(text: object) -> bytes:
    if not isinstance(text, str):
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


@dataclass
class Transcript:
    """One node's transcript, read and checked on its own."""

    name: str
    header: dict[str, Any]
    entries: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    # The gaps the header declares, as found between consecutive entries ("entries 4 to 9").
    gaps: list[str] = field(default_factory=list)

    @property
    def left_out(self) -> dict[str, Any] | None:
        """What a filtered transcript leaves out (filter, entries, ranges), or None if whole."""
        declared = self.header.get(LEFT_OUT_KEY)
        return declared if isinstance(declared, dict) else None

    @property
    def party(self) -> str:
        return str(self.header["card"]["party"])

    @property
    def key(self) -> str:
        return str(self.header["card"]["public_key"])

    def covers(self, instant: object) -> bool:
        """Whether anything the node journaled at ``instant`` must be in this transcript.

        The node has one writer, so an entry journaled before the last entry of the transcript
        was committed with it or before it: the transcript's end is its last entry's instant.
        """
        if not isinstance(instant, str) or not self.entries:
            return False
        start = self.header.get("from")
        end = str(self.entries[-1]["at"])
        return (start is None or instant >= str(start)) and instant < end

    def key_of(self, peer: str, link_seq: int, signed: str) -> str:
        """The key the node signed with at ``link_seq`` of its link with ``peer``: its
        envelopes (``signed`` "sealed") or its receipts of the peer's ("receipted")."""
        for retired in self.header.get(RETIRED_KEYS, []):
            if link_seq <= int(retired[signed].get(peer, 0)):
                return str(retired["public_key"])
        return self.key

    def peer_key(self, party: str) -> str | None:
        for card in self.header.get("peers", []):
            if card.get("party") == party:
                return str(card.get("public_key"))
        return None


def read_transcript(name: str, lines: Iterable[str], verify_with: KeyFor) -> Transcript:
    """Parse a transcript and check its header signature, every entry and the chain."""
    rows = [line for line in lines if line.strip()]
    if not rows:
        raise ValueError(f"{name} is empty: not an Openline transcript")
    try:
        header = json.loads(rows[0])
        entries = [json.loads(row) for row in rows[1:]]
    except ValueError as exc:
        raise ValueError(f"{name} is not JSON Lines: {exc}") from None
    if not isinstance(header, dict) or header.get(HEADER_KEY) != TRANSCRIPT_VERSION:
        raise ValueError(f"{name} does not start with an Openline transcript header")
    transcript = Transcript(name, header, entries)
    verify = verify_with(transcript.key)
    unsigned = {k: v for k, v in header.items() if k != "sig"}
    if not verify(canonical_json(unsigned), _signature(header.get("sig"))):
        transcript.problems.append(f"{name}: the header's signature does not verify")
    transcript.problems.extend(_key_history_problems(transcript, verify_with))
    declared = _declared_ranges(transcript)
    tree = _checkpoint_tree(transcript, verify_with)
    problems = _entry_problems(transcript, declared, tree, verify)
    for entry, problem in zip(entries, problems, strict=True):
        if problem:
            transcript.problems.append(f"{name}: entry {entry.get('seq')}: {problem}")
    for first, last in sorted(declared):
        if entries and not _at_an_end(first, last, entries):
            transcript.problems.append(
                f"{name}: the header declares {_entries(first, last)} left out, but the entries "
                "around them are not in the transcript (removed)"
            )
    return transcript


def _declared_ranges(transcript: Transcript) -> set[tuple[int, int]]:
    """The runs of entries the header says are left out; a problem if they do not add up."""
    left_out = transcript.left_out
    if left_out is None:
        return set()
    ranges = {(int(first), int(last)) for first, last in left_out.get("ranges", [])}
    if sum(last - first + 1 for first, last in ranges) != left_out.get("entries"):
        transcript.problems.append(
            f"{transcript.name}: the header's ranges left out do not add up to its "
            f"{left_out.get('entries')} entries"
        )
    if len(transcript.entries) != left_out.get("kept"):
        transcript.problems.append(
            f"{transcript.name}: the header says {left_out.get('kept')} entries are kept, but "
            f"the transcript holds {len(transcript.entries)} (removed or added)"
        )
    return ranges


def _gap(previous: dict[str, Any] | None, entry: dict[str, Any]) -> tuple[int, int] | None:
    """The sequence numbers missing between two consecutive entries, if any."""
    if previous is None:
        return None
    before, after = previous.get("seq"), entry.get("seq")
    if not isinstance(before, int) or not isinstance(after, int) or after <= before + 1:
        return None
    return before + 1, after - 1


def _at_an_end(first: int, last: int, entries: list[dict[str, Any]]) -> bool:
    """Whether a declared run lies just before the first entry or just after the last."""
    return last + 1 == entries[0].get("seq") or first - 1 == entries[-1].get("seq")


def _entries(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first} to {last}"


def _entry_problems(
    transcript: Transcript,
    declared: set[tuple[int, int]],
    tree: _Tree,
    verify: Callable[[bytes, bytes], bool],
) -> list[str]:
    """What is wrong with each entry ("" if nothing); the declared gaps found are noted."""
    entries = transcript.entries
    proofs = transcript.header.get(INCLUSION_KEY)
    proofs = proofs if isinstance(proofs, dict) else {}
    previous: dict[str, Any] | None = None
    problems: list[str] = []
    for entry in entries:
        gap = _gap(previous, entry)
        if gap is not None and gap in declared:
            declared.remove(gap)
            transcript.gaps.append(_entries(*gap))
            problem = _entry_problem(entry, None, verify)
        else:
            problem = _entry_problem(entry, previous, verify)
        problems.append(problem or "")
        previous = entry
    # Backwards: an entry with no signature of its own is signed through the one after it.
    signed_by_next = False  # the entry after this one is signed and links back to it
    for index in reversed(range(len(entries))):
        entry, problem = entries[index], problems[index]
        if not problem and not entry.get("sig"):
            problem = _unsigned_problem(entry, tree, proofs, signed_by_next) or ""
        signed_by_next = not problem and index > 0 and _links(entries[index - 1], entry)
        problems[index] = problem
    return problems


def _key_history_problems(transcript: Transcript, verify_with: KeyFor) -> list[str]:
    """Each retired key the header lists must be handed over to the next (the last to the
    card's key) by a rotation both keys signed, or be listed as replaced without one (lost or
    stolen), which the header's signature by the key now vouches for."""
    retired = transcript.header.get(RETIRED_KEYS)
    if not retired:
        return []
    try:
        keys = [str(item["public_key"]) for item in retired]
        rotations = [item["rotation"] for item in retired]
        places = all(isinstance(item[k], dict) for item in retired for k in ("sealed", "receipted"))
    except (KeyError, TypeError):
        return [f"{transcript.name}: {RETIRED_KEYS} is not a list of retired keys"]
    problems = [] if places else ["a retired key without its last places on each link"]
    for number, (key, successor, rotation) in enumerate(
        zip(keys, [*keys[1:], transcript.key], rotations, strict=True), start=1
    ):
        problem = (
            None if rotation is None else handover_problem([rotation], key, successor, verify_with)
        )
        if problem is not None:
            problems.append(f"retired key {number}: {problem}")
    return [f"{transcript.name}: {RETIRED_KEYS}: {problem}" for problem in problems]


_Tree = tuple[int, bytes] | str  # the header checkpoint's tree size and root, or its problem


def _checkpoint_tree(transcript: Transcript, verify_with: KeyFor) -> _Tree:
    """The tree size and root of the header's checkpoint, once its signatures are checked."""
    note = transcript.header.get(CHECKPOINT_KEY)
    if not isinstance(note, str):
        return "the header holds no checkpoint"
    card = transcript.header["card"]
    public_key = base64.b64decode(transcript.key)
    node = NodeKey(str(card["party"]), public_key, verify_with(transcript.key))
    try:
        read = read_checkpoint(note, node, lambda key: verify_with(base64.b64encode(key).decode()))
    except (InvalidInput, ValueError) as exc:
        return f"the header's checkpoint cannot be read: {exc}"
    if not all(check(message, sig) for _who, message, sig, check in read.checked.signatures):
        return "a signature of the header's checkpoint does not verify"
    return read.checkpoint.size, read.checkpoint.root_hash


def _links(entry: dict[str, Any], following: dict[str, Any]) -> bool:
    return following.get("seq") == entry.get("seq", 0) + 1 and following.get(
        "prev_hash"
    ) == entry.get("hash")


def _unsigned_problem(
    entry: dict[str, Any], tree: _Tree, proofs: dict[str, Any], signed_by_next: bool
) -> str | None:
    """Why an entry with no signature of its own is not signed by the checkpoint, if it is not:
    through the entry after it, or its own inclusion proof."""
    if signed_by_next:
        return None
    if isinstance(tree, str):
        return f"it carries no signature of its own, and {tree}"
    size, root = tree
    proof = proofs.get(str(entry.get("seq")))
    if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
        return "it carries no signature of its own and no inclusion proof in the checkpoint"
    try:
        hashes = [base64.b64decode(h, validate=True) for h in proof]
        body = _body(entry)
    except (KeyError, TypeError, ValueError):
        return "its inclusion proof cannot be read"
    if not verify_inclusion(entry["seq"] - 1, size, leaf_hash(body), hashes, root):
        return f"its inclusion proof does not lead to the checkpoint's root (tree size {size})"
    return None


def _body(entry: dict[str, Any]) -> bytes:
    return signing_bytes(
        entry["seq"],
        entry["at"],
        entry["kind"],
        canonical_json(entry["data"]).decode("utf-8"),
        entry["prev_hash"],
    )


def _entry_problem(
    entry: dict[str, Any], previous: dict[str, Any] | None, verify: Callable[[bytes, bytes], bool]
) -> str | None:
    try:
        body = _body(entry)
    except (KeyError, TypeError, ValueError) as exc:
        return f"cannot be read ({exc})"
    if hashlib.sha256(body).hexdigest() != entry.get("hash"):
        return "its content does not match its hash (altered)"
    if entry.get("sig") and not verify(body, _signature(entry.get("sig"))):
        return "its signature does not verify with the node's key"
    if previous is not None:
        if entry["seq"] != previous["seq"] + 1:
            return f"follows entry {previous['seq']}: entries are missing or out of order"
        if entry["prev_hash"] != previous["hash"]:
            return "its prev_hash is not the hash of the entry before it"
    return None


@dataclass(frozen=True)
class LinkRecord:
    """What one transcript holds of one link, by link_seq, in journal order."""

    sealed: dict[int, str]  # link_seq -> envelope hash, as the sender sealed it
    receipts_held: dict[int, dict[str, Any]]  # link_seq -> receipt the sender holds
    received: dict[int, dict[str, Any]]  # link_seq -> {"hash", "envelope", "receipt"}
    order_problems: list[str]


# An envelope received in its place on the link, applied or not (then its receipt says why),
# and its receipt back at the sender: cross-verify compares them alike.
_TAKEN = (JournalKind.ENVELOPE_RECEIVED, JournalKind.ENVELOPE_NOT_APPLIED)
_RECEIPT_BACK = (JournalKind.ENVELOPE_DELIVERED, JournalKind.ENVELOPE_DELIVERED_NOT_APPLIED)


def link_record(transcript: Transcript, sender: str, receiver: str) -> LinkRecord:
    sealed: dict[int, str] = {}
    held: dict[int, dict[str, Any]] = {}
    received: dict[int, dict[str, Any]] = {}
    problems: list[str] = []
    last_sealed = last_received = None
    for entry in transcript.entries:
        kind, data = entry.get("kind"), entry.get("data") or {}
        if (
            kind == JournalKind.ENVELOPE_QUEUED
            and transcript.party == sender
            and data.get("to") == receiver
        ):
            seq = data["link_seq"]
            if last_sealed is not None and seq != last_sealed + 1:
                problems.append(
                    f"{transcript.name}: {sender}->{receiver} envelope {seq} sealed after "
                    f"{last_sealed}"
                )
            last_sealed, sealed[seq] = seq, data["hash"]
        elif kind in _RECEIPT_BACK and transcript.party == sender and data.get("to") == receiver:
            held[data["link_seq"]] = data["receipt"]
        elif kind in _TAKEN and transcript.party == receiver:
            envelope = data.get("envelope") or {}
            if envelope.get("from") != sender:
                continue
            seq = envelope["link_seq"]
            if last_received is not None and seq != last_received + 1:
                problems.append(
                    f"{transcript.name}: {sender}->{receiver} envelope {seq} applied after "
                    f"{last_received}"
                )
            last_received, received[seq] = seq, data
    return LinkRecord(sealed, held, received, problems)


@dataclass
class CrossReport:
    """What ``cross_verify`` found: the agreements counted, the differences named."""

    agreed: dict[str, int] = field(default_factory=dict)  # "BLUE->RED": envelopes agreed
    differences: list[str] = field(default_factory=list)
    # Envelopes on their way when the transcripts were taken: sealed but not yet applied, or
    # applied but the receipt not yet back. Not a disagreement: the line finishes them.
    in_transit: list[str] = field(default_factory=list)
    # Envelopes both sides agree were received in their place but not applied, and why.
    not_applied: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.differences


def cross_verify(ours: Transcript, theirs: Transcript, verify_with: KeyFor) -> CrossReport:
    report = CrossReport(differences=[*ours.problems, *theirs.problems])
    for holder, other in ((ours, theirs), (theirs, ours)):
        known = holder.peer_key(other.party)
        if known is None:
            report.differences.append(
                f"{holder.name}: {holder.party} has no peer {other.party} in its transcript"
            )
        elif known != other.key:
            report.differences.append(
                f"{holder.name}: {holder.party} knows {other.party} by key {known[:12]}..., "
                f"but {other.name} is signed by key {other.key[:12]}..."
            )
    for sender, receiver in ((ours, theirs), (theirs, ours)):
        _compare_link(sender, receiver, verify_with, report)
    return report


def _compare_link(
    sender: Transcript, receiver: Transcript, verify_with: KeyFor, report: CrossReport
) -> None:
    name = f"{sender.party}->{receiver.party}"
    out = link_record(sender, sender.party, receiver.party)
    into = link_record(receiver, sender.party, receiver.party)
    report.differences += out.order_problems + into.order_problems
    agreed = 0
    for seq in sorted(set(out.sealed) | set(into.received)):
        sealed_hash = out.sealed.get(seq)
        got = into.received.get(seq)
        if got is None:
            receipt = out.receipts_held.get(seq)
            later = any(applied > seq for applied in into.received)
            if receipt is not None and (later or receiver.covers(receipt.get("received_at"))):
                # The receiver signed for it within its transcript, which has no record of it.
                report.differences.append(
                    f"{name} envelope {seq}: {sender.party} holds {receiver.party}'s receipt "
                    f"of {receipt.get('received_at')}, but {receiver.name} has no record of it"
                )
            else:
                report.in_transit.append(
                    f"{name} envelope {seq}: sealed by {sender.party}, not applied within "
                    f"{receiver.name}"
                )
            continue
        problem = _received_problem(  # the keys of this place, the node's rotations known
            got,
            verify_with(sender.key_of(receiver.party, seq, "sealed")),
            verify_with(receiver.key_of(sender.party, seq, "receipted")),
        )
        if problem:
            report.differences.append(f"{name} envelope {seq}: {problem}")
            continue
        if sealed_hash is None:
            sent_at = got["envelope"].get("sent_at")
            if sender.covers(sent_at):
                report.differences.append(
                    f"{name} envelope {seq}: sealed at {sent_at} and applied by "
                    f"{receiver.party}, but {sender.name} has no record of it"
                )
            else:
                report.in_transit.append(
                    f"{name} envelope {seq}: applied by {receiver.party}, sealed outside "
                    f"{sender.name}"
                )
            continue
        if sealed_hash != got["hash"]:
            report.differences.append(
                f"{name} envelope {seq}: {sender.party} sealed {sealed_hash}, "
                f"{receiver.party} applied {got['hash']}"
            )
            continue
        held = out.receipts_held.get(seq)
        if held is None:
            report.in_transit.append(
                f"{name} envelope {seq}: applied by {receiver.party}, its receipt not yet back"
            )
            continue
        if held != got["receipt"]:
            report.differences.append(
                f"{name} envelope {seq}: the receipt {sender.party} holds is not the one "
                f"{receiver.party} issued"
            )
            continue
        if "not_applied" in held:
            report.not_applied.append(f"{name} envelope {seq}: {held['not_applied']}")
        agreed += 1
    report.agreed[name] = agreed


def _received_problem(
    got: dict[str, Any],
    sender_verify: Callable[[bytes, bytes], bool],
    receiver_verify: Callable[[bytes, bytes], bool],
) -> str | None:
    """Whether an envelope as the receiver journaled it, and its receipt, are genuine."""
    envelope = dict(got.get("envelope") or {})
    signature = _signature(envelope.pop("sig", None))
    signed = canonical_json(envelope)
    if hashlib.sha256(signed).hexdigest() != got.get("hash"):
        return "the envelope the receiver journaled does not match its hash"
    if not sender_verify(signed, signature):
        return "the envelope the receiver journaled is not signed by the sender's key"
    receipt = dict(got.get("receipt") or {})
    receipt_sig = _signature(receipt.pop("sig", None))
    if receipt.get("envelope_hash") != got["hash"] or not receiver_verify(
        canonical_json(receipt), receipt_sig
    ):
        return "the receipt the receiver journaled is not its signature over this envelope"
    return None
