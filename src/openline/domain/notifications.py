"""Notifications: what a party announces so that others keep clear, in 4D volumes.

A notification (an air operation, a protected site, a zone...) has one owner party, a status
that moves planned -> active -> completed or cancelled, and one or more ``Volume4D``: a
footprint on the ground (polygon, multipolygon, circle or corridor), an altitude band and a
time window; a movement may be given as a route on a timetable (``openline.domain.movements``),
which makes its volumes.
This module holds the notification and its lifecycle, and reads notifications from the API's
JSON and from peers' records; the volumes themselves are ``openline.domain.volumes``. The rules
and messages are listed in docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from openline.domain.errors import Conflict
from openline.domain.movements import Route, parse_route
from openline.domain.parties import check_party_code
from openline.domain.timeutil import format_utc
from openline.domain.volumes import (
    Limits,
    Volume4D,
    instant_ms,
    invalid_at,
    list_of,
    members,
    parse_volume,
)

MAX_TITLE_CHARS = 200
MAX_SHARE_WITH = 64
MAX_REFERENCE_CHARS = 64


class Kind(StrEnum):
    """What a notification announces."""

    AIR_OPERATION = "air-operation"
    GROUND_OPERATION = "ground-operation"
    ARTILLERY = "artillery"
    UAV_OPERATION = "uav-operation"
    EXERCISE = "exercise"
    MOVEMENT = "movement"
    PROTECTED_SITE = "protected-site"
    ZONE = "zone"
    # Announced by NOTAMs (openline.interop.notam); operations, like artillery.
    DANGER_AREA = "danger-area"
    FIRING = "firing"
    LAUNCH = "launch"


class Status(StrEnum):
    """Where a notification stands; see ``TRANSITIONS``."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.ACTIVE, Status.CANCELLED}),
    Status.ACTIVE: frozenset({Status.COMPLETED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class NotificationDraft:
    """What an operator asks to announce, checked, before it has an id and an owner."""

    kind: Kind
    title: str
    volumes: tuple[Volume4D, ...]
    share_with: tuple[str, ...] = ()
    reference: str | None = None  # the outside document it comes from, e.g. NOTAM A3799/24
    route: Route | None = None  # a movement's timetable, which made the volumes
    # "disclosure": "blind": share_with are deconflicted blind, not shared; None when not given
    # (a new notification is then full, a revision keeps what it was: stays_blind)
    blind: bool | None = None


_RECORD_KEYS = (
    "id",
    "owner",
    "kind",
    "title",
    "status",
    "volumes",
    "share_with",
    "created_at",
    "updated_at",
    "version",
)


@dataclass(frozen=True)
class Notification:
    """A notification as its owner's node and the parties it is shared with hold it."""

    id: str
    owner: str
    kind: Kind
    title: str
    status: Status
    volumes: tuple[Volume4D, ...]
    share_with: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    version: int = field(default=1)
    # The outside document it was made from (a NOTAM number such as A3799/24), so that a
    # NOTAMR or NOTAMC finds the notification it replaces or cancels; None when typed in.
    reference: str | None = None
    # A movement given as a route on a timetable: its volumes are the route's legs, in order.
    route: Route | None = None
    # The parties it is deconflicted with blind (docs/blind.md): never sent to anyone, and kept
    # only in this node's own record; a party it is disclosed to moves to share_with.
    blind_with: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The notification as its owner's journal and database keep it (JSON-ready); its
        ``reference``, ``route`` and ``blind_with`` only when it has them, so a record without
        them reads the same on a node that predates them. What crosses the line is
        :meth:`shared_json`."""
        reference: dict[str, Any] = {} if self.reference is None else {"reference": self.reference}
        if self.route is not None:
            reference["route"] = self.route.to_json()
        if self.blind_with:
            reference["blind_with"] = list(self.blind_with)
        return {
            "id": self.id,
            "owner": self.owner,
            "kind": self.kind.value,
            "title": self.title,
            "status": self.status.value,
            "volumes": [v.to_json() for v in self.volumes],
            "share_with": list(self.share_with),
            "created_at": format_utc(self.created_at),
            "updated_at": format_utc(self.updated_at),
            "version": self.version,
            **reference,
        }

    def shared_json(self) -> dict[str, Any]:
        """The record as the parties it is shared with receive it: without ``blind_with``."""
        record = self.to_json()
        record.pop("blind_with", None)
        return record

    @classmethod
    def from_json(cls, record: Any, *, limits: Limits) -> Notification:
        """A notification received from a peer (as :meth:`to_json` wrote it), checked as
        strictly as one made here."""
        r = members(record, "", _RECORD_KEYS, ("reference", "route", "blind_with"))
        ident = r["id"]
        if not isinstance(ident, str) or not 1 <= len(ident) <= 64 or not ident.isprintable():
            raise invalid_at("id", f"{ident!r:.80} is not a notification id")
        owner = check_party_code(r["owner"], field="owner")
        version = r["version"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise invalid_at("version", f"{version!r:.80} is not a version: a whole number from 1")
        created_at = instant_ms(r["created_at"], "created_at")
        updated_at = instant_ms(r["updated_at"], "updated_at")
        if updated_at < created_at:
            raise invalid_at(
                "updated_at",
                f"{format_utc(updated_at)} is before created_at {format_utc(created_at)}",
            )
        return cls(
            id=ident,
            owner=owner,
            kind=_kind(r["kind"]),
            title=_title(r["title"]),
            status=_status(r["status"]),
            volumes=_volumes(r["volumes"], limits),
            share_with=_not_owner(_share_with(r["share_with"]), owner),
            created_at=created_at,
            updated_at=updated_at,
            version=version,
            reference=_reference(r.get("reference")),
            route=_route_of(r, limits),
            blind_with=_not_owner(_share_with(r.get("blind_with", []), "blind_with"), owner),
        )


def _route_of(record: Mapping[str, Any], limits: Limits) -> Route | None:
    """A record's route, whose legs must be its volumes (a peer cannot show one route and
    announce other volumes)."""
    if "route" not in record:
        return None
    if record["kind"] != Kind.MOVEMENT:
        raise invalid_at("route", "only a movement is given as a route")
    route = parse_route(record["route"], limits=limits)
    if [v.to_json() for v in route.volumes()] != record["volumes"]:
        raise invalid_at("volumes", "the volumes are not the legs of the route")
    return route


def _kind(value: Any, where: str = "kind") -> Kind:
    try:
        return Kind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        raise invalid_at(
            where, f"{value!r:.80} is not a notification kind: one of {kinds}"
        ) from None


def _status(value: Any, where: str = "status") -> Status:
    try:
        return Status(value)
    except ValueError:
        states = ", ".join(s.value for s in Status)
        raise invalid_at(where, f"{value!r:.80} is not a status: one of {states}") from None


def check_transition(current: Status, new: Status) -> None:
    """Refuse, with ``Conflict``, a status change the lifecycle does not allow."""
    allowed = TRANSITIONS[current]
    if new not in allowed:
        onward = ", ".join(sorted(allowed)) if allowed else f"nothing: {current} is final"
        raise Conflict(
            f"a notification cannot go from {current} to {new}; from {current} it can go to "
            f"{onward}",
            field="status",
        )


def transition(notification: Notification, new: Status, *, now: datetime) -> Notification:
    """The notification in its new status, one version later."""
    check_transition(notification.status, new)
    return replace(notification, status=new, updated_at=now, version=notification.version + 1)


def revise(notification: Notification, draft: NotificationDraft, *, now: datetime) -> Notification:
    """The notification with its owner's new title, kind, volumes and sharing, one version
    later; only while it is planned or active."""
    if not TRANSITIONS[notification.status]:
        raise Conflict(
            f"notification {notification.id} is {notification.status}: it can no longer change",
            field="status",
        )
    share_with = _not_owner(draft.share_with, notification.owner)
    blind_with: tuple[str, ...] = ()
    if stays_blind(notification, draft):  # those it was disclosed to keep it; others stay blind
        blind_with = tuple(p for p in share_with if p not in notification.share_with)
        share_with = notification.share_with
    return replace(
        notification,
        kind=draft.kind,
        title=draft.title,
        volumes=draft.volumes,
        share_with=share_with,
        blind_with=blind_with,
        reference=draft.reference,
        route=draft.route,
        updated_at=now,
        version=notification.version + 1,
    )


def stays_blind(notification: Notification, draft: NotificationDraft) -> bool:
    """Whether a revision keeps the notification blind: as its draft says, or, when the draft
    does not say, as it was (a revision never discloses by omission)."""
    return bool(notification.blind_with) if draft.blind is None else draft.blind


def new_notification(
    draft: NotificationDraft, *, notification_id: str, owner: str, now: datetime
) -> Notification:
    """A checked draft made into a planned notification of ``owner``, version 1; a blind
    draft's parties are deconflicted with blind, not shared with."""
    parties = _not_owner(draft.share_with, owner)
    return Notification(
        id=notification_id,
        owner=owner,
        kind=draft.kind,
        title=draft.title,
        status=Status.PLANNED,
        volumes=draft.volumes,
        share_with=() if draft.blind else parties,
        blind_with=parties if draft.blind else (),
        created_at=now,
        updated_at=now,
        version=1,
        reference=draft.reference,
        route=draft.route,
    )


def disclose(notification: Notification, to: tuple[str, ...], *, now: datetime) -> Notification:
    """The blind notification shared in full with ``to``, parties it was deconflicted with
    blind, one version later; the others it stays blind with."""
    if not TRANSITIONS[notification.status]:
        raise Conflict(
            f"notification {notification.id} is {notification.status}: it can no longer change",
            field="status",
        )
    for i, party in enumerate(to):
        check_party_code(party, field=f"to[{i}]")
        if party not in notification.blind_with:
            blind = ", ".join(notification.blind_with) or "no party"
            raise Conflict(
                f"notification {notification.id} is not blind with {party}: it is blind with "
                f"{blind}",
                field=f"to[{i}]",
            )
    return replace(
        notification,
        share_with=tuple(sorted({*notification.share_with, *to})),
        blind_with=tuple(p for p in notification.blind_with if p not in to),
        updated_at=now,
        version=notification.version + 1,
    )


def _not_owner(share_with: tuple[str, ...], owner: str) -> tuple[str, ...]:
    if owner in share_with:
        where = f"share_with[{share_with.index(owner)}]"
        raise invalid_at(where, f"{owner} owns the notification; share it with other parties only")
    return share_with


def _title(value: Any, where: str = "title") -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_at(where, f"{value!r:.80} is not a title: give non-empty text")
    if len(value) > MAX_TITLE_CHARS:
        raise invalid_at(where, f"{len(value)} characters, over the limit of {MAX_TITLE_CHARS}")
    return value


def _reference(value: Any, where: str = "reference") -> str | None:
    if value is None:
        return None
    # A NOTAM number (A3799/24), a zone's identifier (which may hold spaces), an intent's id.
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise invalid_at(where, f"{value!r:.80} is not a reference: give printable text")
    if value != value.strip():
        raise invalid_at(where, f"{value!r:.80} starts or ends with a space")
    if len(value) > MAX_REFERENCE_CHARS:
        raise invalid_at(where, f"{len(value)} characters, over the limit of {MAX_REFERENCE_CHARS}")
    return value


def _share_with(value: Any, where: str = "share_with") -> tuple[str, ...]:
    codes = list_of(value, where, "party codes")
    if len(codes) > MAX_SHARE_WITH:
        raise invalid_at(where, f"{len(codes)} parties, over the limit of {MAX_SHARE_WITH}")
    seen: set[str] = set()
    for i, code in enumerate(codes):
        check_party_code(code, field=f"{where}[{i}]")
        if code in seen:
            raise invalid_at(f"{where}[{i}]", f"{code} is named twice")
        seen.add(code)
    return tuple(sorted(seen))  # one canonical order, on both nodes and in the journal


def _volumes(value: Any, limits: Limits) -> tuple[Volume4D, ...]:
    items = list_of(value, "volumes", "volumes")
    if not items:
        raise invalid_at("volumes", "a notification needs at least one volume")
    if len(items) > limits.max_volumes:
        raise invalid_at("volumes", f"{len(items)} volumes, over the limit of {limits.max_volumes}")
    return tuple(parse_volume(item, index=i, limits=limits) for i, item in enumerate(items))


def parse_notification_draft(body: Any, *, limits: Limits) -> NotificationDraft:
    """Read ``{kind, title, volumes, share_with?, reference?}`` from the API's JSON, or a
    movement's ``{kind: "movement", title, route, ...}`` (its volumes made from the route),
    or say what is wrong."""
    if isinstance(body, Mapping):  # the API's model gives null for the one not given
        body = {k: v for k, v in body.items() if v is not None or k not in ("volumes", "route")}
    given = [k for k in ("volumes", "route") if isinstance(body, Mapping) and k in body]
    shape = "route" if given == ["route"] else "volumes"
    optional = (
        "share_with",
        "reference",
        "disclosure",
        "route" if shape == "volumes" else "volumes",
    )
    draft = members(body, "", ("kind", "title", shape), optional)
    if len(given) == 2:
        raise invalid_at("route", "give either volumes or a route, not both")
    kind = _kind(draft["kind"])
    route = None
    if shape == "route":
        if kind != Kind.MOVEMENT:
            raise invalid_at("route", f"only a movement is given as a route, not {kind}")
        route = parse_route(draft["route"], limits=limits)
    return NotificationDraft(
        kind=kind,
        title=_title(draft["title"]),
        volumes=route.volumes() if route else _volumes(draft["volumes"], limits),
        share_with=_share_with(draft.get("share_with") or []),
        reference=_reference(draft.get("reference")),
        route=route,
        blind=_blind(draft.get("disclosure"), draft.get("share_with")),
    )


def _blind(disclosure: Any, share_with: Any) -> bool | None:
    """Whether ``disclosure`` (``"full"`` or ``"blind"``; None when not given) asks for
    blindness; a blind notification names the parties to deconflict with blind in share_with."""
    if disclosure is None:
        return None
    if disclosure == "full":
        return False
    if disclosure != "blind":
        raise invalid_at("disclosure", f"{disclosure!r:.80} is not 'full' or 'blind'")
    if not share_with:
        raise invalid_at(
            "share_with", "a blind notification names the parties to deconflict with blind"
        )
    return True
