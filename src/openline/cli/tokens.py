"""``openline token``: operator tokens, made and listed on the node's files."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import node_argument, opened, reported_errors
from openline.domain.roles import Role


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
def token_create(directory: Path, operator: str, role: str) -> None:
    """Create a token for OPERATOR with ROLE and print it (and nothing else) on stdout."""
    from openline.services.operators import create_token

    with reported_errors(), opened(directory) as node:
        click.echo(create_token(node, operator, Role(role)))


@token.command("list")
@node_argument
def token_list(directory: Path) -> None:
    """List the node's tokens: operator, role, when made, and the token's fingerprint."""
    from openline.services.operators import list_tokens

    with reported_errors(), opened(directory) as node:
        found = list_tokens(node)
    for record in found:
        click.echo(
            f"{record.operator:<24} {record.role:<13} {record.created_at}  {record.token_id}"
        )
