"""What an imported file asks of a node: one record per NOTAM, zone, intent or notification.

Every reader of ``openline.interop`` turns a file into an ``ImportPlan``: the records it could
read, each an action (create, replace, cancel) with the bodies of POST /api/v1/notifications
it needs, and a ``RecordError`` for each record it could not, naming the record and the text
that could not be read. A plan is pure data: applying it is ``openline.services.interop``'s job,
showing it (``--dry-run``) is ``openline.interop.formats.dry_run``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, NotRequired, TypedDict

from openline.domain.errors import InvalidInput
from openline.domain.notifications import MAX_TITLE_CHARS, parse_notification_draft
from openline.domain.volumes import Limits, invalid_at

# One record may become several notifications, but not without end: a schedule over decades
# would otherwise flood the node (and every peer it is shared with).
MAX_RECORD_VOLUMES = 2000


class NotificationBody(TypedDict):
    """A body of POST /api/v1/notifications that an imported record asks for, checked by the
    API's rules; its volumes as the file gives them."""

    kind: str
    title: str
    volumes: NotRequired[list[dict[str, Any]]]  # or, for a movement, its route
    route: NotRequired[dict[str, Any]]
    reference: NotRequired[str]
    share_with: NotRequired[list[str]]  # a spreadsheet's row may name the parties


class Action(StrEnum):
    CREATE = "create"
    REPLACE = "replace"  # cancel what ``replaces`` names, then create the drafts
    CANCEL = "cancel"  # cancel what ``replaces`` names


@dataclass(frozen=True)
class ImportRecord:
    """One record of a file, read: what to do and the notification bodies to do it with."""

    item: str  # names the record in every report: "NOTAM A1234/24", "features[3]", "zone LSZB003"
    action: Action
    drafts: tuple[NotificationBody, ...]
    reference: str | None = None  # the record's own number, kept on every notification made
    replaces: str | None = None  # the reference a replace or cancel applies to
    notam_id: str | None = None
    warnings: tuple[str, ...] = ()  # read, with something its importer should know


@dataclass(frozen=True)
class RecordError:
    """A record that could not be read or applied; the others go on."""

    item: str
    message: str
    text: str = ""  # the text that could not be read (cut to a line)
    field: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"item": self.item, "message": self.message, "text": self.text, "field": self.field}


@dataclass
class ImportPlan:
    records: list[ImportRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)


class Draft(NamedTuple):
    """What one record of a file asks for: a notification's kind, title and volumes (as the
    file gives them: the rules refuse what is wrong, by name)."""

    kind: Any
    title: Any
    volumes: list[dict[str, Any]]


def _unchanged(message: str) -> str:
    return message


@dataclass(frozen=True)
class Reading:
    """One record of a file, found but not yet read: its name in reports, its reference, the
    text an error report quotes, and how to read it (``InvalidInput`` naming what is wrong);
    ``renamed`` turns an error message into the file's own terms."""

    item: str
    reference: str | None
    text: Any
    read: Callable[[], Draft]
    renamed: Callable[[str], str] = _unchanged


def plan_of(
    readings: Iterable[Reading], *, limits: Limits, errors: Sequence[RecordError] = ()
) -> ImportPlan:
    """The plan of the records that create notifications (every format but NOTAM): each one
    read and checked by the API's rules (``bodies``), a create for each that passes and a
    ``RecordError`` for each that does not, after ``errors`` (found before any record)."""
    out = ImportPlan(errors=list(errors))
    for reading in readings:
        try:
            kind, title, volumes = reading.read()
            drafts = bodies(
                kind=kind, title=title, volumes=volumes, reference=reading.reference, limits=limits
            )
        except InvalidInput as error:
            message = reading.renamed(error.message)
            out.errors.append(
                RecordError(reading.item, message, excerpt(reading.text), error.field)
            )
            continue
        record = ImportRecord(
            reading.item, Action.CREATE, tuple(drafts), reference=reading.reference
        )
        out.records.append(record)
    return out


def object_at(value: Any, where: str) -> Mapping[str, Any]:
    """``value``, a JSON object; else ``InvalidInput`` naming ``where``."""
    if not isinstance(value, Mapping):
        raise invalid_at(where, f"expected an object, got {value!r:.60}")
    return value


def excerpt(text: Any, limit: int = 80) -> str:
    """The start of the text a record was read from, on one line, for an error report."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def bodies(
    *,
    kind: str,
    title: str,
    volumes: Sequence[dict[str, Any]],
    reference: str | None,
    limits: Limits,
) -> list[NotificationBody]:
    """The bodies of POST /api/v1/notifications for these volumes, checked by the API's own
    rules: one, or several titled "(part i/n)" when there are more volumes than one
    notification may hold (``max_volumes``). Raises ``InvalidInput`` naming the volume."""
    if len(volumes) > MAX_RECORD_VOLUMES:
        raise InvalidInput(
            f"{len(volumes)} volumes (areas x layers x time windows), over the limit of "
            f"{MAX_RECORD_VOLUMES} for one record"
        )
    size = limits.max_volumes
    parts = [list(volumes[i : i + size]) for i in range(0, len(volumes), size)] or [[]]
    out = []
    for number, part in enumerate(parts, 1):
        suffix = f" (part {number}/{len(parts)})" if len(parts) > 1 else ""
        body: NotificationBody = {
            "kind": kind,
            # a title that is not text is left as it is, for the rules to refuse by name
            "title": title[: MAX_TITLE_CHARS - len(suffix)] + suffix
            if isinstance(title, str)
            else title,
            "volumes": part,
        }
        if reference is not None:
            body["reference"] = reference
        try:
            parse_notification_draft(body, limits=limits)
        except InvalidInput as error:
            # volumes[i] of a part is volumes[offset + i] of the record: say which.
            offset = (number - 1) * size
            raise InvalidInput(_renumbered(error.message, offset), field=error.field) from None
        out.append(body)
    return out


def _renumbered(message: str, offset: int) -> str:
    if not offset or not message.startswith("volumes["):
        return message
    index, rest = message[len("volumes[") :].split("]", 1)
    return f"volumes[{int(index) + offset}]{rest}" if index.isdigit() else message


def within_duration(
    windows: Sequence[tuple[datetime, datetime]], limits: Limits
) -> list[tuple[datetime, datetime]]:
    """The windows, each longer than one volume may last (``max_duration``) cut into
    consecutive pieces."""
    longest = limits.max_duration
    pieces = []
    for begin, stop in windows:
        at = begin
        while stop - at > longest:
            pieces.append((at, at + longest))
            at += longest
        pieces.append((at, stop))
    return pieces
