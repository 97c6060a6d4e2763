"""Openline blind deconfliction benchmark: one private set intersection run with 10,000 items a
side (docs/blind.md), against sharing the same notifications in full.

Data (fixed seed): each side's blind ground operations (circles of 1 to 6 km, two to six hours,
0 to 300 m) around 36°N 38.5°E, covered on the default grid (H3 resolution 6, 30-minute slots)
until the side holds 10,000 items; the two sides' operations overlap in part.

One run as the two nodes make it, the steps in the order the envelopes force: the starter
blinds its items (offer), the answerer blinds the offer again and its own items (reply), the
starter blinds those again and finds its matches (finish), the answerer finds its own. Each
step's CPU time (time.process_time) and the run's wall time; the bytes of the three bodies as
they are signed (canonical JSON; sealing adds its encryption and signature, under 200 bytes an
envelope); the same against sharing: both sides' notifications as the line carries them, and
the exact engine's CPU to find their conflicts. docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from node_bench import machine_facts
from openline.domain.blind import Grid, encode_points, widening
from openline.domain.canonical import canonical_json
from openline.domain.notifications import Kind, Notification, Status
from openline.domain.separation import separation_rules
from openline.domain.volumes import Circle, Volume4D
from openline.geo.conflict_finder import ConflictFinder
from openline.geo.covering import cover_all
from openline.keys import psi

SEED = 20261207
ITEMS = 10_000
GRID = Grid(6, 1800)
RULES = separation_rules("default")
START = datetime(2026, 12, 8, 6, tzinfo=UTC)


def operations(owner: str, rng: random.Random) -> tuple[list[Notification], list[str]]:
    """Blind ground operations of ``owner`` until they cover ``ITEMS`` items; the items."""
    made: list[Notification] = []
    items: set[str] = set()
    widen = widening(RULES, Kind.GROUND_OPERATION)
    while len(items) < ITEMS:
        start = START + timedelta(minutes=30 * rng.randrange(48))
        volume = Volume4D(
            Circle(
                36.0 + rng.uniform(-0.6, 0.6), 38.5 + rng.uniform(-0.6, 0.6), rng.uniform(1e3, 6e3)
            ),
            0.0,
            300.0,
            start,
            start + timedelta(hours=rng.uniform(2, 6)),
        )
        ident = f"ntf_{owner}_{len(made):04d}"
        made.append(
            Notification(ident, owner, Kind.GROUND_OPERATION, f"op {len(made)}", Status.PLANNED,
                         (volume,), ("RED" if owner == "BLUE" else "BLUE",), START, START)
        )  # fmt: skip
        items |= cover_all([(volume, widen)], GRID)
    return made, sorted(items)[:ITEMS]


def one_run(ours: list[str], theirs: list[str]) -> dict[str, float]:
    """The run's steps as the envelopes order them: CPU seconds each, bytes each, matches."""
    figures: dict[str, float] = {}
    wall = time.perf_counter()

    def step(name: str, work):  # type: ignore[no-untyped-def]
        began = time.process_time()
        result = work()
        figures[f"{name}_cpu_s"] = time.process_time() - began
        return result

    a, b = psi.new_secret(), psi.new_secret()
    offer = step("offer", lambda: psi.blind(a, ours))
    reply = step("reply", lambda: (psi.blind_again(b, offer), psi.blind(b, theirs)))
    finish = step("finish", lambda: psi.blind_again(a, reply[1]))
    ours_found = step("starter_matches", lambda: psi.matching(reply[0], finish))
    theirs_found = step("answerer_matches", lambda: psi.matching(finish, reply[0]))
    figures["wall_s"] = time.perf_counter() - wall
    figures["offer_bytes"] = len(
        canonical_json({"run": "bld_x", "grid": GRID.name, "points": encode_points(offer)})
    )
    figures["reply_bytes"] = len(
        canonical_json(
            {
                "run": "bld_x",
                "grid": GRID.name,
                "points": encode_points(reply[1]),
                "reblinded": encode_points(reply[0]),
            }
        )
    )
    figures["finish_bytes"] = len(
        canonical_json({"run": "bld_x", "reblinded": encode_points(finish)})
    )
    figures["matches"] = len(ours_found)
    assert len(ours_found) == len(theirs_found) == len(set(ours) & set(theirs))
    return figures


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    for key, value in machine_facts(Path(tempfile.gettempdir())).items():
        print(f"{key}: {value}")
    rng = random.Random(SEED)
    began = time.process_time()
    blue, blue_items = operations("BLUE", rng)
    red, red_items = operations("RED", rng)
    covering_s = (time.process_time() - began) / 2
    figures = one_run(blue_items, red_items)
    cpu = sum(v for k, v in figures.items() if k.endswith("_cpu_s"))
    sent = figures["offer_bytes"] + figures["reply_bytes"] + figures["finish_bytes"]
    full = sum(len(canonical_json(n.shared_json())) for n in blue + red)
    finder = ConflictFinder(RULES)
    began = time.process_time()
    for n in blue + red:
        finder.put(n)
    exact = sum(len(finder.conflicts_of(n.id)) for n in blue)
    exact_s = time.process_time() - began
    print(f"items: {ITEMS:,} a side ({len(blue)} and {len(red)} operations)")
    print(f"covering: {covering_s:.2f} s CPU a side")
    for name in ("offer", "reply", "finish", "starter_matches", "answerer_matches"):
        print(f"  {name:17} {figures[name + '_cpu_s']:.3f} s CPU")
    verdict = "met" if figures["wall_s"] <= 2.0 else "NOT met"
    print(f"one run: {cpu:.2f} s CPU, {figures['wall_s']:.2f} s wall (target 2 s: {verdict})")
    print(f"items in common: {figures['matches']:,.0f}")
    parts = ", ".join(f"{k} {figures[k + '_bytes']:,.0f}" for k in ("offer", "reply", "finish"))
    print(f"bytes sent: {parts}: {sent:,.0f} in all")
    print(f"sharing in full instead: {full:,} bytes of notifications")
    print(f"the exact engine on them: {exact_s:.3f} s CPU, {exact} conflicts between the sides")


if __name__ == "__main__":
    main()
