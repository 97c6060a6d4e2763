"""The formats Openline imports and exports, by name: the one place that reads a file's text
into an ``ImportPlan`` and writes notifications out.

``read_plan(format, text, now=...)`` is what ``openline import`` (``--dry-run`` included) and
POST /api/v1/imports/{format} both call; ``export(format, records)`` what ``openline export``
and GET /api/v1/exports/{format} both call. docs/interop.md describes each format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.notifications import parse_notification_draft
from openline.domain.strict_json import loads
from openline.domain.volumes import Limits
from openline.interop import (
    f3548,
    geojson,
    geozones,
    notam,
    notam_areas,
    notam_drafts,
    notam_write,
    spreadsheets,
)
from openline.interop.plans import (
    Draft,
    ImportPlan,
    ImportRecord,
    NotificationBody,
    Reading,
    RecordError,
    excerpt,
    plan_of,
)
from openline.interop.yaml_text import load_yaml

IMPORT_FORMATS = ("notam", "geojson", "ed269", "ed318", "f3548", *spreadsheets.FORMATS)
# Read as the bytes they are; every other format as UTF-8 text.
BINARY_FORMATS = ("xlsx",)
EXPORT_FORMATS = ("geojson", "f3548", "notam")


def check_format(name: str, allowed: Sequence[str], what: str) -> str:
    if name not in allowed:
        raise InvalidInput(
            f"format {name!r:.40} cannot be {what}: one of {', '.join(allowed)}", field="format"
        )
    return name


def read_plan(
    name: str,
    text: str | bytes,
    *,
    now: datetime,
    limits: Limits | None = None,
    ed318_schema: geozones.SchemaFolder | None = None,
    notam_settings: notam_areas.NotamSettings | None = None,
) -> ImportPlan:
    """What the file asks of a node (an xlsx file as its bytes, any other as text). An error in
    a record is reported in the plan and the other records go on; a file that cannot be read at
    all raises ``InvalidInput``, and so does an ED-318 file without ``ed318_schema`` to check it
    against (never read unchecked)."""
    check_format(name, IMPORT_FORMATS, "imported")
    limits = limits or Limits()
    if (name in BINARY_FORMATS) != isinstance(text, bytes):  # the caller's mistake
        raise TypeError(f"a {name} file is read as {'bytes' if name in BINARY_FORMATS else 'text'}")
    if isinstance(text, bytes):
        return spreadsheets.plan_xlsx(text, now=now, limits=limits)
    if name == "csv":
        return spreadsheets.plan_csv(text, now=now, limits=limits)
    if name == "ed318":
        schema = ed318_schema or geozones.SchemaFolder(None, "an ED-318 schema folder")
        schema.validator()  # refused before the file is read: the file is not at fault
    if name == "notam":
        return notam_plan(text, limits=limits, settings=notam_settings)
    document = _document(name, text)
    if name == "geojson":
        return geojson_plan(document, limits=limits)
    if name == "ed269":
        return geozones.plan_ed269(document, now=now, limits=limits)
    if name == "ed318":
        return geozones.plan_ed318(document, now=now, limits=limits, schema=schema)
    return f3548.plan(document, now=now, limits=limits)


def _document(name: str, text: str) -> Any:
    """The file's JSON (or, for f3548, YAML) document. A string holding a NUL or a lone
    surrogate (``"\\ud800"``) is refused here, naming its place, as the API refuses it in any
    JSON body: no database or journal could keep it (openline.domain.strict_json)."""
    try:
        return loads(text)
    except ValueError as json_error:
        if name != "f3548":
            raise InvalidInput(f"the {name} file is not JSON: {json_error}") from None
    import yaml  # InterUSS writes its flight intents in YAML

    try:
        document = load_yaml(text)
        loads(json.dumps(document, default=str))  # the same check on what YAML read
    except yaml.YAMLError as error:
        raise InvalidInput(f"the f3548 file is neither JSON nor YAML: {error}") from None
    except ValueError as error:
        raise InvalidInput(f"the f3548 file cannot be read: {error}") from None
    return document


def notam_plan(
    text: str, *, limits: Limits, settings: notam_areas.NotamSettings | None = None
) -> ImportPlan:
    """Every NOTAM of the file; each keeps its number, keyed by its office, as the
    notifications' reference. ``settings``: what the node accepts beyond a volume's limits."""
    out = ImportPlan()
    for index, piece in enumerate(notam.split_notams(text)):
        number = notam.number_of(piece)
        item = f"NOTAM {number}" if number else f"NOTAM {index + 1} of the file"
        try:
            parsed = notam.parse_notam(piece)
            act = notam_drafts.action(parsed, limits=limits, settings=settings)
        except notam.NotamError as error:
            out.errors.append(RecordError(item, error.message, excerpt(piece), error.field))
            continue
        reference = act.notam_id
        if reference:
            for body in act.drafts:  # made for this record alone
                body["reference"] = reference
        out.records.append(
            ImportRecord(
                item=item,
                action=act.action,
                drafts=tuple(act.drafts),
                reference=reference,
                replaces=act.replaces,
                notam_id=reference,
                warnings=tuple(act.warnings),
            )
        )
    return out


def geojson_plan(document: Any, *, limits: Limits) -> ImportPlan:
    """One notification per group of features (geojson.groups): an exported file imports as
    the notifications it was written from."""
    return plan_of(
        (
            _geojson_group(item, indexes, features)
            for item, indexes, features in geojson.groups(document)
        ),
        limits=limits,
    )


def _geojson_group(item: str, indexes: Sequence[int], features: Sequence[Any]) -> Reading:
    first = features[0].get("properties") or {}

    def read() -> Draft:
        volumes = geojson.volumes_of(indexes, features)
        for name in ("kind", "title"):
            if first.get(name) is None:
                where = f"features[{indexes[0]}].properties.{name}"
                raise InvalidInput(f"{where} is missing", field=where)
        return Draft(first["kind"], first["title"], volumes)

    return Reading(
        item,
        first.get("reference"),
        first.get("title", ""),
        read,
        renamed=lambda message: _feature_named(message, indexes),
    )


def _feature_named(message: str, indexes: Sequence[int]) -> str:
    """``volumes[k]`` of a group is the file's ``features[indexes[k]]``: say so."""
    if not message.startswith("volumes["):
        return message
    number, rest = message[len("volumes[") :].split("]", 1)
    if not number.isdigit() or int(number) >= len(indexes):
        return message
    return f"features[{indexes[int(number)]}]{rest}"


def export(
    name: str, records: Sequence[Mapping[str, Any]], *, office: str = "ZZZZ"
) -> dict[str, Any]:
    """Notification records (as the API gives them) in an export format; NOTAM text (under
    ``office``) as ``{"format": "notam", "text": ...}``."""
    check_format(name, EXPORT_FORMATS, "exported")
    if name == "geojson":
        return geojson.export(records)
    if name == "notam":
        return {"format": "notam", "text": notam_write.notam_text(records, office=office)}
    return f3548.export(records)


def _volumes(body: NotificationBody) -> list[dict[str, Any]]:
    """A body's volumes: as given, or a movement's route made into its legs."""
    if "volumes" in body:
        return body["volumes"]
    draft = parse_notification_draft(body, limits=Limits())
    return [volume.to_json() for volume in draft.volumes]


def dry_run(plan: ImportPlan) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection: one Feature per volume of every draft, with
    the record's item, action, reference (and ``notam_id`` for a NOTAM), kind and title; and
    the records that failed under ``errors``, what a reader should know of the others (a long
    edge divided) under ``warnings``."""
    features = []
    for record in plan.records:
        common = {
            "item": record.item,
            "action": record.action.value,
            "reference": record.reference,
            "replaces": record.replaces,
        }
        if record.notam_id is not None:
            common["notam_id"] = record.notam_id
        for body in record.drafts:
            for volume in _volumes(body):
                properties = {**common, "kind": body["kind"], "title": body["title"]}
                features.append(geojson.volume_feature(volume, properties))
    warnings = [{"item": r.item, "message": w} for r in plan.records for w in r.warnings]
    return {
        "type": "FeatureCollection",
        "features": features,
        "errors": [error.to_json() for error in plan.errors],
        "warnings": warnings,
    }
