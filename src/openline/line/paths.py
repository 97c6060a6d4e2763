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
import email.utils
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from openline.domain.paths import DirectPath, PathStatus, PeerPath
from openline.domain.timeutil import format_utc
from openline.keys.tls import pin_mismatch

FEDERATION_PATH = "/federation/v1/envelopes"
JSON_BODY = {"Content-Type": "application/json"}
BUSY = (429, 503)  # answers whose Retry-After the sender honours (docs/line.md#retry-after)
# The http client for a direct path to a peer (its pins, or the CAs).
ClientFor = Callable[[DirectPath], aiohttp.ClientSession]


class PathFailed(Exception):
    """A path did not carry a batch; the words say why, for the operator. ``retry_after_s``:
    how long the peer asked to be left alone (a 429 or 503 with Retry-After), if it did."""

    def __init__(self, words: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(words)
        self.retry_after_s = retry_after_s


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """The seconds a ``Retry-After`` header asks for, as delta-seconds or an HTTP date (from
    ``now``; none for a date past); None when there is none or it cannot be read."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # "-0000": UTC
    return max(0.0, (when - now).total_seconds())


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
    the path's pins match (or the CAs, unpinned). The client is taken for each post from the
    path as it stands then (``DirectPath.at``): the moment a pin rotation's overlap ends, the
    next post goes by a client of the new pin alone, never by a connection made before."""

    def __init__(
        self,
        path: DirectPath,
        party: str,
        client_for: ClientFor,
        *,
        endpoint: str = FEDERATION_PATH,  # a relay's is /federation/v1/relay (line/relay.py)
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = path
        self.party = party
        self._client_for = client_for
        self._clock = clock
        self._url = path.url.rstrip("/") + endpoint

    async def post(self, body: bytes, *, timeout: float | None = None) -> object:
        status, asked, content = await self._exchange(body, timeout)
        if status != 200:
            text = content.decode("utf-8", errors="replace")
            raise PathFailed(
                f"{self.party} at {self._url} answered {status}: {text[:300]}",
                retry_after_s=retry_after_s(asked, datetime.now(UTC)) if asked else None,
            )
        try:
            results: object = json.loads(content)["results"]
        except (ValueError, KeyError, TypeError):
            raise PathFailed(f"{self.party} at {self._url} answered without results") from None
        return results

    async def _exchange(self, body: bytes, timeout: float | None) -> tuple[int, str | None, bytes]:
        """The answer's status, its Retry-After if it is busy, and its body, read whole."""
        extra: dict[str, Any] = {}
        if timeout is not None:  # the whole exchange, connecting included
            extra["timeout"] = aiohttp.ClientTimeout(total=timeout)
        http = self._client_for(self.path.at(format_utc(self._clock())))
        try:
            async with http.post(
                self._url, data=body, headers=JSON_BODY, allow_redirects=False, **extra
            ) as response:
                asked = response.headers.get("Retry-After") if response.status in BUSY else None
                return response.status, asked, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            if (mismatch := pin_mismatch(exc)) is not None:  # refused, and journaled as such
                raise PathFailed(f"{self.party} at {self._url}: TLS pin: {mismatch}") from None
            raise PathFailed(f"{self.party} at {self._url} does not answer: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    """A failed exchange's kind and words (aiohttp's repr of them spells out its pool's key)."""
    words = str(exc)
    return f"{type(exc).__name__}: {words}" if words else type(exc).__name__


@dataclass
class PathState:
    """One path of a link: its carrier, and what its last delivery or check found."""

    carrier: Carrier
    status: PathStatus = PathStatus.UNKNOWN
    checked_at: str | None = None  # the last delivery or check on it, either way
    problem: str | None = None  # why it is down, in words
    in_flight: bool = False  # a batch is on its way by it
    quiet_until: float = 0.0  # the loop's time until which its peer asked not to be posted to
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
