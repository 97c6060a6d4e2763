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


def test_the_writers_own_commit_is_expected_until_it_is_handed_over() -> None:
    stream, published = recorded()
    stream.follow_from(4)
    stream.expect(6)  # this process's writer commits 5 and 6, and announces them
    assert stream.expects(6)  # the announcement, heard first: the writer hands them over
    assert not stream.expects(7)  # beyond them: another process's commit, read by the follower
    stream.hand_over(entries(5, 6))
    assert not stream.expects(6)  # handed over: nothing to expect
    assert published == [[5, 6]]


def test_nothing_is_expected_of_a_stream_not_following() -> None:
    stream, _ = recorded()
    stream.expect(3)
    assert not stream.expects(3)
