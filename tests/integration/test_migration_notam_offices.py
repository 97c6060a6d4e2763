"""Migration 0011: notifications imported from NOTAMs before references named their office keep
their number under an unknown office (``? A1234/26``); every other reference is left as it is."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from openline.store.database import alembic_config, migrate
from tests.support.backend import new_database_url

ROWS = {
    # id: (reference, title) as stored before 0011
    "ntf_notam": ("A1234/26", "A1234/26 MISSILE FIRING WI AREA ..."),
    "ntf_russian": ("К3153/19", "К3153/19 ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ ВОЗДУШНОГО ПРОСТРАНСТВА"),  # noqa: RUF001
    "ntf_zone": ("LSZB003", "LSZB003 Bern zone"),
    "ntf_typed": ("A1234/26", "typed in by hand"),  # a NOTAM number, but not the importer's
}


def test_notam_references_of_an_unknown_office_are_marked_and_others_kept(tmp_path: Path):
    url = new_database_url() or f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0010")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for row_id, (reference, title) in ROWS.items():
                record = {"id": row_id, "title": title, "reference": reference}
                conn.execute(
                    text(
                        "INSERT INTO notifications (id, owner, kind, status, version, record, "
                        "created_at, updated_at, reference) VALUES (:id, 'BLUE', 'zone', "
                        "'planned', 1, :record, '2026-12-03T12:00:00.000Z', "
                        "'2026-12-03T12:00:00.000Z', :reference)"
                    ),
                    {"id": row_id, "record": json.dumps(record), "reference": reference},
                )

        migrate(url)

        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, reference, record FROM notifications")).all()
        stored = {r[0]: (r[1], json.loads(r[2])["reference"]) for r in rows}
        assert stored == {
            "ntf_notam": ("? A1234/26", "? A1234/26"),
            "ntf_russian": ("? К3153/19", "? К3153/19"),  # noqa: RUF001
            "ntf_zone": ("LSZB003", "LSZB003"),
            "ntf_typed": ("A1234/26", "A1234/26"),
        }

        command.downgrade(alembic_config(url), "0010")
        with engine.connect() as conn:
            back = dict(conn.execute(text("SELECT id, reference FROM notifications")).all())
        assert back == {row_id: reference for row_id, (reference, _) in ROWS.items()}
    finally:
        engine.dispose()
