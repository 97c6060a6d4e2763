"""Small read-only answers the operator console needs: the journal's verification, the MGRS
reference of a point (the console shows the cursor's) and the point or instant an operator's
entry names (MGRS, DMS or decimal; a DTG or ISO 8601), with the one MGRS and DTG implementation
the node already has rather than a second one in JavaScript; and the API's reference pages,
/docs and /redoc, from Swagger UI and ReDoc files the node serves itself (as the console's, in
/vendor), so that they work on an air-gapped network."""

from __future__ import annotations

import html
import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from openline.api.deps import Operator, requires
from openline.api.single_flight import SingleFlight
from openline.domain.dtg import format_dtg, parse_dtg
from openline.domain.journal import ChainReport
from openline.domain.roles import Action
from openline.domain.timeutil import format_utc, parse_utc
from openline.geo.coords import parse_coordinate
from openline.geo.grid import mgrs_grid
from openline.geo.mgrs import format_mgrs

router = APIRouter(prefix="/api/v1", tags=["console"])
docs_router = APIRouter(include_in_schema=False)
# ISO 8601 starts with a four-digit year and a dash; a date-time group with six digits.
_ISO_START = re.compile(r"\d{4}-", re.ASCII)
# Copied out of the npm packages swagger-ui-dist and redoc by web/copy-vendor.mjs.
SWAGGER_UI = "/vendor/swagger-ui"
REDOC = "/vendor/redoc"


class JournalVerification(BaseModel):
    intact: bool
    verified: int = Field(description="Entries that verified, before the first bad one if any.")
    bad_seq: int | None = Field(description="The first entry that breaks the chain.")
    bad_checkpoint: int | None = Field(
        description="The tree size of the first checkpoint that does not hold, when the entries "
        "before it do."
    )
    reason: str | None


class MgrsReference(BaseModel):
    lat: float
    lon: float
    mgrs: str = Field(description="The 1 m MGRS square holding the point.")


@router.get(
    "/journal/verify", response_model=JournalVerification, dependencies=requires(Action.READ)
)
async def verify(request: Request, _operator: Operator) -> JournalVerification:
    """Recompute every hash and signature of this node's journal, as ``openline journal
    verify`` does. Requests made while a verification runs get its result (one at a time)."""
    verification: SingleFlight[ChainReport] = request.app.state.journal_verification
    report = await verification()
    return JournalVerification(
        intact=report.intact,
        verified=report.verified,
        bad_seq=report.bad_seq,
        bad_checkpoint=report.bad_checkpoint,
        reason=report.reason,
    )


@router.get("/mgrs/{lat}/{lon}", response_model=MgrsReference, dependencies=requires(Action.READ))
def mgrs(
    _operator: Operator,
    lat: Annotated[float, Path(ge=-90, le=90, description="Latitude, WGS84 degrees.")],
    lon: Annotated[float, Path(ge=-180, le=180, description="Longitude, WGS84 degrees.")],
) -> MgrsReference:
    return MgrsReference(lat=lat, lon=lon, mgrs=format_mgrs(lat, lon))


class EnteredTime(BaseModel):
    time: str = Field(description="The instant, ISO 8601 in UTC.")
    dtg: str = Field(description="The same instant as a date-time group, to the minute.")


# An operator's entry: a coordinate or a time as typed, in the officer's notation. The node reads
# it with the parsers the CLI uses, so that the console has no second MGRS or DTG reader.
Entry = Annotated[str, Query(min_length=1, max_length=200, description="As the operator typed it.")]


@router.get("/entry/point", response_model=MgrsReference, dependencies=requires(Action.READ))
def entered_point(_operator: Operator, text: Entry) -> MgrsReference:
    """The point a location names: MGRS (the centre of its square), UTM/UPS, degrees, minutes
    and seconds, or decimal degrees (docs/coordinates.md)."""
    point = parse_coordinate(text)
    return MgrsReference(lat=point.lat, lon=point.lon, mgrs=format_mgrs(point.lat, point.lon))


@router.get("/entry/time", response_model=EnteredTime, dependencies=requires(Action.READ))
def entered_time(_operator: Operator, text: Entry) -> EnteredTime:
    """The instant a time names: a date-time group (``031800ZDEC26``) or ISO 8601 with its zone
    (``2026-12-03T18:00:00Z``)."""
    iso = _ISO_START.match(text.strip())
    instant = parse_utc(text.strip(), field="text") if iso else parse_dtg(text, field="text")
    return EnteredTime(time=format_utc(instant), dtg=format_dtg(instant))


class GridLabel(BaseModel):
    lat: float
    lon: float
    mgrs: str


class MgrsGrid(BaseModel):
    zone: int = Field(description="The UTM zone the grid is drawn in (0: none, beyond UTM).")
    lines: list[list[tuple[float, float]]] = Field(description="Each line's [lat, lon] points.")
    labels: list[GridLabel] = Field(description="Each whole square's centre and reference.")


Latitude = Annotated[float, Query(ge=-90, le=90)]
Longitude = Annotated[float, Query(ge=-180, le=180)]


@router.get("/mgrs-grid", response_model=MgrsGrid, dependencies=requires(Action.READ))
def grid(
    _operator: Operator,
    south: Latitude,
    west: Longitude,
    north: Latitude,
    east: Longitude,
    spacing_m: Annotated[int, Query(description="100000, 10000, 1000 or 100.")],
) -> MgrsGrid:
    """The MGRS grid over a map view (the console's overlay), from the node's one UTM/MGRS
    implementation."""
    overlay = mgrs_grid(south, west, north, east, spacing_m)
    return MgrsGrid(
        zone=overlay.zone,
        lines=overlay.lines,
        labels=[GridLabel(lat=a, lon=b, mgrs=text) for a, b, text in overlay.labels],
    )


# FastAPI's own page starts Swagger UI with an inline script, which the node's
# Content-Security-Policy does not run (api/headers.py): this one starts it from a file.
SWAGGER_UI_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link type="text/css" rel="stylesheet" href="{ui}/swagger-ui.css">
<link rel="shortcut icon" href="{ui}/favicon-32x32.png">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{ui}/swagger-ui-bundle.js"></script>
<script src="/js/swagger-ui.js"></script>
</body>
</html>
"""


@docs_router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return HTMLResponse(
        SWAGGER_UI_PAGE.format(
            ui=SWAGGER_UI,
            title=html.escape(f"{request.app.title}: Swagger UI"),
            openapi_url=html.escape(request.app.openapi_url),
        )
    )


@docs_router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title}: ReDoc",
        redoc_js_url=f"{REDOC}/redoc.standalone.js",
        redoc_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        with_google_fonts=False,  # the system's fonts: nothing fetched from outside the node
    )
