"""Engines and migrations. SQLite by default (WAL, fsync at every commit); any SQLAlchemy URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

SQLITE_FILE = "openline.db"


def database_url(configured: str, directory: Path) -> str:
    """The configured URL, or the SQLite file in the node directory."""
    return configured or f"sqlite:///{(directory / SQLITE_FILE).resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for another database."""
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def make_engine(url: str, *, writer: bool) -> Engine:
    """An engine; the writer's takes SQLite's write lock when a transaction begins."""
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, begin="BEGIN IMMEDIATE" if writer else "BEGIN")
    return engine


def _configure_sqlite(engine: Engine, *, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an answered request survives power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "openline.store:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    command.upgrade(alembic_config(url), "head")


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("journal")
