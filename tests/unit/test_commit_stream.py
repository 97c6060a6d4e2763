"""The commit stream hands each committed entry over once, in journal order, whichever of the
writer and the follower saw it first (node/commits.py)."""

from __future__ import annotations

from openline.domain.journal import JournalEntry, JournalKind
from openline.node.commits import CommitStream


def entries(*seqs: int) -> list[JournalEntry]:
    kind = JournalKind.MESSAGE_CREATED
    return [JournalEntry(seq, "2030-01-01T00:00:00.000Z", kind, "{}", "", "", "") for seq in seqs]


def recorded() -> tuple[CommitStream, list[list[int]]]:
    """A stream, and the seqs of each batch it publishes."""
    published: list[list[int]] = []
    stream = CommitStream(lambda batch: published.append([e.seq for e in batch]))
    return stream, published


def test_entries_seen_twice_are_handed_over_once_in_order() -> None:
    stream, published = recorded()
    stream.follow_from(3)
    stream.hand_over(entries(2, 3, 4, 5))  # the follower read what the start already had
    stream.hand_over(entries(4, 5, 6))  # the writer's own commit, read by the follower first
    stream.hand_over(entries(5))
    stream.hand_over(entries(7))
    assert published == [[4, 5], [6], [7]]
    assert stream.applied == 7


def test_behind_until_the_head_is_handed_over() -> None:
    stream, _ = recorded()
    assert not stream.behind(10)  # not following yet: a one-shot command reads no one else's
    stream.follow_from(8)
    assert stream.behind(10)
    stream.hand_over(entries(9, 10))
    assert not stream.behind(10)


def test_a_one_shot_command_publishes_its_own_commits_as_they_come() -> None:
    stream, published = recorded()
    stream.hand_over(entries(41, 42))
    stream.hand_over(entries(43))
    assert published == [[41, 42], [43]]
    assert stream.applied is None
