"""The tables. Instants are fixed-width ISO 8601 UTC text, so text order is time order."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

TIME = String(24)

journal = Table(
    "journal",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", TIME, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # Each entry's own signature, in journals written before checkpoints (issue 20); empty
    # since: the commit's checkpoint signs the entry (docs/journal.md).
    Column("sig", String(88), nullable=False),
    # The hashes of the Merkle tree nodes this entry completes (domain/merkle.py): its leaf,
    # then each parent it completes going up, 32 bytes each; migration 0012.
    Column("tree", LargeBinary, nullable=False),
)

# One signed checkpoint per commit that appended entries: the journal's tree size and root,
# in the C2SP signed-note text, signed by the node key (domain/signed_note.py); the
# cosignatures its witnesses send back are kept in ``cosignatures``; migration 0012.
journal_checkpoints = Table(
    "journal_checkpoints",
    metadata,
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("at", TIME, nullable=False),
    Column("note", Text, nullable=False),
)

operator_tokens = Table(
    "operator_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("operator", String(64), nullable=False),
    Column("created_at", TIME, nullable=False),
    # duty-officer, planner or administrator (openline.domain.roles); migration 0005.
    Column("role", String(16), nullable=False, server_default="administrator"),
    # Refused from expires_at on (if set), and once revoked (by whom); migration 0015.
    Column("expires_at", TIME, nullable=True),
    Column("revoked_at", TIME, nullable=True),
    Column("revoked_by", String(64), nullable=True),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("sender", String(16), nullable=False),
    Column("precedence", String(16), nullable=False),
    Column("template", String(40), nullable=False),
    Column("fields", Text, nullable=False),
    Column("in_reply_to", String(40), nullable=True),
    Column("created_at", TIME, nullable=False),
    Column("deadline", TIME, nullable=False),
    Column("created_by", String(64), nullable=False),
)

message_recipients = Table(
    "message_recipients",
    metadata,
    Column("message_id", String(40), ForeignKey("messages.id"), primary_key=True),
    Column("party", String(16), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("delivered_at", TIME, nullable=True),
    Column("acknowledged_at", TIME, nullable=True),
    Column("acknowledged_by", String(64), nullable=True),
    Index("ix_message_recipients_party", "party", "message_id"),
    Index(
        "ix_message_recipients_waiting",
        "message_id",
        sqlite_where=text("state <> 'acknowledged'"),
        postgresql_where=text("state <> 'acknowledged'"),
    ),
)

peers = Table(
    "peers",
    metadata,
    Column("party", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("url", String(500), nullable=False),
    Column("public_key", String(44), nullable=False),
    Column("added_at", TIME, nullable=False),
    Column("last_heard_at", TIME, nullable=True),
    # The peer's TLS pin (``sha256/...`` of its public key or ``cert-sha256/...`` of its
    # certificate, openline/tls.py); without one its https connections get CA verification.
    Column("tls_pin", String(80), nullable=True),
    # The card's URLs as JSON, when it gave more than one (``url`` is the first); migration 0010.
    Column("urls", Text, nullable=True),
)

# The paths this node reaches each peer by, in order of preference (position 0 first): a
# direct URL with its TLS pin if any, or a relay (the party code of a node both ends have
# linked), which is then the last. Made from the card's URLs as the peer is linked, replaced
# by `openline peer paths` and `openline peer via` (docs/line.md#paths); migration 0010.
peer_paths = Table(
    "peer_paths",
    metadata,
    Column("peer", String(16), ForeignKey("peers.party"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("url", String(500), nullable=True),
    Column("tls_pin", String(80), nullable=True),
    Column("relay", String(16), nullable=True),
    # The pin before `openline peer pin` rotated it, accepted too until old_pin_until; 0015.
    Column("old_tls_pin", String(80), nullable=True),
    Column("old_pin_until", TIME, nullable=True),
)

# The outbox: every envelope this node sealed for a peer, in link order, with the peer's
# receipt once it came. The partial index finds what still waits without scanning the rest.
envelopes_out = Table(
    "envelopes_out",
    metadata,
    Column("peer", String(16), primary_key=True),
    Column("link_seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("queued_at", TIME, nullable=False),
    Column("receipt", Text, nullable=True),
    Column("delivered_at", TIME, nullable=True),
    Index(
        "ix_envelopes_out_waiting",
        "peer",
        "link_seq",
        sqlite_where=text("receipt IS NULL"),
        postgresql_where=text("receipt IS NULL"),
    ),
)

# Every envelope applied from a peer, with the receipt this node gave for it, so that a
# resent envelope gets its original receipt back.
envelopes_in = Table(
    "envelopes_in",
    metadata,
    Column("sender", String(16), primary_key=True),
    Column("link_seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("receipt", Text, nullable=False),
    Column("received_at", TIME, nullable=False),
)

# The pairs of parties this node relays between (``openline relay allow``), each pair once,
# its two party codes in alphabetical order (docs/line.md#encryption-and-relays).
relay_pairs = Table(
    "relay_pairs",
    metadata,
    Column("party_a", String(16), primary_key=True),
    Column("party_b", String(16), primary_key=True),
    Column("allowed_at", TIME, nullable=False),
)

# What this node holds as a relay: envelopes one party sent another through it, as they came
# (their bodies boxed to the addressee: this node cannot open them), with the addressee's
# receipt once it came back, or why the addressee refused one (then it waits for its sender
# to send it again).
relayed = Table(
    "relayed",
    metadata,
    Column("sender", String(16), primary_key=True),
    Column("addressee", String(16), primary_key=True),
    Column("link_seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("held_at", TIME, nullable=False),
    Column("receipt", Text, nullable=True),
    Column("forwarded_at", TIME, nullable=True),
    Column("refused", Text, nullable=True),
    Index(
        "ix_relayed_waiting",
        "addressee",
        "sender",
        "link_seq",
        sqlite_where=text("receipt IS NULL"),
        postgresql_where=text("receipt IS NULL"),
    ),
)

# How often each overdue message has been escalated, and when last: the alarm repeats every
# escalation_repeat_interval until every recipient has acknowledged.
escalations = Table(
    "escalations",
    metadata,
    Column("message_id", String(40), ForeignKey("messages.id"), primary_key=True),
    Column("alarms", Integer, nullable=False),
    Column("last_alarm_at", TIME, nullable=False),
)

# Notifications this node holds: its own party's and those peers shared with it. The record is
# the notification as the journal keeps it and the line carries it; the other columns are what
# lists filter on.
notifications = Table(
    "notifications",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", Text, nullable=False),
    Column("created_at", TIME, nullable=False),
    Column("updated_at", TIME, nullable=False),
    # The outside document it was made from (a NOTAM number such as A3799/24), or NULL.
    Column("reference", String(64), nullable=True),
    Index("ix_notifications_status", "status", "id"),
    Index("ix_notifications_reference", "reference"),
)

# Conflicts found between notifications, open or cleared, under the key both nodes compute.
conflicts = Table(
    "conflicts",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("a_id", String(64), nullable=False),
    Column("b_id", String(64), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("state", String(8), nullable=False),
    Column("record", Text, nullable=False),
    Column("opened_at", TIME, nullable=False),
    Column("updated_at", TIME, nullable=False),
    Column("cleared_at", TIME, nullable=True),
    Index("ix_conflicts_a", "a_id"),
    Index("ix_conflicts_b", "b_id"),
    Index("ix_conflicts_state", "state", "key"),
)

# Issue 22, migration 0014. Each live version of a notification shared with a party, awaiting
# that party's acknowledgement (on the owner's node one row per party shared with; on the
# party's node its own row), with who acknowledged it and when, and its escalation's alarms.
notification_acks = Table(
    "notification_acks",
    metadata,
    Column("notification", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("party", String(16), primary_key=True),
    Column("owner", String(16), nullable=False),
    Column("deadline", TIME, nullable=False),
    Column("acknowledged_by", String(64), nullable=True),
    Column("acknowledged_at", TIME, nullable=True),
    Column("alarms", Integer, nullable=False, server_default="0"),
    Column("last_alarm_at", TIME, nullable=True),
    Index("ix_notification_acks_waiting", "acknowledged_at", "deadline"),
)

# The proposals made to resolve a conflict, by either party, under the conflict's key: the
# record both nodes hold (domain/resolutions.py), its state (waiting, accepted, superseded) and
# who of the other party accepted it, when.
conflict_resolutions = Table(
    "conflict_resolutions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("key", String(32), nullable=False),
    Column("record", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("accepted_by", String(64), nullable=True),
    Column("accepted_at", TIME, nullable=True),
    Index("ix_conflict_resolutions_key", "key", "id"),
)

# Witnessing (docs/journal.md#witnessing), migration 0009. The peers' checkpoints this node
# cosigned, each as offered (the signed note) with our cosignature line: the largest of an
# origin is what the next offer must be consistent with.
witnessed_checkpoints = Table(
    "witnessed_checkpoints",
    metadata,
    Column("origin", String(200), primary_key=True),
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("peer", String(16), nullable=False),
    Column("checkpoint", Text, nullable=False),
    Column("cosignature", Text, nullable=False),
    Column("cosigned_at", TIME, nullable=False),
)

# The cosignatures of this node's own checkpoints its witnesses sent back, one per witness and
# tree size: what a proof of an entry shows besides the node's own signature.
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("witness", String(240), primary_key=True),
    Column("peer", String(16), nullable=False),
    Column("checkpoint", Text, nullable=False),
    Column("cosignature", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("received_at", TIME, nullable=False),
    Index("ix_cosignatures_peer", "peer", "size"),
)

# Several processes, one node (docs/deployment.md), migration 0016: each process serving the
# node on PostgreSQL, its heartbeat (seconds since the epoch by the database's own clock, so no
# two machines' clocks are ever compared) and, while it leads, since when and the line as the
# leader sees it, for the other processes to show.
node_processes = Table(
    "node_processes",
    metadata,
    Column("process", String(200), primary_key=True),
    Column("url", String(400), nullable=False),
    Column("started_at", TIME, nullable=False),
    Column("heartbeat_s", Float, nullable=False),
    Column("leader_since", TIME, nullable=True),
    Column("line", Text, nullable=True),
)

# Each change of a peer's key (docs/security.md#key-rotation), migration 0017: a rotation the
# peer signed with both keys, or a key an administrator replaced (openline peer replace-key).
# ``link_seq`` is the last of the peer's envelopes the old key signs; a rotation held for an
# administrator's confirmation (require_key_confirmation) is ``held`` until confirmed.
peer_key_changes = Table(
    "peer_key_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("party", String(16), nullable=False),
    Column("old_key", String(44), nullable=False),
    Column("new_key", String(44), nullable=False),
    Column("link_seq", Integer, nullable=False),
    Column("how", String(16), nullable=False),
    Column("state", String(8), nullable=False),
    Column("changed_at", TIME, nullable=False),
    Column("rotation", Text, nullable=True),
    Index("ix_peer_key_changes_party", "party", "state"),
)

# Blind deconfliction (docs/blind.md). Each run of the private set intersection with a peer,
# as the side that started it or answered it: what it needs until it ends (the secret scalar,
# its own items in the order sent, the peer's points blinded twice) is dropped when it ends;
# the sizes and the number of matches are kept, for the budgets.
blind_runs = Table(
    "blind_runs",
    metadata,
    Column("peer", String(16), primary_key=True),
    Column("run", String(64), primary_key=True),
    Column("role", String(8), nullable=False),
    Column("state", String(12), nullable=False),
    Column("secret", Text, nullable=True),
    Column("items", Text, nullable=True),
    Column("their_twice", Text, nullable=True),
    Column("items_count", Integer, nullable=False),
    Column("their_count", Integer, nullable=True),
    Column("matches", Integer, nullable=True),
    Column("started_at", TIME, nullable=False),
    Column("finished_at", TIME, nullable=True),
    Index("ix_blind_runs_peer", "peer", "started_at"),
)

# What the latest blind run with each peer found: one possible conflict per pair of parties,
# under the key both compute, open or cleared, its record (this party's own notifications with
# the cells, slots and bands they share with the peer's blind operations).
possible_conflicts = Table(
    "possible_conflicts",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("party", String(16), nullable=False),
    Column("state", String(8), nullable=False),
    Column("record", Text, nullable=False),
    Column("snapshot_at", TIME, nullable=False),
    Column("opened_at", TIME, nullable=False),
    Column("updated_at", TIME, nullable=False),
    Column("cleared_at", TIME, nullable=True),
)
