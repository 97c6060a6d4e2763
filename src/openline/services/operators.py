"""Operator tokens: created by an administrator, shown once, kept only as a hash; refused once
expired or revoked (docs/security.md#tokens)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from openline.domain.errors import Conflict, InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.roles import Role
from openline.domain.timeutil import format_utc, parse_duration, parse_utc
from openline.node.assembly import Node
from openline.store import tokens
from openline.store.tokens import StoredToken
from openline.store.writer import UnitOfWork

TOKEN_PREFIX = "olt_"  # noqa: S105 - the visible prefix of every token
OPERATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{12,64}$")
FINGERPRINT_DIGITS = 12  # a token's fingerprint: the first hex digits of its SHA-256
LONGEST_EXPIRY = timedelta(days=3650)
EXPIRED = "expired operator token"
REVOKED = "revoked operator token"


class TokenState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_operator_name(name: str) -> str:
    if not OPERATOR_NAME.match(name):
        raise InvalidInput(
            f"operator {name!r} is not a valid name: 1 to 64 letters, digits, . _ @ -",
            field="operator",
        )
    return name


def expiry_after(text: str, now: datetime, *, field: str = "expires") -> str:
    """The instant ``text`` (a duration: 12h, 7d) after ``now``, as stored."""
    return format_utc(now + parse_duration(text, field=field, most=LONGEST_EXPIRY))


@dataclass(frozen=True)
class Operator:
    """Who a token speaks for: the operator's name and role (and until when, if it expires)."""

    name: str
    role: Role
    expires_at: datetime | None = None


@dataclass(frozen=True)
class TokenRefused:
    """A token of this node that no longer opens it: ``reason`` (EXPIRED or REVOKED) is what
    the refusal is journaled as, ``detail`` says since when (and by whom)."""

    reason: str
    detail: str


@dataclass(frozen=True)
class TokenRecord:
    operator: str
    role: str
    created_at: str
    token_id: str  # the first 12 hex digits of the token's SHA-256, as the journal names it
    state: TokenState = TokenState.ACTIVE
    expires_at: str | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "token_id": self.token_id,
            "operator": self.operator,
            "role": self.role,
            "created_at": self.created_at,
            "state": self.state.value,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by,
        }


def token_state(stored: StoredToken, now: str) -> TokenState:
    """Revoked, else expired from its expiry on, else active (instants as stored: text order
    is time order)."""
    if stored.revoked_at is not None:
        return TokenState.REVOKED
    if stored.expires_at is not None and stored.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.ACTIVE


def _record(stored: StoredToken, now: str) -> TokenRecord:
    return TokenRecord(
        stored.operator,
        stored.role,
        stored.created_at,
        stored.token_hash[:FINGERPRINT_DIGITS],
        token_state(stored, now),
        stored.expires_at,
        stored.revoked_at,
        stored.revoked_by,
    )


def issue_token(
    uow: UnitOfWork, operator: str, role: Role, at: str, *, expires_at: str | None = None
) -> str:
    """A new token for ``operator``, recorded in the journal by a short fingerprint only."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_hash = hash_token(token)
    tokens.insert_token(uow.conn, token_hash, operator, at, role=role.value, expires_at=expires_at)
    expiring = {"expires_at": expires_at} if expires_at is not None else {}
    uow.record(
        JournalKind.OPERATOR_TOKEN_CREATED,
        {
            "operator": operator,
            "role": role.value,
            "token_id": token_hash[:FINGERPRINT_DIGITS],
            **expiring,
        },
    )
    return token


def create_token(node: Node, operator: str, role: Role, *, expires: str | None = None) -> str:
    """A token for ``operator`` with ``role``, expiring ``expires`` (12h, 30d) from now if
    given."""
    check_operator_name(operator)
    now = node.clock()
    expires_at = expiry_after(expires, now) if expires is not None else None
    return node.write(
        lambda uow: issue_token(uow, operator, role, format_utc(now), expires_at=expires_at)
    )


def operator_for_token(node: Node, token: str) -> Operator | TokenRefused | None:
    """Who ``token`` speaks for; why it is refused if it is this node's but expired or
    revoked; None if it is not this node's."""
    stored = node.read(lambda conn: tokens.find_token(conn, hash_token(token)))
    if stored is None:
        return None
    state = token_state(stored, format_utc(node.clock()))
    if state is TokenState.REVOKED:
        return TokenRefused(REVOKED, f"revoked at {stored.revoked_at} by {stored.revoked_by}")
    if state is TokenState.EXPIRED:
        return TokenRefused(EXPIRED, f"it expired at {stored.expires_at}")
    expires_at = parse_utc(stored.expires_at) if stored.expires_at is not None else None
    return Operator(stored.operator, Role(stored.role), expires_at)


def list_tokens(node: Node) -> list[TokenRecord]:
    now = format_utc(node.clock())
    return [_record(stored, now) for stored in node.read(tokens.list_tokens)]


def revoke_tokens(
    node: Node, *, by: str, token_id: str | None = None, operator: str | None = None
) -> list[TokenRecord]:
    return node.write(revocation(node, by=by, token_id=token_id, operator=operator))


def revocation(
    node: Node, *, by: str, token_id: str | None = None, operator: str | None = None
) -> Callable[[UnitOfWork], list[TokenRecord]]:
    """The write that revokes the token whose fingerprint is ``token_id``, or every token of
    ``operator``, each journaled naming ``by``: the tokens named, as they stand after (one
    revoked before stays as it was). NotFound if there is none; a fingerprint that could be
    several tokens' is refused. Checked before the write is made.
    """
    if (token_id is None) == (operator is None):
        raise InvalidInput("name a token's fingerprint or an operator, one of the two")
    if token_id is not None:
        token_id = token_id.strip().lower()
        if not FINGERPRINT.match(token_id):
            raise InvalidInput(
                f"{token_id!r} is not a token's fingerprint: the 12 hex digits that "
                "`openline token list` shows (or more of its SHA-256)",
                field="token_id",
            )
    else:
        check_operator_name(operator or "")

    def revoke(uow: UnitOfWork) -> list[TokenRecord]:
        named = tokens.tokens_of(uow.conn, hash_prefix=token_id, operator=operator)
        _check_named(named, token_id, operator)
        at = format_utc(node.clock())
        after = []
        for stored in named:
            if stored.revoked_at is None:
                tokens.revoke(uow.conn, stored.token_hash, at, by)
                uow.record(
                    JournalKind.OPERATOR_TOKEN_REVOKED,
                    {
                        "operator": stored.operator,
                        "token_id": stored.token_hash[:FINGERPRINT_DIGITS],
                        "by": by,
                    },
                )
            revoked = stored if stored.revoked_at else replace(stored, revoked_at=at, revoked_by=by)
            after.append(_record(revoked, at))
        return after

    return revoke


def _check_named(named: list[StoredToken], token_id: str | None, operator: str | None) -> None:
    if not named:
        what = (
            f"no token has the fingerprint {token_id}"
            if token_id
            else (f"the operator {operator!r} has no token")
        )
        raise NotFound(
            f"{what} (openline token list)", field="token_id" if token_id else "operator"
        )
    if token_id is not None and len(named) > 1:
        raise Conflict(
            f"the fingerprint {token_id} is the start of {len(named)} tokens' hashes: "
            "give more of its digits"
        )
