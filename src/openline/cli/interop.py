"""``openline import`` and ``openline export``: files in standard formats in and out.

An import goes through the running node's API (POST /api/v1/imports/FORMAT), like ``notify``:
the node stays the one writer and shares and checks every notification as it stores it.
``--dry-run`` reads the file here, with no node, and prints what would be notified as a GeoJSON
FeatureCollection; an ED-318 file is then checked against the schema in ``--schema DIR``, or
else in the ``ed318_schema_dir`` of ``--node DIR`` (a real import is checked by the node,
against its own). A file whose records partly fail imports the rest; every failed record is
reported on stderr and the exit status is 1.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openline.cli.common import EXISTING_NODE, call_node, emit_json, node_option, reported_errors
from openline.domain.errors import InvalidInput

if TYPE_CHECKING:
    from openline.interop.geozones import SchemaFolder

IMPORT_FORMATS = click.Choice(["notam", "geojson", "ed269", "ed318", "f3548", "csv", "xlsx"])
# What the node is told a file is (an XLSX workbook is bytes, every other format text).
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_FORMATS = click.Choice(["geojson", "f3548", "notam"])


@click.command("import")
@click.argument("format_name", metavar="FORMAT", type=IMPORT_FORMATS)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--node", "directory", type=EXISTING_NODE, help="The node's DIR.")
@click.option("--dry-run", is_flag=True, help="Print what would be notified; store nothing.")
@click.option(
    "--schema",
    "schema_dir",
    type=click.Path(path_type=Path, dir_okay=True, file_okay=False),
    help="With --dry-run: the folder of the ED-318 JSON schema (Schema_GeoZones.json), over "
    "the node's ed318_schema_dir.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the node's answer as JSON.")
@click.option(
    "--template",
    is_flag=True,
    help="csv or xlsx: write the spreadsheet of sites to fill in to FILE; import nothing.",
)
def import_file(  # keyword-only: click passes every option by name
    *,
    format_name: str,
    file: Path,
    directory: Path | None,
    dry_run: bool,
    schema_dir: Path | None,
    as_json: bool,
    template: bool,
) -> None:
    """Import FILE (FORMAT: notam, geojson, ed269, ed318, f3548, csv, xlsx) as notifications.

    With --dry-run, print the GeoJSON FeatureCollection of what would be notified (one feature
    per volume) and store nothing; no node is needed, but an ED-318 file needs --schema DIR
    (or --node DIR with ed318_schema_dir set). csv and xlsx are spreadsheets of sites and
    movements, one a row; --template writes one to fill in.
    """
    if schema_dir is not None and format_name != "ed318":
        raise click.UsageError(f"--schema is for ed318 files, not {format_name}")
    if template:
        _write_template(format_name, file)
        return
    data = _read(file)
    if dry_run:
        from openline.services.interop import dry_run as plan_of

        with reported_errors():
            schema = _ed318_schema(schema_dir, directory) if format_name == "ed318" else None
            collection = plan_of(format_name, data, now=datetime.now(UTC), ed318_schema=schema)
        errors = collection.pop("errors")
        for warning in collection.pop("warnings"):
            click.echo(f"warning: {warning['item']}: {warning['message']}", err=True)
        emit_json(collection)
        _exit_on(errors)
        return
    if directory is None:
        raise click.UsageError("give --node DIR to import into a node (or --dry-run)")
    if schema_dir is not None:
        # The node is the one that checks what it stores; it is never told where to look.
        raise click.UsageError(
            "--schema is for --dry-run: a node checks an ED-318 import against its own "
            "ed318_schema_dir (OPENLINE_ED318_SCHEMA_DIR)"
        )
    path = f"/api/v1/imports/{format_name}"
    headers = {"Content-Type": CONTENT_TYPES.get(format_name, "text/plain; charset=utf-8")}
    done = call_node(directory, lambda c: c.request("POST", path, content=data, headers=headers))
    if as_json:
        emit_json(done)
    else:
        _report(done)
    _exit_on(done["errors"])


def _ed318_schema(schema_dir: Path | None, directory: Path | None) -> SchemaFolder:
    """Where a dry run looks for the ED-318 schema: --schema, else the node's setting."""
    from openline.interop.geozones import SchemaFolder

    if schema_dir is not None:
        return SchemaFolder(schema_dir, "--schema DIR")
    if directory is None:
        return SchemaFolder(None, "--schema DIR (or give --node DIR of a node that has one)")
    from openline.node.settings import load_settings
    from openline.services.interop import ed318_schema

    found = ed318_schema(load_settings(directory, os.environ), directory)
    return SchemaFolder(found.path, f"--schema DIR, or {found.named} of {directory},")


def _write_template(format_name: str, file: Path) -> None:
    from openline.interop import spreadsheets

    if format_name not in spreadsheets.FORMATS:
        raise click.UsageError(f"--template is for csv and xlsx, not {format_name}")
    with reported_errors():
        try:
            file.write_bytes(spreadsheets.template(format_name))
        except OSError as exc:
            raise InvalidInput(f"{file} cannot be written: {exc.strerror}") from None
    click.echo(f"wrote the {format_name} template of sites to {file}")


def _read(file: Path) -> bytes:
    with reported_errors():
        try:
            return file.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"{file} cannot be read: {exc.strerror}") from None


def _report(done: dict[str, Any]) -> None:
    for made in done["created"]:
        click.echo(f"created {made['id']} {made['kind']} ({made['item']}): {made['title']}")
    for gone in done["cancelled"]:
        click.echo(f"cancelled {gone['id']} ({gone['item']}): {gone['title']}")
    for warning in done["warnings"]:
        click.echo(f"warning: {warning['message']}", err=True)
    click.echo(
        f"{done['records']} records: {len(done['created'])} notifications created, "
        f"{len(done['cancelled'])} cancelled, {len(done['errors'])} records failed"
    )


def _exit_on(errors: list[dict[str, Any]]) -> None:
    """Report each failed record on stderr; exit 1 if there was any."""
    for error in errors:
        where = f" [{error['field']}]" if error.get("field") else ""
        text = f"\n  in: {error['text']}" if error.get("text") else ""
        click.echo(f"error: {error['item']}: {error['message']}{where}{text}", err=True)
    if errors:
        raise click.exceptions.Exit(1)


@click.command("export")
@click.argument("format_name", metavar="FORMAT", type=EXPORT_FORMATS)
@node_option
@click.option("--owner", default=None, help="Only this party's notifications.")
def export(format_name: str, directory: Path, owner: str | None) -> None:
    """Print every live notification of the node in FORMAT (geojson, f3548, notam).

    notam prints ICAO NOTAM text, one NOTAM per time window of each notification, issued by
    the node's party as the office; the others print JSON.
    """
    params = {"owner": owner} if owner else {}
    path = f"/api/v1/exports/{format_name}"
    done = call_node(directory, lambda c: c.request("GET", path, params=params))
    if format_name == "notam":
        click.echo(done["text"], nl=False)
    else:
        emit_json(done)
