"""``openline bundle export`` and ``import``: courier bundles, through the running node.

When no network reaches a peer, what waits for it is carried as a file (a USB stick, an
e-mail, a messenger): ``export`` writes it, the peer's ``import`` applies it and writes the
reply, which carries the receipts (and the peer's own envelopes) back. The node stays the one
writer: both go through its API (GET /api/v1/bundles/PARTY, POST /api/v1/bundles).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from openline.cli.common import call_node, emit_json, node_argument

MEDIA_TYPE = "application/vnd.openline.bundle"


@click.group()
def bundle() -> None:
    """Courier bundles: the line carried by hand when no network reaches a peer."""


@bundle.command("export")
@node_argument
@click.option("--to", "party", required=True, help="The peer party the bundle is for.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the bundle to FILE (else to standard output).",
)
def bundle_export(directory: Path, party: str, out: Path | None) -> None:
    """Write the bundle for PARTY: every envelope waiting for it, the receipts owed it."""
    path = f"/api/v1/bundles/{party}"
    response = call_node(directory, lambda c: c.fetch("GET", path))
    _write(out, response.content)
    left = int(response.headers.get("X-Openline-Left-Waiting", "0"))
    click.echo(
        f"bundle for {party}: {response.headers.get('X-Openline-Envelopes')} envelopes, "
        f"{response.headers.get('X-Openline-Receipts')} receipts"
        + (f"; {left} more wait for the next bundle" if left else "")
        + (f" -> {out}" if out else ""),
        err=True,
    )


@bundle.command("import")
@node_argument
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--reply",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the reply bundle (the receipts, and what waits for the sender) to FILE.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the node's answer as JSON.")
def bundle_import(directory: Path, file: Path, reply: Path | None, as_json: bool) -> None:
    """Apply the bundle in FILE, from a peer; exit status 1 if any envelope was refused."""
    data = file.read_bytes()
    headers = {"Content-Type": MEDIA_TYPE}
    answer = call_node(
        directory, lambda c: c.request("POST", "/api/v1/bundles", content=data, headers=headers)
    )
    if reply is not None:
        reply.write_text(answer["reply"]["text"], encoding="utf-8", newline="")
    if as_json:
        emit_json(answer)
    else:
        _report(answer, reply)
    refused = answer["envelopes"]["refused"]
    if refused:
        raise click.ClickException(
            f"{len(refused)} envelopes of {file} refused, first link_seq "
            f"{refused[0]['link_seq']}: {refused[0]['refused']['reason']}"
        )


def _report(answer: dict[str, Any], reply: Path | None) -> None:
    b, e, r = answer["bundle"], answer["envelopes"], answer["receipts"]
    click.echo(
        f"bundle {b['id']} from {b['from']}: {e['applied']} envelopes applied, "
        f"{e['already_applied']} applied before, {len(e['not_applied'])} not applied, "
        f"{len(e['refused'])} refused; {r['stored']} receipts stored of {r['in_bundle']}"
    )
    out = answer["reply"]
    where = f" -> {reply}" if reply else " (not written: give --reply FILE)"
    click.echo(f"reply: {out['envelopes']} envelopes, {out['receipts']} receipts{where}")


def _write(out: Path | None, data: bytes) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
