"""NOTAM references keyed by issuing office, through a node: the same number from two offices is
two NOTAMs, a NOTAMR or NOTAMC finds its target only within its own office, and a notification
imported before references named their office (``? A1234/26``, migration 0011) is named to the
importer and left as it is."""

# A Russian NOTAM is in Cyrillic on purpose (RUF001 warns of Cyrillic look-alikes).
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any

from openline.services.interop import UNKNOWN_OFFICE
from tests.support.nodes import InProcess
from tests.support.notams import CANCEL, GOOD, REPLACE


def other_office(text: str) -> str:
    """The same NOTAM, issued by Larnaca's neighbour office LCRA under the same number."""
    return text.replace("LCCC", "LCRA")


def imported(api: InProcess, text: str) -> Any:
    answer = api.client.post(
        "/api/v1/imports/notam",
        content=text.encode(),
        headers={"Content-Type": "text/plain", **api.auth(None)},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def live(api: InProcess) -> dict[str, str]:
    found = api.client.get("/api/v1/notifications").json()["notifications"]
    return {n["id"]: n["reference"] for n in found}


def test_one_number_from_two_offices_is_two_notams_and_each_office_changes_only_its_own(
    api: InProcess,
):
    first = imported(api, GOOD)
    second = imported(api, other_office(GOOD))
    assert (first["errors"], second["errors"]) == ([], [])
    assert sorted(live(api).values()) == ["LCCC A1234/26", "LCRA A1234/26"]

    # LCRA's A1240/26 replaces LCRA's A1234/26; LCCC's stays
    replaced = imported(api, other_office(REPLACE))
    assert [c["reference"] for c in replaced["cancelled"]] == ["LCRA A1234/26"]
    assert sorted(live(api).values()) == ["LCCC A1234/26", "LCRA A1240/26"]

    # LCCC's A1241/26 cancels LCCC's A1240/26, which LCCC never issued here: nothing changes
    refused = imported(api, CANCEL)
    assert refused["errors"][0]["message"].startswith(
        "NOTAM A1241/26 cancels LCCC A1240/26, but no live notification here was made from "
        "LCCC A1240/26"
    )
    assert sorted(live(api).values()) == ["LCCC A1234/26", "LCRA A1240/26"]


def test_a_notam_of_an_unknown_office_is_named_and_never_taken_for_an_offices_own(
    api: InProcess,
):
    body = {
        "kind": "firing",
        "title": "A1234/26 MISSILE FIRING (imported before references named their office)",
        "reference": f"{UNKNOWN_OFFICE} A1234/26",
        "volumes": [
            {
                "circle": {"lat": 35.2, "lon": 36.0, "radius_m": 5000},
                "altitude_lower_m": 0,
                "altitude_upper_m": 3000,
                "time_start": "2026-12-03T12:00:00.000Z",
                "time_end": "2026-12-03T18:00:00.000Z",
            }
        ],
    }
    old = api.client.post("/api/v1/notifications", json=body, headers=api.auth(None)).json()["id"]

    again = imported(api, GOOD)
    (error,) = again["errors"]
    assert error["message"] == (
        f"NOTAM A1234/26: ? A1234/26 is already notified here as {old}, imported before "
        "references named their office; nothing was created (if it is this NOTAM, cancel it "
        "first)"
    )

    replaced = imported(api, REPLACE)
    assert replaced["cancelled"] == []
    (warning,) = replaced["warnings"]
    assert (
        f"({old} was made from ? A1234/26, imported before references named" in (warning["message"])
    )
    assert old in live(api)


RUSSIAN = """(К3153/19 НОТАМН
Щ)УУВЖ/ЩРТЦА/ИЖ/БО/В/000/120/5612С03709В004
А)УУВЖ Б)2612031200 Ц)2612031800
Е)ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ ВОЗДУШНОГО ПРОСТРАНСТВА РАЙОН:
560930С0370830В-561048С0370319В-561304С0370248В-560930С0370830В.
Ф)ПОВЕРХНОСТЬ Г)ЭШ120)"""


def test_a_russian_notam_and_its_replacement_are_imported_keyed_by_their_office(
    api: InProcess,
):
    first = imported(api, RUSSIAN)
    (made,) = first["created"]
    assert (made["kind"], made["reference"]) == ("danger-area", "UUWV К3153/19")
    assert made["title"].startswith("К3153/19 ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ")
    replacing = RUSSIAN.replace("(К3153/19 НОТАМН", "(К3160/19 НОТАМЗ К3153/19")
    second = imported(api, replacing)
    assert [c["id"] for c in second["cancelled"]] == [made["id"]]
    assert list(live(api).values()) == ["UUWV К3160/19"]
