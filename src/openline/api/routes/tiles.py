"""/api/v1/tiles: the map tiles an operator loads for the console's base map, offline.

The operator puts MBTiles archives (SQLite files of raster tiles, ``NAME.mbtiles``) in the
folder the setting ``map_tiles_dir`` names; the console offers each as a base layer and asks
the node for its tiles (docs/console.md#map-tiles). MBTiles rows number tiles from the south
(TMS); the route takes the usual XYZ numbering from the north and turns it over.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParameter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from openline.api.deps import NodeDep, Operator, requires
from openline.domain.errors import NotFound
from openline.domain.roles import Action
from openline.node.assembly import Node

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["console"])

ARCHIVE_NAME = r"^[A-Za-z0-9_-]{1,64}$"
MAX_ZOOM = 24
# The raster formats a browser draws; archives of vector tiles (pbf) are not offered.
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


class TileArchive(BaseModel):
    name: str = Field(description="The archive's file name without .mbtiles: its tiles' path.")
    title: str = Field(description="The archive's own name (its metadata), or its file name.")
    format: str
    minzoom: int | None
    maxzoom: int | None
    bounds: list[float] | None = Field(description="West, south, east, north, in degrees.")
    attribution: str


@router.get("/tiles", response_model=list[TileArchive], dependencies=requires(Action.READ))
def archives(node: NodeDep, _operator: Operator) -> list[TileArchive]:
    """The tile archives in the node's ``map_tiles_dir``, each a base layer of the console."""
    found = []
    for name, path in _archive_files(node).items():
        try:
            found.append(_describe(name, path))
        except (sqlite3.Error, ValueError) as error:
            log.warning("map tiles: %s is not a raster MBTiles archive, skipped: %s", path, error)
    return found


@router.get(
    "/tiles/{name}/{z}/{x}/{y}",
    response_class=Response,
    dependencies=requires(Action.READ),
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def tile(
    node: NodeDep,
    _operator: Operator,
    name: Annotated[str, PathParameter(pattern=ARCHIVE_NAME)],
    z: Annotated[int, PathParameter(ge=0, le=MAX_ZOOM)],
    x: Annotated[int, PathParameter(ge=0)],
    y: Annotated[int, PathParameter(ge=0, description="From the north (XYZ), as Leaflet asks.")],
) -> Response:
    """One tile of an archive; ``404`` where the archive holds none."""
    path = _archive_files(node).get(name)
    if path is None:
        raise NotFound(f"no tile archive {name!r} in map_tiles_dir")
    if x >= 2**z or y >= 2**z:
        raise NotFound(f"tile {z}/{x}/{y} is outside the world")
    with closing(_open(path)) as conn:
        media_type = MEDIA_TYPES.get(_metadata(conn).get("format", "png"), "image/png")
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, 2**z - 1 - y),
        ).fetchone()
    if row is None:
        raise NotFound(f"archive {name!r} holds no tile {z}/{x}/{y}")
    return Response(bytes(row[0]), media_type=media_type, headers={"Cache-Control": "private"})


def _archive_files(node: Node) -> dict[str, Path]:
    folder = node.settings.map_tiles_dir
    if not folder:
        return {}
    directory = node.directory.path / folder  # an absolute folder stays as it is
    return {
        path.stem: path
        for path in sorted(directory.glob("*.mbtiles"))
        if re.fullmatch(ARCHIVE_NAME, path.stem)
    }


def _open(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _metadata(conn: sqlite3.Connection) -> dict[str, str]:
    return {str(key): str(value) for key, value in conn.execute("SELECT name, value FROM metadata")}


def _describe(name: str, path: Path) -> TileArchive:
    with closing(_open(path)) as conn:
        metadata = _metadata(conn)
    tile_format = metadata.get("format", "png")
    if tile_format not in MEDIA_TYPES:
        raise ValueError(f"its tiles are {tile_format!r}, not {', '.join(MEDIA_TYPES)}")
    sides = [float(part) for part in metadata.get("bounds", "").split(",") if part.strip()]
    return TileArchive(
        name=name,
        title=metadata.get("name") or name,
        format=tile_format,
        minzoom=int(metadata["minzoom"]) if "minzoom" in metadata else None,
        maxzoom=int(metadata["maxzoom"]) if "maxzoom" in metadata else None,
        bounds=sides if len(sides) == len("wsen") else None,
        attribution=metadata.get("attribution", ""),
    )
