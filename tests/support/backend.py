"""The database every node the tests create runs on, chosen for the session with ``--backend``
(tests/conftest.py): ``sqlite``, the default, each node's own file; or ``postgresql``, a fresh
database for each node on one throwaway cluster, started when first needed."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from openline.node.settings import CONFIG_FILE, load_settings
from openline.store.database import database_url
from tests.support.postgres import Cluster


class Backend:
    """The session's backend; for PostgreSQL, its cluster, started when first needed."""

    name = "sqlite"
    cluster: Cluster | None = None
    databases = itertools.count(1)

    @classmethod
    def postgres(cls) -> Cluster:
        if cls.cluster is None:
            # The tests kill nodes, never the cluster's server, nor the machine: a commit
            # need not reach the disk to survive them, so the cluster skips the flushes.
            durability_off = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
            options = ["-c", "max_connections=400"]
            options += [arg for setting in durability_off for arg in ("-c", setting)]
            cluster = Cluster(options=options)
            cluster.start()
            cls.cluster = cluster
        return cls.cluster

    @classmethod
    def new_database_url(cls) -> str:
        """A fresh, empty database for one node; "" (the SQLite file) on SQLite."""
        if cls.name == "sqlite":
            return ""
        return cls.postgres().create_database(f"node_{next(cls.databases)}")

    @classmethod
    def stop(cls) -> None:
        if cls.cluster is not None:
            cls.cluster.stop()
            cls.cluster = None


def on_postgresql() -> bool:
    return Backend.name == "postgresql"


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """Skip a test on PostgreSQL: ``reason`` says why it is about the SQLite file."""
    return pytest.mark.skipif(on_postgresql(), reason=f"SQLite only: {reason}")


def new_database_url() -> str:
    return Backend.new_database_url()


def init_args() -> list[str]:
    """Options for ``openline init`` that put the node on the session's backend."""
    url = new_database_url()
    return ["--database-url", url] if url else []


def node_database_url(directory: Path) -> str:
    """The URL of the database of the node in ``directory``."""
    return database_url(load_settings(directory, {}).database_url, directory)


def node_engine(directory: Path) -> Engine:
    """An engine on a node's database, holding no connection between uses (so that a stopped
    node's PostgreSQL database can be copied while the test holds it)."""
    return create_engine(node_database_url(directory), poolclass=NullPool)


def copy_node(source: Path, target: Path) -> Path:
    """A copy of a stopped node's directory, and on PostgreSQL of its database too."""
    copy = Path(shutil.copytree(source, target, symlinks=True))
    if on_postgresql() and Backend.cluster is not None:
        url = make_url(node_database_url(source))
        assert url.database is not None
        name = f"node_{next(Backend.databases)}"
        copied = Backend.cluster.create_database(name, copy_of=url.database)
        config = copy / CONFIG_FILE
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace(url.render_as_string(False), copied), encoding="utf-8")
    return copy
