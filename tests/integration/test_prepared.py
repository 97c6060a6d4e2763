"""Prepared statements on the driver's cursor give what SQLAlchemy's execution gives, on the
session's backend (SQLite's ``?`` parameters or psycopg's ``%(name)s``)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    insert,
    select,
    update,
)

from openline.store.prepared import Prepared
from tests.support.backend import new_database_url

metadata = MetaData()
rows = Table(
    "rows",
    metadata,
    Column("key", String(8), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("note", String(20), nullable=True),
)
INSERT = Prepared(insert(rows))
LAST = Prepared(select(rows.c.key, rows.c.n).order_by(rows.c.n.desc()).limit(1))
BUMP = Prepared(update(rows).where(rows.c.key == bindparam("k")).values(n=bindparam("n")))


def test_insert_select_with_a_limit_and_update(tmp_path: Path):
    engine = create_engine(new_database_url() or f"sqlite:///{tmp_path / 'p.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        INSERT.run(conn, {"key": "a", "n": 1, "note": None})
        INSERT.run_many(
            conn, [{"key": "b", "n": 5, "note": "x"}, {"key": "c", "n": 3, "note": None}]
        )
        assert LAST.first(conn, {}) == ("b", 5)
        assert BUMP.run(conn, {"k": "c", "n": 9}) == 1
        assert BUMP.run(conn, {"k": "zz", "n": 9}) == 0
        assert LAST.first(conn, {}) == ("c", 9)
        assert conn.execute(select(rows.c.note).where(rows.c.key == "b")).scalar_one() == "x"
    # A column left out is an error, never a NULL: found by Prepared (positional parameters, as
    # on SQLite) or by psycopg (named ones).
    with engine.begin() as conn, pytest.raises((KeyError, psycopg.ProgrammingError), match="note"):
        INSERT.run(conn, {"key": "d", "n": 1})
    engine.dispose()
