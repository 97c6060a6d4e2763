"""A node on PostgreSQL, whichever backend the rest of the suite runs on: `openline init
--database-url` on a real server, and the refusals when the server cannot be reached, which
name the URL but never its password."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from openline.store.tables import metadata
from tests.support.ports import free_port
from tests.support.postgres import Cluster
from tests.support.processes import run_openline

openline = run_openline
PASSWORD = "s3cret-Pw"
NUMBERS = itertools.count(1)


def init(directory: Path, url: str) -> tuple[int, str, str]:
    done = openline(
        "init",
        directory,
        *("--party", "BLUE", "--name", "Blue command", "--lang", "en"),
        *("--database-url", url),
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def database(postgres: Cluster) -> str:
    """The name of a new, empty database on the session's cluster."""
    name = f"pg_test_{next(NUMBERS)}"
    postgres.create_database(name)
    return name


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgresql"])
def test_init_with_a_database_url_puts_the_node_in_that_database(
    tmp_path: Path, postgres: Cluster, database: str, scheme: str
):
    url = postgres.url(database).replace("postgresql+psycopg", scheme)
    directory = tmp_path / "blue"

    status, token, stderr = init(directory, url)

    assert status == 0, stderr
    assert token.startswith("olt_")
    assert {p.name for p in directory.iterdir()} == {"openline.toml", "node.key", "cli.token"}
    config = tomllib.loads((directory / "openline.toml").read_text(encoding="utf-8"))
    assert config["database_url"] == url
    engine = create_engine(postgres.url(database))
    try:
        assert set(inspect(engine).get_table_names()) == {*metadata.tables, "alembic_version"}
        with engine.connect() as conn:
            kinds = conn.execute(text("SELECT kind FROM journal ORDER BY seq")).scalars().all()
    finally:
        engine.dispose()
    assert kinds == ["node.initialized", "operator.token_created", "operator.token_created"]
    verified = openline("journal", "verify", directory)
    assert verified.stdout == "journal intact: 3 entries verified\n", verified.stderr


def test_init_refuses_a_database_that_already_holds_a_node(
    tmp_path: Path, postgres: Cluster, database: str
):
    assert init(tmp_path / "blue", postgres.url(database))[0] == 0

    status, token, stderr = init(tmp_path / "second", postgres.url(database))

    assert status != 0
    assert token == ""
    assert "already holds an Openline node's database" in stderr
    assert not (tmp_path / "second").exists()
    assert openline("journal", "verify", tmp_path / "blue").returncode == 0


def unreachable_url() -> str:
    """A URL with a password, of a server that is not there: nothing listens on the port."""
    return f"postgresql+psycopg://duty:{PASSWORD}@127.0.0.1:{free_port()}/openline"


def test_init_with_an_unreachable_server_names_the_url_without_its_password(tmp_path: Path):
    url = unreachable_url()

    status, token, stderr = init(tmp_path / "blue", url)

    assert status != 0
    assert token == ""
    assert PASSWORD not in stderr
    assert url.replace(PASSWORD, "***") + " cannot be reached" in stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command", [["card"], ["journal", "verify"], ["serve"]], ids=["card", "verify", "serve"]
)
def test_a_node_whose_server_is_gone_is_refused_without_the_password(
    tmp_path: Path, postgres: Cluster, database: str, command: list[str]
):
    directory = tmp_path / "blue"
    assert init(directory, postgres.url(database))[0] == 0
    config = directory / "openline.toml"
    url = unreachable_url()
    config.write_text(
        config.read_text(encoding="utf-8").replace(postgres.url(database), url), encoding="utf-8"
    )

    # If `serve` wrongly started, the timeout stops it and the test fails.
    result = openline(*command, directory)

    assert result.returncode != 0
    assert result.stdout == ""
    assert PASSWORD not in result.stderr
    assert url.replace(PASSWORD, "***") + " cannot be read" in result.stderr
    assert "Traceback" not in result.stderr
