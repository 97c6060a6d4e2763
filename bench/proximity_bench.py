"""Openline proximity benchmark: one screening cycle of live tracks (openline.geo.proximity).

Data (fixed seed): tracks of two parties over 600 km by 600 km around 35°N 38°E, 70 % ground
units (0 to 25 m/s, 0 to 500 m) and 30 % aircraft (100 to 250 m/s, 1,000 to 12,000 m), with
reports up to 10 s old. Minima: 9,260 m (5 NM) lateral, 300 m vertical, 5 minutes ahead.

For 1,000, 10,000 and 50,000 tracks: the indexed screening (``screen``), p50 and p99 of repeated
cycles, against every pair computed with the same closed form in numpy blocks
(``screen_all_pairs``), in the same run; every pair is timed in full up to 10,000 tracks and
on a share of its blocks beyond (extrapolated, and marked so). Where both ran in full, their
warnings must be the same. docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from node_bench import machine_facts
from openline.domain.tracks import ProximityRules
from openline.geo import proximity
from openline.geo.proximity import Tracks, screen, screen_all_pairs

SEED = 20261125
LATERAL_M, VERTICAL_M, LOOKAHEAD_S = 9_260.0, 300.0, 300.0
FULL_ALL_PAIRS_MAX = 10_000  # beyond this, every pair is timed on a share and extrapolated


def random_tracks(count: int, seed: int) -> Tracks:
    rng = np.random.default_rng(seed)
    air = rng.random(count) < 0.3
    return Tracks.of(
        party=rng.integers(0, 2, count),
        time_s=rng.uniform(-10, 0, count),
        lat=rng.uniform(32.3, 37.7, count),
        lon=rng.uniform(34.7, 41.3, count),
        alt_m=np.where(air, rng.uniform(1_000, 12_000, count), rng.uniform(0, 500, count)),
        speed_mps=np.where(air, rng.uniform(100, 250, count), rng.uniform(0, 25, count)),
        heading_deg=rng.uniform(0, 360, count),
    )


def timed(work: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def all_pairs_ms(tracks: Tracks) -> tuple[float, str]:
    """Every pair, timed in full or on the first blocks and extrapolated."""
    n = len(tracks.party)
    if n <= FULL_ALL_PAIRS_MAX:
        return min(timed(lambda: screen_all_pairs(tracks, 0.0, LOOKAHEAD_S, LATERAL_M,
                                                  VERTICAL_M), 3)), ""  # fmt: skip
    total = n * (n - 1) // 2
    share = 40 * proximity.ALL_PAIRS_BLOCK
    first, second = np.triu_indices(n, 1)
    motion = proximity._motion(tracks, 0.0)
    rules = ProximityRules(LOOKAHEAD_S, LATERAL_M, VERTICAL_M)
    start = time.perf_counter()
    for k in range(0, share, proximity.ALL_PAIRS_BLOCK):
        pair = (first[k : k + proximity.ALL_PAIRS_BLOCK], second[k : k + proximity.ALL_PAIRS_BLOCK])
        proximity._approaches(tracks, motion, pair, rules)
    seconds = (time.perf_counter() - start) * total / share
    return seconds * 1000, f"{share:,} of {total:,} pairs timed, x{total / share:.0f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--cycles", type=int, default=30, help="screening cycles timed per size")
    args = parser.parse_args(argv)
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        tracks = random_tracks(n, SEED)
        found = screen(tracks, 0.0, LOOKAHEAD_S, LATERAL_M, VERTICAL_M)
        indexed = timed(lambda t=tracks: screen(t, 0.0, LOOKAHEAD_S, LATERAL_M, VERTICAL_M),
                     args.cycles)  # fmt: skip
        every, note = all_pairs_ms(tracks)
        if not note:
            reference = screen_all_pairs(tracks, 0.0, LOOKAHEAD_S, LATERAL_M, VERTICAL_M)
            if not (np.array_equal(found.a, reference.a) and np.array_equal(found.b, reference.b)):
                raise SystemExit(f"{n} tracks: the index and every pair disagree")
            note = "same warnings as every pair"
        p50, p99 = np.percentile(indexed, 50), np.percentile(indexed, 99)
        rows.append((n, len(found.a), p50, p99, every, note))
        print(
            f"{n:,} tracks: {len(found.a):,} warnings; indexed p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms; every pair {every:,.0f} ms ({every / p50:,.0f}x); {note}",
            flush=True,
        )
    print(
        "\n| tracks | warnings | indexed screening, p50 / p99 | every pair (ratio to p50) | note |"
    )
    print("|---:|---:|---|---|---|")
    for n, warnings, p50, p99, every, note in rows:
        print(f"| {n:,} | {warnings:,} | {p50:.1f} / {p99:.1f} ms | {every:,.0f} ms "
              f"({every / p50:,.0f}x) | {note} |")  # fmt: skip
    print()
    for key, value in machine_facts(Path(tempfile.gettempdir())).items():
        print(f"- {key}: {value}")
    print(f"- command: python bench/proximity_bench.py {' '.join(argv)}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
