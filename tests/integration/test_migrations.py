"""Alembic migrations on real SQLite: they build exactly the tables the code declares, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from openline.node import Node
from openline.services.setup import NewNode
from openline.store.database import SQLITE_FILE, alembic_config, migrate
from openline.store.tables import metadata


@pytest.fixture
def fresh_url(tmp_path: Path) -> str:
    """An empty SQLite database, migrated by the test."""
    return f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def node_url(node_dir: NewNode) -> str:
    """The database ``openline init`` made (and migrated)."""
    return f"sqlite:///{node_dir.directory / SQLITE_FILE}"


@pytest.fixture
def engine_for() -> Iterator[Any]:
    engines: list[Engine] = []

    def make(url: str) -> Engine:
        engines.append(create_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def schema(engine: Engine) -> list[tuple[str, str, str]]:
    """Every table and index as SQLite stores its definition."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        )
        return [(row.type, row.name, row.sql) for row in rows]


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, alembic_version included."""
    stored = MetaData()
    with engine.connect() as conn:
        stored.reflect(conn)
        return {
            name: [tuple(row) for row in conn.execute(select(table))]
            for name, table in sorted(stored.tables.items())
        }


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_the_migrations_have_one_head(fresh_url: str):
    heads = ScriptDirectory.from_config(alembic_config(fresh_url)).get_heads()

    assert heads == ["0004"]


@pytest.mark.parametrize("which", ["fresh", "made by init"])
def test_the_migrated_database_matches_the_declared_tables(
    which: str, fresh_url: str, node_url: str, engine_for: Any
):
    url = fresh_url if which == "fresh" else node_url
    if which == "fresh":
        migrate(url)
    engine = engine_for(url)

    assert differences(engine) == []
    assert current_revision(engine) == "0004"
    assert set(inspect(engine).get_table_names()) == {*metadata.tables, "alembic_version"}


def test_the_comparison_notices_an_index_missing_from_the_database(fresh_url: str, engine_for: Any):
    migrate(fresh_url)
    engine = engine_for(fresh_url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_message_recipients_party"))

    found = differences(engine)

    assert [d[0] for d in found] == ["add_index"]


def test_migrating_a_node_twice_changes_nothing(node_dir: NewNode, node_url: str, engine_for: Any):
    engine = engine_for(node_url)
    schema_before, contents_before = schema(engine), contents(engine)
    assert contents_before["journal"]  # init wrote entries that a migration must not touch

    migrate(node_url)
    Node.open(node_dir.directory, environ={}, upgrade=True).close()

    assert schema(engine) == schema_before
    assert contents(engine) == contents_before
    assert current_revision(engine) == "0004"


def test_a_downgraded_database_migrates_back_to_the_same_schema(fresh_url: str, engine_for: Any):
    migrate(fresh_url)
    engine = engine_for(fresh_url)
    migrated = schema(engine)

    command.downgrade(alembic_config(fresh_url), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(fresh_url)

    assert schema(engine) == migrated
    assert differences(engine) == []
