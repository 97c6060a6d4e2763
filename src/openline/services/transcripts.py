"""``openline journal export`` and ``openline journal cross-verify``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection

from openline import __version__
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalEntry
from openline.domain.merkle import inclusion_proof
from openline.domain.timeutil import format_utc
from openline.domain.transcripts import (
    CHECKPOINT_KEY,
    HEADER_KEY,
    HIDE_FILTERS,
    INCLUSION_KEY,
    LEFT_OUT_KEY,
    RETIRED_KEYS,
    TRANSCRIPT_VERSION,
    CrossReport,
    Transcript,
    cross_verify,
    read_transcript,
    sign_header,
)
from openline.keys.signing import PublicKey
from openline.node.assembly import Node
from openline.store import line as line_store
from openline.store.database import one_snapshot
from openline.store.journal import (
    iter_all_entries,
    node_reader,
    read_checkpoint_covering,
    read_head,
)


def export_transcript(
    node: Node,
    out: TextIO,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    hide: str | None = None,
) -> tuple[int, int]:
    """Write the journal entries with ``since <= at < until`` as a transcript, leaving out those
    the ``hide`` filter names (the header declares them); return how many were written and left
    out. Each entry written is exactly as in the whole transcript, so it still verifies."""
    if since is not None and until is not None and until <= since:
        raise InvalidInput(f"--to {format_utc(until)} is not after --from {format_utc(since)}")
    low = format_utc(since) if since else None
    high = format_utc(until) if until else None
    hidden = HIDE_FILTERS[hide] if hide else None

    def selected(entries: Iterator[JournalEntry], up_to: int) -> Iterator[dict[str, Any]]:
        for entry in entries:
            if entry.seq > up_to:  # appended since the filter was counted
                return
            public = entry.to_json()
            if (low is None or public["at"] >= low) and (high is None or public["at"] < high):
                yield public

    with node.read_engine.connect() as conn:
        one_snapshot(conn)  # the head, the entries and the checkpoint agree
        peers = [peer.card.model_dump() for peer in line_store.list_peers(conn)]
        header: dict[str, Any] = {
            HEADER_KEY: TRANSCRIPT_VERSION,
            "card": node.card().model_dump(),
            "peers": peers,
            "from": low,
            "to": high,
            "exported_at": format_utc(node.clock()),
            "version": __version__,
        }
        if node.key_history.retired:  # its older envelopes and receipts: keys/rotation.py
            header[RETIRED_KEYS] = node.key_history.to_json()
        up_to = read_head(conn)[0]
        if hide and hidden:
            header[LEFT_OUT_KEY] = _left_out(hide, hidden, selected(iter_all_entries(conn), up_to))
        kept = (e for e in selected(iter_all_entries(conn), up_to) if not _hides(hidden, e))
        header.update(_checkpoint_and_proofs(conn, up_to, kept))
        out.write(_line(sign_header(header, node.key.sign)))
        count = left = 0
        for public in selected(iter_all_entries(conn), up_to):
            if _hides(hidden, public):
                left += 1
                continue
            out.write(_line(public))
            count += 1
    return count, left


def _hides(hidden: Callable[[str, dict[str, Any]], bool] | None, entry: dict[str, Any]) -> bool:
    return hidden is not None and hidden(entry["kind"], entry["data"])


def _checkpoint_and_proofs(
    conn: Connection, up_to: int, kept: Iterator[dict[str, Any]]
) -> dict[str, Any]:
    """The newest checkpoint, and the inclusion proof in its tree of each entry kept that nothing
    else signs: one with no signature of its own that is the last of a run of consecutive
    entries (the entries before it in the run are linked to it by the hash chain)."""
    checkpoint = read_checkpoint_covering(conn, up_to)
    if checkpoint is None:  # a journal from before checkpoints: its entries are signed
        return {}
    size, note = checkpoint
    read = node_reader(conn)
    proofs: dict[str, list[str]] = {}
    last: dict[str, Any] | None = None
    for entry in [*kept, None]:
        if (
            last is not None
            and not last["sig"]
            and (entry is None or entry["seq"] != last["seq"] + 1)
        ):
            proof = inclusion_proof(last["seq"] - 1, size, read)
            proofs[str(last["seq"])] = [base64.b64encode(h).decode("ascii") for h in proof]
        last = entry
    return {CHECKPOINT_KEY: note, INCLUSION_KEY: proofs}


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _left_out(
    name: str, hidden: Callable[[str, dict[str, Any]], bool], entries: Iterator[dict[str, Any]]
) -> dict[str, Any]:
    """The header's declaration of what the filter leaves out: every run of sequence numbers."""
    ranges: list[list[int]] = []
    kept = 0
    for public in entries:
        if not hidden(public["kind"], public["data"]):
            kept += 1
        elif ranges and ranges[-1][1] == public["seq"] - 1:
            ranges[-1][1] = public["seq"]
        else:
            ranges.append([public["seq"], public["seq"]])
    left = sum(last - first + 1 for first, last in ranges)
    return {"filter": name, "entries": left, "kept": kept, "ranges": ranges}


def _verifier(key: str) -> Callable[[bytes, bytes], bool]:
    return PublicKey.from_base64(key).verify


def cross_verify_files(ours: Path, theirs: Path) -> CrossReport:
    transcripts = [verify_transcript_file(path) for path in (ours, theirs)]
    for transcript in transcripts:
        left_out = transcript.left_out
        if left_out is not None:
            raise InvalidInput(
                f"{transcript.name} leaves out {left_out.get('entries')} entries "
                f"({left_out.get('filter')}): cross-verify needs the whole record; "
                "export it again without --hide"
            )
    return cross_verify(transcripts[0], transcripts[1], _verifier)


def verify_transcript_file(path: Path) -> Transcript:
    """A transcript read and checked on its own: every entry, the chain, the declared gaps."""
    try:
        with path.open(encoding="utf-8") as handle:
            return read_transcript(str(path), handle, _verifier)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path} cannot be read as a transcript: {exc}") from None
