"""Node directories, and nodes in the test's own process: made on the session's backend,
linked to peers, on a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from openline.domain.parties import Card
from openline.keys.signing import SigningKey
from openline.node.assembly import Node
from openline.services.peers import add_peer
from openline.services.setup import NewNode, init_node
from tests.support.backend import new_database_url
from tests.support.ports import free_port


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_node_dir(
    path: Path, party: str = "BLUE", lang: str = "en", port: int | None = None
) -> NewNode:
    values: dict[str, str | int] = {"party": party, "name": f"{party} command", "lang": lang}
    if port is not None:
        values["port"] = port
    url = new_database_url()
    if url:
        values["database_url"] = url
    return init_node(path, values)


@dataclass
class InProcess:
    client: TestClient
    node: Node
    token: str
    clock: FakeClock

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


def silent_card(party: str = "RED", lang: str = "ru", key: SigningKey | None = None) -> Card:
    """The card of a peer whose node never answers: a fresh key, a port nobody listens on."""
    return Card(
        party=party,
        name=f"{party} command",
        lang=lang,
        url=f"http://127.0.0.1:{free_port()}",
        public_key=(key or SigningKey.generate()).public_key.to_base64(),
    )


def link(directory: Path, card: Card) -> None:
    """``openline peer add`` for a node directory, in this process."""
    node = Node.open(directory, environ={})
    try:
        add_peer(node, card)
    finally:
        node.close()
