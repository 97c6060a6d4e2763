"""Where the benchmarked nodes keep their data: `--database sqlite` (the embedded default, a file
in each node directory) or `--database postgresql` (a throwaway PostgreSQL 15 cluster on
127.0.0.1, durable as a production server is: fsync and synchronous commit on).

``nodes_on(kind)`` gives a function that returns the extra settings of each new node
(its own database on the cluster), and stops the cluster on the way out. ``commit_floor``
is the database's own floor: one-row INSERT and COMMIT, one transaction at a time.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

# Run as `python bench/NAME.py`, a benchmark has bench/ on its path, not the checkout's root,
# where tests/support (the throwaway PostgreSQL cluster it shares with the suite) lives.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.postgres import Cluster

DATABASES = ("sqlite", "postgresql")
NodeSettings = Callable[[str], dict[str, str]]


@contextlib.contextmanager
def nodes_on(kind: str) -> Iterator[NodeSettings]:
    """The settings for each new node (named like a database: lower case, digits, ``_``)."""
    if kind == "sqlite":
        yield lambda _name: {}
        return
    if kind != "postgresql":
        raise SystemExit(f"--database {kind!r}: choose one of {', '.join(DATABASES)}")
    # The cluster's defaults: fsync on, synchronous_commit on; nothing traded for speed. Its
    # directory is its own, in the system's temporary directory: the postgres user cannot
    # enter the bench's working directory, which is private to this process's user.
    with Cluster() as cluster:
        yield lambda name: {"database_url": cluster.create_database(name)}


def server_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def commit_floor(url: str, seconds: float) -> tuple[int, float, list[float]]:
    """Commit one small row per transaction for ``seconds``: the count, the time taken and each
    commit's latency. What one durable write per message would cost on this server."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    latencies: list[float] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE commit_floor (id serial PRIMARY KEY, body text)"))
            insert = text("INSERT INTO commit_floor (body) VALUES (:body)")
            body = {"body": "Convoy of 12 vehicles moving north on route TAMPA."}
            start = time.perf_counter()
            while time.perf_counter() - start < seconds:
                began = time.perf_counter()
                conn.execute(insert, body)  # autocommit: each INSERT is its own transaction
                latencies.append(time.perf_counter() - began)
            elapsed = time.perf_counter() - start
            conn.execute(text("DROP TABLE commit_floor"))
    finally:
        engine.dispose()
    return len(latencies), elapsed, latencies
