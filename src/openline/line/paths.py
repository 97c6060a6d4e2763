"""The paths of one peer's link as its sender uses them: a carrier for each, and its status.

A **carrier** takes a batch's request body to the peer by one path and brings back the
answer's list of results; ``PathFailed`` when the path did not carry it (no answer, an error
status, a TLS pin not matched, an answer without results). What the results say (receipts,
refusals) is the sender's to judge: it is the same whatever path carried them. A direct
path's carrier posts to the peer's ``/federation/v1/envelopes`` at its URL; a relay's carrier
(``openline peer via``) goes through the relay's node.

Each path's status is what its last delivery or check found (``PathStatus``), kept in memory by
the running line, which journals each change (``line.path_status``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from openline.domain.paths import DirectPath, PathStatus, PeerPath
from openline.keys.tls import pin_mismatch

FEDERATION_PATH = "/federation/v1/envelopes"


class PathFailed(Exception):
    """A path did not carry a batch; the words say why, for the operator."""


class Carrier(Protocol):
    @property
    def path(self) -> PeerPath:
        """The path this carrier takes."""
        ...

    async def post(self, body: bytes, *, timeout: float | None = None) -> object:
        """The answer's results to the batch ``body``, or ``PathFailed``."""
        ...


class DirectCarrier:
    """Posts to the peer's node at a direct path's URL, with an http client that trusts what
    the path's pin matches (or the CAs, unpinned)."""

    def __init__(
        self,
        path: DirectPath,
        party: str,
        http: httpx.AsyncClient,
        *,
        endpoint: str = FEDERATION_PATH,  # a relay's is /federation/v1/relay (line/relay.py)
    ) -> None:
        self.path = path
        self.party = party
        self._http = http
        self._url = path.url.rstrip("/") + endpoint

    async def post(self, body: bytes, *, timeout: float | None = None) -> object:
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = await self._http.post(
                self._url, content=body, headers={"Content-Type": "application/json"}, **extra
            )
        except httpx.HTTPError as exc:
            if (mismatch := pin_mismatch(exc)) is not None:  # refused, and journaled as such
                raise PathFailed(f"{self.party} at {self._url}: TLS pin: {mismatch}") from None
            raise PathFailed(f"{self.party} at {self._url} does not answer: {exc!r}") from None
        if response.status_code != 200:
            raise PathFailed(
                f"{self.party} at {self._url} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        try:
            results: object = response.json()["results"]
        except (ValueError, KeyError, TypeError):
            raise PathFailed(f"{self.party} at {self._url} answered without results") from None
        return results


@dataclass
class PathState:
    """One path of a link: its carrier, and what its last delivery or check found."""

    carrier: Carrier
    status: PathStatus = PathStatus.UNKNOWN
    checked_at: str | None = None  # the last delivery or check on it, either way
    problem: str | None = None  # why it is down, in words
    in_flight: bool = False  # a batch is on its way by it
    # Set when its check finds it down while a batch is in flight by it and another path is
    # up: the sender then leaves that batch for the other path instead of waiting it out.
    abandon: asyncio.Event = field(default_factory=asyncio.Event, compare=False)

    @property
    def via(self) -> str:
        return self.carrier.path.via

    def found(self, at: str, problem: str | None = None) -> None:
        """The path worked at ``at`` (``problem`` None), or failed, saying why."""
        self.status = PathStatus.DOWN if problem is not None else PathStatus.UP
        self.checked_at, self.problem = at, problem

    def to_json(self) -> dict[str, Any]:
        return {
            **self.carrier.path.to_json(),
            "status": self.status.value,
            "last_check_at": self.checked_at,
            "problem": self.problem,
        }
