"""Operator tokens: created by an administrator, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.domain.roles import Role
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
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


@dataclass(frozen=True)
class Operator:
    """Who a token speaks for: the operator's name and role."""

    name: str
    role: Role


@dataclass(frozen=True)
class TokenRecord:
    operator: str
    role: str
    created_at: str
    token_id: str  # the first 12 hex digits of the token's SHA-256, as the journal names it


def issue_token(uow: UnitOfWork, operator: str, role: Role, at: str) -> str:
    """A new token for ``operator``, recorded in the journal by a short fingerprint only."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_hash = hash_token(token)
    tokens.insert_token(uow.conn, token_hash, operator, at, role=role.value)
    uow.record(
        JournalKind.OPERATOR_TOKEN_CREATED,
        {"operator": operator, "role": role.value, "token_id": token_hash[:12]},
    )
    return token


def create_token(node: Node, operator: str, role: Role) -> str:
    check_operator_name(operator)
    return node.write(lambda uow: issue_token(uow, operator, role, format_utc(node.clock())))


def operator_for_token(node: Node, token: str) -> Operator | None:
    token_hash = hash_token(token)
    found = node.read(lambda conn: tokens.find_operator(conn, token_hash))
    return Operator(found[0], Role(found[1])) if found is not None else None


def list_tokens(node: Node) -> list[TokenRecord]:
    return [
        TokenRecord(operator, role, created_at, token_hash[:12])
        for operator, role, created_at, token_hash in node.read(tokens.list_tokens)
    ]
