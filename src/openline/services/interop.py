"""Importing files of NOTAMs, geozones, F3548 intents, GeoJSON or spreadsheets of sites (CSV,
XLSX) as notifications, and exporting notifications.

An import reads the whole file into a plan first (openline.interop.formats), then applies it
record by record, each record one writer operation: a NOTAM's notifications, or a NOTAMR's
cancellations and replacements, are stored together or not at all, and a record that fails
(unreadable, refused by the rules, or naming a NOTAM this node does not hold) is reported while
the others go on. Every notification is made through the same operations as
POST /api/v1/notifications, so it is journaled, shared and checked for conflicts the same way.

A NOTAM's reference is its number keyed by its issuing office (``LCCC A1234/26``): numbers are
unique only within an office, so a NOTAMR or NOTAMC finds its target only within its own office.
A NOTAMR cancels the live notifications made from the NOTAM it replaces and creates new ones
under its own number (cancel-and-create, not a revision: the replacement is a new NOTAM, and
the cancelled one stays in the record under its own number). docs/interop.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openline.domain.errors import Conflict, InvalidInput, NotFound
from openline.domain.notifications import Notification, Status
from openline.interop import formats
from openline.interop.geozones import SchemaFolder
from openline.interop.notam_areas import NotamSettings
from openline.interop.plans import Action, ImportPlan, ImportRecord, RecordError
from openline.node.assembly import Node
from openline.node.settings import Settings, env_name
from openline.services import notifications
from openline.store import notifications as store
from openline.store.writer import Operation, UnitOfWork

LIVE = (Status.PLANNED, Status.ACTIVE)
# The office of a NOTAM imported before references named it (migration 0011).
UNKNOWN_OFFICE = "?"


SCHEMA_SETTING = f"the setting ed318_schema_dir ({env_name('ed318_schema_dir')})"


@dataclass(frozen=True, slots=True)
class Imported:
    """A notification an import created or cancelled, and the record of the file it came from."""

    item: str
    notification: Notification

    def to_json(self) -> dict[str, str | None]:
        n = self.notification
        return {
            "item": self.item,
            "id": n.id,
            "kind": n.kind.value,
            "title": n.title,
            "reference": n.reference,
        }


@dataclass(frozen=True, slots=True)
class RecordWarning:
    """A record applied, with something its importer should know (a NOTAMR whose NOTAM is
    not held here, a long edge divided along its geodesic)."""

    item: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"item": self.item, "message": self.message}


@dataclass(slots=True)
class ImportReport:
    """What an import did: filled in record by record as the file is applied."""

    format: str
    records: int  # every record of the file, read or not
    created: list[Imported] = field(default_factory=list)
    cancelled: list[Imported] = field(default_factory=list)
    warnings: list[RecordWarning] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "records": self.records,
            "created": [c.to_json() for c in self.created],
            "cancelled": [c.to_json() for c in self.cancelled],
            "warnings": [w.to_json() for w in self.warnings],
            "errors": [e.to_json() for e in self.errors],
        }


def ed318_schema(settings: Settings, directory: Path) -> SchemaFolder:
    """The ED-318 schema folder a node's settings name (relative: in its directory)."""
    folder = settings.ed318_schema_dir
    return SchemaFolder(directory / folder if folder else None, SCHEMA_SETTING)


def notam_settings(settings: Settings) -> NotamSettings:
    """What a node's settings accept of a NOTAM beyond a volume's own limits."""
    return NotamSettings(
        max_circle_m=settings.notam_max_circle_km * 1000.0,
        unlimited_m=settings.notam_unlimited_m,
    )


def read_plan(node: Node, format_name: str, data: bytes | str) -> ImportPlan:
    """The plan of a file, with the notification limits the API applies and the node's ED-318
    schema and NOTAM settings."""
    return formats.read_plan(
        format_name,
        _contents(format_name, data),
        now=node.clock(),
        limits=notifications.LIMITS,
        ed318_schema=ed318_schema(node.settings, node.directory.path),
        notam_settings=notam_settings(node.settings),
    )


def dry_run(
    format_name: str,
    data: bytes | str,
    *,
    now: datetime,
    ed318_schema: SchemaFolder | None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The plan of a file as a GeoJSON FeatureCollection (its failed records under
    ``errors``); nothing is stored, no node is needed (an ED-318 file needs ``ed318_schema``;
    a node's ``settings`` give its NOTAM settings, else the defaults)."""
    plan = formats.read_plan(
        format_name,
        _contents(format_name, data),
        now=now,
        limits=notifications.LIMITS,
        ed318_schema=ed318_schema,
        notam_settings=notam_settings(settings) if settings else None,
    )
    return formats.dry_run(plan)


def _contents(format_name: str, data: bytes | str) -> bytes | str:
    """What the format's reader takes: an XLSX workbook's bytes, any other file's text."""
    if format_name in formats.BINARY_FORMATS:
        return data.encode() if isinstance(data, str) else data
    return _text(data)


def _text(data: bytes | str) -> str:
    try:
        text = data if isinstance(data, str) else data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"the file is not UTF-8 text: byte {error.start} cannot be read"
        ) from None
    if "\x00" in text:  # no database keeps a NUL in text
        raise InvalidInput(f"the file holds a NUL character at character {text.index(chr(0))}")
    return text


async def import_file(
    node: Node, format_name: str, data: bytes | str, operator: str
) -> ImportReport:
    """Apply every record of the file; what was created and cancelled, and each record that
    failed with its item, message and text."""
    # Reading a file is CPU work (a zone's schedule, every volume checked): off the event loop.
    plan = await asyncio.to_thread(read_plan, node, format_name, data)
    report = ImportReport(
        format_name, records=len(plan.records) + len(plan.errors), errors=list(plan.errors)
    )
    for record in plan.records:
        try:
            applied = await node.write_async(apply_record(node, record, operator))
        except (InvalidInput, NotFound, Conflict) as error:
            report.errors.append(RecordError(record.item, error.message, "", error.field))
            continue
        report.warnings += [RecordWarning(record.item, w) for w in record.warnings]
        report.created += [Imported(record.item, n) for n in applied.created]
        report.cancelled += [Imported(record.item, n) for n in applied.cancelled]
        if applied.warning:
            report.warnings.append(RecordWarning(record.item, applied.warning))
    return report


@dataclass(frozen=True, slots=True)
class Applied:
    """What one record did."""

    created: list[Notification]
    cancelled: list[Notification]
    warning: str | None


def apply_record(node: Node, record: ImportRecord, operator: str) -> Operation[Applied]:
    """One record as one writer operation."""
    drafts = [notifications.parse_draft(body) for body in record.drafts]
    creations = [notifications.create(node, draft, operator) for draft in drafts]

    def apply(uow: UnitOfWork) -> Applied:
        gone: list[Notification] = []
        warning = None
        if record.action in (Action.REPLACE, Action.CANCEL):
            targets = _live(uow, node, record.replaces)
            if not targets:
                missing = (
                    f"{record.item} {'cancels' if record.action is Action.CANCEL else 'replaces'}"
                    f" {record.replaces}, but no live notification here was made from "
                    f"{record.replaces}{_unknown_office(uow, node, record.replaces)}"
                )
                if record.action is Action.CANCEL:
                    raise NotFound(f"{missing}: nothing was cancelled", field="replaces")
                warning = f"{missing}: its own were created as new"
            for target in targets:
                changed, _ = notifications.change_status(
                    node, target.id, Status.CANCELLED, operator
                )(uow)
                gone.append(changed)
        if record.reference is not None and record.action is not Action.CANCEL:
            held = _live(uow, node, record.reference)
            if held:
                raise Conflict(
                    f"{record.item}: {record.reference} is already notified here as "
                    f"{', '.join(n.id for n in held)}; nothing was created (to change it, "
                    "import its replacement, or cancel it first)",
                    field="reference",
                )
            if record.notam_id is not None and (legacy := _legacy(uow, node, record.reference)):
                raise Conflict(
                    f"{record.item}: {legacy[0].reference} is already notified here as "
                    f"{', '.join(n.id for n in legacy)}, imported before references named "
                    "their office; nothing was created (if it is this NOTAM, cancel it first)",
                    field="reference",
                )
        made = [create(uow)[0] for create in creations]
        return Applied(made, gone, warning)

    return apply


def _live(uow: UnitOfWork, node: Node, reference: str | None) -> list[Notification]:
    if reference is None:
        return []
    found = store.by_reference(uow.conn, reference, owner=node.party)
    return [n for n in found if n.status in LIVE]


def _legacy(uow: UnitOfWork, node: Node, reference: str | None) -> list[Notification]:
    """The live notifications made from the same NOTAM number as ``reference`` (``LCCC
    A1234/26``) before references named their office (migration 0011: ``? A1234/26``)."""
    if reference is None or " " not in reference:
        return []
    return _live(uow, node, f"{UNKNOWN_OFFICE} {reference.split(' ', 1)[1]}")


def _unknown_office(uow: UnitOfWork, node: Node, reference: str | None) -> str:
    """What an importer should know when only a NOTAM of that number from an unknown office
    is held: it was left as it is, since NOTAMs are matched only within their office."""
    legacy = _legacy(uow, node, reference)
    if not legacy:
        return ""
    ids = ", ".join(n.id for n in legacy)
    return (
        f" ({ids} was made from {legacy[0].reference}, imported before references named "
        "their office, and was left as it is: cancel it by hand if it is the same NOTAM)"
    )


def export(node: Node, format_name: str, *, owner: str | None = None) -> dict[str, Any]:
    """Every live notification this node holds (or ``owner``'s) in an export format."""
    formats.check_format(format_name, formats.EXPORT_FORMATS, "exported")
    records: list[dict[str, Any]] = []
    after = None
    while True:
        page = notifications.list_notifications(
            node, live_only=True, owner=owner, limit=notifications.MAX_PAGE, after=after
        )
        records += [n.to_json() for n in page]
        if len(page) < notifications.MAX_PAGE:
            break
        after = page[-1].id
    # NOTAMs exported are this node's: its party code is the office that issues them
    return formats.export(format_name, records, office=node.party)
