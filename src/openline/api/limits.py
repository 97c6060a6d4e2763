"""Refuse what no route should see: bodies over the configured size, before they are read
into memory, and a NUL in the path or the query; and the rate limit of the federation
endpoint (``RateLimiter``)."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openline.api.errors import error_response


class BodyTooLarge(HTTPException):
    # An HTTPException, because FastAPI turns any other error raised while it reads the body
    # into "400 There was an error parsing the body"; this one it lets through as a 413.
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is over the limit of {max_bytes} bytes")
        self.limit = max_bytes

    def response(self) -> Response:
        return error_response(413, "too_large", str(self.detail))


TooLargeHook = Callable[[Scope, int], Awaitable[None]]


class RequestSizeLimit:
    """``max_bytes`` for every request, except paths under a prefix of ``by_prefix``.

    ``on_refused_early`` is awaited with the scope and the limit when a request is refused on
    its declared ``Content-Length``, before any route sees it (the federation endpoint journals
    it); a body found too large while a route reads it raises ``BodyTooLarge`` in the route.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        by_prefix: dict[str, int] | None = None,
        on_refused_early: TooLargeHook | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.by_prefix = by_prefix or {}
        self.on_refused_early = on_refused_early

    def _limit(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            if self.on_refused_early is not None:
                await self.on_refused_early(scope, max_bytes)
            await BodyTooLarge(max_bytes).response()(scope, receive, send)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise BodyTooLarge(max_bytes)
            return message

        try:
            await self.app(scope, counted_receive, send)
        except BodyTooLarge as too_large:
            await too_large.response()(scope, receive, send)


class RefuseNul:
    """A NUL (``%00``) in the path or the query is refused (400) before any route reads it: it
    would reach a database query as a parameter, and PostgreSQL keeps no NUL in text (a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            message = "the request's path or query holds a NUL character (%00)"
            await error_response(400, "malformed_request", message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


@dataclass
class Admission:
    """The rate limiter's answer to one request."""

    allowed: bool
    retry_after_s: int = 0  # when refused: seconds until the next request would be taken
    burst_began: bool = False  # when refused: the first refusal of a burst (journal it)


@dataclass
class _Bucket:
    tokens: float
    at: float
    last_refused: float | None = None


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second on average, ``burst`` at once.

    A burst of refusals is refusals less than ``quiet_s`` apart (the time the bucket takes to
    fill again, at least a second): the first refusal of each burst says so, so that a flood is
    journaled once, not once per request. At most ``max_keys`` buckets are kept: when full,
    buckets that are full again and not in a burst are forgotten (a new one is the same), and
    failing that the oldest, so a flood from ever new addresses cannot grow the node's memory.
    One event loop uses it: no lock.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.max_keys, self._clock = rate, burst, max_keys, clock
        self.quiet_s = max(1.0, burst / rate)
        self._buckets: dict[Hashable, _Bucket] = {}

    def admit(self, key: Hashable) -> Admission:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), at=now)
        self._refill(bucket, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Admission(True)
        began = bucket.last_refused is None or now - bucket.last_refused > self.quiet_s
        bucket.last_refused = now
        retry_after = max(1, math.ceil((1 - bucket.tokens) / self.rate))
        return Admission(False, retry_after, began)

    def refund(self, key: Hashable) -> None:
        """Give back the token an admitted request took (it turned out to be another bucket's
        to pay for: the federation endpoint's address bucket, for a batch a peer signed)."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(float(self.burst), bucket.tokens + 1)

    def __len__(self) -> int:
        return len(self._buckets)

    def _refill(self, bucket: _Bucket, now: float) -> None:
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self.max_keys:
            return
        for key, bucket in list(self._buckets.items()):
            self._refill(bucket, now)
            quiet = bucket.last_refused is None or now - bucket.last_refused > self.quiet_s
            if bucket.tokens >= self.burst and quiet:
                del self._buckets[key]
        while len(self._buckets) >= self.max_keys:
            del self._buckets[next(iter(self._buckets))]


OTHER_CLIENTS = "*"  # the summary of the clients beyond a period's max_clients


@dataclass(frozen=True)
class Counted:
    """The refusals of one client in one period that were counted, not journaled one by one."""

    client: str | None
    reasons: dict[str, int]

    def to_json(self, period_s: float) -> dict[str, object]:
        return {
            "client": self.client,
            "count": sum(self.reasons.values()),
            "reasons": dict(sorted(self.reasons.items())),
            "period_s": period_s,
        }


class RefusalTally:
    """Refusals from clients, per client and period, so that a flood is journaled in a bounded
    number of entries however fast it comes.

    Time is cut into periods of ``period_s`` seconds. In each, the first refusal of each of
    the first ``max_clients`` clients is to be journaled in full (``note`` says so); every
    other is counted, by client and reason, the clients beyond ``max_clients`` together as
    ``OTHER_CLIENTS``; ``due`` gives the counts of the periods that have ended, one ``Counted``
    per client. So a period adds at most ``2 * max_clients + 1`` entries to the journal.
    One event loop uses it: no lock.
    """

    def __init__(
        self,
        period_s: float,
        max_clients: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.period_s, self.max_clients, self._clock = period_s, max_clients, clock
        self._period = -1
        self._in_full: set[str | None] = set()
        self._counts: dict[str | None, dict[str, int]] = {}
        self._ended: list[Counted] = []

    def note(self, client: str | None, reason: str) -> bool:
        """Take one refusal: True if it is to be journaled in full, False if it was counted."""
        self._roll()
        if client not in self._in_full and len(self._in_full) < self.max_clients:
            self._in_full.add(client)
            return True
        key = client if client in self._in_full else OTHER_CLIENTS
        reasons = self._counts.setdefault(key, {})
        reasons[reason] = reasons.get(reason, 0) + 1
        return False

    def due(self) -> list[Counted]:
        """The counts of the periods that have ended since the last call, to be journaled."""
        self._roll()
        ended, self._ended = self._ended, []
        return ended

    def close(self) -> list[Counted]:
        """All the counts kept, the current period's too, cut short (the node is stopping)."""
        ended = self.due() + [Counted(client, reasons) for client, reasons in self._counts.items()]
        self._counts = {}
        return ended

    def seconds_to_due(self) -> float | None:
        """Seconds until the counts kept now are due; None when none are kept."""
        if self._ended:
            return 0.0
        if not self._counts:
            return None
        return max(0.0, (self._period + 1) * self.period_s - self._clock())

    def _roll(self) -> None:
        period = math.floor(self._clock() / self.period_s)
        if period == self._period:
            return
        self._ended.extend(Counted(client, reasons) for client, reasons in self._counts.items())
        self._period, self._in_full, self._counts = period, set(), {}
