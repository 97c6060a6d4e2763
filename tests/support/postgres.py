"""A throwaway PostgreSQL cluster: initdb in a directory of its own, trust authentication, on a
free port of 127.0.0.1 only, its socket inside that directory; stopped (``-m fast``) on exit.

PostgreSQL refuses to run as root, so as root every server command runs as the ``postgres``
user (``runuser``), which then owns the directory. The tests' PostgreSQL backend and the
benchmarks (their PostgreSQL nodes, the PostGIS comparison) start their server through here.

The server's programs (initdb, pg_ctl, psql) are found through ``pg_config --bindir``. On Debian
``/usr/bin/pg_config`` is postgresql-common's wrapper: it runs the newest
``/usr/lib/postgresql/NN/bin/pg_config`` (installed with postgresql-NN's client package, which
the server package pulls in), so it prints ``/usr/lib/postgresql/15/bin`` where postgresql-15
is installed; where only libpq-dev is, it prints ``/usr/bin``, which holds no initdb, and
``server_programs`` says what to install. Elsewhere pg_config is the server's own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import TracebackType

from tests.support.ports import free_port

INSTALL = "install PostgreSQL's server (on Debian: apt-get install postgresql-15)"
SUPERUSER = "postgres"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresUnavailable(Exception):
    """The cluster cannot be started or a command on it failed; the message says why."""


@cache
def server_programs() -> Path:
    """The directory of PostgreSQL's server programs, as ``pg_config --bindir`` prints it."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        raise PostgresUnavailable(f"pg_config is not on PATH: {INSTALL}")
    done = subprocess.run(
        [pg_config, "--bindir"], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode:
        raise PostgresUnavailable(f"pg_config failed ({done.stderr.strip()[:200]}): {INSTALL}")
    programs = Path(done.stdout.strip())
    if not (programs / "initdb").exists():
        raise PostgresUnavailable(f"pg_config --bindir gives {programs}, without initdb: {INSTALL}")
    return programs


class Cluster:
    """``Cluster(options=["-c", "fsync=off"])``, then ``start()`` (or ``with``), then
    ``create_database(name)`` for a URL Openline can use."""

    def __init__(self, work: Path | None = None, *, options: Sequence[str] = ()) -> None:
        self._own_work = work is None
        self.work = Path(tempfile.mkdtemp(prefix="openline-pg-")) if work is None else work
        self.data = self.work / "pgdata"
        self.log = self.work / "postgres.log"
        self.port = free_port()
        self.options = list(options)
        self._run_as = ["runuser", "-u", SUPERUSER, "--"] if os.getuid() == 0 else []

    def start(self) -> None:
        programs = server_programs()
        if self._run_as:
            shutil.chown(self.work, SUPERUSER, SUPERUSER)
        self._run(
            [
                str(programs / "initdb"),
                *("-D", str(self.data), "-A", "trust", "-U", SUPERUSER),
                # UTF-8 text; C collation: text sorts by code point, as on SQLite.
                *("-E", "UTF8", "--locale", "C", "--no-sync"),
            ]
        )
        self.start_server()

    def start_server(self) -> None:
        """Start the server of a cluster made already (by ``start``, then ``stop_server``)."""
        server = [
            *("-p", str(self.port), "-c", "listen_addresses=127.0.0.1"),
            *("-k", str(self.work)),
            *self.options,
        ]
        self._run(
            [
                str(server_programs() / "pg_ctl"),
                *("-D", str(self.data), "-o", " ".join(server), "-w", "-l", str(self.log)),
                "start",
            ]
        )

    def stop_server(self) -> None:
        """Stop the server, as a database failover does, keeping the cluster for
        ``start_server``: every connection is cut (``-m fast``)."""
        pg_ctl = server_programs() / "pg_ctl"
        self._run([str(pg_ctl), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def stop(self) -> None:
        """Stop the server (if it runs) and remove a directory this cluster made itself."""
        try:
            if (self.data / "postmaster.pid").exists():
                pg_ctl = server_programs() / "pg_ctl"
                self._run([str(pg_ctl), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        finally:
            if self._own_work:
                shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, *, copy_of: str | None = None) -> str:
        """A new database (UTF-8, C collation), empty or a copy of database ``copy_of`` (which
        nobody may be connected to); its URL."""
        for given in (name, copy_of or name):
            if not _NAME.fullmatch(given):
                raise ValueError(f"database name {given!r}: lower-case letters, digits, _ only")
        template = f" TEMPLATE {copy_of}" if copy_of else ""
        self.psql(f"CREATE DATABASE {name}{template}")
        return self.url(name)

    def psql(self, script: str, database: str = "postgres") -> str:
        """Run ``script`` with psql (stopping at the first error); its unaligned output."""
        return self._run(
            [
                str(server_programs() / "psql"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database),
                *("-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"),
            ],
            stdin=script,
        )

    def _run(self, argv: list[str], stdin: str | None = None) -> str:
        done = subprocess.run(
            [*self._run_as, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        if done.returncode:
            detail = done.stderr.strip()[:400]
            raise PostgresUnavailable(f"{Path(argv[0]).name} failed: {detail}")
        return done.stdout
