"""Operator tokens: created by an administrator, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets

from openline.domain.errors import InvalidInput
from openline.domain.timeutil import format_utc
from openline.node import Node
from openline.store import tokens
from openline.store.writer import UnitOfWork

TOKEN_PREFIX = "olt_"  # noqa: S105 - the visible prefix of every token
OPERATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_operator_name(name: str) -> str:
    if not OPERATOR_NAME.match(name):
        raise InvalidInput(
            f"operator {name!r} is not a valid name: 1 to 64 letters, digits, . _ @ -",
            field="operator",
        )
    return name


def issue_token(uow: UnitOfWork, operator: str, at: str) -> str:
    """A new token for ``operator``, recorded in the journal by a short fingerprint only."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_hash = hash_token(token)
    tokens.insert_token(uow.conn, token_hash, operator, at)
    uow.record("operator.token_created", {"operator": operator, "token_id": token_hash[:12]})
    return token


def create_token(node: Node, operator: str) -> str:
    check_operator_name(operator)
    return node.write(lambda uow: issue_token(uow, operator, format_utc(node.clock())))


def operator_for_token(node: Node, token: str) -> str | None:
    token_hash = hash_token(token)
    return node.read(lambda conn: tokens.find_operator(conn, token_hash))
