"""/api/v1/tokens: the node's operator tokens, listed (every role reads everything) and revoked by
an administrator (docs/security.md#tokens). Tokens are made with `openline token create` on the
node's files."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openline.api.deps import NodeDep, Operator, requires
from openline.api.strict_json import StrictJSONRoute
from openline.domain.roles import Action
from openline.services import operators

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], route_class=StrictJSONRoute)


class TokenPublic(BaseModel):
    token_id: str = Field(description="The first 12 hex digits of the token's SHA-256.")
    operator: str
    role: str
    created_at: str
    state: str = Field(description="active, expired or revoked.")
    expires_at: str | None = Field(description="When it is refused from, if it expires.")
    revoked_at: str | None
    revoked_by: str | None = Field(description="The administrator who revoked it.")


class TokenList(BaseModel):
    tokens: list[TokenPublic]


class TokenRevocation(BaseModel):
    """Exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    token_id: str | None = Field(
        default=None, max_length=64, description="A token's fingerprint, as listed."
    )
    operator: str | None = Field(
        default=None, max_length=64, description="Every token of this operator."
    )


@router.get("", response_model=TokenList, dependencies=requires(Action.READ))
def list_tokens(node: NodeDep, _operator: Operator) -> TokenList:
    return _listed(operators.list_tokens(node))


@router.post("/revoke", response_model=TokenList, dependencies=requires(Action.MANAGE_TOKENS))
async def revoke(asked: TokenRevocation, node: NodeDep, operator: Operator) -> TokenList:
    """Revoke one token, or every token of an operator: refused from its next request on,
    in every process of the node; each revocation journaled (`operator.token_revoked`)."""
    write = operators.revocation(
        node, by=operator, token_id=asked.token_id, operator=asked.operator
    )
    revoked = await node.write_async(write)
    return _listed(revoked)


def _listed(records: list[operators.TokenRecord]) -> TokenList:
    return TokenList(tokens=[TokenPublic.model_validate(t.to_json()) for t in records])
