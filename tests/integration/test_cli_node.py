"""The `openline` commands on a node: on its directory (card, token create, journal verify,
serve, each refusing a broken directory clearly) and against the running node (send, inbox, ack).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import nacl.exceptions
import nacl.signing
import pytest
import rfc8785
from pymerkle import InmemoryTree
from sqlalchemy import text

from tests.support.backend import copy_node, init_args, node_engine, sqlite_only
from tests.support.nodes import make_node_dir
from tests.support.ports import free_port
from tests.support.processes import RunningNode, run_openline

TOKEN_LINE = re.compile(r"olt_[A-Za-z0-9_-]{43}\n")
MESSAGE_LINE = re.compile(r"(msg_[0-9A-Z]{26}) (\w+) \(deadline [0-9T:.Z-]{24}\)\n")
DIR_COMMANDS = {
    "card": ["card"],
    "token create": ["token", "create", "--operator", "night-shift"],
    "journal verify": ["journal", "verify"],
    "serve": ["serve"],
}


openline = run_openline


def error_line(stderr: str) -> str:
    """The one line that says what went wrong (click may print its usage lines around it)."""
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def journal_rows(directory: Path) -> list[tuple[int, str, str, str, str, str, str]]:
    engine = node_engine(directory)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, at, kind, data, prev_hash, hash, sig FROM journal ORDER BY seq")
        )
        found = [tuple(row) for row in rows]
    engine.dispose()
    return found


# --- commands on a node directory, and what they say about a broken one ---------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One node directory, made once; each test breaks its own copy."""
    return make_node_dir(tmp_path_factory.mktemp("pristine") / "blue", port=free_port()).directory


@pytest.fixture
def node_copy(pristine: Path, tmp_path: Path) -> Path:
    return copy_node(pristine, tmp_path / "blue")


def _remove(name: str) -> Callable[[Path], None]:
    return lambda directory: (directory / name).unlink()


def _write(name: str, content: bytes, *, append: bool = False) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        path = directory / name
        path.write_bytes((path.read_bytes() if append else b"") + content)

    return write


def _remove_directory(directory: Path) -> None:
    shutil.rmtree(directory)


def _key_readable_by_others(directory: Path) -> None:
    (directory / "node.key").chmod(0o644)


BREAKAGES = {
    "directory missing": (_remove_directory, {}, "does not exist"),
    "openline.toml missing": (_remove("openline.toml"), {}, "openline.toml is missing"),
    "corrupt TOML": (
        _write("openline.toml", b'party = "BLUE\n'),
        {},
        "openline.toml cannot be read",
    ),
    "unknown setting": (
        _write("openline.toml", b'colour = "blue"\n', append=True),
        {},
        "'colour' is not an Openline setting",
    ),
    "badly typed setting": (
        _write("openline.toml", b'line_check_interval = "often"\n', append=True),
        {},
        "line_check_interval in",
    ),
    "unknown environment setting": (
        lambda _directory: None,
        {"OPENLINE_COLOUR": "blue"},
        "OPENLINE_COLOUR is not an Openline setting",
    ),
    "badly typed environment setting": (
        lambda _directory: None,
        {"OPENLINE_PORT": "high"},
        "OPENLINE_PORT='high'",
    ),
    "node.key missing": (_remove("node.key"), {}, "node.key is missing"),
    "node.key readable by others": (_key_readable_by_others, {}, "node.key is open to other users"),
    "node.key garbage": (_write("node.key", b"not a key\n"), {}, "node.key is not a PEM"),
}
# Breakages of the SQLite file: on PostgreSQL the node has none.
SQLITE_FILE_BREAKAGES = {
    "database deleted": (_remove("openline.db"), {}, "openline.db is missing"),
    "database not SQLite": (
        _write("openline.db", b"\x00garbage" * 600),
        {},
        "openline.db cannot be read: file is not a database",
    ),
    "database empty": (_write("openline.db", b""), {}, "no Openline schema"),
}
SQLITE_FILE = sqlite_only("the breakage is done to the SQLite file")
BREAKAGE_CASES = [
    *(pytest.param(*case, id=name) for name, case in BREAKAGES.items()),
    *(
        pytest.param(*case, id=name, marks=SQLITE_FILE)
        for name, case in SQLITE_FILE_BREAKAGES.items()
    ),
]


@pytest.mark.parametrize("command", DIR_COMMANDS.values(), ids=DIR_COMMANDS.keys())
@pytest.mark.parametrize(("breakage", "environ", "complaint"), BREAKAGE_CASES)
def test_a_broken_node_directory_is_refused_with_one_line_naming_the_problem(
    node_copy: Path,
    command: list[str],
    breakage: Callable[[Path], None],
    environ: dict[str, str],
    complaint: str,
):
    breakage(node_copy)

    # If `serve` wrongly started, the timeout stops it and the test fails.
    result = openline(*command, node_copy, env=environ)

    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert complaint in error_line(result.stderr)


@SQLITE_FILE
def test_a_node_whose_database_was_deleted_is_never_given_a_new_empty_journal(node_copy: Path):
    (node_copy / "openline.db").unlink()

    for command in DIR_COMMANDS.values():
        openline(*command, node_copy)

    assert sorted(p.name for p in node_copy.iterdir()) == ["cli.token", "node.key", "openline.toml"]


# --- naming the node: --node DIR everywhere, DIR alone where it always worked -----------------

FILE_COMMANDS = {
    "card": ["card"],
    "token list": ["token", "list"],
    "journal verify": ["journal", "verify"],
    "journal export": ["journal", "export"],
    "peer list": ["peer", "list"],
}


@pytest.mark.parametrize("command", FILE_COMMANDS.values(), ids=FILE_COMMANDS.keys())
def test_a_command_on_the_nodes_files_takes_node_dir_or_dir_alike(
    node_copy: Path, command: list[str]
):
    positional = openline(*command, node_copy)
    named = openline(*command, "--node", node_copy)
    both = openline(*command, node_copy, "--node", node_copy)
    neither = openline(*command)

    assert positional.returncode == named.returncode == 0, (positional.stderr, named.stderr)
    # The same output (journal export's first line says when it was made: left out).
    named_lines, positional_lines = named.stdout.splitlines(), positional.stdout.splitlines()
    assert (len(named_lines), named_lines[1:]) == (len(positional_lines), positional_lines[1:])
    assert both.returncode == neither.returncode == 2
    assert (
        error_line(both.stderr) == f"Error: give the node once: --node {node_copy} or {node_copy}"
    )
    assert error_line(neither.stderr) == "Error: give the node's directory: --node DIR"


@pytest.mark.parametrize("form", [["--node", "{dir}"], ["{dir}"]], ids=["--node DIR", "DIR"])
def test_a_missing_node_directory_is_a_usage_error_naming_how_it_was_given(
    tmp_path: Path, form: list[str]
):
    missing = tmp_path / "nowhere"

    result = openline("card", *(part.format(dir=missing) for part in form))

    assert result.returncode == 2
    hint = "'--node'" if form[0] == "--node" else "'DIR'"
    assert error_line(result.stderr) == (
        f"Error: Invalid value for {hint}: Directory '{missing}' does not exist."
    )


# --- card and token create -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "url"),
    [
        ([], "http://127.0.0.1:8470"),
        (["--port", "9100"], "http://127.0.0.1:9100"),
        (["--url", "https://red.example:8443"], "https://red.example:8443"),
    ],
    ids=["defaults", "--port", "--url"],
)
def test_card_prints_exactly_the_public_identity(tmp_path: Path, options: list[str], url: str):
    directory = tmp_path / "red"
    created = openline(
        "init",
        directory,
        *("--party", "RED", "--name", "Red command", "--lang", "ru"),
        *options,
        *init_args(),
    )
    assert created.returncode == 0, created.stderr

    result = openline("card", directory)

    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    assert set(card) == {"party", "name", "lang", "url", "urls", "public_key"}
    assert (card["party"], card["name"], card["lang"], card["url"], card["urls"]) == (
        "RED",
        "Red command",
        "ru",
        url,
        [url],
    )


def newest_checkpoint(directory: Path) -> str:
    engine = node_engine(directory)
    with engine.connect() as conn:
        query = "SELECT note FROM journal_checkpoints ORDER BY size DESC LIMIT 1"
        note = str(conn.execute(text(query)).scalar_one())
    engine.dispose()
    return note


def _checkpoint_holds(
    card: dict[str, str], rows: list[tuple[int, str, str, str, str, str, str]], note: str
) -> bool:
    """Check the journal the way a peer would, from the documented format alone
    (docs/journal.md): each entry's hash covers the RFC 8785 canonical JSON of {at, data, kind,
    prev_hash, seq}; the entries are the leaves of an RFC 9162 tree (rebuilt by pymerkle), whose
    root the newest checkpoint names, signed under the origin openline/<party>/<key hex>.
    """
    tree = InmemoryTree(algorithm="sha256")
    for seq, at, kind, data, prev_hash, entry_hash, _sig in rows:
        body = rfc8785.dumps(
            {"at": at, "data": json.loads(data), "kind": kind, "prev_hash": prev_hash, "seq": seq}
        )
        assert hashlib.sha256(body).hexdigest() == entry_hash
        tree.append_entry(body)
    text_part, _, lines = note.partition("\n\n")
    origin, size, root = text_part.split("\n")[:3]
    assert (int(size), base64.b64decode(root)) == (len(rows), tree.get_root(len(rows)))
    key = base64.b64decode(card["public_key"])
    name = f"openline/{card['party']}/{key.hex()}"
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + key).digest()[:4]
    signatures = [
        base64.b64decode(line.split(" ")[2])
        for line in lines.splitlines()
        if line.split(" ")[1] == name
    ]
    if origin != name or not signatures:
        return False
    try:
        for signature in signatures:
            assert signature[:4] == key_id
            nacl.signing.VerifyKey(key).verify((text_part + "\n").encode(), signature[4:])
    except nacl.exceptions.BadSignatureError:
        return False
    return True


def test_the_cards_public_key_checks_the_nodes_journal_signatures(node_copy: Path, tmp_path: Path):
    other = make_node_dir(tmp_path / "red", party="RED").directory

    ours = json.loads(openline("card", node_copy).stdout)
    theirs = json.loads(openline("card", other).stdout)

    rows = journal_rows(node_copy)
    note = newest_checkpoint(node_copy)
    assert len(rows) == 3
    assert all(sig == "" for *_, sig in rows)  # the commit's checkpoint signs the entries
    assert _checkpoint_holds(ours, rows, note)
    assert not _checkpoint_holds({**theirs, "party": "BLUE"}, rows, note)
    assert not _checkpoint_holds(theirs, rows, note)


@pytest.mark.slow
def test_token_create_on_a_running_node_prints_a_token_that_authenticates(
    running_node: RunningNode,
):
    result = openline("token", "create", running_node.directory, "--operator", "night-shift")

    assert result.returncode == 0, result.stderr
    assert TOKEN_LINE.fullmatch(result.stdout), result.stdout
    token = result.stdout.strip()
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    body = {"to": ["BLUE"], "precedence": "routine", "text": "shift change", "lang": "en"}
    with running_node.client() as client:
        sent = client.post(
            "/api/v1/messages", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        entries = client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    assert sent.status_code == 201, sent.text
    assert sent.json()["created_by"] == "night-shift"
    recorded = [e["data"] for e in entries if e["data"].get("operator") == "night-shift"]
    assert recorded == [
        {"operator": "night-shift", "role": "duty-officer", "token_id": token_hash[:12]}
    ]
    everything = json.dumps(entries)
    assert token not in everything
    assert token_hash not in everything
    assert openline("journal", "verify", running_node.directory).returncode == 0


def test_token_create_refuses_a_bad_operator_name_and_writes_nothing(node_copy: Path):
    before = journal_rows(node_copy)

    result = openline("token", "create", node_copy, "--operator", "night shift")

    assert result.returncode == 1
    assert result.stdout == ""
    assert "operator 'night shift' is not a valid name" in error_line(result.stderr)
    assert journal_rows(node_copy) == before


# --- send, inbox and ack against the running node --------------------------------------------


def send(node: RunningNode, *args: str) -> subprocess.CompletedProcess[str]:
    return openline("send", "--node", node.directory, *args)


def sent_id(result: subprocess.CompletedProcess[str], state: str) -> str:
    assert result.returncode == 0, result.stderr
    match = MESSAGE_LINE.fullmatch(result.stdout)
    assert match, result.stdout
    assert match.group(2) == state
    return match.group(1)


@pytest.mark.slow
def test_a_flash_message_to_our_own_party_is_delivered_then_acknowledged(running_node: RunningNode):
    message_id = sent_id(
        send(
            running_node, "--to", "BLUE", "--precedence", "flash", "--text", "Check fire grid 37S"
        ),
        "delivered",
    )

    acked = openline("ack", "--node", running_node.directory, message_id)

    assert acked.returncode == 0, acked.stderr
    assert acked.stdout == f"{message_id} acknowledged\n"
    with running_node.client() as client:
        stored = client.get(f"/api/v1/messages/{message_id}").json()
    assert stored["state"] == "acknowledged"
    assert stored["fields"] == {"text": "Check fire grid 37S", "lang": "en"}
    assert stored["recipients"][0]["acknowledged_by"] == "local-cli"


@pytest.mark.slow
def test_send_turns_template_fields_from_json_or_plain_text(running_node: RunningNode):
    result = send(
        running_node,
        "--to", "BLUE",
        "--precedence", "immediate",
        "--template", "unsafe-encounter-report",
        "--field", 'location={"lat": 35.1, "lon": 38.9}',
        "--field", "time=2024-12-03T13:00:00+01:00",
        "--field", "closest_distance_m=150",
        "--field", "own_unit=VIPER 11",
        "--field", "description=Passed within 150 m, no radio contact",
        "--json",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["template"] == "unsafe-encounter-report"
    assert printed["fields"] == {
        "location": {"lat": 35.1, "lon": 38.9},
        "time": "2024-12-03T12:00:00.000Z",
        "closest_distance_m": 150,
        "own_unit": "VIPER 11",
        "description": "Passed within 150 m, no radio contact",
    }
    with running_node.client() as client:
        assert client.get(f"/api/v1/messages/{printed['id']}").json() == printed

    shown = openline("show", "--node", running_node.directory, printed["id"])
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(printed["rendering"]["text"])
    assert "35.100000 38.900000 (" in shown.stdout  # decimal degrees, then MGRS
    assert "031200ZDEC24" in shown.stdout  # the time's date-time group
    assert shown.stdout.endswith("[delivered]\n")


@pytest.mark.slow
def test_a_message_to_another_party_stays_queued_and_shows_only_in_the_outbox(
    running_node: RunningNode,
):
    ours = sent_id(
        send(running_node, "--to", "BLUE", "--precedence", "routine", "--text", "a"), "delivered"
    )
    theirs = sent_id(
        send(running_node, "--to", "RED", "--precedence", "flash", "--text", "b"), "queued"
    )

    inbox = openline("inbox", "--node", running_node.directory, "--json")
    outbox = openline("inbox", "--node", running_node.directory, "--box", "out", "--json")

    assert inbox.returncode == 0, inbox.stderr
    assert outbox.returncode == 0, outbox.stderr
    assert [m["id"] for m in json.loads(inbox.stdout)] == [ours]
    assert [(m["id"], m["state"]) for m in json.loads(outbox.stdout)] == [
        (theirs, "queued"),
        (ours, "delivered"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("box", ["in", "out"])
def test_the_inbox_table_shows_every_id_and_state_in_full(running_node: RunningNode, box: str):
    message_id = sent_id(
        send(
            running_node,
            "--to", "BLUE",
            "--precedence", "flash",
            "--template", "request-cease-activity",
            "--field", 'location={"lat": 35.1, "lon": 38.9}',
            "--field", "activity=artillery",
        ),
        "delivered",
    )  # fmt: skip
    assert openline("ack", "--node", running_node.directory, message_id).returncode == 0

    # An operator reads the id here to acknowledge the message, on an 80-column terminal.
    table = openline("inbox", "--node", running_node.directory, "--box", box)

    assert table.returncode == 0, table.stderr
    assert message_id in table.stdout
    assert "acknowledged" in table.stdout


BAD_SENDS = {
    "unknown precedence": (
        ["--precedence", "urgent", "--text", "x"],
        "precedence: Input should be 'flash', 'immediate', 'priority' or 'routine' (got 'urgent')",
    ),
    "empty text": (["--precedence", "flash", "--text", "   "], "text: must be non-empty text"),
    "text over 64 KiB": (
        ["--precedence", "flash", "--text", "x" * 65_537],
        "65537 bytes, over the limit of 65536 bytes",
    ),
    "unknown template": (
        ["--precedence", "flash", "--template", "nonsense"],
        "template 'nonsense' is not in the phrasebook",
    ),
    "unknown field": (
        ["--precedence", "flash", "--template", "line-check", "--field", "colour=red"],
        "fields.colour: not a field of line-check",
    ),
    "several fields missing": (
        ["--precedence", "flash", "--template", "planned-operation", "--field", "unit=VIPER 11"],
        "fields.area, fields.time_window, fields.activity: required by planned-operation "
        "[fields.area]",
    ),
    "fields without a template": (
        ["--precedence", "flash", "--text", "x", "--field", "unit=VIPER 11"],
        "fields go with a template, not with text",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(("args", "complaint"), BAD_SENDS.values(), ids=BAD_SENDS.keys())
def test_bad_input_through_the_cli_exits_non_zero_with_the_nodes_message(
    running_node: RunningNode, args: list[str], complaint: str
):
    result = send(running_node, "--to", "BLUE", *args)

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert complaint in error_line(result.stderr)
    with running_node.client() as client:
        assert client.get("/api/v1/messages", params={"box": "out"}).json()["messages"] == []


@pytest.mark.slow
def test_ack_of_a_message_that_is_not_ours_to_acknowledge_is_refused(running_node: RunningNode):
    queued = sent_id(
        send(running_node, "--to", "RED", "--precedence", "flash", "--text", "b"), "queued"
    )
    directory = running_node.directory

    unknown = openline("ack", "--node", directory, "msg_00000000000000000000000000")
    not_ours = openline("ack", "--node", directory, queued)

    assert unknown.returncode == 1
    assert "no message 'msg_00000000000000000000000000' on this node" in error_line(unknown.stderr)
    assert not_ours.returncode == 1
    assert f"message {queued} is addressed to RED, not to BLUE" in error_line(not_ours.stderr)


@pytest.mark.slow
def test_a_cli_token_the_node_does_not_know_is_refused(running_node: RunningNode):
    (running_node.directory / "cli.token").write_text("olt_" + "x" * 43 + "\n")

    result = openline("inbox", "--node", running_node.directory)

    assert result.returncode == 1
    assert "unknown operator token" in error_line(result.stderr)


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ["send", "--to", "BLUE", "--precedence", "flash", "--text", "anyone there?"],
        ["inbox"],
        ["ack", "msg_00000000000000000000000000"],
        ["status"],
    ],
    ids=["send", "inbox", "ack", "status"],
)
def test_a_stopped_node_gives_a_clear_does_not_answer_error(
    running_node: RunningNode, command: list[str]
):
    running_node.stop()

    result = openline(command[0], "--node", running_node.directory, *command[1:])

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    line = error_line(result.stderr)
    assert f"the node at {running_node.url} does not answer" in line
    assert "is `openline serve` running?" in line


# --- status and templates -------------------------------------------------------------------


@pytest.mark.slow
def test_status_shows_the_node_and_the_line_to_each_peer(running_node: RunningNode):
    result = openline("status", "--node", running_node.directory)
    as_json = openline("status", "--node", running_node.directory, "--json")

    assert result.returncode == 0, result.stderr
    node = json.loads(as_json.stdout)
    lines = result.stdout.splitlines()
    assert lines[0] == f"BLUE (BLUE command, en) at {running_node.url}"
    assert lines[1].startswith(f"directory {running_node.directory.resolve()}; journal head entry ")
    # RED's node never answers: its line is down, never heard.
    assert lines[2].startswith("RED              down     heard never  waiting ")
    assert "(never heard" in lines[2]
    # The one process serving a SQLite node answered, and leads.
    assert lines[3] == f"process {node['process']} answered; leader {node['process']}"
    assert lines[4].startswith(f"  {node['process']}  {running_node.url}  heartbeat ")
    assert lines[4].endswith(f"leader since {node['processes'][0]['leader_since']}")
    assert len(lines) == 2 + len(node["peers"]) + 1 + len(node["processes"]) == 5


@pytest.mark.parametrize(
    ("options", "title"),
    [
        ([], "planned-operation: Planned operation"),
        (["--lang", "fr"], "planned-operation: Opération planifiée"),
        (["--node", "{node}"], "planned-operation: Планируемая операция"),
        (["--node", "{node}", "--lang", "en"], "planned-operation: Planned operation"),
    ],
    ids=["English by default", "French", "the node's language", "--lang over the node's"],
)
def test_templates_lists_the_phrasebook_with_its_fields_without_a_running_node(
    tmp_path: Path, options: list[str], title: str
):
    red = make_node_dir(tmp_path / "red", party="RED", lang="ru")
    args = [option.format(node=red.directory) for option in options]

    result = openline("templates", *args)
    as_json = json.loads(openline("templates", *args, "--json").stdout)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == title
    assert lines[1].split()[:3] == ["area", "area", "required"]
    names = [line.split(":")[0] for line in lines if not line.startswith(" ")]
    assert names == [template["name"] for template in as_json["templates"]]
    assert len(names) == 11


def test_templates_refuses_a_language_openline_does_not_render():
    result = openline("templates", "--lang", "xx")

    assert result.returncode == 1
    assert error_line(result.stderr) == (
        "Error: lang 'xx' is not a language Openline renders: one of en, ru, fr, ar [lang]"
    )
