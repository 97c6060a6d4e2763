"""A node whose database cannot take a write: locked by another process beyond the busy
timeout, its disk full, its PostgreSQL connection lost. The API answers 503 in the error shape
with a Retry-After, keeps nothing it answered 503 to, and recovers by itself; a peer's sender
is told to retry and delivers once the database is back."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from openline.node.settings import CONFIG_FILE
from openline.store.database import WRITER_LOCK, sqlite_path
from tests.support.backend import node_database_url, node_engine, on_postgresql, sqlite_only
from tests.support.faults import assert_journals_verify_and_agree
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.operator import get, journal_of, state
from tests.support.ports import free_port
from tests.support.processes import (
    Pair,
    RunningNode,
    run_openline,
    start_node,
    start_pair,
    stop_pair,
)
from tests.support.waiting import wait_for

# Short, so that a write gives up on a held lock quickly; the lock is held far longer.
ENV = {"OPENLINE_LINE_CHECK_INTERVAL": "1", "OPENLINE_DATABASE_BUSY_TIMEOUT": "0.3"}


def post_message(node: RunningNode, body: str) -> httpx.Response:
    with node.client() as client:
        return client.post(
            "/api/v1/messages",
            json={"to": ["RED"], "precedence": "routine", "text": body, "lang": "en"},
        )


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == "unavailable"


def sent_texts(node: RunningNode) -> list[str]:
    listed = get(node, "/api/v1/messages", box="out", limit=1000)["messages"]
    return [m["fields"]["text"] for m in listed]


@contextlib.contextmanager
def write_lock_held(directory: Path) -> Iterator[None]:
    """Another process's connection holds the node's write lock: SQLite's BEGIN EXCLUSIVE on
    the file, or the PostgreSQL advisory lock the node's writer takes."""
    if on_postgresql():
        engine = node_engine(directory)
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": WRITER_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": WRITER_LOCK})
                conn.commit()
        engine.dispose()
        return
    path = sqlite_path(node_database_url(directory))
    assert path is not None
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    running = start_pair(tmp_path, ENV)
    try:
        yield running
    finally:
        stop_pair(running)


def test_a_locked_database_answers_503_keeps_nothing_and_recovers_when_released(
    pair: Pair, tmp_path: Path
):
    """BLUE's own database locked: its operators get 503, then 201. RED's locked: RED answers
    BLUE's sender 503, and the sender delivers once RED's lock is released."""
    with write_lock_held(pair.blue.directory):
        refused = post_message(pair.blue, "while locked")
        assert_unavailable(refused)
        assert "locked" in refused.json()["error"]["message"] or on_postgresql()
        assert get(pair.blue, "/api/v1/node")["party"]["party"] == "BLUE"  # reads go on

    accepted = post_message(pair.blue, "after the lock")

    assert accepted.status_code == 201, accepted.text
    assert sent_texts(pair.blue) == ["after the lock"]
    wait_for(lambda: state(pair.blue, accepted.json()["id"]) == "delivered", what="delivery")

    with write_lock_held(pair.red.directory):
        sent = post_message(pair.blue, "to a locked RED")
        assert sent.status_code == 201, sent.text
        wait_for(
            lambda: any(
                re.search(r"^RED at \S+ answered 503", e["data"]["problem"])
                for e in journal_of(pair.blue, "line.delivery_refused")
            ),
            what="RED's 503 seen by BLUE's sender",
        )
        assert state(pair.blue, sent.json()["id"]) == "queued"

    wait_for(lambda: state(pair.blue, sent.json()["id"]) == "delivered", what="the retry")
    received = get(pair.red, "/api/v1/messages", box="in")["messages"]
    newest_first = [m["fields"]["text"] for m in received]
    assert newest_first == ["to a locked RED", "after the lock"]
    stop_pair(pair)
    assert_journals_verify_and_agree(pair, tmp_path)


# --- disk full ---------------------------------------------------------------------------------


@contextlib.contextmanager
def small_filesystem(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (needs root), unmounted at the end."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("no mount command here")
    where.mkdir()
    mounted = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run([umount, "-l", str(where)], check=False)


def fill(filesystem: Path) -> Path:
    """A file that takes every free byte of ``filesystem``."""
    filler = filesystem / "filler"
    with filler.open("wb", buffering=0) as handle:  # unbuffered: nothing left to flush at close
        for size in (65536, 512):  # big writes, then the last bytes
            with contextlib.suppress(OSError):
                while handle.write(b"\0" * size):
                    pass
    assert os.statvfs(filesystem).f_bavail == 0
    return filler


@sqlite_only("it fills the filesystem under the SQLite file; PostgreSQL's disk is its server's")
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem needs root")
def test_a_full_disk_answers_503_keeps_nothing_and_recovers_when_space_is_freed(tmp_path: Path):
    created = make_node_dir(tmp_path / "blue", port=free_port())
    link(created.directory, silent_card())
    with small_filesystem(tmp_path / "disk", "4m") as disk:
        # The node's database moves onto the small filesystem; its directory stays where it is.
        for name in ("openline.db", "openline.db-wal", "openline.db-shm"):
            if (created.directory / name).exists():
                shutil.move(created.directory / name, disk / name)
        with (created.directory / CONFIG_FILE).open("a", encoding="utf-8") as config:
            config.write(f'database_url = "sqlite:///{disk / "openline.db"}"\n')
        node = start_node(created.directory, created.token, ENV)
        try:
            accepted, refused = fill_until_refused(node, fill(disk))
            assert_unavailable(refused)
            assert "full" in refused.json()["error"]["message"]
            assert sent_texts(node) == list(reversed(accepted))  # the newest first

            (disk / "filler").unlink()
            after = post_message(node, "after space was freed")

            assert after.status_code == 201, after.text
            assert sent_texts(node) == ["after space was freed", *reversed(accepted)]
        finally:
            node.stop_surely()
        verified = run_openline("journal", "verify", created.directory)
        assert verified.returncode == 0, verified.stdout + verified.stderr


@sqlite_only("it limits the size of the files the node writes; PostgreSQL's are its server's")
@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs Linux's prlimit")
def test_a_write_the_kernel_refuses_answers_503_and_the_node_recovers_when_it_may_write_again(
    running_node: RunningNode,
):
    """Without root: RLIMIT_FSIZE on the running node's process makes the kernel refuse any
    write past the size its files have now (EFBIG, which SQLite reports as a disk I/O error)."""
    pid = running_node.process.pid
    _soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    grown = max(f.stat().st_size for f in running_node.directory.parent.rglob("*") if f.is_file())
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (grown + 4096, hard))
    try:
        accepted, refused = fill_until_refused(running_node, running_node.directory)
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))
    assert_unavailable(refused)
    assert sent_texts(running_node) == list(reversed(accepted))

    after = post_message(running_node, "after the limit was lifted")

    assert after.status_code == 201, after.text
    assert sent_texts(running_node) == ["after the limit was lifted", *reversed(accepted)]
    running_node.stop()
    verified = run_openline("journal", "verify", running_node.directory)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def fill_until_refused(node: RunningNode, where: Path) -> tuple[list[str], httpx.Response]:
    """Messages posted until one is refused: the texts accepted, and the refusal. The first
    writes may still fit in space SQLite already holds; a few hundred cannot."""
    accepted: list[str] = []
    for number in range(500):
        body = f"message {number} " + "x" * 4000
        response = post_message(node, body)
        if response.status_code != 201:
            return accepted, response
        accepted.append(body)
    raise AssertionError(f"500 messages fitted where nothing more should fit ({where})")


# --- PostgreSQL: the connection lost -----------------------------------------------------------


@pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL only: SQLite has no connection")
def test_a_lost_database_connection_costs_at_most_a_503_and_the_node_reconnects(
    pair: Pair, tmp_path: Path
):
    engine = node_engine(pair.blue.directory)
    with engine.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    engine.dispose()
    assert ended

    answers: list[Any] = [post_message(pair.blue, f"after the loss {n}") for n in range(3)]

    assert {a.status_code for a in answers} <= {201, 503}
    assert answers[-1].status_code == 201, answers[-1].text
    for answer in answers:
        if answer.status_code == 503:
            assert_unavailable(answer)
    kept = [a.request.content for a in answers if a.status_code == 201]
    assert len(sent_texts(pair.blue)) == len(kept)
    stop_pair(pair)
    assert_journals_verify_and_agree(pair, tmp_path)
