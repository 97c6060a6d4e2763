"""A node directory: its config file, private key, SQLite database and the local CLI token.

DIR/openline.toml   settings (docs/configuration.md)
DIR/node.key        Ed25519 private key, PKCS#8 PEM, mode 0600
DIR/openline.db     the SQLite database (unless database_url names another)
DIR/cli.token       the token `openline send/inbox/ack --node DIR` use, mode 0600
"""

from __future__ import annotations

import os
import shutil
import tempfile
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
