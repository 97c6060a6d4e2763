"""Instants stored with a year of fewer than four digits, written again with four.

Openline up to issue 23 wrote the years 1 to 999 as ``1-01-01T00:00:00.000Z``, which its own
reader refuses: one such notification or message made the lists, the exports and the console's
sign-in fail. The instant is kept; only its text is repaired (``0001-01-01T00:00:00.000Z``),
in the records the node reads back: notifications, conflicts and messages' fields. The journal
and the envelopes are signed as they were written and are left as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SHORT_YEAR = re.compile(r"^(\d{1,3})-(\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$")
# (table, key column, JSON column): the records a node parses when it reads them back.
RECORDS = (
    ("notifications", "id", "record"),
    ("conflicts", "key", "record"),
    ("messages", "id", "fields"),
)


def four_digit_years(value: Any) -> Any:
    """``value`` (parsed JSON) with every instant of a short year written with four digits."""
    if isinstance(value, dict):
        return {k: four_digit_years(v) for k, v in value.items()}
    if isinstance(value, list):
        return [four_digit_years(v) for v in value]
    if isinstance(value, str) and (short := SHORT_YEAR.match(value)):
        return f"{int(short.group(1)):04d}-{short.group(2)}"
    return value


def upgrade() -> None:
    conn = op.get_bind()
    for name, key, column in RECORDS:
        table = sa.table(name, sa.column(key), sa.column(column))
        # Only a record holding a quote, one to three characters and a dash can need it.
        maybe = sa.or_(*(table.c[column].like(f'%"{"_" * n}-%') for n in (1, 2, 3)))
        for row_key, stored in conn.execute(sa.select(table.c[key], table.c[column]).where(maybe)):
            record = json.loads(stored)
            repaired = four_digit_years(record)
            if repaired != record:
                # Members keep their order, as the node wrote them (json.loads keeps it).
                text = json.dumps(repaired, ensure_ascii=False)
                conn.execute(sa.update(table).where(table.c[key] == row_key).values({column: text}))


def downgrade() -> None:
    """Nothing to undo: the older code reads four-digit years too."""
