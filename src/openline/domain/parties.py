"""Parties and their cards: who is on the line, and how to check what they sign."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from openline.domain.errors import InvalidInput
from openline.domain.quoting import quote

PARTY_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{1,15}$")


def check_party_code(code: str, *, field: str = "party") -> str:
    """A party code is 2-16 capital letters, digits, ``-`` or ``_``, starting with a letter."""
    if not isinstance(code, str) or not PARTY_CODE.match(code):
        raise InvalidInput(
            f"{field} {quote(code)} is not a party code: 2 to 16 characters A-Z, 0-9, - or _, "
            "starting with a letter (for example BLUE)",
            field=field,
        )
    return code


def _party_code(value: str) -> str:
    try:
        return check_party_code(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


PartyCode = Annotated[str, AfterValidator(_party_code)]


class Card(BaseModel):
    """A party's public identity, exchanged out of band when two parties link their nodes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    party: PartyCode
    name: Annotated[str, Field(min_length=1, max_length=200)]
    lang: Annotated[str, Field(pattern="^(en|ru|fr|ar)$")]
    url: Annotated[str, Field(min_length=1, max_length=500)]
    public_key: Annotated[str, Field(min_length=43, max_length=44, description="Ed25519, base64")]


@dataclass(frozen=True)
class Peer:
    """A party this node is linked to: its card, and when it was added and last heard."""

    card: Card
    added_at: str
    last_heard_at: str | None = None
    tls_pin: str | None = None  # what its https certificate must match (docs/security.md)

    @property
    def party(self) -> str:
        return self.card.party
