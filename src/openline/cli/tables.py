"""Tables the CLI prints for people (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

PRECEDENCE_STYLE = {"flash": "bold red", "immediate": "yellow", "priority": "cyan", "routine": ""}


def message_table(messages: list[dict[str, Any]], box: str) -> None:
    table = Table(title="Inbox" if box == "in" else "Sent")
    # The operator copies the id to acknowledge a message and acts on its state: never cut them
    # short on a narrow terminal; the other columns fold instead.
    whole = {"id": max((len(m["id"]) for m in messages), default=2), "state": len("acknowledged")}
    for column in (
        "id",
        "from" if box == "in" else "to",
        "precedence",
        "template",
        "state",
        "deadline",
    ):
        table.add_column(
            column, no_wrap=column in whole, min_width=whole.get(column), overflow="fold"
        )
    for m in messages:
        table.add_row(
            m["id"],
            m["from"] if box == "in" else ", ".join(m["to"]),
            _styled(m["precedence"]),
            m["template"],
            m["state"],
            m["deadline"],
        )
    Console().print(table)


def _styled(precedence: str) -> str:
    style = PRECEDENCE_STYLE.get(precedence)
    return f"[{style}]{precedence}[/]" if style else precedence
