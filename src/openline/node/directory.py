"""A node directory: its config file, private key, SQLite database and the local CLI token.

DIR/openline.toml   settings (docs/configuration.md)
DIR/node.key        Ed25519 private key, PKCS#8 PEM, mode 0600
DIR/openline.db     the SQLite database (unless database_url names another)
DIR/cli.token       the token `openline send/inbox/ack --node DIR` use, mode 0600

While `openline serve` runs, it holds an flock on DIR itself (see ``served``).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openline.node.settings import CONFIG_FILE, ConfigError

KEY_FILE = "node.key"
CLI_TOKEN_FILE = "cli.token"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class NodeDirectory:
    path: Path

    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def key_file(self) -> Path:
        return self.path / KEY_FILE

    @property
    def cli_token_file(self) -> Path:
        return self.path / CLI_TOKEN_FILE

    def read_cli_token(self) -> str:
        try:
            return self.cli_token_file.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise ConfigError(f"{self.cli_token_file} cannot be read: {exc.strerror}") from None


def write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")


def staging_directory(target: Path) -> Path:
    """A fresh directory beside ``target``; the new node is built there, then moved into place,
    so that a failed ``openline init`` leaves nothing half-written.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "an Openline node" if (target / CONFIG_FILE).exists() else "not empty"
        raise ConfigError(f"{target} is {what}: refusing to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))


def move_into_place(staging: Path, target: Path) -> None:
    try:
        os.rename(staging, target)  # replaces an empty directory atomically
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ConfigError(f"{target} cannot be created: {exc.strerror}") from None


@contextmanager
def served(directory: NodeDirectory, *, alone: bool = True) -> Iterator[None]:
    """Hold the node's serve lock for the whole run, or raise ConfigError naming the lock if
    another process holds it: a node on SQLite is served by one process, which alone writes
    its file. The lock is the operating system's (flock on DIR itself, so nothing is added to
    the directory) and goes with the process that held it, however that process ended: a
    killed node restarts at once. Commands that read the node or add tokens and peers
    (``card``, ``token create``, ``journal verify``) do not take it. A node on PostgreSQL
    (``alone`` False) may be served by several processes (docs/deployment.md): no lock here,
    the database's own locks keep its journal whole."""
    if not alone:
        yield
        return
    fd = os.open(directory.path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"{directory.path} is already being served by {_lock_holder(fd)}, which holds "
                f"its serve lock (flock on {directory.path}): a node on SQLite is served by one "
                "process; stop that `openline serve` first (on PostgreSQL several processes "
                "serve one node: docs/deployment.md)"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def _lock_holder(fd: int) -> str:
    """``process PID`` holding the flock on ``fd``'s file, from Linux's /proc/locks; where that
    cannot be read, ``another process``."""
    info = os.fstat(fd)
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        lines = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()  # 1: FLOCK  ADVISORY  WRITE 4711 08:01:1234567 0 EOF
        if "FLOCK" in fields and len(fields) > 5 and fields[5] == device:
            return f"process {fields[4]}"
    return "another process"
