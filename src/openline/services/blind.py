"""Blind deconfliction over the line: runs of the private set intersection with each peer, and
the possible conflicts they find (docs/blind.md).

Whenever this party's blind set for a peer changes (a blind notification made, revised,
withdrawn or disclosed), it starts a run: ``blind_offer`` carries its items blinded with a
secret of the run; the peer answers with ``blind_reply`` (its own items blinded with its
secret, and ours blinded again); this node learns which of its own items the peer also holds
and sends ``blind_finish`` (the peer's blinded again), from which the peer learns the same of
its own. Each side then holds one possible conflict with the other, or none. A peer's runs are
held to a budget of items per day and a rate of runs per hour; every run is journaled with its
sizes and matches, never its items.

A run's costly part (covering, hashing, scalar multiplications: about 0.7 s for 10,000 items)
is prepared outside the node's writer, from what the database held then (``prepare_change``
before a notification changes, ``prepare_received`` when the receiver checks an envelope):
the writer then takes it only if what it was computed from is still what it sees (this side's
items, and for a reply the run's secret), else computes it again itself. So a large run holds
the node's other writes for milliseconds, not for its length.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache, partial
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection

from openline.domain.blind import (
    MAX_POINTS,
    PREPARED_KINDS,
    Grid,
    PossibleConflict,
    RunBody,
    encode_points,
    matches_json,
    possible_key,
    read_run_body,
    widening,
)
from openline.domain.envelopes import Envelope
from openline.domain.errors import InvalidInput, NotFound, OpenlineError
from openline.domain.journal import JournalKind
from openline.domain.notifications import Notification, Status
from openline.domain.quoting import quote
from openline.domain.separation import Minima, separation_rules
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Volume4D
from openline.geo.covering import cover, outline
from openline.keys import psi
from openline.node.assembly import Node
from openline.services.outbox import seal_for
from openline.store import blind as store
from openline.store import notifications as notifications_store
from openline.store import resolutions as resolutions_store
from openline.store.writer import UnitOfWork

_shuffle = random.SystemRandom().shuffle
_LIVE = (Status.PLANNED, Status.ACTIVE)
OwnItems = dict[str, list[str]]  # each item, with the notifications that cover it (by id)


def grid_of(node: Node) -> Grid:
    return Grid(node.settings.blind_h3_resolution, node.settings.blind_slot_seconds)


@lru_cache(maxsize=4096)
def _covered(volume: Volume4D, widen: Minima, grid: Grid) -> frozenset[str]:
    # A volume's covering depends on nothing else: the one prepared outside the writer is
    # found here by the writer's own, which then costs no covering.
    return frozenset(cover(volume, widen, grid))


def own_items(
    conn: Connection, node: Node, peer: str, changing: Notification | None = None
) -> OwnItems:
    """Every item of this party's live blind notifications for ``peer``, with the
    notifications that cover it; with ``changing`` in place of its stored version (what a
    change about to be written will leave)."""
    live = notifications_store.list_notifications(
        conn, live_only=True, owner=node.party, limit=10**9, after=None
    )
    if changing is not None:
        live = [n for n in live if n.id != changing.id]
        live += [changing] if changing.status in _LIVE else []
    rules = separation_rules(node.settings.separation_minima)
    grid = grid_of(node)
    items: OwnItems = defaultdict(list)
    for notification in sorted(live, key=lambda n: n.id):
        if peer in notification.blind_with:
            widen = widening(rules, notification.kind)
            covered = frozenset().union(*(_covered(v, widen, grid) for v in notification.volumes))
            for text in covered:
                items[text].append(notification.id)
    return dict(items)


def changed(uow: UnitOfWork, node: Node, before: Notification | None, after: Notification) -> None:
    """A notification of this party changed: a run with every peer whose blind set it was or
    is in."""
    for peer in _peers_of(before, after):
        start(uow, node, peer)


def _peers_of(before: Notification | None, after: Notification) -> list[str]:
    return sorted(set(after.blind_with) | set(before.blind_with if before else ()))


def start(uow: UnitOfWork, node: Node, peer: str) -> None:
    """Offer ``peer`` this party's blind items for it, blinded with a new secret (as prepared
    outside the writer, when those were the items)."""
    now_items = own_items(uow.conn, node, peer)
    _within_limit(node, len(now_items), f"blind notifications for {peer}")
    prepared = _take(node, ("offer", peer), now_items) or _blinded(now_items)
    now = node.clock()
    run_id, at = node.new_id("bld", now), format_utc(now)
    items, secret = prepared.items, prepared.secret
    run = store.Run(peer, run_id, "started", "offered", secret, items, None, at)
    store.insert_run(uow.conn, run)
    body = {"run": run.run, "grid": grid_of(node).name, "points": encode_points(prepared.points)}
    seal_for(uow, node, peer, "blind_offer", body)
    uow.record(
        JournalKind.CONFLICT_BLIND_OFFERED, {"run": run.run, "peer": peer, "items": len(items)}
    )


def _in_random_order(items: dict[str, list[str]]) -> store.Items:
    # The order of the points says nothing of the notifications they come from.
    listed = list(items.items())
    _shuffle(listed)
    return listed


def _within_limit(node: Node, count: int, what: str) -> None:
    limit = node.settings.blind_max_items
    if count > limit:
        raise InvalidInput(
            f"the {what} make {count} items, over the limit of {limit} for one run "
            "(blind_max_items): cover less, or choose a coarser grid"
        )


# --- the costly part, prepared outside the writer -----------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A run's costly part and what it was computed from (``basis``: this side's items, or for
    a reply the run's secret)."""

    basis: object
    items: store.Items = field(default_factory=list)  # this side's, in the order sent
    secret: bytes = b""
    points: list[bytes] = field(default_factory=list)  # this side's items blinded
    theirs_twice: list[bytes] = field(default_factory=list)  # the peer's blinded again


MAX_PREPARED = 16  # runs prepared and not yet taken, kept at most per node
_prepared: WeakKeyDictionary[Node, dict[tuple[str, ...], Prepared]] = WeakKeyDictionary()
_prepared_lock = threading.Lock()


def _keep(node: Node, key: tuple[str, ...], prepared: Prepared) -> None:
    with _prepared_lock:
        held = _prepared.setdefault(node, {})
        held.pop(key, None)
        held[key] = prepared
        while len(held) > MAX_PREPARED:  # never taken (its envelope refused): the oldest go
            del held[next(iter(held))]


def _take(node: Node, key: tuple[str, ...], basis: object) -> Prepared | None:
    """What was prepared for ``key``, if it was computed from ``basis`` (else it is stale, and
    the writer computes it again)."""
    with _prepared_lock:
        prepared = _prepared.get(node, {}).pop(key, None)
    return prepared if prepared is not None and prepared.basis == basis else None


def _blinded(items: OwnItems) -> Prepared:
    ordered = _in_random_order(items)
    secret = psi.new_secret()
    return Prepared(items, ordered, secret, psi.blind(secret, [text for text, _ in ordered]))


def _answer(items: OwnItems, offer: RunBody) -> Prepared:
    """This side's items blinded with a new secret, and the offer's points blinded again."""
    mine = _blinded(items)
    return Prepared(items, mine.items, b"", mine.points, psi.blind_again(mine.secret, offer.points))


def prepare_change(node: Node, before: Notification | None, after: Notification) -> None:
    """Before a change of this party's notification is written: the offers its runs will make,
    from this party's items as the change will leave them (``changed`` takes them)."""
    for peer in _peers_of(before, after):
        items = node.read(partial(own_items, node=node, peer=peer, changing=after))
        if len(items) <= node.settings.blind_max_items:  # else the writer refuses the change
            _keep(node, ("offer", peer), _blinded(items))


def prepare_received(node: Node, envelopes: Iterable[object]) -> None:
    """Envelopes of a run the receiver checked and will apply: the answer to an offer, the
    finish of a reply, computed from what the database holds now (``apply_offer`` and
    ``apply_reply`` take them). One that cannot be prepared is left to the writer, which
    refuses it by name or computes it itself."""
    for envelope in envelopes:
        if not isinstance(envelope, Envelope) or envelope.kind not in PREPARED_KINDS:
            continue
        try:
            body = read_run_body(envelope.kind, envelope.body, MAX_POINTS)
            if envelope.kind == "blind_offer":
                _prepare_answer(node, envelope, body)
            else:
                _prepare_finish(node, envelope, body)
        except OpenlineError:
            continue


def _prepare_answer(node: Node, envelope: Envelope, body: RunBody) -> None:
    def now_items(conn: Connection) -> OwnItems | None:
        if _refusal(conn, node, envelope.sender, body, new_run=True) is not None:
            return None  # refused: it costs this node no covering
        return own_items(conn, node, envelope.sender)

    items = node.read(now_items)
    if items is not None and len(items) <= node.settings.blind_max_items:
        _keep(node, ("answer", envelope.sender, envelope.id), _answer(items, body))


def _prepare_finish(node: Node, envelope: Envelope, body: RunBody) -> None:
    run = node.read(lambda conn: store.get_run(conn, envelope.sender, body.run))
    if run is not None and run.secret is not None and run.state == "offered":
        again = psi.blind_again(run.secret, body.points)
        _keep(
            node, ("finish", envelope.sender, envelope.id), Prepared(run.secret, theirs_twice=again)
        )


# --- what the line brings in ---------------------------------------------------------------


def apply_offer(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer starts a run: answer with this party's items for it, and the peer's blinded again
    (unless its budget or the grid says no: journaled, unanswered)."""
    body = read_run_body("blind_offer", envelope.body, MAX_POINTS)
    peer = envelope.sender
    if store.get_run(uow.conn, peer, body.run) is not None:
        raise InvalidInput(f"blind run {quote(body.run)} of {peer} is held already")
    now = format_utc(node.clock())
    why = _refusal(uow.conn, node, peer, body, new_run=True)
    if why is not None:
        run = store.Run(peer, body.run, "answered", "refused", None, [], None, now)
        store.insert_run(uow.conn, run, their_count=len(body.points))
        _refused(uow, peer, body, why)
        return
    now_items = own_items(uow.conn, node, peer)
    _within_limit(node, len(now_items), f"blind notifications for {peer}")
    answer = _take(node, ("answer", peer, envelope.id), now_items) or _answer(now_items, body)
    theirs_twice = encode_points(answer.theirs_twice)
    items = answer.items
    run = store.Run(peer, body.run, "answered", "answered", None, items, theirs_twice, now)
    store.insert_run(uow.conn, run, their_count=len(body.points))
    reply = {
        "run": body.run,
        "grid": grid_of(node).name,
        "points": encode_points(answer.points),
        "reblinded": theirs_twice,
    }
    seal_for(uow, node, peer, "blind_reply", reply)
    uow.record(
        JournalKind.CONFLICT_BLIND_ANSWERED,
        {"run": body.run, "peer": peer, "items": len(items), "their_items": len(body.points)},
    )


def apply_reply(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """The peer answered our run: we learn which of our items it holds, and send it its own
    points blinded again so that it learns the same of its items."""
    body = read_run_body("blind_reply", envelope.body, MAX_POINTS)
    peer = envelope.sender
    run = _running(uow, peer, body.run, ("started", "offered"), len(body.reblinded))
    why = _refusal(uow.conn, node, peer, body, new_run=False)
    if why is not None:
        store.end_run(
            uow.conn, peer, run.run, state="refused", their_count=len(body.points), matches=None,
            at=format_utc(node.clock()),
        )  # fmt: skip
        _refused(uow, peer, body, why)
        return
    assert run.secret is not None
    prepared = _take(node, ("finish", peer, envelope.id), run.secret)
    theirs_twice = (
        psi.blind_again(run.secret, body.points) if prepared is None else prepared.theirs_twice
    )
    finish = {"run": run.run, "reblinded": encode_points(theirs_twice)}
    seal_for(uow, node, peer, "blind_finish", finish)
    _ended(uow, node, run, psi.matching(body.reblinded, theirs_twice), len(body.points))


def apply_finish(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """The run we answered ends: we learn which of our items the peer holds."""
    body = read_run_body("blind_finish", envelope.body, MAX_POINTS)
    peer = envelope.sender
    run = _running(uow, peer, body.run, ("answered", "answered"), len(body.reblinded))
    assert run.their_twice is not None
    theirs_twice = read_run_body(
        "blind_finish", {"run": run.run, "reblinded": run.their_twice}, MAX_POINTS
    ).reblinded
    _ended(uow, node, run, psi.matching(body.reblinded, theirs_twice), len(theirs_twice))


def _running(
    uow: UnitOfWork, peer: str, run_id: str, waiting: tuple[str, str], count: int
) -> store.Run:
    run = store.get_run(uow.conn, peer, run_id)
    if run is None or (run.role, run.state) != waiting:
        raise InvalidInput(f"no blind run {quote(run_id)} with {peer} waiting for this")
    if count != len(run.items):
        raise InvalidInput(
            f"blind run {run_id}: {count} points blinded again for the {len(run.items)} sent"
        )
    return run


def _refusal(
    conn: Connection, node: Node, peer: str, body: RunBody, *, new_run: bool
) -> str | None:
    """Why a peer's run is not answered, or None: another grid, or over its budget."""
    if body.grid != grid_of(node).name:
        return f"the peer covers on grid {body.grid}, this node on {grid_of(node).name}"
    now = node.clock()
    day_ago = format_utc(now - timedelta(days=1))
    spent = store.items_from(conn, peer, day_ago)
    budget = node.settings.blind_items_per_day
    if spent + len(body.points) > budget:
        return (
            f"{spent} items today and {len(body.points)} more: over {budget} (blind_items_per_day)"
        )
    if len(body.points) > node.settings.blind_max_items:
        return f"{len(body.points)} items, over {node.settings.blind_max_items} (blind_max_items)"
    hour_ago = format_utc(now - timedelta(hours=1))
    rate = node.settings.blind_runs_per_hour
    if new_run and store.runs_answered(conn, peer, hour_ago) >= rate:
        return f"{rate} runs in the past hour already (blind_runs_per_hour)"
    return None


def _refused(uow: UnitOfWork, peer: str, body: RunBody, why: str) -> None:
    uow.record(
        JournalKind.CONFLICT_BLIND_REFUSED,
        {"run": body.run, "peer": peer, "why": why, "items": len(body.points)},
    )


def _ended(uow: UnitOfWork, node: Node, run: store.Run, positions: list[int], their: int) -> None:
    """The run ended on this side: journaled, its secrets dropped, and what it found settled."""
    matched: dict[str, set[str]] = defaultdict(set)
    for i in positions:
        text, ids = run.items[i]
        for notification in ids:
            matched[notification].add(text)
    at = format_utc(node.clock())
    store.end_run(
        uow.conn, run.peer, run.run, state="finished", their_count=their,
        matches=len(positions), at=at,
    )  # fmt: skip
    uow.record(
        JournalKind.CONFLICT_BLIND_RUN,
        {
            "run": run.run,
            "peer": run.peer,
            "role": run.role,
            "items": len(run.items),
            "their_items": their,
            "matches": len(positions),
        },
    )
    found = matches_json(grid_of(node), matched)
    for match in found:  # the cells' outlines, for the console's map
        match["outlines"] = [outline(cell) for cell in match["cells"]]
    _settle(uow, node, run, found, at)


def _settle(
    uow: UnitOfWork, node: Node, run: store.Run, found: list[dict[str, Any]], at: str
) -> None:
    """The possible conflict with the run's peer as the run found it, unless a later run (by
    when this side's items were taken) settled it already."""
    key = possible_key(node.party, run.peer)
    held = store.get_possible(uow.conn, key)
    if held is not None and held.snapshot_at > run.started_at:
        return
    before = None if held is None else held.conflict
    summary = {
        "key": key,
        "party": run.peer,
        "run": run.run,
        "notifications": [str(n["notification"]) for n in found],
        "cells": len({c for n in found for c in n["cells"]}),
        "slots": len({s["start"] for n in found for s in n["slots"]}),
    }
    if found and (before is None or before.state == "cleared"):
        conflict = PossibleConflict(key, run.peer, "open", found, at, at, None)
        resolutions_store.close_thread(uow.conn, key)  # a new episode, a new thread
        uow.record(JournalKind.CONFLICT_POSSIBLE_OPENED, summary)
    elif found and before is not None and before.notifications != found:
        conflict = PossibleConflict(key, run.peer, "open", found, before.opened_at, at, None)
        uow.record(JournalKind.CONFLICT_POSSIBLE_UPDATED, summary)
    elif not found and before is not None and before.state == "open":
        conflict = PossibleConflict(
            key, run.peer, "cleared", before.notifications, before.opened_at, at, at
        )
        uow.record(
            JournalKind.CONFLICT_POSSIBLE_CLEARED, {"key": key, "party": run.peer, "run": run.run}
        )
    elif before is not None:
        conflict = before
    else:
        return
    store.put_possible(uow.conn, conflict, run.started_at)


# --- reading -----------------------------------------------------------------------------------


def list_possible(
    node: Node, *, state: str | None, notification_id: str | None, limit: int
) -> list[PossibleConflict]:
    return node.read(
        lambda conn: store.list_possible(
            conn, state=state, notification_id=notification_id, limit=limit
        )
    )


def get_possible(node: Node, key: str) -> PossibleConflict | None:
    held = node.read(lambda conn: store.get_possible(conn, key))
    return None if held is None else held.conflict


def require_possible(uow: UnitOfWork, key: str) -> PossibleConflict:
    held = store.get_possible(uow.conn, key)
    if held is None:
        raise NotFound(f"no conflict {quote(key)} on this node", field="key")
    return held.conflict
