"""Operator tokens, stored only as SHA-256 hashes."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from openline.store.tables import operator_tokens


def insert_token(conn: Connection, token_hash: str, operator: str, created_at: str) -> None:
    conn.execute(
        insert(operator_tokens).values(
            token_hash=token_hash, operator=operator, created_at=created_at
        )
    )


def find_operator(conn: Connection, token_hash: str) -> str | None:
    return conn.execute(
        select(operator_tokens.c.operator).where(operator_tokens.c.token_hash == token_hash)
    ).scalar_one_or_none()
