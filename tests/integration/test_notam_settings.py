"""A node's NOTAM settings (docs/configuration.md): a circle over a volume's 1,000 km up to
``notam_max_circle_km`` is imported as sectors that cover it, with a warning; ``UNL`` as
``notam_unlimited_m``. The dry run through the API reads the file as the import would."""

from __future__ import annotations

from pathlib import Path

import pytest

from openline.node.settings import CONFIG_FILE
from openline.services.setup import NewNode
from tests.support.nodes import InProcess, make_node_dir

WHOLE_FIR = """(A0100/26 NOTAMN
Q) LCCC/QRDCA/IV/BO/W/000/999/3500N03300E999
A) LCCC B) 2612031200 C) 2612031800
E) DANGER AREA ACTIVATED IN THE WHOLE FIR
F) SFC G) UNL)"""


@pytest.fixture
def node_dir(tmp_path: Path) -> NewNode:
    made = make_node_dir(tmp_path / "blue")
    with (made.directory / CONFIG_FILE).open("a", encoding="utf-8") as config:
        config.write("notam_max_circle_km = 2000\nnotam_unlimited_m = 50000\n")
    return made


def post(api: InProcess, dry_run: bool) -> dict:
    answer = api.client.post(
        "/api/v1/imports/notam",
        params={"dry_run": "true"} if dry_run else {},
        content=WHOLE_FIR.encode(),
        headers={"Content-Type": "text/plain", **api.auth(None)},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_whole_fir_circle_within_the_setting_is_imported_as_sectors_with_a_warning(
    api: InProcess,
):
    preview = post(api, dry_run=True)
    assert preview["errors"] == []
    assert {f["geometry"]["type"] for f in preview["features"]} == {"Polygon"}
    assert {f["properties"]["altitude_upper_m"] for f in preview["features"]} == {50000.0}

    done = post(api, dry_run=False)
    assert done["errors"] == []
    (made,) = done["created"]
    (warning,) = done["warnings"]
    assert warning["item"] == "NOTAM A0100/26"
    assert warning["message"].startswith(
        "E) describes no area, and the Q-line's circle of 999 NM (1850 km, the whole FIR) is "
        "over the 1000 km a volume's circle may be: read as "
    )
    stored = api.client.get(f"/api/v1/notifications/{made['id']}", headers=api.auth(None)).json()
    assert len(stored["volumes"]) == len(preview["features"]) > 1
