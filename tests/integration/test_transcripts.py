"""Transcripts of two real nodes' journals: they agree after traffic, and every change to
either one is named by cross-verify."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openline.domain.canonical import canonical_json
from openline.domain.journal import signing_bytes
from tests.support.processes import Pair, export_transcripts, run_openline, start_pair, stop_pair
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """BLUE and RED exchanged messages and an acknowledgement, then stopped; their exports."""
    base = tmp_path_factory.mktemp("transcripts")
    pair = start_pair(base, {"OPENLINE_LINE_CHECK_INTERVAL": "1"})
    try:
        ids = []
        for n in range(5):
            with pair.blue.client() as client:
                body = {"to": ["RED"], "precedence": "flash", "text": f"m{n}", "lang": "en"}
                ids.append(client.post("/api/v1/messages", json=body).json()["id"])

        def all_delivered() -> bool:
            with pair.blue.client() as client:
                out = client.get("/api/v1/messages", params={"box": "out"}).json()["messages"]
            return all(m["state"] == "delivered" for m in out) and len(out) == 5

        wait_for(all_delivered, what="delivery")
        with pair.red.client() as client:
            assert client.post(f"/api/v1/messages/{ids[0]}/ack").status_code == 200
        wait_for(lambda: _acknowledged(pair, ids[0]), what="the ack back at BLUE")
    finally:
        stop_pair(pair)
    blue, red = export_transcripts([pair.blue.directory, pair.red.directory], base)
    return blue, red


def _acknowledged(pair: Pair, message_id: str) -> bool:
    with pair.blue.client() as client:
        return bool(client.get(f"/api/v1/messages/{message_id}").json()["state"] == "acknowledged")


def cross(ours: Path, theirs: Path) -> Any:
    return run_openline("journal", "cross-verify", ours, theirs)


def test_the_two_transcripts_agree_on_every_envelope_both_ways(exports: tuple[Path, Path]):
    result = cross(*exports)

    assert result.returncode == 0, result.stderr
    assert "the transcripts agree" in result.stdout
    blue_to_red = next(line for line in result.stdout.splitlines() if line.startswith("BLUE->RED"))
    assert int(blue_to_red.split()[1]) >= 5  # five messages, and line checks
    assert cross(exports[1], exports[0]).returncode == 0


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rewritten(
    path: Path, tmp_path: Path, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> Path:
    changed = tmp_path / f"changed-{path.name}"
    changed.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in change(lines_of(path))),
        encoding="utf-8",
    )
    return changed


def first(lines: list[dict[str, Any]], kind: str) -> int:
    return next(i for i, line in enumerate(lines) if line.get("kind") == kind)


def drop_first_received(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    index = first(lines, "envelope.received")
    return lines[:index] + lines[index + 1 :]


def alter_a_receipt(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    index = first(lines, "envelope.delivered")
    lines[index]["data"]["receipt"]["received_at"] = "2000-01-01T00:00:00.000Z"
    return lines


def swap_header_key(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines[0]["card"]["public_key"] = lines[0]["peers"][0]["public_key"]
    return lines


@pytest.mark.parametrize(
    ("side", "change", "named"),
    [
        ("red", drop_first_received, "entries are missing or out of order"),
        ("red", drop_first_received, "has no record of it"),
        ("blue", alter_a_receipt, "does not match its hash (altered)"),
        ("blue", swap_header_key, "signed by key"),
    ],
    ids=["entry removed: chain", "entry removed: envelope", "receipt altered", "wrong key"],
)
def test_a_changed_transcript_is_named(
    exports: tuple[Path, Path],
    tmp_path: Path,
    side: str,
    change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    named: str,
):
    blue, red = exports
    if side == "red":
        red = rewritten(red, tmp_path, change)
    else:
        blue = rewritten(blue, tmp_path, change)

    result = cross(blue, red)

    assert result.returncode == 1
    assert named in result.stderr, result.stderr
    assert "DIFFERENCE" in result.stderr


def test_an_export_range_holds_only_the_entries_in_it(exports: tuple[Path, Path]):
    entries = lines_of(exports[0])[1:]
    middle = entries[len(entries) // 2]["at"]
    directory = exports[0].parent / "blue"
    result = run_openline("journal", "export", directory, "--from", middle)
    assert result.returncode == 0, result.stderr
    ranged = [json.loads(line) for line in result.stdout.splitlines()]
    assert ranged[0]["from"] == middle
    assert ranged[1:] == [e for e in entries if e["at"] >= middle]


def test_an_export_range_that_ends_before_it_starts_is_refused(exports: tuple[Path, Path]):
    directory = exports[0].parent / "blue"
    result = run_openline(
        "journal",
        "export",
        directory,
        "--from",
        "2024-12-03T12:00:00Z",
        "--to",
        "2024-12-03T11:00:00Z",
    )
    assert result.returncode == 1
    assert "is not after --from" in result.stderr


LINE_CHECKS = ("line_check", "line_check_reply", "checkpoint", "cosignature")


def envelope_kind(entry: dict[str, Any]) -> str | None:
    data = entry["data"]
    return data["envelope"]["kind"] if "envelope" in data else data.get("kind")


def is_line_check(entry: dict[str, Any]) -> bool:
    return entry["kind"].startswith("envelope.") and envelope_kind(entry) in LINE_CHECKS


@pytest.fixture(scope="module")
def filtered(exports: tuple[Path, Path]) -> Path:
    """BLUE's journal exported with --hide line-checks."""
    result = run_openline("journal", "export", exports[0].parent / "blue", "--hide", "line-checks")
    assert result.returncode == 0, result.stderr
    path = exports[0].parent / "blue-filtered.jsonl"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def verify_file(path: Path) -> Any:
    return run_openline("journal", "verify-transcript", path)


def test_a_filtered_export_holds_every_entry_but_the_line_checks(
    exports: tuple[Path, Path], filtered: Path
):
    whole = lines_of(exports[0])[1:]
    header, *kept = lines_of(filtered)
    line_checks = [entry for entry in whole if is_line_check(entry)]

    assert kept == [entry for entry in whole if not is_line_check(entry)]
    assert line_checks  # the nodes checked the line every second while messages crossed
    assert {envelope_kind(entry) for entry in line_checks} == set(LINE_CHECKS)  # witnessing too
    assert any(envelope_kind(entry) == "message" for entry in kept)  # the messages' envelopes stay
    assert header["left_out"]["filter"] == "line-checks"
    assert header["left_out"]["entries"] == len(line_checks)
    assert header["left_out"]["kept"] == len(kept)


def test_a_filtered_export_verifies_and_names_its_gaps(filtered: Path):
    header, *kept = lines_of(filtered)
    result = verify_file(filtered)

    assert result.returncode == 0, result.stderr
    assert f"transcript intact: {len(kept)} entries verified" in result.stdout
    first, last = next(
        gap for gap in header["left_out"]["ranges"] if gap[0] > kept[0]["seq"]
    )  # a gap between two kept entries
    gap = f"entry {first}" if first == last else f"entries {first} to {last}"
    assert f"{gap} left out (line-checks), as the header declares" in result.stdout


def test_the_whole_export_verifies_on_its_own(exports: tuple[Path, Path]):
    result = verify_file(exports[0])

    assert result.returncode == 0, result.stderr
    assert "left out" not in result.stdout


def drop_a_kept_message_entry(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    index = first(lines, "message.created")
    return lines[:index] + lines[index + 1 :]


def drop_the_last_entry(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return lines[:-1]


def alter_a_kept_message(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    index = first(lines, "message.created")
    lines[index]["data"]["id"] = "forged"
    return lines


def rehash_the_end_of_a_run(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last entry of a run of consecutive entries, changed and hashed again: nothing links
    it to the next entry kept, so only its inclusion proof in the checkpoint gives it away."""
    seq = int(next(iter(lines[0]["inclusion"])))
    (entry,) = [line for line in lines if line.get("seq") == seq]
    entry["data"]["forged"] = True
    data = canonical_json(entry["data"]).decode("utf-8")
    body = signing_bytes(seq, entry["at"], entry["kind"], data, entry["prev_hash"])
    entry["hash"] = hashlib.sha256(body).hexdigest()
    return lines


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (drop_a_kept_message_entry, "entries are missing or out of order"),
        (drop_the_last_entry, "entries are kept, but the transcript holds"),
        (alter_a_kept_message, "does not match its hash (altered)"),
        (rehash_the_end_of_a_run, "its inclusion proof does not lead to the checkpoint's root"),
    ],
    ids=["one more entry removed", "last entry removed", "entry altered", "entry rehashed"],
)
def test_a_changed_filtered_export_fails_verification_naming_it(
    filtered: Path,
    tmp_path: Path,
    change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    named: str,
):
    result = verify_file(rewritten(filtered, tmp_path, change))

    assert result.returncode == 1
    assert named in result.stderr, result.stderr
    assert "BROKEN" in result.stderr


def test_cross_verify_refuses_a_filtered_export(exports: tuple[Path, Path], filtered: Path):
    result = cross(filtered, exports[1])

    assert result.returncode == 1
    assert "cross-verify needs the whole record; export it again without --hide" in result.stderr


def test_a_message_proof_shows_it_created_delivered_with_the_receipt_and_acknowledged(
    exports: tuple[Path, Path], tmp_path: Path
):
    blue, red = exports
    (acknowledged,) = [e for e in lines_of(blue)[1:] if e["kind"] == "message.acknowledged"]
    message_id = acknowledged["data"]["message_id"]
    proof = tmp_path / "proof.json"
    red_card = tmp_path / "red-card.json"
    red_card.write_text(json.dumps(lines_of(red)[0]["card"]), encoding="utf-8")

    made = run_openline("journal", "prove", blue.with_suffix(""), "--message", message_id)
    proof.write_text(made.stdout, encoding="utf-8")
    checked = run_openline("journal", "check-proof", proof)
    against_red = run_openline("journal", "check-proof", proof, "--card", red_card)

    assert made.returncode == 0, made.stderr
    assert checked.returncode == 0, checked.stderr
    kinds = [line.split()[3] for line in checked.stdout.splitlines() if line.startswith("entry")]
    assert kinds == [
        "message.created",
        "envelope.delivered",
        "message.delivered",
        "message.acknowledged",
    ]
    (receipt,) = [json.loads(e["entry"]) for e in json.loads(made.stdout)["entries"][1:2]]
    assert receipt["data"]["to"] == "RED"
    assert receipt["data"]["receipt"]  # RED's signed receipt of the message's envelope
    assert against_red.returncode == 1
    assert "not the card given (RED)" in against_red.stderr
