"""NOTAM references keyed by their issuing office.

A NOTAM's number is unique only within the office that issued it (``A0100/24`` of two offices
are two NOTAMs), so Openline now keeps a notification made from a NOTAM under its number keyed
by the office, ``LCCC A0100/24``. The notifications imported before kept the number alone, and
which office issued them was not stored: their reference becomes ``? A0100/24`` (office not
known), so that a NOTAMR or NOTAMC of any office never takes them for its own target, and an
importer is told of them by number (docs/interop.md). Only references that are a NOTAM number
and begin their notification's title, as the NOTAM importer wrote them, are changed; a
reference typed in by hand or taken from another format is left as it is.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NOTAM_NUMBER = re.compile(r"^[A-ZА-ЯЁ]?\d{1,5}/\d{2,3}$")  # noqa: RUF001 - Russian series
UNKNOWN_OFFICE = "?"


def upgrade() -> None:
    conn = op.get_bind()
    table = sa.table("notifications", sa.column("id"), sa.column("reference"), sa.column("record"))
    rows = conn.execute(
        sa.select(table.c.id, table.c.reference, table.c.record).where(
            table.c.reference.like("%/%")
        )
    )
    for row_id, reference, stored in list(rows):
        record = json.loads(stored)
        if not NOTAM_NUMBER.match(reference) or not str(record.get("title", "")).startswith(
            f"{reference} "
        ):
            continue
        keyed = f"{UNKNOWN_OFFICE} {reference}"
        record["reference"] = keyed
        text = json.dumps(record, ensure_ascii=False)
        conn.execute(
            sa.update(table).where(table.c.id == row_id).values(reference=keyed, record=text)
        )


def downgrade() -> None:
    conn = op.get_bind()
    table = sa.table("notifications", sa.column("id"), sa.column("reference"), sa.column("record"))
    prefix = f"{UNKNOWN_OFFICE} "
    rows = conn.execute(
        sa.select(table.c.id, table.c.reference, table.c.record).where(
            table.c.reference.like(f"{prefix}%")
        )
    )
    for row_id, reference, stored in list(rows):
        record = json.loads(stored)
        record["reference"] = reference[len(prefix) :]
        text = json.dumps(record, ensure_ascii=False)
        conn.execute(
            sa.update(table)
            .where(table.c.id == row_id)
            .values(reference=record["reference"], record=text)
        )
