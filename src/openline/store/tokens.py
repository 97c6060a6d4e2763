"""Operator tokens, stored only as SHA-256 hashes, each with its operator's role, its expiry
if it has one, and when and by whom it was revoked if it was."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from openline.store.tables import operator_tokens


@dataclass(frozen=True)
class StoredToken:
    token_hash: str
    operator: str
    role: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    revoked_by: str | None


_COLUMNS = (
    operator_tokens.c.token_hash,
    operator_tokens.c.operator,
    operator_tokens.c.role,
    operator_tokens.c.created_at,
    operator_tokens.c.expires_at,
    operator_tokens.c.revoked_at,
    operator_tokens.c.revoked_by,
)


def insert_token(
    conn: Connection,
    token_hash: str,
    operator: str,
    created_at: str,
    *,
    role: str,
    expires_at: str | None = None,
) -> None:
    conn.execute(
        insert(operator_tokens).values(
            token_hash=token_hash,
            operator=operator,
            role=role,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


def find_token(conn: Connection, token_hash: str) -> StoredToken | None:
    """The token of this hash, if it is this node's (revoked or expired, too)."""
    row = conn.execute(
        select(*_COLUMNS).where(operator_tokens.c.token_hash == token_hash)
    ).one_or_none()
    return StoredToken(*row) if row is not None else None


def list_tokens(conn: Connection) -> list[StoredToken]:
    """Every token, oldest first."""
    rows = conn.execute(
        select(*_COLUMNS).order_by(operator_tokens.c.created_at, operator_tokens.c.operator)
    )
    return [StoredToken(*row) for row in rows]


def tokens_of(
    conn: Connection, *, hash_prefix: str | None = None, operator: str | None = None
) -> list[StoredToken]:
    """The tokens whose hash starts with ``hash_prefix``, or those of ``operator``."""
    query = select(*_COLUMNS).order_by(operator_tokens.c.created_at)
    if hash_prefix is not None:
        query = query.where(operator_tokens.c.token_hash.startswith(hash_prefix, autoescape=True))
    if operator is not None:
        query = query.where(operator_tokens.c.operator == operator)
    return [StoredToken(*row) for row in conn.execute(query)]


def revoke(conn: Connection, token_hash: str, at: str, by: str) -> None:
    conn.execute(
        update(operator_tokens)
        .where(operator_tokens.c.token_hash == token_hash, operator_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_by=by)
    )
