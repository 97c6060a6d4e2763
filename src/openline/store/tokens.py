"""Operator tokens, stored only as SHA-256 hashes, each with its operator's role."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from openline.store.tables import operator_tokens


def insert_token(
    conn: Connection, token_hash: str, operator: str, created_at: str, *, role: str
) -> None:
    conn.execute(
        insert(operator_tokens).values(
            token_hash=token_hash, operator=operator, role=role, created_at=created_at
        )
    )


def find_operator(conn: Connection, token_hash: str) -> tuple[str, str] | None:
    """The operator's name and role for a token's hash, if the token is this node's."""
    row = conn.execute(
        select(operator_tokens.c.operator, operator_tokens.c.role).where(
            operator_tokens.c.token_hash == token_hash
        )
    ).one_or_none()
    return (row.operator, row.role) if row is not None else None


def list_tokens(conn: Connection) -> list[tuple[str, str, str, str]]:
    """Every token as (operator, role, created_at, token_hash), oldest first."""
    rows = conn.execute(
        select(
            operator_tokens.c.operator,
            operator_tokens.c.role,
            operator_tokens.c.created_at,
            operator_tokens.c.token_hash,
        ).order_by(operator_tokens.c.created_at, operator_tokens.c.operator)
    )
    return [(r.operator, r.role, r.created_at, r.token_hash) for r in rows]
