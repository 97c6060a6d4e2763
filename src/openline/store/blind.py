"""Blind runs and possible conflicts (docs/blind.md).

A run's secret, its own items and the peer's twice-blinded points stay only while it runs:
:func:`end_run` drops them and keeps the sizes and the number of matches, which the budgets
count. A possible conflict is kept as its record, one per pair of parties.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from openline.domain.blind import PossibleConflict
from openline.store.tables import blind_runs, possible_conflicts

Items = list[tuple[str, list[str]]]  # each item sent, in order, with its own notifications


@dataclass(frozen=True)
class Run:
    peer: str
    run: str
    role: str  # started or answered
    state: str  # offered, answered, finished or refused
    secret: bytes | None
    items: Items
    their_twice: str | None  # base64, as the body carried it
    started_at: str


def insert_run(
    conn: Connection,
    run: Run,
    *,
    their_count: int | None = None,
) -> None:
    conn.execute(
        insert(blind_runs).values(
            peer=run.peer,
            run=run.run,
            role=run.role,
            state=run.state,
            secret=None if run.secret is None else run.secret.hex(),
            items=json.dumps(run.items),
            their_twice=run.their_twice,
            items_count=len(run.items),
            their_count=their_count,
            started_at=run.started_at,
        )
    )


def get_run(conn: Connection, peer: str, run: str) -> Run | None:
    row = conn.execute(
        select(blind_runs).where((blind_runs.c.peer == peer) & (blind_runs.c.run == run))
    ).first()
    return None if row is None else _run(row)


def _run(row: Row[Any]) -> Run:
    return Run(
        row.peer,
        row.run,
        row.role,
        row.state,
        None if row.secret is None else bytes.fromhex(row.secret),
        [(text, list(ids)) for text, ids in json.loads(row.items or "[]")],
        row.their_twice,
        row.started_at,
    )


def end_run(
    conn: Connection,
    peer: str,
    run: str,
    *,
    state: str,
    their_count: int,
    matches: int | None,
    at: str,
) -> None:
    """The run finished (or was refused): what it needed while running is dropped."""
    conn.execute(
        update(blind_runs)
        .where((blind_runs.c.peer == peer) & (blind_runs.c.run == run))
        .values(
            state=state,
            secret=None,
            items=None,
            their_twice=None,
            their_count=their_count,
            matches=matches,
            finished_at=at,
        )
    )


def items_from(conn: Connection, peer: str, since: str) -> int:
    """How many items the peer's runs brought in since ``since``: the budget per day."""
    total = conn.execute(
        select(func.coalesce(func.sum(blind_runs.c.their_count), 0)).where(
            (blind_runs.c.peer == peer)
            & (blind_runs.c.started_at >= since)
            & (blind_runs.c.state != "refused")  # refused, it cost this node nothing
        )
    ).scalar()
    return int(total or 0)


def runs_answered(conn: Connection, peer: str, since: str) -> int:
    """How many of the peer's runs this node took in since ``since``: the rate per hour."""
    count = conn.execute(
        select(func.count()).where(
            (blind_runs.c.peer == peer)
            & (blind_runs.c.role == "answered")
            & (blind_runs.c.started_at >= since)
        )
    ).scalar()
    return int(count or 0)


# --- possible conflicts ------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldPossible:
    conflict: PossibleConflict
    snapshot_at: str  # when the items of the run that settled it were taken, on this side


def _possible(row: Row[Any]) -> HeldPossible:
    record = json.loads(row.record)
    conflict = PossibleConflict(
        row.key,
        row.party,
        row.state,
        record["notifications"],
        row.opened_at,
        row.updated_at,
        row.cleared_at,
    )
    return HeldPossible(conflict, row.snapshot_at)


def get_possible(conn: Connection, key: str) -> HeldPossible | None:
    row = conn.execute(select(possible_conflicts).where(possible_conflicts.c.key == key)).first()
    return None if row is None else _possible(row)


def put_possible(conn: Connection, conflict: PossibleConflict, snapshot_at: str) -> None:
    """Store the possible conflict as it now is (new, changed, reopened or cleared)."""
    values = {
        "party": conflict.party,
        "state": conflict.state,
        "record": json.dumps({"notifications": conflict.notifications}, ensure_ascii=False),
        "snapshot_at": snapshot_at,
        "opened_at": conflict.opened_at,
        "updated_at": conflict.updated_at,
        "cleared_at": conflict.cleared_at,
    }
    done = conn.execute(
        update(possible_conflicts).where(possible_conflicts.c.key == conflict.key).values(**values)
    )
    if not done.rowcount:
        conn.execute(insert(possible_conflicts).values(key=conflict.key, **values))


def list_possible(
    conn: Connection, *, state: str | None, notification_id: str | None, limit: int
) -> list[PossibleConflict]:
    query = select(possible_conflicts).order_by(possible_conflicts.c.key).limit(limit)
    if state is not None:
        query = query.where(possible_conflicts.c.state == state)
    found = [_possible(row).conflict for row in conn.execute(query)]
    if notification_id is None:
        return found
    return [c for c in found if any(n["notification"] == notification_id for n in c.notifications)]
