"""PostgreSQL's pipeline mode for the writer's operations: fewer round trips a message.

On PostgreSQL every statement is a round trip to the server, and while the writer's thread
waits for the answer the event loop takes the GIL: each answer then waits for the GIL too. A
message makes several statements on each node. In pipeline mode (psycopg) a statement whose
answer is not needed at once is sent without waiting for it: an operation waits where it reads
(a query's rows, the count of rows an update changed, any statement run through SQLAlchemy).
The writer runs a whole transaction in one pipeline (its lock and head, its operations, its
seal), and an error comes at the next wait, maybe in a later operation, or at the end: it then
runs the batch again with a savepoint for each operation, whose block ends once the server has
answered all it sent, errors included, so that one fails alone (``store/writer.py``). Each
sync is a lot of psycopg's Python: they are what a batch run once saves. SQLite's statements
are function calls: nothing changes there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event

# Where a connection in pipeline mode keeps its pipeline: the pool's information about that
# DB-API connection, which SQLAlchemy clears when the connection is invalidated and replaced.
_PIPELINE = "openline_pipeline"


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """``conn``'s statements sent without waiting for each answer until the block ends, on
    PostgreSQL; every answer is in, and any error raised, by the time the block ends. Nested
    blocks share the outer one's pipeline (psycopg answers what was sent as one begins)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    pooled = conn.connection
    driver: Any = pooled.driver_connection
    outermost = _PIPELINE not in pooled.info
    with driver.pipeline() as pipeline:
        pooled.info[_PIPELINE] = pipeline
        try:
            yield
        finally:
            if outermost:
                del pooled.info[_PIPELINE]


def answered(conn: Connection) -> None:
    """Wait until the server has answered every statement sent on ``conn`` (in pipeline mode;
    otherwise they all are already), so that what the last one returned can be read. The error
    of any of them is raised here."""
    pipeline = conn.connection.info.get(_PIPELINE)
    if pipeline is not None:
        pipeline.sync()


def answer_each_statement(engine: Engine) -> None:
    """Have every statement run through SQLAlchemy on ``engine`` wait for its answer, even in
    pipeline mode: SQLAlchemy reads a statement's result as soon as it is executed."""

    @event.listens_for(engine, "after_cursor_execute")
    def after_execute(conn: Connection, *_: Any) -> None:
        answered(conn)


def spoilt(conn: Connection) -> bool:
    """Whether a statement failed in ``conn``'s transaction on PostgreSQL: its COMMIT would
    keep nothing, and say so to nobody (the server rolls it back without an error)."""
    if conn.dialect.name != "postgresql":
        return False
    from psycopg.pq import TransactionStatus  # PostgreSQL's driver, an extra of Openline

    driver: Any = conn.connection.driver_connection
    return bool(driver.info.transaction_status == TransactionStatus.INERROR)
