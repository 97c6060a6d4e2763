"""The map at working zooms, with nothing from outside: the node's packaged base map (places and
water, GET /api/v1/basemap) under the MGRS grid, and the operator's own map tiles (MBTiles
archives in the node's map_tiles_dir, GET /api/v1/tiles) drawn as a base layer.

The archive is written here with the standard library: solid-coloured 256-pixel PNG tiles at a
working zoom around a point, as an operator's region archive would hold its imagery.
"""

from __future__ import annotations

import math
import sqlite3
import struct
import zlib
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.console import OpenConsole, notify_over
from tests.support.nodes import make_node_dir
from tests.support.ports import free_port
from tests.support.processes import RunningNode
from tests.support.waiting import wait_for

LAT, LON = 36.0, 38.5
ZOOM = 10  # the zoom the console fits a notification of a few km to
COLOUR = (40, 120, 200)
TILES = "/api/v1/tiles"


def solid_png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = b"\x00" + bytes(rgb) * size  # filter byte, then RGB pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(row * size)),
            chunk(b"IEND", b""),
        )
    )


def tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The XYZ tile (numbered from the north) holding the point."""
    n = 2**zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def corner(x: int, y: int, zoom: int) -> tuple[float, float]:
    """The north-west corner of an XYZ tile: latitude, longitude."""
    n = 2**zoom
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n)))), x / n * 360 - 180


def write_mbtiles(
    path: Path, tiles: dict[tuple[int, int, int], bytes], metadata: dict[str, str]
) -> None:
    """An MBTiles archive: ``tiles`` by XYZ (z, x, y), stored in TMS rows (from the south)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB)"
        )
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        conn.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()],
        )


def region_archive(folder: Path) -> set[tuple[int, int, int]]:
    """Nine tiles at ZOOM around the point, bounded just inside them; and an archive of vector
    tiles beside it, which the node does not offer."""
    cx, cy = tile_of(LAT, LON, ZOOM)
    tiles = {
        (ZOOM, x, y): solid_png(COLOUR) for x in (cx - 1, cx, cx + 1) for y in (cy - 1, cy, cy + 1)
    }
    north, west = corner(cx - 1, cy - 1, ZOOM)
    south, east = corner(cx + 2, cy + 2, ZOOM)
    inset = 1e-4
    bounds = f"{west + inset},{south + inset},{east - inset},{north - inset}"
    write_mbtiles(
        folder / "region.mbtiles",
        tiles,
        {
            "name": "Region of the line",
            "format": "png",
            "minzoom": str(ZOOM),
            "maxzoom": str(ZOOM),
            "bounds": bounds,
            "attribution": "<b>Survey</b> 2026",
        },
    )
    write_mbtiles(folder / "roads.mbtiles", {(ZOOM, cx, cy): b"\x1a\x00"}, {"format": "pbf"})
    return set(tiles)


@pytest.fixture
def node_with_tiles(
    tmp_path: Path, serve: Callable[[Path, str], RunningNode]
) -> tuple[RunningNode, set[tuple[int, int, int]]]:
    created = make_node_dir(tmp_path / "blue", port=free_port())
    config = created.directory / "openline.toml"
    config.write_text(config.read_text() + 'map_tiles_dir = "tiles"\n')
    tiles = region_archive(created.directory / "tiles")
    return serve(created.directory, created.token), tiles


def test_the_node_serves_its_archives_tiles_to_its_operators_only(
    node_with_tiles: tuple[RunningNode, set[tuple[int, int, int]]],
) -> None:
    node, tiles = node_with_tiles
    z, x, y = min(tiles)
    with node.client() as client:
        listed = client.get(TILES).json()
        assert [(a["name"], a["title"], a["format"], a["minzoom"]) for a in listed] == [
            ("region", "Region of the line", "png", ZOOM)
        ]
        served = client.get(f"{TILES}/region/{z}/{x}/{y}")
        assert served.status_code == 200, served.text
        assert served.headers["content-type"] == "image/png"
        assert served.content == solid_png(COLOUR)
        for missing in (f"region/{z}/{x + 5}/{y}", f"nowhere/{z}/{x}/{y}", "region/1/2/0"):
            assert client.get(f"{TILES}/{missing}").status_code == 404, missing
        for bad in ("../region/1/0/0", "region/25/0/0", "region/1/-1/0"):
            assert client.get(f"{TILES}/{bad}").status_code in {404, 422}, bad
        unauthenticated = client.get(f"{TILES}/region/{z}/{x}/{y}", headers={"Authorization": ""})
    assert unauthenticated.status_code == 401


def test_the_console_draws_the_operators_tiles_from_the_node_as_its_base_map(
    node_with_tiles: tuple[RunningNode, set[tuple[int, int, int]]], open_console: OpenConsole
) -> None:
    node, tiles = node_with_tiles
    notify_over(node, LAT, LON, [])  # the map fits itself to it: a working zoom over the region

    console = open_console(node)
    page = console.page
    drawn = page.locator(".node-tiles img")
    wait_for(
        lambda: (
            page.evaluate(
                "() => [...document.querySelectorAll('.node-tiles img')]"
                ".filter((img) => img.complete && img.naturalWidth === 256).length"
            )
            >= 4
        ),
        what="the archive's tiles drawn",
    )
    assert drawn.first.get_attribute("src", timeout=1000).startswith("blob:")
    layers = page.locator(".leaflet-control-layers-base").inner_text()
    assert "Borders only" in layers
    assert "Region of the line" in layers
    assert "roads" not in layers
    # The archive's attribution, the file's text shown as text (never as markup).
    assert "<b>Survey</b> 2026" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.locator(".leaflet-control-attribution b").count() == 0
    # Every tile the page asked for (the browser's record of its requests), each from the node.
    asked = page.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".map((r) => [r.name, r.responseStatus]).filter(([name]) => name.includes('/tiles/'))"
    )
    requested = set()
    for url, status in asked:
        assert url.startswith(f"{node.url}{TILES}/region/"), url
        assert status == 200, url
        z, x, y = (int(part) for part in url.rsplit("/", 3)[1:])
        requested.add((z, x, y))
    assert requested
    assert requested <= tiles
    console.screenshot("map-tiles")

    # Borders only: the operator's tiles go, the plain map comes back, with the base map's own
    # land and sea (none over the tiles, which draw their own).
    land = page.locator("path.basemap-land")
    assert land.count() == 0
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Borders only").check()
    wait_for(lambda: drawn.count() == 0, what="the tiles taken off the map")
    land.wait_for(state="attached")
    page.get_by_label("Region of the line").check()
    drawn.first.wait_for()
    wait_for(lambda: land.count() == 0, what="the base map's land taken off over the tiles")

    # Two zooms out from the archive's first zoom, its tiles are off (not asked by the thousand).
    page.locator(".leaflet-control-zoom-out").click()
    page.wait_for_timeout(400)
    page.locator(".leaflet-control-zoom-out").click()
    wait_for(lambda: drawn.count() == 0, what="the tiles off two zooms out")


def test_at_the_10_km_scale_over_syria_the_map_names_places_and_draws_water_and_the_grid(
    tmp_path: Path, serve: Callable[[Path, str], RunningNode], open_console: OpenConsole
) -> None:
    created = make_node_dir(tmp_path / "blue", port=free_port())
    node = serve(created.directory, created.token)
    notify_over(node, LAT, LON, [])  # the map fits itself to it, over Tabqa on the Euphrates

    console = open_console(node)
    page = console.page
    page.locator(".place-label").first.wait_for()
    wait_for(lambda: page.locator("path.basemap-river").count() > 0, what="the rivers drawn")
    page.locator(".mgrs-label").first.wait_for()

    assert page.locator(".leaflet-control-scale-line").inner_text() == "10 km"
    names = page.locator(".place-label").all_inner_texts()
    assert "Ath Thawrah" in names, names  # Tabqa, 17 km from the operation
    assert "Maskanah" in names, names
    assert page.get_by_text("Ath Thawrah", exact=True).is_visible()
    assert page.locator("path.mgrs-grid").count() > 0
    assert "GeoNames" in page.locator(".leaflet-control-attribution").inner_text()
    # The places and the water under the operation: their panes lie below Leaflet's overlays.
    symbol = page.locator(".milsymbol").first
    assert symbol.is_visible()
    heights = page.evaluate(
        "() => ['places', 'water', 'overlay'].map((name) =>"
        " Number(getComputedStyle(document.querySelector(`.leaflet-${name}-pane`)).zIndex))"
    )
    assert heights[0] < heights[2], heights
    assert heights[1] < heights[2], heights
    # Every answer from the node (and the page watch refuses anything from elsewhere).
    asked = page.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".map((r) => [r.name, r.responseStatus])"
        ".filter(([name]) => name.includes('/api/v1/basemap'))"
    )
    assert asked
    for url, status in asked:
        assert url.startswith(f"{node.url}/api/v1/basemap?"), url
        assert status == 200, url
    console.screenshot("map-basemap")
