"""The journal's tree and checkpoints across crashes: a process appending entries through the
node's writer, from several threads, in commits of random sizes, is killed (SIGKILL) at random
moments and started again on the same database, round after round.

After every kill the journal verifies (no checkpoint that does not match its entries, none
missing for an entry) and the tree as stored is the tree rebuilt from scratch by an independent
RFC 9162 implementation (pymerkle): every checkpoint's root is its root, and inclusion and
consistency proofs drawn at random from the stored nodes verify against its roots.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from pymerkle import InmemoryTree
from sqlalchemy import Connection

from openline.domain import merkle
from openline.domain.signed_note import parse_checkpoint, parse_note
from openline.node.assembly import Node
from openline.services.journal import verify_journal
from openline.store.journal import iter_all_entries, iter_checkpoints, node_reader
from tests.support.faults import seed_from_env
from tests.support.nodes import make_node_dir

ROUNDS = 6
PROOFS_PER_ROUND = 60

# Appends for ever from 4 threads, each commit 1 to 30 entries, until it is killed.
APPENDING = """
import random, sys, threading
from pathlib import Path
from openline.node.assembly import Node

node = Node.open(Path(sys.argv[1]), environ={})
node.writer.start()

def append(thread):
    rng = random.Random(thread)
    for commit in range(10**9):
        count = rng.randint(1, 30)
        def operation(uow, count=count, commit=commit):
            for n in range(count):
                uow.record("test.filler", {"thread": thread, "commit": commit, "n": n})
        node.write(operation)

threads = [threading.Thread(target=append, args=(t,), daemon=True) for t in range(4)]
for thread in threads:
    thread.start()
print("appending", flush=True)
for thread in threads:
    thread.join()
"""


def append_until_killed(directory: Path, rng: random.Random) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", APPENDING, str(directory)], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline() == "appending\n"
            time.sleep(rng.uniform(0.05, 0.6))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def same_tree_as_from_scratch(conn: Connection, rng: random.Random) -> int:
    """Assert the stored tree is the one rebuilt from scratch; the number of entries."""
    leaves = [entry.body() for entry in iter_all_entries(conn)]
    scratch = InmemoryTree(algorithm="sha256")
    for body in leaves:
        scratch.append_entry(body)
    checkpoints = [parse_checkpoint(parse_note(note).text) for _s, note in iter_checkpoints(conn)]
    assert checkpoints, "every commit signs a checkpoint"
    assert checkpoints[-1].size == len(leaves), "the last commit's checkpoint covers every entry"
    for checkpoint in checkpoints:
        assert checkpoint.root_hash == scratch.get_root(checkpoint.size), checkpoint.size
    read = node_reader(conn)
    for _ in range(PROOFS_PER_ROUND):
        size = rng.randint(1, len(leaves))
        index = rng.randrange(size)
        proof = merkle.inclusion_proof(index, size, read)
        leaf = merkle.leaf_hash(leaves[index])
        assert merkle.verify_inclusion(index, size, leaf, proof, scratch.get_root(size))
        old = rng.randint(1, size)
        proof = merkle.consistency_proof(old, size, read)
        old_root, new_root = scratch.get_root(old), scratch.get_root(size)
        assert merkle.verify_consistency(old, size, old_root, new_root, proof), (old, size)
    return len(leaves)


def test_killed_while_committing_the_journal_keeps_its_checkpoints_and_grows_the_same_tree(
    tmp_path: Path,
):
    rng = random.Random(seed_from_env("JOURNAL_CRASH_SEED"))
    directory = make_node_dir(tmp_path / "blue").directory
    sizes = []
    for _round in range(ROUNDS):
        append_until_killed(directory, rng)
        node = Node.open(directory, environ={})
        try:
            report = verify_journal(node)
            assert report.intact, report
            assert report.checkpoints > 0
            sizes.append(node.read(lambda conn: same_tree_as_from_scratch(conn, rng)))
        finally:
            node.close()
    assert sizes == sorted(sizes)
    assert sizes[-1] > sizes[0], "the journal grew after the restarts"
