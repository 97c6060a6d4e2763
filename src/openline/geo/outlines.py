"""Polygons that hold a corridor, for formats that have no corridor (ASTM F3548's volumes).

A corridor is every point within its half width of its path. A format with only polygons and
circles can carry it without claiming less airspace than it holds: one polygon per leg, round
the leg's band and the discs at its ends (:func:`leg_outlines`). Each outline is an octagon's
half at each end and two long sides, all its vertices at a distance ``w / cos(22.5°)`` (plus a
margin) from the leg's ends, so that each straight side of the octagon stays at least ``w`` from
the end, and the long sides, geodesics between two points ``w'`` from the leg, stay at least
``w`` from it too: a geodesic between two points beside another bows towards it by at most a
few parts in a thousand of the offset over the 500 km a leg may have (the margin takes that).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from openline.geo.geodesy import forward, inverse

Point = tuple[float, float]
# The octagon's circumscribed radius over its inscribed one, and the bow of a long side.
_OCTAGON = 1.0 / math.cos(math.radians(22.5))
_BOW = 1.005
_MARGIN_M = 1.0


def leg_outlines(path: Sequence[Point], half_width_m: float) -> list[list[Point]]:
    """For each leg of the path (geodesics between consecutive (lon, lat) positions; repeated
    positions skipped), a closed ring of (lon, lat) holding every point within ``half_width_m``
    of the leg."""
    reach = half_width_m * _OCTAGON * _BOW + _MARGIN_M
    rings = []
    for a, b in pairwise(p for i, p in enumerate(path) if i == 0 or p != path[i - 1]):
        (ahead,), (back,), _ = inverse([a[0]], [a[1]], [b[0]], [b[1]])
        # Round B from the left of the leg to its right (through ahead), then round A back.
        turns = [-90.0, -45.0, 0.0, 45.0, 90.0]
        around_b = [(b, back + 180.0 + t) for t in turns]
        around_a = [(a, ahead + 180.0 + t) for t in turns]
        centres = [c for c, _ in around_b + around_a]
        azimuths = [z for _, z in around_b + around_a]
        lons, lats, _ = forward(
            [c[0] for c in centres], [c[1] for c in centres], azimuths, [reach] * len(centres)
        )
        ring = [(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]
        rings.append([*ring, ring[0]])
    return rings
