"""``openline token``: operator tokens, made, listed and revoked on the node's files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from openline.cli.common import (
    EXISTING_NODE,
    NODE_HELP,
    node_argument,
    opened,
    reported_errors,
)
from openline.domain.roles import Role

if TYPE_CHECKING:
    from openline.services.operators import TokenRecord


@click.group()
def token() -> None:
    """Operator tokens."""


@token.command("create")
@node_argument
@click.option("--operator", required=True, help="The operator's name.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.DUTY_OFFICER.value,
    show_default=True,
    help="What the token may do (docs/security.md).",
)
@click.option(
    "--expires",
    default=None,
    metavar="DURATION",
    help="Refuse the token after this long: 12h, 30d, 1d12h (default: never).",
)
def token_create(directory: Path, operator: str, role: str, expires: str | None) -> None:
    """Create a token for OPERATOR with ROLE and print it (and nothing else) on stdout."""
    from openline.services.operators import create_token

    with reported_errors(), opened(directory) as node:
        click.echo(create_token(node, operator, Role(role), expires=expires))


@token.command("list")
@node_argument
def token_list(directory: Path) -> None:
    """List the node's tokens: operator, role, when made, the token's fingerprint, its state
    (active, expired, revoked) and its expiry or revocation."""
    from openline.services.operators import list_tokens

    with reported_errors(), opened(directory) as node:
        found = list_tokens(node)
    for record in found:
        click.echo(_line(record))


@token.command("revoke")
@click.option("--node", "node_flag", type=EXISTING_NODE, default=None, help=NODE_HELP)
@click.argument("words", nargs=-1, metavar="[DIR] [FINGERPRINT]")
@click.option("--operator", default=None, help="Revoke every token of this operator.")
def token_revoke(node_flag: Path | None, words: tuple[str, ...], operator: str | None) -> None:
    """Revoke the token of FINGERPRINT (as `token list` shows it), or every token of
    --operator NAME: refused from its next request on, each revocation journaled. A running
    node is asked to revoke it (so that it forgets the token at once); else it is revoked on
    the node's files."""
    if node_flag is None and words:
        node_flag = EXISTING_NODE.convert(words[0], None, click.get_current_context())
        words = words[1:]
    if node_flag is None or len(words) > 1 or (not words) == (operator is None):
        raise click.UsageError(
            "give DIR (or --node DIR) and a token's FINGERPRINT or --operator NAME, one of the two"
        )
    asked: dict[str, str | None] = {"token_id": words[0]} if words else {"operator": operator}
    with reported_errors():
        revoked = _revoked_by_the_node(node_flag, asked)
    if revoked is None:
        from openline.services.operators import revoke_tokens
        from openline.services.setup import CLI_OPERATOR

        with reported_errors(), opened(node_flag) as node:
            revoked = revoke_tokens(node, by=CLI_OPERATOR, **asked)
    for record in revoked:
        click.echo(_line(record))


def _revoked_by_the_node(directory: Path, asked: dict[str, str | None]) -> list[TokenRecord] | None:
    """The tokens named, revoked by the running node (POST /api/v1/tokens/revoke, as the
    local CLI's administrator); None if the node does not answer, or no longer takes the CLI's
    own token."""
    from openline.cli.client import ApiError, NodeClient, NodeUnreachable
    from openline.services.operators import TokenRecord, TokenState

    client = NodeClient.for_node(directory)
    try:
        answer = client.request("POST", "/api/v1/tokens/revoke", json=asked)
    except NodeUnreachable:
        return None
    except ApiError as exc:
        if exc.status == 401:
            return None
        raise
    finally:
        client.close()
    return [TokenRecord(**{**t, "state": TokenState(t["state"])}) for t in answer["tokens"]]


def _line(record: TokenRecord) -> str:
    since = ""
    if record.revoked_at is not None:
        since = f"  {record.revoked_at} by {record.revoked_by}"
    elif record.expires_at is not None:
        since = f"  until {record.expires_at}"
    return (
        f"{record.operator:<24} {record.role:<13} {record.created_at}  {record.token_id}  "
        f"{record.state.value:<7}{since}"
    ).rstrip()
