"""The processes serving one node on PostgreSQL (docs/deployment.md): the lead, held as a
session-level advisory lock on a connection of its own, and each process's heartbeat row.

Nothing here reads a machine's clock: a heartbeat is stamped and aged by the database's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    extract,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.pool import NullPool

from openline.store.database import WRITER_LOCK
from openline.store.tables import node_processes

# The advisory lock whose holder leads the node's line; beside the writer's, never the same.
LEADER_LOCK = WRITER_LOCK + 1
# pg_locks shows a bigint advisory key as two 32-bit halves.
_LOCK_HIGH, _LOCK_LOW = LEADER_LOCK >> 32, LEADER_LOCK & 0xFFFFFFFF
# A process silent this long is no longer listed: it is gone, not just slow.
FORGOTTEN_AFTER_S = 24 * 3600.0

_NOW_S = extract("epoch", func.clock_timestamp())


@dataclass(frozen=True)
class ProcessRow:
    """One process as its heartbeat row says: ``age_s`` by the database's clock."""

    process: str
    url: str
    started_at: str
    age_s: float
    leader_since: str | None
    line: str | None


def session_engine(url: str, *, timeout_s: float) -> Engine:
    """An engine for the lead's own connection: autocommit, and a connection the server drops
    within a few seconds of its process going silent (killed, or cut off by the network), so
    that the lock it holds is freed for another. ``timeout_s`` bounds connecting and each
    statement."""
    seconds = max(1, round(timeout_s))
    keepalive = " ".join(
        f"-c {name}={value}"
        for name, value in (
            ("tcp_keepalives_idle", 1),
            ("tcp_keepalives_interval", 1),
            ("tcp_keepalives_count", 2),
            ("tcp_user_timeout", seconds * 1000),
            ("statement_timeout", seconds * 1000),
        )
    )
    connect_args: dict[str, Any] = {
        "connect_timeout": seconds,
        "keepalives": 1,
        "keepalives_idle": 1,
        "keepalives_interval": 1,
        "keepalives_count": 2,
        "tcp_user_timeout": seconds * 1000,
        "options": keepalive,
    }
    return create_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=connect_args
    )


def wait_for_lead(conn: Connection) -> str:
    """Wait, however long it takes, until the database grants ``conn``'s session the lead
    (the moment its holder's session ends): when, by the database's clock, stamped in the same
    statement, so no client's delay counts in it."""
    conn.execute(text("SET statement_timeout = 0"))  # this one statement may wait for ever
    query = text(
        "SELECT pg_advisory_lock(:key), to_char(clock_timestamp() AT TIME ZONE 'UTC',"
        ' \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')'
    )
    return str(conn.execute(query, {"key": LEADER_LOCK}).one()[1])


def stop_waiting(conn: Connection, session: int) -> None:
    """Cancel the wait for the lead of session ``session`` (this process stops)."""
    conn.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": session})


def session_id(conn: Connection) -> int:
    """The server process of ``conn``'s session: what ``leads`` checks the lock against."""
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def leads(conn: Connection, session: int) -> bool:
    """Whether session ``session`` holds the lead now: the fence a leader's write checks in its
    own transaction, so a leader that lost its session writes nothing more as leader."""
    query = text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND pid = :pid AND classid = :high AND objid = :low AND objsubid = 1)"
    )
    found = conn.execute(query, {"pid": session, "high": _LOCK_HIGH, "low": _LOCK_LOW})
    return bool(found.scalar())


def beat(
    conn: Connection,
    *,
    process: str,
    url: str,
    started_at: str,
    leader_since: str | None,
    line: str | None,
) -> None:
    """Stamp ``process``'s heartbeat with the database's clock (its row made if new). Only the
    lead's holder beats with ``leader_since``: the others' rows then lose theirs (a leader
    that died leaves its row behind, no longer the leader's)."""
    values = {"url": url, "heartbeat_s": _NOW_S, "leader_since": leader_since, "line": line}
    statement = insert(node_processes).values(process=process, started_at=started_at, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["process"], set_=values))
    if leader_since is not None:
        others = node_processes.c.process != process
        conn.execute(update(node_processes).where(others).values(leader_since=None, line=None))


def last_leader(conn: Connection, process: str) -> str | None:
    """The process other than ``process`` whose row says it led last, if any."""
    columns = node_processes.c
    query = select(columns.process).where(
        columns.leader_since.is_not(None), columns.process != process
    )
    return conn.execute(query.limit(1)).scalar()


def read_processes(conn: Connection) -> list[ProcessRow]:
    """Every process heard from within a day, the most recently started first."""
    age = (_NOW_S - node_processes.c.heartbeat_s).label("age_s")
    conn.execute(delete(node_processes).where(age > FORGOTTEN_AFTER_S))
    columns = node_processes.c
    rows = conn.execute(
        select(
            columns.process,
            columns.url,
            columns.started_at,
            age,
            columns.leader_since,
            columns.line,
        ).order_by(columns.started_at.desc(), columns.process)
    )
    return [ProcessRow(*row) for row in rows]


def forget(conn: Connection, process: str) -> None:
    """A process stopped cleanly: its row goes with it."""
    conn.execute(delete(node_processes).where(node_processes.c.process == process))
