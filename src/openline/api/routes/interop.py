"""/api/v1/imports and /api/v1/exports: files of NOTAMs, geozones, F3548 intents, GeoJSON or
spreadsheets of sites (CSV, XLSX) in, notifications out (docs/interop.md)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from openline.api.deps import NodeDep, Operator, requires
from openline.api.strict_json import strict_if_json
from openline.domain.roles import Action
from openline.interop import spreadsheets
from openline.interop.formats import EXPORT_FORMATS, IMPORT_FORMATS
from openline.services import interop as service

router = APIRouter(prefix="/api/v1", tags=["interop"])


# The body is the file as it is, read raw: declared here for the OpenAPI document only.
_FILE = {
    "requestBody": {
        "required": True,
        "description": "The file as it is (NOTAM text, JSON, YAML for InterUSS intents, CSV, "
        "or an XLSX workbook's bytes), within the request size limit.",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {}},
            spreadsheets.CSV_TYPE: {"schema": {"type": "string"}},
            spreadsheets.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post("/imports/{format_name}", dependencies=requires(Action.NOTIFY), openapi_extra=_FILE)
async def import_file(
    format_name: Annotated[str, Path(json_schema_extra={"enum": list(IMPORT_FORMATS)})],
    request: Request,
    node: NodeDep,
    operator: Operator,
    dry_run: Annotated[bool, Query(description="Show the result, store nothing.")] = False,
) -> dict[str, Any]:
    """Import every record of the file: what was created and cancelled, and each record that
    failed (item, message, text). With ``dry_run``, the GeoJSON FeatureCollection of what
    would be notified."""
    data = await request.body()
    strict_if_json(request, data)
    if dry_run:
        schema = service.ed318_schema(node.settings, node.directory.path)
        return await asyncio.to_thread(
            service.dry_run,
            format_name,
            data,
            now=node.clock(),
            ed318_schema=schema,
            settings=node.settings,
        )
    report = await service.import_file(node, format_name, data, operator)
    return report.to_json()


@router.get(
    "/imports/{format_name}/template",
    dependencies=requires(Action.READ),
    response_class=Response,
    responses={200: {"content": {spreadsheets.CSV_TYPE: {}, spreadsheets.XLSX_TYPE: {}}}},
)
def template(
    format_name: Annotated[str, Path(json_schema_extra={"enum": list(spreadsheets.FORMATS)})],
    _operator: Operator,
) -> Response:
    """The spreadsheet of sites to fill in (every column, a row of each spelling), as a file."""
    data = spreadsheets.template(format_name)
    media = spreadsheets.XLSX_TYPE if format_name == "xlsx" else spreadsheets.CSV_TYPE
    disposition = f'attachment; filename="openline-sites.{format_name}"'
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/exports/{format_name}", dependencies=requires(Action.READ))
def export(
    format_name: Annotated[str, Path(json_schema_extra={"enum": list(EXPORT_FORMATS)})],
    node: NodeDep,
    _operator: Operator,
    owner: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    """Every live notification (or one party's) as a GeoJSON FeatureCollection or F3548
    operational intents."""
    return service.export(node, format_name, owner=owner)
