"""``openline journal export`` and ``openline journal cross-verify``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from openline import __version__
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalEntry
from openline.domain.timeutil import format_utc
from openline.domain.transcripts import (
    HEADER_KEY,
    TRANSCRIPT_VERSION,
    CrossReport,
    cross_verify,
    read_transcript,
    sign_header,
)
from openline.keys.signing import PublicKey
from openline.node.assembly import Node
from openline.store import line as line_store
from openline.store.journal import iter_all_entries


def export_transcript(
    node: Node, out: TextIO, *, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Write the journal entries with ``since <= at < until`` as a transcript; return how many."""
    if since is not None and until is not None and until <= since:
        raise InvalidInput(f"--to {format_utc(until)} is not after --from {format_utc(since)}")
    low = format_utc(since) if since else None
    high = format_utc(until) if until else None

    def selected(entries: Iterator[JournalEntry]) -> Iterator[dict[str, Any]]:
        for entry in entries:
            public = entry.to_json()
            if (low is None or public["at"] >= low) and (high is None or public["at"] < high):
                yield public

    with node.read_engine.connect() as conn:
        peers = [peer.card.model_dump() for peer in line_store.list_peers(conn)]
        header = sign_header(
            {
                HEADER_KEY: TRANSCRIPT_VERSION,
                "card": node.card().model_dump(),
                "peers": peers,
                "from": low,
                "to": high,
                "exported_at": format_utc(node.clock()),
                "version": __version__,
            },
            node.key.sign,
        )
        out.write(json.dumps(header, ensure_ascii=False, separators=(",", ":")) + "\n")
        count = 0
        for public in selected(iter_all_entries(conn)):
            out.write(json.dumps(public, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def _verifier(key: str) -> Callable[[bytes, bytes], bool]:
    return PublicKey.from_base64(key).verify


def cross_verify_files(ours: Path, theirs: Path) -> CrossReport:
    transcripts = []
    for path in (ours, theirs):
        try:
            with path.open(encoding="utf-8") as handle:
                transcripts.append(read_transcript(str(path), handle, _verifier))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path} cannot be read as a transcript: {exc}") from None
    return cross_verify(transcripts[0], transcripts[1], _verifier)
