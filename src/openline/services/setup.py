"""Creating a node: ``openline init``."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, DatabaseError

from openline import __version__
from openline.domain.journal import JournalKind
from openline.domain.roles import Role
from openline.domain.timeutil import format_utc
from openline.keys.signing import SigningKey, write_private_key
from openline.node.assembly import Node
from openline.node.directory import NodeDirectory, move_into_place, staging_directory, write_secret
from openline.node.settings import ConfigError, Settings, write_config_file
from openline.services.operators import check_operator_name, issue_token
from openline.store.database import (
    database_url,
    has_schema,
    make_engine,
    migrate,
    one_line,
    shown,
)
from openline.store.writer import UnitOfWork

CLI_OPERATOR = "local-cli"


@dataclass(frozen=True)
class NewNode:
    directory: Path
    card_url: str
    operator: str
    token: str


def init_node(
    target: Path,
    values: dict[str, str | int | list[str]],
    *,
    operator: str = "admin",
) -> NewNode:
    """Create a node in ``target``: settings, key pair, migrated database, first token.

    Everything is built in a staging directory and moved into place at the end, so a failure
    at any step leaves no half-made node behind.
    """
    check_operator_name(operator)
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"--{error['loc'][0]} {error.get('input')!r}: {error['msg']}") from None
    staging = staging_directory(target)
    try:
        token = _build(staging, values, settings, operator)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    move_into_place(staging, target)
    return NewNode(target, settings.public_url, operator, token)


def _build(
    staging: Path, values: dict[str, str | int | list[str]], settings: Settings, operator: str
) -> str:
    directory = NodeDirectory(staging)
    write_config_file(directory.config_file, values)
    write_private_key(directory.key_file, SigningKey.generate())
    _migrate_new(database_url(settings.database_url, staging))
    node = Node.open(staging, environ={})
    try:

        def first_entries(uow: UnitOfWork) -> tuple[str, str]:
            at = format_utc(node.clock())
            uow.record(
                JournalKind.NODE_INITIALIZED,
                {"card": node.card().model_dump(), "version": __version__},
            )
            cli_token = issue_token(uow, CLI_OPERATOR, Role.ADMINISTRATOR, at)
            return issue_token(uow, operator, Role.ADMINISTRATOR, at), cli_token

        token, cli_token = node.write(first_entries)
        write_secret(directory.cli_token_file, cli_token)
    finally:
        node.close()
    return token


def _migrate_new(url: str) -> None:
    """Create the schema in a database that holds no node yet (a server's database may)."""
    try:
        engine = make_engine(url, writer=False)
    except (ArgumentError, ImportError) as exc:  # not a URL, or a driver not installed
        raise ConfigError(f"database_url {shown(url)}: {exc}") from None
    try:
        taken = has_schema(engine)
    except DatabaseError as exc:
        raise ConfigError(f"{shown(url)} cannot be reached: {one_line(exc.orig)}") from None
    finally:
        engine.dispose()
    if taken:
        # Two nodes on one journal would fork it: each node has a database of its own.
        raise ConfigError(f"{shown(url)} already holds an Openline node's database")
    migrate(url)
