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
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from typing import Any

from openline.domain.blind import (
    MAX_POINTS,
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
from openline.domain.errors import InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.notifications import Notification
from openline.domain.quoting import quote
from openline.domain.separation import separation_rules
from openline.domain.timeutil import format_utc
from openline.geo.covering import cover, outline
from openline.keys import psi
from openline.node.assembly import Node
from openline.services.outbox import seal_for
from openline.store import blind as store
from openline.store import notifications as notifications_store
from openline.store import resolutions as resolutions_store
from openline.store.writer import UnitOfWork

_shuffle = random.SystemRandom().shuffle


def grid_of(node: Node) -> Grid:
    return Grid(node.settings.blind_h3_resolution, node.settings.blind_slot_seconds)


def own_items(uow: UnitOfWork, node: Node, peer: str) -> dict[str, list[str]]:
    """Every item of this party's live blind notifications for ``peer``, with the
    notifications that cover it."""
    rules = separation_rules(node.settings.separation_minima)
    grid = grid_of(node)
    live = notifications_store.list_notifications(
        uow.conn, live_only=True, owner=node.party, limit=10**9, after=None
    )
    items: dict[str, list[str]] = defaultdict(list)
    for notification in live:
        if peer in notification.blind_with:
            widen = widening(rules, notification.kind)
            covered = set().union(*(cover(v, widen, grid) for v in notification.volumes))
            for text in covered:
                items[text].append(notification.id)
    return dict(items)


def changed(uow: UnitOfWork, node: Node, before: Notification | None, after: Notification) -> None:
    """A notification of this party changed: a run with every peer whose blind set it was or
    is in."""
    peers = set(after.blind_with) | set(before.blind_with if before else ())
    for peer in sorted(peers):
        start(uow, node, peer)


def start(uow: UnitOfWork, node: Node, peer: str) -> None:
    """Offer ``peer`` this party's blind items for it, blinded with a new secret."""
    items = _in_random_order(own_items(uow, node, peer))
    _within_limit(node, len(items), f"blind notifications for {peer}")
    now = node.clock()
    secret = psi.new_secret()
    run_id, at = node.new_id("bld", now), format_utc(now)
    run = store.Run(peer, run_id, "started", "offered", secret, items, None, at)
    store.insert_run(uow.conn, run)
    points = psi.blind(secret, [text for text, _ in items])
    body = {"run": run.run, "grid": grid_of(node).name, "points": encode_points(points)}
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


# --- what the line brings in ---------------------------------------------------------------


def apply_offer(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer starts a run: answer with this party's items for it, and the peer's blinded again
    (unless its budget or the grid says no: journaled, unanswered)."""
    body = read_run_body("blind_offer", envelope.body, MAX_POINTS)
    peer = envelope.sender
    if store.get_run(uow.conn, peer, body.run) is not None:
        raise InvalidInput(f"blind run {quote(body.run)} of {peer} is held already")
    now = format_utc(node.clock())
    why = _refusal(uow, node, peer, body, new_run=True)
    if why is not None:
        run = store.Run(peer, body.run, "answered", "refused", None, [], None, now)
        store.insert_run(uow.conn, run, their_count=len(body.points))
        _refused(uow, peer, body, why)
        return
    items = _in_random_order(own_items(uow, node, peer))
    _within_limit(node, len(items), f"blind notifications for {peer}")
    secret = psi.new_secret()
    theirs_twice = encode_points(psi.blind_again(secret, body.points))
    run = store.Run(peer, body.run, "answered", "answered", None, items, theirs_twice, now)
    store.insert_run(uow.conn, run, their_count=len(body.points))
    reply = {
        "run": body.run,
        "grid": grid_of(node).name,
        "points": encode_points(psi.blind(secret, [text for text, _ in items])),
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
    why = _refusal(uow, node, peer, body, new_run=False)
    if why is not None:
        store.end_run(
            uow.conn, peer, run.run, state="refused", their_count=len(body.points), matches=None,
            at=format_utc(node.clock()),
        )  # fmt: skip
        _refused(uow, peer, body, why)
        return
    assert run.secret is not None
    theirs_twice = psi.blind_again(run.secret, body.points)
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


def _refusal(uow: UnitOfWork, node: Node, peer: str, body: RunBody, *, new_run: bool) -> str | None:
    """Why a peer's run is not answered, or None: another grid, or over its budget."""
    if body.grid != grid_of(node).name:
        return f"the peer covers on grid {body.grid}, this node on {grid_of(node).name}"
    now = node.clock()
    day_ago = format_utc(now - timedelta(days=1))
    spent = store.items_from(uow.conn, peer, day_ago)
    budget = node.settings.blind_items_per_day
    if spent + len(body.points) > budget:
        return (
            f"{spent} items today and {len(body.points)} more: over {budget} (blind_items_per_day)"
        )
    if len(body.points) > node.settings.blind_max_items:
        return f"{len(body.points)} items, over {node.settings.blind_max_items} (blind_max_items)"
    hour_ago = format_utc(now - timedelta(hours=1))
    rate = node.settings.blind_runs_per_hour
    if new_run and store.runs_answered(uow.conn, peer, hour_ago) >= rate:
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
