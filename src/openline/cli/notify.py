"""``openline notify``, ``openline notify-ack`` and ``openline conflicts``: announce areas,
acknowledge a peer's, see what clashes.

Both talk to the running node over its API, like ``send``: the node stays the one writer, and
shares and checks the notification in the same step as it stores it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from openline.cli.common import call_node, emit_json, node_option, reported_errors
from openline.domain.errors import InvalidInput


@click.command("notify")
@node_option
@click.argument(
    "file", metavar="FILE.geojson", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--share-with",
    "share_with",
    multiple=True,
    help="A party to share it with (repeatable; default: every peer, as the console does).",
)
@click.option("--share-with-nobody", is_flag=True, help="Keep it on this node, shared with none.")
@click.option(
    "--kind",
    default=None,
    help="air-operation, ..., protected-site, zone (default: the first feature's 'kind' property).",
)
@click.option("--title", default=None, help="Its title (default: the first feature's 'title').")
@click.option(
    "--cancel", "cancel_id", default=None, metavar="ID", help="Cancel notification ID instead."
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored notification as JSON.")
def notify(
    *,
    directory: Path,
    file: Path | None,
    share_with: tuple[str, ...],
    share_with_nobody: bool,
    kind: str | None,
    title: str | None,
    cancel_id: str | None,
    as_json: bool,
) -> None:
    """Notify the areas in FILE.geojson (one feature per volume, each with altitude_lower_m,
    altitude_upper_m, time_start and time_end properties; a Point with radius_m is a circle,
    a LineString with half_width_m a corridor along it).

    Errors about volumes[N] are about the file's feature N (counted from 0).
    """
    if cancel_id is not None:
        if file is not None:
            raise click.UsageError("give FILE.geojson to notify, or --cancel ID, not both")
        path = f"/api/v1/notifications/{cancel_id}/status"
        done = call_node(directory, lambda c: c.request("POST", path, json={"status": "cancelled"}))
        _report(done, as_json)
        return
    if file is None:
        raise click.UsageError("give FILE.geojson (or --cancel ID)")
    if share_with_nobody and share_with:
        raise click.UsageError("give --share-with CODE or --share-with-nobody, not both")
    if not share_with and not share_with_nobody:  # every peer, as the console's form does
        node = call_node(directory, lambda c: c.request("GET", "/api/v1/node"))
        share_with = tuple(peer["party"] for peer in node["peers"])
    body = _read_body(file, kind, title, share_with)
    done = call_node(directory, lambda c: c.request("POST", "/api/v1/notifications", json=body))
    _report(done, as_json)


def _read_body(
    file: Path, kind: str | None, title: str | None, share_with: tuple[str, ...]
) -> dict[str, Any]:
    from openline.interop.geojson import notification_body

    with reported_errors():
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InvalidInput(f"{file} cannot be read as GeoJSON: {exc}") from None
        return notification_body(document, kind=kind, title=title, share_with=share_with)


def _report(notification: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(notification)
        return
    click.echo(
        f"{notification['id']} {notification['kind']} {notification['status']} "
        f"v{notification['version']}: {notification['title']}"
    )
    parties = notification["share_with"]
    click.echo(f"shared with {', '.join(parties)}" if parties else "shared with nobody")
    found = notification.get("conflicts") or []
    click.echo(f"{len(found)} conflict{'' if len(found) == 1 else 's'}")
    for conflict in found:
        click.echo(_conflict_line(conflict))


def _conflict_line(conflict: dict[str, Any]) -> str:
    a, b = conflict["a"], conflict["b"]
    window = conflict["time_window"]
    when = f"{window['start']} to {window['end']}" if window else "within the time minimum"
    return (
        f"{conflict['key']} {conflict['rule']}: {a['owner']} {a['notification']} ({a['kind']}) / "
        f"{b['owner']} {b['notification']} ({b['kind']}), {conflict['distance_m']:.0f} m apart, "
        f"{when}"
    )


@click.command("conflicts")
@node_option
@click.option(
    "--state", type=click.Choice(["open", "cleared", "all"]), default="open", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the conflicts as JSON.")
def conflicts(directory: Path, state: str, as_json: bool) -> None:
    """List the conflicts this node has found between the notifications it holds."""
    found = call_node(
        directory, lambda c: c.request("GET", "/api/v1/conflicts", params={"state": state})
    )["conflicts"]
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo(f"no {state if state != 'all' else ''} conflicts".replace("  ", " "))
    for conflict in found:
        suffix = "" if conflict["state"] == "open" else f" [{conflict['state']}]"
        click.echo(_conflict_line(conflict) + suffix)


@click.command("notify-ack")
@node_option
@click.argument("notification_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the acknowledgement as JSON.")
def notify_ack(directory: Path, notification_id: str, as_json: bool) -> None:
    """Acknowledge the current version of a peer's notification, as the local CLI's operator
    (docs/notifications.md#acknowledgement)."""
    path = f"/api/v1/notifications/{quote(notification_id, safe='')}/ack"
    done = call_node(directory, lambda c: c.request("POST", path))
    if as_json:
        emit_json(done)
        return
    click.echo(
        f"{done['notification']} version {done['version']} of {done['owner']}: acknowledged by "
        f"{done['acknowledged_by']} at {done['acknowledged_at']}"
    )
