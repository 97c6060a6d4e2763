"""Alembic migrations on the session's backend (real SQLite or PostgreSQL): they build exactly
the tables the code declares, once."""

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

from openline.node.assembly import Node
from openline.node.settings import load_settings
from openline.services.setup import NewNode
from openline.store.database import alembic_config, database_url, migrate
from openline.store.tables import metadata
from tests.support.backend import new_database_url


@pytest.fixture
def fresh_url(tmp_path: Path) -> str:
    """An empty database, migrated by the test."""
    return new_database_url() or f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def node_url(node_dir: NewNode) -> str:
    """The database ``openline init`` made (and migrated)."""
    return database_url(load_settings(node_dir.directory, {}).database_url, node_dir.directory)


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


# Every table and index as the database stores its definition: SQLite keeps the statement;
# PostgreSQL, each column's type and each index's definition.
_SCHEMA = {
    "sqlite": "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name",
    "postgresql": """
        SELECT 'column', table_name || '.' || column_name,
               data_type || ' ' || coalesce(character_maximum_length::text, '') || ' '
               || is_nullable || ' ' || coalesce(column_default, '')
        FROM information_schema.columns WHERE table_schema = 'public'
        UNION ALL
        SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
        ORDER BY 1, 2""",
}


def schema(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(_SCHEMA[engine.dialect.name]))]


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

    assert heads == ["0018"]


@pytest.mark.parametrize("which", ["fresh", "made by init"])
def test_the_migrated_database_matches_the_declared_tables(
    which: str, fresh_url: str, node_url: str, engine_for: Any
):
    url = fresh_url if which == "fresh" else node_url
    if which == "fresh":
        migrate(url)
    engine = engine_for(url)

    assert differences(engine) == []
    assert current_revision(engine) == "0018"
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
    assert current_revision(engine) == "0018"


def test_a_downgraded_database_migrates_back_to_the_same_schema(fresh_url: str, engine_for: Any):
    migrate(fresh_url)
    engine = engine_for(fresh_url)
    migrated = schema(engine)

    command.downgrade(alembic_config(fresh_url), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(fresh_url)

    assert schema(engine) == migrated
    assert differences(engine) == []


def test_tokens_made_before_roles_become_administrators_tokens(fresh_url: str, engine_for: Any):
    command.upgrade(alembic_config(fresh_url), "0004")
    engine = engine_for(fresh_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO operator_tokens (token_hash, operator, created_at) "
                "VALUES ('ab12', 'old-admin', '2024-12-03T12:00:00.000Z')"
            )
        )

    migrate(fresh_url)

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT operator, role FROM operator_tokens")).all()
    assert [tuple(row) for row in rows] == [("old-admin", "administrator")]


def test_instants_stored_with_a_short_year_are_written_with_four_digits_and_nothing_else(
    fresh_url: str, engine_for: Any
):
    command.upgrade(alembic_config(fresh_url), "0007")
    engine = engine_for(fresh_url)
    fields = {
        "short": '{"description": "1-01-01T00:00:00.000Z", "time": "999-12-31T23:00:00.000Z"}',
        "fine": '{"description": "close pass", "time": "2026-12-03T12:00:00.000Z"}',
        "look-alike": '{"description": "\\"1-2 units\\"", "time": "1-01-01"}',
    }
    with engine.begin() as conn:
        for message_id, text_of_fields in fields.items():
            conn.execute(
                text(
                    "INSERT INTO messages (id, sender, precedence, template, fields, created_at, "
                    "deadline, created_by) VALUES (:id, 'BLUE', 'flash', "
                    "'unsafe-encounter-report', :fields, '2026-12-03T12:00:00.000Z', "
                    "'2026-12-03T12:10:00.000Z', 'duty')"
                ),
                {"id": message_id, "fields": text_of_fields},
            )

    migrate(fresh_url)

    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, fields FROM messages")).all())
    assert stored == {
        **fields,
        "short": '{"description": "0001-01-01T00:00:00.000Z", "time": "0999-12-31T23:00:00.000Z"}',
    }


def test_peers_linked_before_paths_keep_their_one_url_and_pin_as_their_one_path(
    fresh_url: str, engine_for: Any
):
    command.upgrade(alembic_config(fresh_url), "0009")
    engine = engine_for(fresh_url)
    with engine.begin() as conn:
        for party, url, pin in [
            ("RED", "http://127.0.0.1:8471", None),
            ("GREEN", "https://green.example.org", "sha256/" + "A" * 43 + "="),
        ]:
            conn.execute(
                text(
                    "INSERT INTO peers (party, name, lang, url, public_key, added_at, tls_pin) "
                    "VALUES (:party, 'x', 'en', :url, :key, '2026-12-03T12:00:00.000Z', :pin)"
                ),
                {"party": party, "url": url, "key": "k" * 43, "pin": pin},
            )

    migrate(fresh_url)

    with engine.connect() as conn:
        paths = conn.execute(  # the columns migration 0010 made
            text("SELECT peer, position, url, tls_pin, relay FROM peer_paths ORDER BY peer")
        ).all()
    assert [tuple(row) for row in paths] == [
        ("GREEN", 0, "https://green.example.org", "sha256/" + "A" * 43 + "=", None),
        ("RED", 0, "http://127.0.0.1:8471", None, None),
    ]
