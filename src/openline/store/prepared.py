"""Statements compiled once per database dialect and executed on the driver's cursor.

SQLAlchemy's execution machinery costs tens of microseconds a statement: most of a message's
write on the line's hot path (docs/performance.md). The few statements run for every message
and envelope are built with SQLAlchemy Core as usual, compiled once for the connection's
dialect, and then executed directly through the DB-API cursor, in the same transaction. Only
columns that need no type conversion (text and integers) go through here.

On PostgreSQL each connection keeps one cursor for these statements: psycopg makes a cursor
in Python (its adapters, its result machinery), which cost about a twentieth of a message's
write there, and its client-side cursor holds nothing on the server between statements. A
SQLite cursor is cheap to make, and one left open on a query it has not read to the end would
keep its read transaction open: there each statement has a cursor of its own, closed after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement

from openline.store.pipeline import answered

# Where a PostgreSQL connection keeps its cursor: the pool's information about that DB-API
# connection, which SQLAlchemy clears when the connection is invalidated and replaced.
_KEPT_CURSOR = "openline_prepared_cursor"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for positional paramstyles
    fixed: dict[str, Any]  # values the statement itself carries, such as a LIMIT
    # The values of ``order`` from a mapping, as a tuple: in C, for a third of what a Python
    # loop over the names cost on every statement (a journal entry's row has eight).
    take: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None


def _taker(order: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(order) == 1:  # itemgetter of one name gives the value, not a tuple of it
        (name,) = order
        return lambda params: (params[name],)
    return itemgetter(*order) if order else lambda params: ()


class Prepared:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, conn: Connection) -> _Compiled:
        name = conn.dialect.name
        compiled = self._by_dialect.get(name)
        if compiled is None:
            done = self.statement.compile(dialect=conn.dialect)
            positions = getattr(done, "positiontup", None)  # set for positional paramstyles
            order = tuple(positions) if positions is not None else None
            fixed = {k: v for k, v in done.params.items() if v is not None}
            take = _taker(order) if order is not None else None
            compiled = self._by_dialect[name] = _Compiled(str(done), order, fixed, take)
        return compiled

    def _params(self, compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        merged = {**compiled.fixed, **params} if compiled.fixed else params
        if compiled.take is None:
            return dict(merged)
        return compiled.take(merged)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute with one set of parameters; returns the rows affected."""
        compiled = self._compiled(conn)
        cursor, kept = _cursor(conn)
        try:
            cursor.execute(compiled.sql, self._params(compiled, params))
            if kept:
                answered(conn)  # in pipeline mode, the count comes with the answer
            return int(cursor.rowcount)
        finally:
            if not kept:
                cursor.close()

    def send(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Execute with one set of parameters, not waiting for the answer in pipeline mode
        (``store/pipeline.py``): an error comes, at the latest, as the operation ends."""
        compiled = self._compiled(conn)
        cursor, kept = _cursor(conn)
        try:
            cursor.execute(compiled.sql, self._params(compiled, params))
        finally:
            if not kept:
                cursor.close()

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once for each of ``rows``; in pipeline mode, as ``send``."""
        if len(rows) == 1:  # psycopg's executemany costs 2.5 times one execute (its pipeline)
            self.send(conn, rows[0])
            return
        compiled = self._compiled(conn)
        cursor, kept = _cursor(conn)
        try:
            cursor.executemany(compiled.sql, [self._params(compiled, row) for row in rows])
        finally:
            if not kept:
                cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a query, as a tuple in the order of its columns."""
        compiled = self._compiled(conn)
        cursor, kept = _cursor(conn)
        try:
            cursor.execute(compiled.sql, self._params(compiled, params))
            if kept:
                answered(conn)  # in pipeline mode, the rows come with the answer
            row = cursor.fetchone()
            return tuple(row) if row is not None else None
        finally:
            if not kept:
                cursor.close()

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of a query, each a tuple in the order of its columns."""
        compiled = self._compiled(conn)
        cursor, kept = _cursor(conn)
        try:
            cursor.execute(compiled.sql, self._params(compiled, params))
            if kept:
                answered(conn)
            return list(cursor.fetchall())  # each row a tuple already (sqlite3's, psycopg's)
        finally:
            if not kept:
                cursor.close()


def _cursor(conn: Connection) -> tuple[Any, bool]:
    """A DB-API cursor of ``conn``'s connection, and whether the connection keeps it (on
    PostgreSQL); one it does not keep is closed after its statement."""
    pooled = conn.connection
    dbapi = pooled.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name != "postgresql":
        return dbapi.cursor(), False
    cursor = pooled.info.get(_KEPT_CURSOR)
    if cursor is None or cursor.closed:
        cursor = pooled.info[_KEPT_CURSOR] = dbapi.cursor()
    return cursor, True
