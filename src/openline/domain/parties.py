"""Parties and their cards: who is on the line, and how to check what they sign."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, model_validator

from openline.domain.errors import InvalidInput
from openline.domain.paths import MAX_PATHS, PeerPath, check_path_url
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


def _validator(check: Callable[[str], str]) -> AfterValidator:
    """``check`` as pydantic's validator: its InvalidInput becomes pydantic's ValueError."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    return AfterValidator(validate)


PartyCode = Annotated[str, _validator(check_party_code)]
NodeUrl = Annotated[str, _validator(check_path_url)]


class Card(BaseModel):
    """A party's public identity, exchanged out of band when two parties link their nodes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    party: PartyCode
    name: Annotated[str, Field(min_length=1, max_length=200)]
    lang: Annotated[str, Field(pattern="^(en|ru|fr|ar)$")]
    urls: Annotated[
        tuple[NodeUrl, ...],
        Field(min_length=1, max_length=MAX_PATHS, description="first preferred"),
    ]
    public_key: Annotated[str, Field(min_length=43, max_length=44, description="Ed25519, base64")]

    @model_validator(mode="before")
    @classmethod
    def _one_url_or_several(cls, data: Any) -> Any:
        """A card of before several paths gives one ``url``; a card now gives ``urls`` and,
        for those older nodes, ``url`` too, which must then be the first of ``urls``."""
        if not isinstance(data, dict) or "url" not in data:
            return data
        data = dict(data)
        url = data.pop("url")
        urls = data.setdefault("urls", [url])
        if not isinstance(urls, list | tuple) or list(urls[:1]) != [url]:
            raise ValueError("url, when given with urls, must be the first of urls")
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        """The preferred URL (what cards of before several paths carried alone)."""
        return self.urls[0]


@dataclass(frozen=True)
class Peer:
    """A party this node is linked to: its card, and when it was added and last heard."""

    card: Card  # as it was linked; ``paths`` are how this node reaches the party now
    added_at: str
    last_heard_at: str | None = None
    tls_pin: str | None = None  # the pin it was linked with (docs/security.md)
    paths: tuple[PeerPath, ...] = ()  # in order of preference (openline.domain.paths)

    @property
    def party(self) -> str:
        return self.card.party
