"""``openline journal``: verify the node's journal, prove entries and check proofs, export it,
check two transcripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from openline.cli.common import node_argument, opened, reported_errors
from openline.domain.journal import MAX_SEQ
from openline.domain.transcripts import HIDE_FILTERS


@click.group()
def journal() -> None:
    """The node's signed, hash-chained journal."""


@journal.command("verify")
@node_argument
def journal_verify(directory: Path) -> None:
    """Recompute every hash and the Merkle tree, check every checkpoint's signature and
    cosignatures; exit 1 naming the first bad entry or checkpoint."""
    from openline.services.journal import verify_journal

    with reported_errors(), opened(directory) as node:
        report = verify_journal(node)
    signed = f"{report.checkpoints} checkpoints and {report.cosignatures} cosignatures verified"
    if report.intact:
        click.echo(f"journal intact: {report.verified} entries verified")
        click.echo(f"({signed})", err=True)
        return
    where = (
        f"entry {report.bad_seq}"
        if report.bad_seq is not None
        else f"the checkpoint of tree size {report.bad_checkpoint}"
    )
    click.echo(f"journal broken at {where}: {report.reason}", err=True)
    click.echo(f"({report.verified} entries before it verified)", err=True)
    click.echo(f"({signed} before it)", err=True)
    sys.exit(1)


@journal.command("prove")
@node_argument
@click.argument("seq", type=click.IntRange(1, MAX_SEQ), required=False)
@click.option("--message", "message_id", default=None, help="Prove a message's entries instead.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the proof to this file (default: stdout).",
)
def journal_prove(
    directory: Path, seq: int | None, message_id: str | None, out: Path | None
) -> None:
    """Write a self-contained proof of entry SEQ, or of the entries showing a message created,
    delivered (with the peer's receipt) and acknowledged: each entry, its inclusion proof, the
    checkpoint with the node's signature and every cosignature held, and the node's card."""
    from openline.services.journal import prove_entry, prove_message

    if (seq is None) == (message_id is None):
        raise click.UsageError("give either SEQ or --message ID")
    with reported_errors(), opened(directory) as node:
        proof = prove_entry(node, seq) if seq is not None else prove_message(node, str(message_id))
    text = json.dumps(proof, ensure_ascii=False, indent=1) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
    click.echo(f"proof of {len(proof['entries'])} entries written", err=True)


@journal.command("check-proof")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--card",
    "card_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The card (JSON) of the party the proof should be from; default: the card it carries.",
)
@click.option(
    "--key-history",
    "history_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The party's key-history.json (its node directory's), for a proof made before it "
    "rotated its key: the rotations must hand the proof's key over to the card's.",
)
def journal_check_proof(path: Path, card_path: Path | None, history_path: Path | None) -> None:
    """Check a proof offline: each entry's inclusion proof leads to the checkpoint's root, and
    the checkpoint and the proof are signed by the card's key (or, with --key-history, by a
    key the card's party retired for it); exit 1 naming what failed."""
    from openline.domain.proofs import check_proof
    from openline.keys.signing import PublicKey

    with reported_errors():
        card = _read_card(card_path) if card_path is not None else None
        if card is not None and history_path is not None:
            card = _card_before_rotations(path, card, history_path)
        report = check_proof(path.read_bytes(), lambda key: PublicKey(key).verify, card)
    if not report.holds:
        for problem in report.problems:
            click.echo(f"FAILED: {problem}", err=True)
        sys.exit(1)
    for entry in report.entries:
        click.echo(f"entry {entry['seq']}  {entry['at']}  {entry['kind']}")
    witnessed = ", ".join(f"{w.party} ({w.public_key.hex()[:16]}…)" for w in report.witnesses)
    click.echo(
        f"proof holds: {len(report.entries)} entries in {report.party}'s journal of "
        f"{report.tree_size} entries, signed by its key"
        + (f", cosigned by {witnessed}" if witnessed else ", cosigned by no witness")
    )


def _card_before_rotations(
    path: Path, card: dict[str, object], history_path: Path
) -> dict[str, object]:
    """The card the proof carries, if the key history hands its key over to ``card``'s by
    rotations both keys signed (docs/security.md#key-rotation); else ``card`` itself."""
    from openline.domain.errors import InvalidInput
    from openline.domain.rotations import handover_problem
    from openline.keys.signing import PublicKey

    try:
        carried = json.loads(path.read_bytes())["card"]
        retired = json.loads(history_path.read_text(encoding="utf-8"))["retired"]
        keys = [str(item["public_key"]) for item in retired]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"the proof or {history_path} cannot be read: {exc}") from None
    old, new = carried.get("public_key"), card.get("public_key")
    if carried.get("party") != card.get("party") or old == new or old not in keys:
        return card
    rotations = [item["rotation"] for item in retired[keys.index(old) :]]
    problem = handover_problem(
        rotations, str(old), str(new), lambda text: PublicKey.from_base64(text).verify
    )
    if problem is not None:
        raise InvalidInput(
            f"{history_path} does not hand the proof's key over to the card's: {problem}"
        )
    click.echo(f"the proof is signed by a key {card.get('party')} has since rotated", err=True)
    return dict(carried)


def _read_card(path: Path) -> dict[str, object]:
    from openline.domain.errors import InvalidInput

    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{path} cannot be read as a card (JSON): {exc}") from None
    if not isinstance(card, dict):
        raise InvalidInput(f"{path} is not a card: not a JSON object")
    return card


@journal.command("export")
@node_argument
@click.option("--from", "since", default=None, help="Entries at or after this UTC instant.")
@click.option("--to", "until", default=None, help="Entries before this UTC instant.")
@click.option(
    "--hide",
    type=click.Choice(sorted(HIDE_FILTERS)),
    default=None,
    help="Leave out these entries (the header declares them); each entry kept still verifies.",
)
def journal_export(directory: Path, since: str | None, until: str | None, hide: str | None) -> None:
    """Write the journal as a signed transcript (JSON Lines) on stdout."""
    from openline.domain.timeutil import parse_utc
    from openline.services.transcripts import export_transcript

    with reported_errors(), opened(directory) as node:
        count, left = export_transcript(
            node,
            sys.stdout,
            since=parse_utc(since, field="--from") if since else None,
            until=parse_utc(until, field="--to") if until else None,
            hide=hide,
        )
    left_out = f" ({left} left out: {hide})" if hide else ""
    click.echo(f"{count} journal entries exported{left_out}", err=True)


@journal.command("verify-transcript")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def journal_verify_transcript(path: Path) -> None:
    """Check one transcript: every entry's hash and signature, the chain between consecutive
    entries, and each gap against what its header declares left out; exit 1 naming problems."""
    from openline.services.transcripts import verify_transcript_file

    with reported_errors():
        transcript = verify_transcript_file(path)
    left_out = transcript.left_out or {}
    for gap in transcript.gaps:
        click.echo(f"{gap} left out ({left_out.get('filter')}), as the header declares")
    if not transcript.problems:
        click.echo(f"transcript intact: {len(transcript.entries)} entries verified")
        return
    for problem in transcript.problems:
        click.echo(f"BROKEN: {problem}", err=True)
    sys.exit(1)


@journal.command("cross-verify")
@click.argument("ours", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def journal_cross_verify(ours: Path, theirs: Path) -> None:
    """Check two nodes' transcripts against each other; exit 1 naming every difference."""
    from openline.services.transcripts import cross_verify_files

    with reported_errors():
        report = cross_verify_files(ours, theirs)
    for link, count in report.agreed.items():
        click.echo(f"{link}: {count} envelopes agree (same hash, same order, receipts match)")
    for pending in report.in_transit:
        click.echo(f"in transit: {pending}")
    for unapplied in report.not_applied:
        click.echo(f"received but not applied: {unapplied}")
    if report.agree:
        click.echo("the transcripts agree")
        return
    for difference in report.differences:
        click.echo(f"DIFFERENCE: {difference}", err=True)
    click.echo(f"{len(report.differences)} differences", err=True)
    sys.exit(1)
