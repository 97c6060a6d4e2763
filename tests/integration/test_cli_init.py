"""`openline init` as operators run it: a real subprocess, its files, its refusals."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text

from tests.support.backend import init_args, node_engine, on_postgresql
from tests.support.nodes import make_node_dir
from tests.support.ports import free_port
from tests.support.processes import RunningNode, run_openline

TOKEN_LINE = re.compile(r"olt_[A-Za-z0-9_-]{43}\n")
NODE_FILES = {"openline.toml", "node.key", "cli.token"} | (
    set() if on_postgresql() else {"openline.db"}
)


openline = run_openline


def init(directory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return openline(
        "init",
        directory,
        *("--party", "BLUE", "--name", "Blue command", "--lang", "en"),
        *extra,
        *init_args(),
    )


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``root`` with its mode and bytes, to show that nothing changed."""
    return {
        str(path.relative_to(root)): (path.stat().st_mode, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def stored_bytes(directory: Path) -> bytes:
    """What the node's database holds: the SQLite file byte for byte; on PostgreSQL, every row
    of every table."""
    if not on_postgresql():
        return (directory / "openline.db").read_bytes()
    engine = node_engine(directory)
    tables = MetaData()
    with engine.connect() as conn:
        tables.reflect(conn)
        rows = [repr(tuple(r)) for t in tables.sorted_tables for r in conn.execute(select(t))]
    engine.dispose()
    return "\n".join(rows).encode()


def test_init_creates_the_node_files_and_prints_only_the_token(tmp_path: Path):
    directory = tmp_path / "blue"
    result = init(directory, "--port", "18470")

    assert result.returncode == 0, result.stderr
    assert TOKEN_LINE.fullmatch(result.stdout), result.stdout
    assert "http://127.0.0.1:18470" in result.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
    assert set(modes) == NODE_FILES
    assert modes["node.key"] == 0o600
    assert modes["cli.token"] == 0o600


def test_init_keeps_the_operator_tokens_only_as_hashes(tmp_path: Path):
    directory = tmp_path / "blue"
    token = init(directory).stdout.strip()
    cli_token = (directory / "cli.token").read_text().strip()

    database = stored_bytes(directory)
    assert token != cli_token
    for secret in (token, cli_token):
        assert secret.encode() not in database
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in database


def test_a_new_node_journal_starts_with_its_card_and_verifies(tmp_path: Path):
    directory = tmp_path / "blue"
    init(directory, "--url", "https://blue.example:8443")

    verified = openline("journal", "verify", directory)
    card = json.loads(openline("card", directory).stdout)

    assert verified.returncode == 0, verified.stderr
    assert verified.stdout == "journal intact: 3 entries verified\n"
    assert card["url"] == "https://blue.example:8443"
    engine = node_engine(directory)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT kind, data FROM journal WHERE seq = 1")).one()
    engine.dispose()
    assert first[0] == "node.initialized"
    assert json.loads(first[1])["card"] == card


@pytest.mark.slow
def test_the_printed_token_and_the_cli_token_work_against_the_served_node(
    tmp_path: Path, serve: Callable[[Path, str], RunningNode]
):
    directory = tmp_path / "blue"
    created = init(directory, "--port", str(free_port()), "--operator", "duty-officer")
    token = created.stdout.strip()
    cli_token = (directory / "cli.token").read_text().strip()
    running = serve(directory, token)  # it waits until the node answers this token

    body = {"to": ["BLUE"], "precedence": "flash", "text": "radio check", "lang": "en"}
    senders = []
    with running.client() as client:
        for secret in (token, cli_token):
            headers = {"Authorization": f"Bearer {secret}"}
            sent = client.post("/api/v1/messages", json=body, headers=headers)
            assert sent.status_code == 201, sent.text
            senders.append(sent.json()["created_by"])
        refused = client.get("/api/v1/node", headers={"Authorization": f"Bearer {token}x"})

    assert senders == ["duty-officer", "local-cli"]
    assert refused.status_code == 401


def test_init_accepts_an_empty_existing_directory(tmp_path: Path):
    directory = tmp_path / "blue"
    directory.mkdir()

    result = init(directory)

    assert result.returncode == 0, result.stderr
    assert {p.name for p in directory.iterdir()} == NODE_FILES
    assert openline("journal", "verify", directory).returncode == 0


def _existing_node(directory: Path) -> None:
    make_node_dir(directory)


def _non_empty_directory(directory: Path) -> None:
    directory.mkdir()
    (directory / "notes.txt").write_text("the duty roster\n")


def _a_file(directory: Path) -> None:
    directory.write_text("not a directory\n")


@pytest.mark.parametrize(
    ("prepare", "complaint"),
    [
        (_existing_node, "is an Openline node: refusing to overwrite it"),
        (_non_empty_directory, "is not empty: refusing to overwrite it"),
        (_a_file, "is a file"),
    ],
    ids=["existing node", "non-empty directory", "a file"],
)
def test_init_refuses_to_overwrite_and_changes_nothing(
    tmp_path: Path, prepare: Callable[[Path], None], complaint: str
):
    directory = tmp_path / "blue"
    prepare(directory)
    before = snapshot(tmp_path)

    result = init(directory)

    assert result.returncode != 0
    assert result.stdout == ""
    assert complaint in result.stderr
    assert str(directory) in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blue"]


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--party", "blue", "--party 'blue'"),
        ("--party", "B", "--party 'B'"),
        ("--party", "BLUE RED", "--party 'BLUE RED'"),
        ("--lang", "de", "--lang 'de'"),
        ("--port", "0", "--port 0"),
        ("--port", "65536", "--port 65536"),
        ("--port", "many", "'many' is not a valid integer"),
        ("--name", "", "--name ''"),
        ("--operator", "duty officer", "operator 'duty officer'"),
    ],
)
def test_init_with_an_invalid_value_names_it_and_leaves_nothing_behind(
    tmp_path: Path, option: str, value: str, named: str
):
    values = {"--party": "BLUE", "--name": "Blue command", "--lang": "en", option: value}
    arguments = [part for pair in values.items() for part in pair]

    result = openline("init", tmp_path / "blue", *arguments)

    assert result.returncode != 0
    assert result.stdout == ""
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither the node nor a .blue.init-* staging dir
