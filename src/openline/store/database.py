"""Engines and migrations. SQLite by default (WAL, fsync at every commit); PostgreSQL through
psycopg when ``database_url`` says so. Everything that differs between the two is here."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from openline.store.pipeline import answer_each_statement

SQLITE_FILE = "openline.db"
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside it
# The key of the PostgreSQL advisory lock a writer's transaction takes first: the counterpart of
# SQLite's BEGIN IMMEDIATE, so that two processes writing one journal take turns.
WRITER_LOCK = 0x6F70656E6C696E65  # "openline"
# What to install for PostgreSQL: Openline with the extra that brings psycopg.
POSTGRESQL_EXTRA = "openline[postgresql]"


def database_url(configured: str, directory: Path) -> str:
    """The configured URL, or the SQLite file in the node directory. A plain ``postgresql://``
    URL means psycopg (3), the driver of Openline's postgresql extra, not SQLAlchemy's default
    psycopg2."""
    if not configured:
        return f"sqlite:///{(directory / SQLITE_FILE).resolve()}"
    try:
        url = make_url(configured)
    except ArgumentError:
        return configured  # refused, with the URL named, when an engine is made from it
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return configured


def shown(url: str) -> str:
    """The URL as messages and logs may show it: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the configured database_url"  # unparsable: it might hold anything


def one_line(error: object) -> str:
    """A driver's error on one line (psycopg's span several)."""
    return " ".join(str(error).split())


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for another database."""
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def keep_private(path: Path) -> None:
    """The SQLite file, and its WAL and shared memory if they are there, readable by the node's
    user alone (0600). SQLite creates the WAL and shared-memory files with the database file's
    mode, so a database created here, empty and 0600, keeps all three private; an older node's
    files are made so when it is opened."""
    if not path.parent.is_dir():
        return  # no such directory: SQLite's own error says so when the engine connects
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(file.stat().st_mode) != 0o600:
                file.chmod(0o600)


def make_engine(url: str, *, writer: bool, busy_timeout_s: float = 5.0) -> Engine:
    """An engine; the writer's takes the database's write lock when a transaction begins.
    A lock held elsewhere for longer than ``busy_timeout_s`` fails the statement, so that the
    node answers 503 instead of hanging (docs/reliability.md)."""
    busy_ms = max(1, round(busy_timeout_s * 1000))
    connect_args: dict[str, Any] = {}
    if url.startswith("postgres"):
        connect_args["options"] = f"-c lock_timeout={busy_ms}"
    try:
        engine = create_engine(
            url, pool_pre_ping=not url.startswith("sqlite"), connect_args=connect_args
        )
    except ModuleNotFoundError as exc:
        if exc.name != "psycopg":
            raise
        # SQLite needs nothing more; PostgreSQL's driver comes with an extra (pyproject.toml).
        raise ModuleNotFoundError(
            f"PostgreSQL needs the driver psycopg, which is not installed: install Openline "
            f"with its postgresql extra, pip install '{POSTGRESQL_EXTRA}'",
            name=exc.name,
        ) from None
    if engine.dialect.name == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            keep_private(path)
        _configure_sqlite(engine, begin="BEGIN IMMEDIATE" if writer else "BEGIN", busy_ms=busy_ms)
    elif engine.dialect.name == "postgresql" and writer:
        _configure_postgresql_writer(engine)
    return engine


def one_snapshot(conn: Connection) -> Connection:
    """``conn`` (before its first statement) reading one snapshot of the database through its
    whole transaction, as a reader of several statements that must agree needs (the journal's
    entries and the checkpoints over them, read while the writer commits more of both).
    SQLite's read transaction is one already; PostgreSQL's default, READ COMMITTED, takes a new
    snapshot at each statement, so the transaction is made REPEATABLE READ."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


# The channel on which every commit of a PostgreSQL node NOTIFYs its last journal sequence, so
# that the node's other processes follow it (node/commits.py).
COMMITS_CHANNEL = "openline_commits"
# The channel on which a process of a PostgreSQL node tells the others of the track reports it
# took, in the transaction that took them (node/shared_tracks.py).
TRACKS_CHANNEL = "openline_tracks"


def announce_commit(conn: Connection, seq: int) -> None:
    """In the committing transaction: tell every process listening that the journal now runs
    to ``seq`` (PostgreSQL delivers it at commit, and never if the transaction rolls back)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"NOTIFY {COMMITS_CHANNEL}, '{int(seq)}'")


class Heard(NamedTuple):
    """What a listener heard in one wait: whether any commit was announced, the last journal
    seq announced (None if none, or if an announcement could not be read), and the payloads
    on the tracks channel, in the order they were sent."""

    commits: bool
    up_to: int | None
    tracks: list[str]


class CommitListener:
    """A connection of its own LISTENing on the commits channel, and on the tracks channel when
    asked to (PostgreSQL)."""

    def __init__(self, url: str, *, tracks: bool = False) -> None:
        self._engine = create_engine(url, poolclass=NullPool)
        self._raw = self._engine.raw_connection()
        driver = self._raw.driver_connection
        assert driver is not None
        self._driver: Any = driver
        self._driver.autocommit = True
        if tracks:
            self._driver.execute(f"LISTEN {TRACKS_CHANNEL}")
        self._driver.execute(f"LISTEN {COMMITS_CHANNEL}")  # last: what pg_stat_activity shows

    def wait(self, timeout_s: float) -> Heard:
        """What was sent within ``timeout_s`` of waiting for the first notification, with every
        other one already there."""
        first = list(self._driver.notifies(timeout=timeout_s, stop_after=1))
        heard = first + list(self._driver.notifies(timeout=0)) if first else first
        announced = [one.payload for one in heard if one.channel == COMMITS_CHANNEL]
        return Heard(
            commits=bool(announced),
            up_to=_last_announced(announced),
            tracks=[one.payload for one in heard if one.channel == TRACKS_CHANNEL],
        )

    def __enter__(self) -> CommitListener:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        try:
            self._raw.close()
        finally:
            self._engine.dispose()


def _last_announced(payloads: list[str]) -> int | None:
    """The highest journal seq the commits announced; None when there is none, or when one
    cannot be read as a seq (the listener then reads the journal to know)."""
    if not payloads or not all(payload.isdigit() for payload in payloads):
        return None
    return max(int(payload) for payload in payloads)


def _configure_postgresql_writer(engine: Engine) -> None:
    answer_each_statement(engine)  # the writer's operations are pipelined (store/pipeline.py)


def take_writer_lock(conn: Connection) -> None:
    """The first statement of every writer's transaction: on PostgreSQL the advisory lock that
    makes two processes writing one journal take turns (psycopg begins the transaction with
    it; it is released at commit or rollback, and reads never wait for it). Sent without
    waiting when the writer's pipeline is open, so that the lock and the journal head read
    after it cost one round trip. SQLite's writer took its lock with BEGIN IMMEDIATE."""
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")


def _configure_sqlite(engine: Engine, *, begin: str, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an answered request survives power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
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
