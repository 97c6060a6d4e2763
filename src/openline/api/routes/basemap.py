"""/api/v1/basemap: the node's packaged base map (places, coastlines, lakes, rivers) over a map
view, for the console to draw under the operation layers at working zooms, offline
(docs/console.md#the-base-map)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from openline.api.deps import Operator, requires
from openline.basemap.views import MAX_ZOOM, BaseMap, View
from openline.domain.roles import Action

router = APIRouter(prefix="/api/v1", tags=["console"])

# Written by `make install` (copy-vendor.mjs) beside the console's other packaged files; read
# on the first view asked, once for every node of the process.
BASE_MAP = BaseMap(Path(str(files("openline.web") / "vendor" / "places" / "places.json")))

Latitude = Annotated[float, Query(ge=-90, le=90)]
Longitude = Annotated[float, Query(ge=-180, le=180)]


@router.get("/basemap", dependencies=requires(Action.READ))
def basemap(
    _operator: Operator,
    west: Longitude,
    south: Latitude,
    east: Longitude,
    north: Latitude,
    zoom: Annotated[int, Query(ge=0, le=MAX_ZOOM, description="The map's zoom (Web Mercator).")],
) -> dict[str, Any]:
    """A GeoJSON feature collection: the view's places (``kind`` ``place``: name, country,
    GeoNames feature code, population; the most populous first, never two whose labels would
    overlap at the zoom, at most 200), then from zoom 7 its coastlines and rivers (lines) and
    lakes (polygons), clipped to the view and thinned to the zoom's pixel, at most 20,000
    points (``truncated`` says when some were left out); ``sources`` names the data sets. A view
    of more than 4096 pixels on a side at its zoom is refused (422)."""
    return BASE_MAP.answer(View(west=west, south=south, east=east, north=north, zoom=zoom))
