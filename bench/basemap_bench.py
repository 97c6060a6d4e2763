"""Openline base map benchmark: GET /api/v1/basemap of a real `openline serve` process over
HTTP on 127.0.0.1, for views of a 1366 by 768 console (padded by a quarter on each side, as the
console asks) over Syria at a few zooms: the first answer (which reads the data sets it needs)
and then the p50 and worst of repeated answers, with each answer's size and what it holds.
docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from backends import nodes_on
from node_bench import free_port, machine_facts, new_node, server

CENTRE = (38.6, 35.95)  # lon, lat: Tabqa on the Euphrates
SCREEN_PX = (1366 * 1.5, 768 * 1.5)  # the view and a quarter more on each side
ZOOMS = [5, 7, 9, 10, 11, 13]
# Over the coast and its islands too, where the shorelines are densest.
COAST = (35.9, 35.2)


def view(centre: tuple[float, float], zoom: int) -> dict[str, float | int]:
    """The padded view of a console centred on the point at the zoom (Web Mercator)."""
    lon, lat = centre
    degrees_per_px = 360 / (256 * 2**zoom)
    half_lon = SCREEN_PX[0] / 2 * degrees_per_px
    half_lat = SCREEN_PX[1] / 2 * degrees_per_px * math.cos(math.radians(lat))
    return {
        "west": round(lon - half_lon, 5),
        "south": round(lat - half_lat, 5),
        "east": round(lon + half_lon, 5),
        "north": round(lat + half_lat, 5),
        "zoom": zoom,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="answers timed per view")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openline-basemap-") as tmp:
        work = Path(tmp)
        port = free_port()
        with nodes_on("sqlite") as store:
            created = new_node(work / "node", store, port=port)
        serve = [sys.executable, "-m", "openline", "serve", str(created.directory)]
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {created.token}"}
        print(machine_facts(work))
        print("| where | zoom | first answer | p50 | worst | size | places | water points |")
        print("|---|---|---|---|---|---|---|---|")
        with (
            server(serve, f"{base}/api/v1/node", work / "node.log", created.token),
            httpx.Client(base_url=base, headers=headers, timeout=60) as client,
        ):
            for where, centre in (("Tabqa", CENTRE), ("the coast", COAST)):
                for zoom in ZOOMS:
                    print(row(client, where, view(centre, zoom), args.runs))


def row(client: httpx.Client, where: str, asked: dict[str, float | int], runs: int) -> str:
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        answer = client.get("/api/v1/basemap", params=asked)
        times.append((time.perf_counter() - start) * 1000)
        answer.raise_for_status()
    features = answer.json()["features"]
    places = sum(f["properties"]["kind"] == "place" for f in features)
    points = sum(count_points(f["geometry"]) for f in features if f["geometry"]["type"] != "Point")
    first, rest = times[0], times[1:]
    return (
        f"| {where} | {asked['zoom']} | {first:.0f} ms | {statistics.median(rest):.0f} ms | "
        f"{max(rest):.0f} ms | {len(answer.content) / 1000:.0f} KB | {places} | {points} |"
    )


def count_points(geometry: dict[str, object]) -> int:
    coordinates = geometry["coordinates"]
    assert isinstance(coordinates, list)
    return len(coordinates) if geometry["type"] == "LineString" else sum(map(len, coordinates))


if __name__ == "__main__":
    main()
