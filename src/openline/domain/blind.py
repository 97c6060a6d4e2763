"""Blind deconfliction: the shared grid of items, how far each volume is widened, and the
bodies of the private set intersection's envelopes.

A blind notification is never shared; its volumes are covered by *items*, strings naming a
hexagonal cell (H3), a time slot and an altitude band of the grid both nodes agree on
(:class:`Grid`). Two parties' items meet exactly where their operations may conflict: each
volume is widened by half the largest minima its kind keeps from any other party's
(:func:`widening`), so that when two volumes are within their minima the midpoint between
them lies in both widened volumes, and its item in both coverings (docs/blind.md gives the
argument and its error budget). The cells come from ``openline.geo.covering``; the private set
intersection from ``openline.keys.psi``. Everything here is pure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind
from openline.domain.phrasebook import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from openline.domain.separation import Minima, SeparationRules
from openline.domain.timeutil import format_utc

# The altitude bands' lower edges after the first (metres): band 0 is everything below 0 m,
# band i from BAND_EDGES_M[i - 1] up to BAND_EDGES_M[i]; doubling, as heights matter less high up.
BAND_EDGES_M = (0.0, 150.0, 300.0, 600.0, 1_200.0, 2_400.0, 4_800.0, 9_600.0, 19_200.0, 38_400.0)
POINT_BYTES = 32  # an X25519 u-coordinate
MAX_RUN_ID_CHARS = 64
MAX_POINTS = 100_000  # what a body may carry at all; a node's own limit is blind_max_items


@dataclass(frozen=True)
class Grid:
    """The grid both sides cover their volumes on: an H3 resolution and a slot length (the
    altitude bands are fixed, :data:`BAND_EDGES_M`). Items of different grids never meet, so
    a run between two nodes whose grids differ is refused by name."""

    resolution: int
    slot_s: int

    @property
    def name(self) -> str:
        return f"h3r{self.resolution}-s{self.slot_s}-b{len(BAND_EDGES_M) + 1}"


def widening(rules: SeparationRules, kind: Kind) -> Minima:
    """Half the largest minima a notification of ``kind`` keeps from another party's of any
    kind: both sides widen by half, so two volumes within their minima share a midpoint."""
    found = [rules.rule_for(kind, "OWN", other, "OTHER") for other in Kind]
    minima = [m for _, m in filter(None, found)]
    if not minima:
        return Minima(0.0, 0.0, 0.0)
    return Minima(
        max(m.lateral_m for m in minima) / 2,
        max(m.vertical_m for m in minima) / 2,
        max(m.time_s for m in minima) / 2,
    )


def slots(grid: Grid, start: datetime, end: datetime, widen_s: float) -> range:
    """Every slot the window ``[start - widen_s, end + widen_s]`` touches (a slot is numbered
    by its start: seconds since 1970 over the slot length, rounded down)."""
    first = math.floor((start.timestamp() - widen_s) / grid.slot_s)
    last = math.floor((end.timestamp() + widen_s) / grid.slot_s)
    return range(first, last + 1)


def bands(lower_m: float, upper_m: float, widen_m: float) -> range:
    """Every altitude band ``[lower - widen, upper + widen]`` touches, held to the altitudes a
    volume may have (a midpoint of two volumes lies within them too)."""
    low = max(lower_m - widen_m, MIN_ALTITUDE_M)
    high = min(upper_m + widen_m, MAX_ALTITUDE_M)
    return range(bisect_right(BAND_EDGES_M, low), bisect_right(BAND_EDGES_M, high) + 1)


def item(grid: Grid, cell: str, slot: int, band: int) -> str:
    """One item: what is hashed into the group, the same text on both sides."""
    return f"{grid.name}/{cell}/{slot}/{band}"


def parse_item(text: str) -> tuple[str, int, int]:
    """An item's cell, slot and band (for the matches shown to this node's own people)."""
    _, cell, slot, band = text.split("/")
    return cell, int(slot), int(band)


def items_of(grid: Grid, cells: Iterable[str], slot_range: range, band_range: range) -> set[str]:
    return {item(grid, c, s, b) for c in cells for s in slot_range for b in band_range}


# --- the bodies of the three envelopes of a run ------------------------------------------------
# blind_offer  {run, grid, points}: the starter's items, blinded with its secret, shuffled
# blind_reply  {run, grid, points, reblinded}: the answerer's items blinded with its own secret,
#              shuffled, and the starter's points blinded again, in the order received
# blind_finish {run, reblinded}: the answerer's points blinded again by the starter, in order


def encode_points(points: list[bytes]) -> str:
    return base64.b64encode(b"".join(points)).decode("ascii")


def decode_points(text: Any, where: str, max_points: int) -> list[bytes]:
    """Points as the body carries them (base64 of 32-byte points end to end), or refuse."""
    if not isinstance(text, str):
        raise InvalidInput(f"{where}: expected base64 text of points", field=where)
    if len(text) > (max_points * POINT_BYTES + 2) // 3 * 4:
        raise InvalidInput(f"{where}: over the limit of {max_points} points", field=where)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidInput(f"{where}: not base64", field=where) from None
    if len(raw) % POINT_BYTES:
        raise InvalidInput(f"{where}: {len(raw)} bytes are not whole 32-byte points", field=where)
    return [raw[i : i + POINT_BYTES] for i in range(0, len(raw), POINT_BYTES)]


@dataclass(frozen=True)
class RunBody:
    """One of a run's envelopes as read: its run id, grid name, and points."""

    run: str
    grid: str | None
    points: list[bytes]
    reblinded: list[bytes]


# The kinds whose application costs a run's scalar multiplications: the receiver prepares them
# outside the writer, on a worker thread (services/blind.py prepare_received).
PREPARED_KINDS = frozenset({"blind_offer", "blind_reply"})

_SHAPES = {
    "blind_offer": ("run", "grid", "points"),
    "blind_reply": ("run", "grid", "points", "reblinded"),
    "blind_finish": ("run", "reblinded"),
}


def read_run_body(kind: str, body: Mapping[str, Any], max_points: int) -> RunBody:
    """A ``blind_offer``, ``blind_reply`` or ``blind_finish`` body, or say what is wrong."""
    expected = _SHAPES[kind]
    if set(body) != set(expected):
        raise InvalidInput(f"{kind}: the body holds {sorted(body)}, not {sorted(expected)}")
    run = body["run"]
    if not isinstance(run, str) or not 1 <= len(run) <= MAX_RUN_ID_CHARS or not run.isprintable():
        raise InvalidInput(f"{kind}: {run!r:.80} is not a run id", field="run")
    grid = body.get("grid")
    if "grid" in body and (not isinstance(grid, str) or len(grid) > 64):
        raise InvalidInput(f"{kind}: {grid!r:.80} is not a grid name", field="grid")
    points = decode_points(body["points"], "points", max_points) if "points" in body else []
    reblinded = body.get("reblinded")
    again = [] if reblinded is None else decode_points(reblinded, "reblinded", max_points)
    return RunBody(run, grid, points, again)


# --- what a run finds -------------------------------------------------------------------------


def possible_key(party_a: str, party_b: str) -> str:
    """The same key on both nodes for the possible conflict between two parties' blind
    operations (one per pair: neither side knows which of the other's notifications meet)."""
    low, high = sorted((party_a, party_b))
    return "pcf-" + hashlib.sha256(f"blind\n{low}\n{high}".encode()).hexdigest()[:24]


def band_json(band: int) -> dict[str, float]:
    edges = (MIN_ALTITUDE_M, *BAND_EDGES_M, MAX_ALTITUDE_M)
    return {"lower_m": edges[band], "upper_m": edges[band + 1]}


def matches_json(grid: Grid, matched: Mapping[str, Iterable[str]]) -> list[dict[str, Any]]:
    """Each own notification with the cells, slots and bands its items share with the peer's
    (``matched``: notification id -> its matching items), for the possible conflict's record."""
    out = []
    for notification in sorted(matched):
        cells, slot_numbers, band_numbers = set(), set(), set()
        for text in matched[notification]:
            cell, slot, band = parse_item(text)
            cells.add(cell)
            slot_numbers.add(slot)
            band_numbers.add(band)
        out.append(
            {
                "notification": notification,
                "cells": sorted(cells),
                "slots": [_slot_json(grid, s) for s in sorted(slot_numbers)],
                "bands": [band_json(b) for b in sorted(band_numbers)],
            }
        )
    return out


def _slot_json(grid: Grid, slot: int) -> dict[str, str]:
    start = datetime.fromtimestamp(slot * grid.slot_s, UTC)
    end = datetime.fromtimestamp((slot + 1) * grid.slot_s, UTC)
    return {"start": format_utc(start), "end": format_utc(end)}


@dataclass(frozen=True)
class PossibleConflict:
    """What a blind run found with one party: this party's own notifications and where (cells,
    slots, bands) the other party's blind operations may be; nothing of their geometry."""

    key: str
    party: str  # the other party
    state: str  # open or cleared
    notifications: list[dict[str, Any]]
    opened_at: str
    updated_at: str
    cleared_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "blind": True,
            "rule": "blind",
            "party": self.party,
            "state": self.state,
            "notifications": self.notifications,
            "opened_at": self.opened_at,
            "updated_at": self.updated_at,
            "cleared_at": self.cleared_at,
        }
