"""``openline status`` and ``openline templates``: what the node is and what it can send."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import (
    EXISTING_NODE,
    call_node,
    emit_json,
    node_lang,
    node_option,
    reported_errors,
)


@click.command()
@node_option
@click.option("--json", "as_json", is_flag=True, help="Print GET /api/v1/node as JSON.")
def status(directory: Path, as_json: bool) -> None:
    """The running node: its party, URL, journal head, the line to each peer, and the
    processes serving it: which one answered, which leads, each one's last heartbeat."""
    found = call_node(directory, lambda c: c.request("GET", "/api/v1/node"))
    if as_json:
        emit_json(found)
        return
    party, head = found["party"], found["journal"]
    click.echo(f"{party['party']} ({party['name']}, {party['lang']}) at {party['url']}")
    click.echo(f"directory {directory.resolve()}; journal head entry {head['seq']}")
    for line in found["peers"]:
        heard = line["last_heard_at"] or "never"
        click.echo(
            f"{line['party']:<16} {line['status']:<8} heard {heard}  waiting {line['waiting']}"
            f"  ({line['reason']})"
        )
    click.echo(f"process {found['process']} answered; leader {found['leader'] or 'none'}")
    for process in found["processes"]:
        role = f"leader since {process['leader_since']}" if process["leader"] else "follower"
        click.echo(
            f"  {process['process']}  {process['url']}  "
            f"heartbeat {process['heartbeat_age_s']:.1f} s ago  {role}"
        )


@click.command()
@click.option(
    "--node",
    "directory",
    type=EXISTING_NODE,
    default=None,
    help="A node's DIR: its language is the default of --lang.",
)
@click.option("--lang", default=None, help="en, ru, fr or ar (default: the node's, else en).")
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
def templates(directory: Path | None, lang: str | None, as_json: bool) -> None:
    """The phrasebook's templates and their fields, for `openline send --template`.

    Read from the installed phrasebook, the one `openline serve` uses too, so no node needs to
    be running.
    """
    from openline.i18n import check_lang, template_catalogue

    chosen = lang or (node_lang(directory) if directory else "en")
    with reported_errors():
        found = template_catalogue(check_lang(chosen))
    if as_json:
        emit_json({"lang": chosen, "templates": found})
        return
    for template in found:
        click.echo(f"{template['name']}: {template['title']}")
        for field in template["fields"]:
            required = "required" if field["required"] else "optional"
            click.echo(f"  {field['name']:<20} {field['kind']:<13} {required:<8} {field['label']}")
