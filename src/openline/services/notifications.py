"""Notifying, revising and withdrawing 4D notifications, sharing them, and their conflicts.

A notification is stored, journaled, sealed for every party it is shared with and checked for
conflicts in one writer operation, so the API's answer already lists the conflicts it created
and a 201 means all of it is durable. A peer's notification arriving over the line goes through
the same checks and the same detection. Conflicts are reconciled with the conflicts table after
each change: opened, updated or cleared, each with a journal entry (and so an event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from openline.domain import notifications as rules
from openline.domain.bodies import NOTIFICATION_LIMITS, read_notification
from openline.domain.conflict_reports import ConflictReport, other_owner, read_report
from openline.domain.conflicts import (
    AltitudeBand,
    Clash,
    ConflictState,
    DetectedConflict,
    StoredConflict,
    TimeWindow,
)
from openline.domain.envelopes import Envelope
from openline.domain.errors import Conflict, InvalidInput, NotFound, OpenlineError
from openline.domain.journal import JournalKind
from openline.domain.messages import Draft
from openline.domain.notifications import Notification, NotificationDraft, Status
from openline.domain.quoting import quote
from openline.domain.separation import Rule
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Circle, Corridor, Footprint, MultiPolygon
from openline.i18n import Catalogue, catalogue
from openline.node.assembly import Node
from openline.services import acknowledgements, blind
from openline.services.outbox import arrived_on, require_peer, seal_for
from openline.store import notifications as store
from openline.store import resolutions as resolutions_store
from openline.store.writer import Operation, UnitOfWork

log = logging.getLogger(__name__)

MAX_PAGE = 1000
LIMITS = NOTIFICATION_LIMITS
Changed = tuple[Notification, list[StoredConflict]]  # the notification and its open conflicts


def parse_draft(body: Any) -> NotificationDraft:
    return rules.parse_notification_draft(body, limits=LIMITS)


def create(node: Node, draft: NotificationDraft, operator: str) -> Operation[Changed]:
    """Store a new notification of this party, share it, and find its conflicts."""
    now = node.clock()
    notification = rules.new_notification(
        draft, notification_id=node.new_id("ntf", now), owner=node.party, now=now
    )
    if notification.blind_with:
        blind.prepare_change(node, None, notification)

    def store_new(uow: UnitOfWork) -> Changed:
        for index, party in enumerate(notification.share_with):
            require_peer(uow, party, field=f"share_with[{index}]")
        store.insert_notification(uow.conn, notification)
        uow.record(JournalKind.NOTIFICATION_CREATED, {**notification.to_json(), "by": operator})
        for party in notification.share_with:
            seal_for(uow, node, party, "notification", notification.shared_json())
        acknowledgements.ask(uow, node, notification)
        blind.changed(uow, node, None, notification)
        return notification, _detect(uow, node, notification)

    return store_new


def revise(
    node: Node, notification_id: str, draft: NotificationDraft, operator: str
) -> Operation[Changed]:
    """A new version of one of this party's planned or active notifications."""

    def revised(uow: UnitOfWork, current: Notification) -> Notification:
        blind = rules.stays_blind(current, draft)
        kept = set(draft.share_with) | (set(current.share_with) if blind else set())
        dropped = sorted(set(current.share_with) - kept)
        if dropped:
            raise InvalidInput(
                f"share_with: {', '.join(dropped)} already hold this notification and cannot "
                "be taken off it; cancel it and notify anew to share it with fewer parties",
                field="share_with",
            )
        for index, party in enumerate(draft.share_with):
            require_peer(uow, party, field=f"share_with[{index}]")
        return rules.revise(current, draft, now=node.clock())

    predicted = partial(rules.revise, draft=draft, now=node.clock())
    return _change(node, notification_id, operator, revised, predicted)


def change_status(
    node: Node, notification_id: str, status: Status, operator: str
) -> Operation[Changed]:
    """Activate, complete or cancel one of this party's notifications."""
    return _change(
        node,
        notification_id,
        operator,
        lambda _uow, current: rules.transition(current, status, now=node.clock()),
        partial(rules.transition, new=status, now=node.clock()),
    )


def _change(
    node: Node,
    notification_id: str,
    operator: str,
    step: Callable[[UnitOfWork, Notification], Notification],
    predicted: Callable[[Notification], Notification],
) -> Operation[Changed]:
    """Change one of this party's notifications: store, journal and share the new version,
    then bring its conflicts up to date. ``predicted``: the new version as ``step`` makes it,
    without writing (its blind runs are prepared from it, outside the writer)."""
    _prepare_blind(node, notification_id, predicted)

    def store_change(uow: UnitOfWork) -> Changed:
        current = _own(uow, node, notification_id)
        updated = step(uow, current)
        _save_and_share(uow, node, current, updated, operator)
        blind.changed(uow, node, current, updated)
        return updated, _detect(uow, node, updated)

    return store_change


def disclose(
    node: Node, notification_id: str, to: tuple[str, ...], operator: str
) -> Operation[Changed]:
    """Share one of this party's blind notifications in full with parties it was deconflicted
    with blind (docs/blind.md); from then on the exact engine decides on their nodes too."""

    def disclosed(uow: UnitOfWork, current: Notification) -> Notification:
        updated = rules.disclose(current, to, now=node.clock())
        uow.record(
            JournalKind.NOTIFICATION_DISCLOSED,
            {"id": updated.id, "to": list(to), "version": updated.version, "by": operator},
        )
        return updated

    predicted = partial(rules.disclose, to=to, now=node.clock())
    return _change(node, notification_id, operator, disclosed, predicted)


def _prepare_blind(
    node: Node, notification_id: str, predicted: Callable[[Notification], Notification]
) -> None:
    """The runs a change of a blind notification starts, prepared before it is written."""
    current = node.read(lambda conn: store.get_notification(conn, notification_id))
    if current is None or current.owner != node.party:
        return  # refused by the writer, by name
    try:
        after = predicted(current)
    except OpenlineError:
        return
    if current.blind_with or after.blind_with:
        blind.prepare_change(node, current, after)


def _own(uow: UnitOfWork, node: Node, notification_id: str) -> Notification:
    current = _require(store.get_notification(uow.conn, notification_id), notification_id)
    if current.owner != node.party:
        raise Conflict(
            f"notification {notification_id} belongs to {current.owner}: only its owner's "
            "node can change it"
        )
    return current


def _save_and_share(
    uow: UnitOfWork, node: Node, current: Notification, updated: Notification, operator: str
) -> None:
    store.save_notification(uow.conn, updated)
    uow.record(JournalKind.NOTIFICATION_UPDATED, {**updated.to_json(), "by": operator})
    for party in updated.share_with:
        kind = "notification_update" if party in current.share_with else "notification"
        seal_for(uow, node, party, kind, updated.shared_json())
    acknowledgements.ask(uow, node, updated)


# --- what the line brings in ---------------------------------------------------------------


def apply_incoming(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer's notification, or a new version of one, arrives: stored as the peer's."""
    notification = read_notification(envelope.body, arrived_on(node, envelope))
    current = store.get_notification(uow.conn, notification.id)
    if current is None:
        store.insert_notification(uow.conn, notification)
    else:
        _check_newer(current, notification)
        store.save_notification(uow.conn, notification)
    uow.record(
        JournalKind.NOTIFICATION_RECEIVED,
        {
            "id": notification.id,
            "owner": notification.owner,
            "kind": notification.kind.value,
            "title": notification.title,
            "status": notification.status.value,
            "version": notification.version,
            "envelope": envelope.id,
        },
    )
    acknowledgements.ask(uow, node, notification)
    _detect(uow, node, notification)


def _check_newer(current: Notification, incoming: Notification) -> None:
    if current.owner != incoming.owner:
        raise InvalidInput(f"notification {current.id} belongs to {current.owner}")
    if incoming.version <= current.version:
        raise InvalidInput(
            f"notification {current.id} version {incoming.version} is not newer than the "
            f"version {current.version} held"
        )
    if incoming.status != current.status:
        rules.check_transition(current.status, incoming.status)


# --- conflicts ---------------------------------------------------------------------------------


def _detect(uow: UnitOfWork, node: Node, notification: Notification) -> list[StoredConflict]:
    """Bring the finder and the conflicts table up to date with this notification; its open
    conflicts after the change."""
    found = node.conflict_finder
    now_conflicting: dict[str, DetectedConflict] = {}
    if notification.status in (Status.PLANNED, Status.ACTIVE):
        uow.on_rollback(found.put(notification))
        now_conflicting = {c.key: c for c in found.conflicts_of(notification.id)}
    else:
        uow.on_rollback(found.drop(notification.id))
    at = format_utc(node.clock())
    held = store.open_conflicts_of(uow.conn, notification.id)
    for key, conflict in now_conflicting.items():
        before = held.get(key)
        if before is None:
            store.open_conflict(uow.conn, conflict, at)
            resolutions_store.close_thread(uow.conn, key)  # a new episode, a new thread
            uow.record(JournalKind.CONFLICT_OPENED, conflict.to_json())
            _report(uow, node, ConflictReport("opened", at, conflict, {}))
        elif before.conflict != conflict:
            store.change_conflict(uow.conn, conflict, at)
            uow.record(JournalKind.CONFLICT_UPDATED, conflict.to_json())
    for key in sorted(set(held) - set(now_conflicting)):
        store.clear_conflict(uow.conn, key, at)
        cause = {
            "because": notification.id,
            "status": notification.status.value,
            "version": notification.version,
        }
        uow.record(JournalKind.CONFLICT_CLEARED, {"key": key, **cause})
        _report(uow, node, ConflictReport("cleared", at, held[key].conflict, cause))
    return list(store.open_conflicts_of(uow.conn, notification.id).values())


def _report(uow: UnitOfWork, node: Node, report: ConflictReport) -> None:
    """Tell the other owner of a conflict between our notification and theirs that this node
    opened or cleared it, when our notification is shared with them (they hold both): their
    node journals what it did not see itself (apply_conflict_report)."""
    conflict = report.conflict
    peer = other_owner(conflict, node.party)
    if peer is None:
        return
    ours = conflict.a if conflict.a.owner == node.party else conflict.b
    held = store.get_notification(uow.conn, ours.notification)
    if held is None or peer not in held.share_with:
        return
    try:
        seal_for(uow, node, peer, "conflict_report", report.to_json())
    except InvalidInput as error:  # never stops the change: a record too big for one envelope
        log.warning(
            "conflict %s %s is not reported to %s: %s",
            conflict.key,
            report.event,
            peer,
            error.message,
        )


def apply_conflict_report(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """The other owner's node opened or cleared a conflict between its notification and ours.
    What this node journaled itself stands; what it did not see (a conflict that opened and
    cleared again there while a revision of ours was on its way) is journaled now, as reported,
    so that both journals hold every conflict either side opened or cleared: an opening this
    node never had is kept cleared, its clearing awaited; a clearing it awaited is journaled."""
    report = read_report(envelope.body, envelope.sender, node.party)
    conflict = report.conflict
    ids = (conflict.a.notification, conflict.b.notification)
    if any(store.get_notification(uow.conn, i) is None for i in ids):
        return  # not both held here: nothing to compare it with
    stored = store.get_conflict(uow.conn, conflict.key)
    reported = {"reported_by": envelope.sender, "at": report.at}
    if report.event == "opened" and stored is None:
        store.insert_reported_conflict(uow.conn, conflict, report.at)
        uow.record(JournalKind.CONFLICT_OPENED, {**conflict.to_json(), **reported})
    elif (
        report.event == "cleared"
        and stored is not None
        and stored.state == "cleared"
        and stored.cleared_at is None
    ):
        store.clear_conflict(uow.conn, conflict.key, report.at)
        uow.record(JournalKind.CONFLICT_CLEARED, {"key": conflict.key, **report.cause, **reported})


# --- reading -----------------------------------------------------------------------------------


def get_notification(node: Node, notification_id: str) -> Notification:
    return _require(
        node.read(lambda conn: store.get_notification(conn, notification_id)), notification_id
    )


def list_notifications(
    node: Node, *, live_only: bool, owner: str | None, limit: int, after: str | None
) -> list[Notification]:
    return node.read(
        lambda conn: store.list_notifications(
            conn, live_only=live_only, owner=owner, limit=min(limit, MAX_PAGE), after=after
        )
    )


def list_conflicts(
    node: Node, *, state: ConflictState | None, notification_id: str | None, limit: int
) -> list[StoredConflict]:
    return node.read(
        lambda conn: store.list_conflicts(
            conn, state=state, notification_id=notification_id, limit=min(limit, MAX_PAGE)
        )
    )


def get_conflict(node: Node, key: str) -> StoredConflict:
    found = node.read(lambda conn: store.get_conflict(conn, key))
    if found is None:
        raise NotFound(f"no conflict {quote(key)} on this node")
    return found


def deconfliction_request(node: Node, key: str) -> Draft:
    """A deconfliction-request message, filled in from a conflict, ready to send as it is
    (``POST /api/v1/messages``) or to edit first: to the other party, about this party's volume
    that clashes, in the overlapping time window and altitude band."""
    conflict = get_conflict(node, key).conflict
    sides = {conflict.a.owner: conflict.a, conflict.b.owner: conflict.b}
    if node.party not in sides or len(sides) == 1:
        raise Conflict(
            f"conflict {key} is between {conflict.a.owner} and {conflict.b.owner}: "
            f"{node.party} has no other party in it to ask"
        )
    mine = sides.pop(node.party)
    other = next(iter(sides.values()))
    own = get_notification(node, mine.notification)
    theirs = get_notification(node, other.notification)
    clash = min(conflict.clashes, key=lambda c: c.distance_m)
    volume = own.volumes[clash.volumes[0 if mine is conflict.a else 1]]
    window = clash.time_overlap or TimeWindow(volume.time_start, volume.time_end)
    band = clash.altitude_overlap or AltitudeBand(volume.altitude_lower_m, volume.altitude_upper_m)
    fields = {
        "area": _area(volume.footprint),
        "time_window": window.to_json(),
        "altitude_band": band.to_json(),
        "request": _request_text(
            node.settings.lang, own=own, theirs=theirs, rule=conflict.rule, key=key, clash=clash
        ),
    }
    return Draft(
        to=(other.owner,), precedence="immediate", template="deconfliction-request", fields=fields
    )


def _request_text(
    lang: str, *, own: Notification, theirs: Notification, rule: Rule, key: str, clash: Clash
) -> str:
    """What a deconfliction request asks, in the sending node's language."""
    words = catalogue(lang)
    own_volume, their_volume = clash.volumes if own.id < theirs.id else clash.volumes[::-1]
    return words.text(
        "requests.deconfliction",
        own=_named(words, own, own_volume),
        theirs=_named(words, theirs, their_volume),
        rule=words.text(f"rules.{rule.value}"),
        conflict=key,
        distance=words.text("units.m", n=f"{clash.distance_m:.0f}"),
    )


def _named(words: Catalogue, notification: Notification, volume: int) -> str:
    """A notification's title; a movement's with the leg that clashes (volume i is leg i)."""
    if notification.route is None:
        return notification.title
    start, end = notification.route.waypoints[volume : volume + 2]
    return words.text(
        "requests.leg",
        title=notification.title,
        n=str(volume + 1),
        start=format_utc(start.time),
        end=format_utc(end.time),
    )


def _area(footprint: Footprint) -> dict[str, Any]:
    if isinstance(footprint, Circle | Corridor):
        return footprint.to_json()
    # The template takes one polygon: a multipolygon's first.
    polygon = footprint.polygons[0] if isinstance(footprint, MultiPolygon) else footprint
    return {"type": "Polygon", "coordinates": polygon.coordinates()}


def _require(notification: Notification | None, notification_id: str) -> Notification:
    if notification is None:
        raise NotFound(f"no notification {quote(notification_id)} on this node")
    return notification
