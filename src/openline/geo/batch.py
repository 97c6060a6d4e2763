"""The shapes of many pairs of footprints laid end to end, so that each step of measuring them
is one array operation (:mod:`openline.geo.footprints` measures, :mod:`openline.geo.combinations`
compares their vertices)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import NamedTuple

import numpy as np

from openline.geo.arrays import FloatArray, IntArray
from openline.geo.shapes import Shape, starts_of


class BatchRuns(NamedTuple):
    """The runs of a batch's shapes (see shapes._Runs), numbered across the batch: where each
    shape's runs start, each run's first place in ``vertices``, its size, its cap (centre
    vertex, radius), the runs' vertices; where each shape's ring starts begin, and the first
    vertex of every ring."""

    offset: IntArray
    start: IntArray
    size: IntArray
    centre: IntArray
    radius: FloatArray
    vertices: IntArray
    ring_start_offset: IntArray
    ring_starts: IntArray


class Batch:
    """The shapes of many pairs laid end to end, so that each step is one array operation.

    Vertices, runs and ring starts of every shape are numbered across the batch.
    """

    def __init__(self, firsts: Sequence[Shape], seconds: Sequence[Shape]) -> None:
        # Each shape once (the new volume is in every pair of a check), in one pass: its slot
        # and its packed tables.
        slots: dict[int, int] = {}
        shapes: list[Shape] = []
        headers, vertices, links, slot_of_each = [], [], [], []
        for shape in (*firsts, *seconds):
            slot = slots.setdefault(id(shape), len(shapes))
            if slot == len(shapes):
                shapes.append(shape)
                packed = shape.packed
                headers.append(packed.header)
                vertices.append(packed.vertices)
                links.append(packed.links)
            slot_of_each.append(slot)
        each = np.array(slot_of_each, np.int64)
        self.a, self.b = each[: len(firsts)], each[len(firsts) :]
        self.shapes = shapes
        header = np.concatenate(headers).reshape(-1, 9).T
        counts = header[:5].astype(np.int64)
        self.size, self.n_rings, self.n_runs, self.n_run_vertices, self.n_ring_starts = counts
        self.radius, self.cap = header[5], header[6:]
        self.offset = starts_of(self.size)
        self.lon, self.lat, self.edge_az, self.edge_back_az, self.edge_m = np.concatenate(
            vertices
        ).T
        self.next, self.ring = np.concatenate(links).T
        self.next = self.next + self.offset.repeat(self.size)

    @cached_property
    def runs(self) -> BatchRuns:
        """The runs and ring starts of every shape, numbered across the batch: only pairs of
        large footprints need them, so they are laid out at their first use."""
        shapes, offset = self.shapes, self.offset
        start, size, centre = np.concatenate([s.packed.runs for s in shapes]).T
        vertices = np.concatenate([s.runs.vertices for s in shapes])
        ring_starts = np.concatenate([s.runs.ring_starts for s in shapes])
        return BatchRuns(
            offset=starts_of(self.n_runs),
            start=start + np.repeat(starts_of(self.n_run_vertices), self.n_runs),
            size=size,
            centre=centre + offset.repeat(self.n_runs),
            radius=np.concatenate([s.runs.radius_m for s in shapes]),
            vertices=vertices + offset.repeat(self.n_run_vertices),
            ring_start_offset=starts_of(self.n_ring_starts),
            ring_starts=ring_starts + offset.repeat(self.n_ring_starts),
        )
