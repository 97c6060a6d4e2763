"""In-process fan-out of committed journal entries to live subscribers (the SSE streams).

The writer thread publishes after each commit; each subscriber has a bounded queue on the
event loop. A subscriber that falls too far behind is dropped rather than letting memory grow:
its stream ends and the client resumes from the journal with Last-Event-ID, losing nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from openline.domain.journal import JournalEntry

MAX_QUEUED_EVENTS = 10_000
log = logging.getLogger(__name__)


class Subscription:
    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop) -> None:
        self._bus = bus
        self.loop = loop
        self.queue: asyncio.Queue[JournalEntry | None] = asyncio.Queue()
        self.dropped = False

    def offer(self, entry: JournalEntry | None) -> None:
        """Called on the event loop."""
        if self.dropped:
            return
        if entry is not None and self.queue.qsize() >= MAX_QUEUED_EVENTS:
            self.dropped = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(entry)

    async def next(self, timeout: float) -> JournalEntry | None:
        """The next entry; None when the stream must end. Raises TimeoutError when idle."""
        async with asyncio.timeout(timeout):  # not wait_for: line/loops.py's woken says why
            return await self.queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)


Listener = Callable[[list[JournalEntry]], None]


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call ``listener`` with every committed batch of entries, on the writer's thread.

        For the node's own machinery (the line's sender wakes up on envelope.queued); it must
        return at once.
        """
        with self._lock:
            self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def publish(self, entries: list[JournalEntry]) -> None:
        """Thread-safe: hand the entries to every subscriber's event loop."""
        with self._lock:
            subscriptions = list(self._subscriptions)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(entries)
            except Exception:  # a listener's fault must never stop the writer that calls it
                log.exception("an event listener failed")
        for subscription in subscriptions:
            for entry in entries:
                self._deliver(subscription, entry)

    def close(self) -> None:
        """End every stream (node shutting down)."""
        with self._lock:
            subscriptions, self._subscriptions = list(self._subscriptions), set()
        for subscription in subscriptions:
            self._deliver(subscription, None)

    @staticmethod
    def _deliver(subscription: Subscription, entry: JournalEntry | None) -> None:
        try:
            subscription.loop.call_soon_threadsafe(subscription.offer, entry)
        except RuntimeError:
            subscription.close()  # its loop is closed
