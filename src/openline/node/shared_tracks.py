"""Track reports between the processes of one node (PostgreSQL; docs/deployment.md, "Tracks").

A node's live tracks are held in memory (``node/tracker.py``) by every process serving it, and
the journal does not hold them. So a process that takes reports (an operator's POST, a TAK
device's position, a peer's ``track`` envelope) tells the node's other processes of those it
took: a NOTIFY on the tracks channel, in the transaction that took them, which PostgreSQL
delivers at its commit and never if it rolls back. Each other process hears it on the
connection that follows the commits (``node/commits.py``) and takes the reports as its own
(``Tracker.take_shared``), so that every process holds the same tracks, and the one that leads
seals this party's for the peers, whichever process took them. A report lost while a listener
reconnects is lost until its track's next report, as it would be on the line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from sqlalchemy import Connection, text

from openline.domain.errors import InvalidInput
from openline.domain.tracks import TrackReport, parse_reports
from openline.store.database import TRACKS_CHANNEL
from openline.store.prepared import Prepared

log = logging.getLogger(__name__)

# A report's JSON is at most about 270 bytes: 20 of them, with the sender and the party, stay
# well under PostgreSQL's 8000 bytes for a notification's payload.
REPORTS_PER_PAYLOAD = 20

# Sent without waiting for its answer (store/prepared.py): the operation goes on at once.
_NOTIFY_EACH = Prepared(
    text("SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload")
)


def payloads(sender: str, reports: Iterable[TrackReport]) -> list[str]:
    """The notifications that carry ``reports``, each naming its ``sender`` (a process) and
    the party of the reports it holds."""
    by_party: dict[str, list[dict[str, object]]] = {}
    for one in reports:
        by_party.setdefault(one.party, []).append(one.to_json(with_party=False))
    return [
        json.dumps(
            {"sender": sender, "party": party, "tracks": held[start : start + REPORTS_PER_PAYLOAD]},
            separators=(",", ":"),
        )
        for party, held in sorted(by_party.items())
        for start in range(0, len(held), REPORTS_PER_PAYLOAD)
    ]


def announce(conn: Connection, sender: str, reports: list[TrackReport]) -> None:
    """In the transaction that took ``reports``: tell the node's other processes (at commit),
    in one statement."""
    _NOTIFY_EACH.send(conn, {"channel": TRACKS_CHANNEL, "payloads": payloads(sender, reports)})


def heard(payloads_heard: list[str], receiver: str) -> list[TrackReport]:
    """The reports the node's other processes sent (those ``receiver`` sent itself left out).
    A payload that cannot be read (a process of another version) is logged and dropped."""
    reports: list[TrackReport] = []
    for payload in payloads_heard:
        try:
            data = json.loads(payload)
            if data["sender"] != receiver:
                reports.extend(parse_reports(data["tracks"], party=data["party"]))
        except (ValueError, KeyError, TypeError, InvalidInput) as exc:
            log.warning("track reports from another process dropped: %s: %.200s", exc, payload)
    return reports
