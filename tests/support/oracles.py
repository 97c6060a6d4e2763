"""Brute-force references that the fast algorithms are tested against: quadratic, simple, and
never run on input."""

from __future__ import annotations

from collections.abc import Sequence

# The sweep's own test of two edges, applied here to every pair instead of the sweep's
# neighbours: the reference for openline.domain.polygons.find_crossing.
from openline.domain.polygons import Point, _edges, _meet


def find_crossing_brute(
    rings: Sequence[Sequence[Point]], *, closed: bool = True
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The first pair of edges, as ``((ring, edge), (ring, edge))``, that touch or cross, by
    testing every pair; or None. ``closed=False``: the rings are open paths."""
    edges = _edges(rings, closed)
    for a, e in enumerate(edges):
        for f in edges[a + 1 :]:
            if _meet(e, f):
                return (e[0], e[1]), (f[0], f[1])
    return None
