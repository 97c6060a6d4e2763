"""Every commit of the node, whichever process made it, handed to this process in journal order
(docs/architecture.md, "Several processes, one node").

Several ``openline serve`` processes may share one node's PostgreSQL database, and each keeps
engines in memory (the event fan-out feeding the event streams, the token cache, the tracker,
the conflict finder) that must follow the commits of all of them. The truth is the journal's
sequence: ``CommitStream`` remembers the last entry it handed over and hands over only what
follows it. Its own process's commits come from the writer; on PostgreSQL, ``CommitFollower``
LISTENs on a channel that every commit NOTIFYs in its transaction, and on each notification
reads the journal after the last entry handed over. The notification is only a wake-up: a
listener that reconnects reads the journal from where it stood, so a notification lost
meanwhile loses nothing. On SQLite a node has one serving process, and the follower is not
started: the writer's own commits, and what it catches up at the start of each transaction
(an ``openline token create`` run beside it), are all there is.

The same connection hears the track reports the other processes took (``node/shared_tracks.py``),
which the journal does not hold: those it hands to ``on_tracks`` as they come.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection

from openline.domain.journal import JournalEntry
from openline.store.database import CommitListener
from openline.store.journal import read_entries

log = logging.getLogger(__name__)

PAGE = 1000  # entries read at once while catching up
WAIT_S = 0.5  # how long the follower waits for a notification before looking whether to stop
RECONNECT_S = 1.0  # the pause before listening again after the connection failed


class CommitStream:
    """The committed entries, handed over once each, in journal order."""

    def __init__(self, publish: Callable[[list[JournalEntry]], None]) -> None:
        self._publish = publish
        self._lock = threading.Lock()
        # The last entry handed over; None until the node starts following (a one-shot
        # command hands over its own commits and never reads anyone else's).
        self.applied: int | None = None
        # The last entry this process's writer is committing, which it hands over itself.
        self._own = 0

    def follow_from(self, seq: int) -> None:
        """Hand over what follows entry ``seq`` from now on."""
        with self._lock:
            self.applied = seq

    def hand_over(self, entries: list[JournalEntry]) -> None:
        """Entries committed, in order (a page read from the journal or the writer's commit):
        those not handed over yet are published, on the caller's thread."""
        with self._lock:
            if self.applied is not None:
                entries = [entry for entry in entries if entry.seq > self.applied]
                if not entries:
                    return
                self.applied = entries[-1].seq
            self._publish(entries)

    def behind(self, head_seq: int) -> bool:
        return self.applied is not None and self.applied < head_seq

    def expect(self, seq: int) -> None:
        """This process's writer is committing the entries up to ``seq``: it hands them over."""
        with self._lock:
            self._own = max(self._own, seq)

    def expects(self, seq: int) -> bool:
        """Whether the entries up to ``seq``, not handed over yet, are this process's own
        commit, which its writer hands over (its announcement may arrive first)."""
        with self._lock:
            return self.applied is not None and self.applied < seq <= self._own

    def catch_up(self, conn: Connection, head_seq: int | None = None) -> None:
        """Hand over what the journal holds after the last entry handed over (up to
        ``head_seq``, when the caller knows the head)."""
        while self.applied is not None and (head_seq is None or self.applied < head_seq):
            page = read_entries(conn, after=self.applied, limit=PAGE)
            if not page:
                return
            self.hand_over(page)
            if len(page) < PAGE:
                return


class CommitFollower:
    """A thread that catches the stream up whenever any process commits, and hands the track
    reports other processes took to ``on_tracks`` (PostgreSQL)."""

    def __init__(
        self,
        url: str,
        stream: CommitStream,
        read: Callable[[Callable[[Connection], None]], None],
        on_tracks: Callable[[list[str]], None] | None = None,
    ) -> None:
        self._url = url
        self._stream = stream
        self._read = read
        self._on_tracks = on_tracks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openline-commits", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with CommitListener(self._url, tracks=self._on_tracks is not None) as listener:
                    self._catch_up()  # whatever was committed while no one listened
                    self._follow(listener)
            except Exception as exc:  # the database restarted, the network failed: listen again
                log.warning("following the node's commits: %s; listening again", exc)
                self._stop.wait(RECONNECT_S)

    def _follow(self, listener: CommitListener) -> None:
        # Every commit notifies every process, its own too. Those of this process are handed
        # over by its writer: a notification of nothing else costs no read. Should that commit
        # have failed after all (no notification then, but another process may commit the same
        # seqs), the next quiet wait reads what is missing.
        left_to_writer: int | None = None
        while not self._stop.is_set():
            heard = listener.wait(WAIT_S)
            if heard.commits and heard.up_to is not None and self._stream.expects(heard.up_to):
                left_to_writer = max(left_to_writer or 0, heard.up_to)
            elif heard.commits and (heard.up_to is None or self._stream.behind(heard.up_to)):
                self._catch_up()
            elif not heard.commits and left_to_writer is not None:
                if self._stream.behind(left_to_writer):
                    self._catch_up()
                left_to_writer = None
            if heard.tracks and self._on_tracks is not None:
                self._on_tracks(heard.tracks)

    def _catch_up(self) -> None:
        self._read(self._stream.catch_up)
