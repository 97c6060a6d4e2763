"""Tables the CLI prints for people (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

PRECEDENCE_STYLE = {"flash": "bold red", "immediate": "yellow", "priority": "cyan", "routine": ""}


def message_table(messages: list[dict[str, Any]], box: str) -> None:
    table = Table(title="Inbox" if box == "in" else "Sent")
    for column in (
        "id",
        "from" if box == "in" else "to",
        "precedence",
        "template",
        "state",
        "deadline",
    ):
        table.add_column(column)
    for m in messages:
        table.add_row(
            m["id"],
            m["from"] if box == "in" else ", ".join(m["to"]),
            f"[{PRECEDENCE_STYLE.get(m['precedence'], '')}]{m['precedence']}",
            m["template"],
            m["state"],
            m["deadline"],
        )
    Console().print(table)
