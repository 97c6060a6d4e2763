"""Sites and movements from spreadsheets (issue 22, item 4): POST /api/v1/imports/csv|xlsx and
``openline import csv|xlsx`` store every good row as a notification and report every bad row
with its row, column and reason; the template the console offers imports as it is; a file that
is not a spreadsheet at all is a 422 (a non-zero exit) naming why."""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from openline.geo.coords import format_dms, format_mgrs
from openline.interop.spreadsheets import COLUMNS, MAX_UNPACKED_BYTES, TEMPLATE_ROWS, XLSX_TYPE
from tests.support.nodes import InProcess
from tests.support.processes import RunningNode, run_openline

SITES = 1000
HEADER = ["name", "kind", "location", "lat", "lon", "radius_m", "polygon", "route", "start",
          "end", "share_with"]  # fmt: skip


@dataclass(frozen=True)
class BadRow:
    """A kind of bad row: its cells, the column an import must name, and the value it must
    quote (None: the cell is empty)."""

    cells: dict[str, Any]
    column: str
    value: str | None


# A circle given by its location, in place of whatever footprint the row had.
CIRCLE = {
    "location": "36.2 37.1",
    "lat": "",
    "lon": "",
    "polygon": "",
    "route": "",
    "radius_m": 100,
}
NO_WINDOW = {"start": "", "end": ""}
BAD_ROWS = {
    "no name": BadRow({"name": ""}, "name", None),
    "unknown kind": BadRow({"kind": "hospital"}, "kind", "hospital"),
    "latitude out of range": BadRow({**CIRCLE, "location": "91 37.1"}, "location", "91"),
    "odd MGRS": BadRow({**CIRCLE, "location": "37SCA3456071"}, "location", "37SCA3456071"),
    "negative radius": BadRow({**CIRCLE, "radius_m": -5}, "radius_m", "-5"),
    "radius not a number": BadRow({**CIRCLE, "radius_m": "wide"}, "radius_m", "wide"),
    "two-point polygon": BadRow(
        {**CIRCLE, "location": "", "radius_m": "", "polygon": "36.1 37.1; 36.2 37.2"},
        "polygon",
        "2 points",
    ),
    "location and polygon": BadRow(
        {**CIRCLE, "polygon": "36.1 37.1; 36.2 37.2; 36.1 37.3"}, "polygon", None
    ),
    "end before start": BadRow(
        {**CIRCLE, "start": "2026-12-03 12:00", "end": "2026-12-03 10:00"},
        "end",
        "2026-12-03 10:00",
    ),
    "bad party": BadRow({"share_with": "blue team"}, "share_with", "blue team"),
    "waypoint without a time": BadRow(
        {
            **CIRCLE,
            **NO_WINDOW,
            "location": "",
            "kind": "movement",
            "route": "36.2 37.1 @ 2026-12-03 06:00; 36.3 37.2",
        },
        "route",
        "waypoint 2 '36.3 37.2'",
    ),
}


@dataclass
class Sheet:
    rows: list[list[Any]]  # the header first
    bad: dict[int, BadRow]  # by the spreadsheet's row number
    points: dict[int, tuple[float, float]]  # the centre each good circle row was written from


def thousand_sites(seed: int = 22) -> Sheet:
    """1,000 sites near Aleppo, their locations in every spelling (decimal degrees, DMS, MGRS,
    lat and lon columns, polygons), movements with windows; five rows of each bad kind."""
    rng = random.Random(seed)
    numbers = list(range(2, SITES + 2))
    bad_numbers = rng.sample(numbers, 5 * len(BAD_ROWS))
    bad = {n: list(BAD_ROWS.values())[i % len(BAD_ROWS)] for i, n in enumerate(bad_numbers)}
    sheet = Sheet([HEADER], bad, {})
    for number in numbers:
        lat, lon = 36.0 + rng.random() * 0.5, 37.0 + rng.random() * 0.5
        cells: dict[str, Any] = {"name": f"Site {number}", "kind": "protected-site"}
        spelling = number % 5
        if spelling == 0:
            cells["location"] = f"{lat:.6f} {lon:.6f}"
        elif spelling == 1:
            cells["location"] = format_dms(lat, lon, 2)
        elif spelling == 2:
            cells["location"] = format_mgrs(lat, lon, 5)
        elif spelling == 3:
            cells["lat"], cells["lon"] = round(lat, 6), round(lon, 6)
        else:
            cells["polygon"] = f"{lat} {lon}; {lat + 0.01} {lon}; {lat} {lon + 0.01}"
        if spelling != 4:
            cells["radius_m"] = rng.choice([100, 250.5, 2000])
            sheet.points[number] = (lat, lon)
        if number % 7 == 0:
            cells |= {
                "kind": "movement",
                "start": "2026-12-03T06:00:00Z",
                "end": "2026-12-03 18:00",
            }
        if number % 11 == 0:  # a movement on its route, through the row's place
            route = f"{lat} {lon} @ 2026-12-03 06:00; {lat + 0.05} {lon} @ 2026-12-03 07:00"
            cells = {"name": cells["name"], "kind": "movement", "route": route, "radius_m": 300}
            sheet.points.pop(number, None)
        if number in bad:
            cells |= bad[number].cells
            sheet.points.pop(number, None)
        sheet.rows.append([cells.get(column, "") for column in HEADER])
    return sheet


def xlsx_of(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_entities(workbook: bytes) -> bytes:
    """``workbook`` with its sheet's XML declaring entities, nested as a "billion laughs" is."""
    declared = (
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = declared.encode() + data
            target.writestr(item, data)
    return out.getvalue()


def csv_of(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def post(api: InProcess, fmt: str, data: bytes) -> Any:
    kind = XLSX_TYPE if fmt == "xlsx" else "text/csv"
    return api.client.post(f"/api/v1/imports/{fmt}", content=data, headers={"Content-Type": kind})


def held(api: InProcess) -> list[dict[str, Any]]:
    found = api.client.get("/api/v1/notifications", params={"limit": SITES}).json()
    records: list[dict[str, Any]] = found["notifications"]
    assert len(records) < SITES  # all of them on one page
    return records


def test_a_sheet_of_a_thousand_sites_stores_the_good_rows_and_names_every_bad_one(
    api: InProcess,
):
    sheet = thousand_sites()

    answer = post(api, "xlsx", xlsx_of(sheet.rows))

    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["records"] == SITES
    errors = {int(e["item"].removeprefix("row ")): e for e in done["errors"]}
    assert sorted(errors) == sorted(sheet.bad)  # every bad row named, and none other
    for number, error in errors.items():
        expected = sheet.bad[number]
        assert error["field"] == expected.column, error
        assert error["message"].startswith(f"column {expected.column}: "), error
        if expected.value is not None:
            assert expected.value in error["message"], error
    assert len(done["created"]) == SITES - len(sheet.bad)
    made = {int(c["item"].removeprefix("row ")): c for c in done["created"]}
    assert not set(made) & set(sheet.bad)
    stored = {n["id"]: n for n in held(api)}
    assert len(stored) == len(made)
    for number, (lat, lon) in sheet.points.items():
        circle = stored[made[number]["id"]]["volumes"][0]["circle"]
        # DMS to 0.01", MGRS to 1 m, decimal degrees to 1e-6: all within 2e-5 degrees
        assert circle["lat"] == pytest.approx(lat, abs=2e-5)
        assert circle["lon"] == pytest.approx(lon, abs=2e-5)
    kinds = {n["kind"] for n in stored.values()}
    assert kinds == {"protected-site", "movement"}
    routes = [n for n in stored.values() if n.get("route")]
    assert len(routes) > 50
    assert all(len(n["volumes"]) == 1 for n in routes)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_the_console_offers_imports_as_it_is(api: InProcess, fmt: str):
    template = api.client.get(f"/api/v1/imports/{fmt}/template")
    assert template.status_code == 200
    assert f'filename="openline-sites.{fmt}"' in template.headers["content-disposition"]

    done = post(api, fmt, template.content).json()

    assert done["errors"] == []
    titles = [c["title"] for c in done["created"]]
    assert titles == [
        f"{row['name']} (contact: {row['contact']})" if row.get("contact") else row["name"]
        for row in TEMPLATE_ROWS
    ]
    stored = {n["title"]: n for n in held(api)}
    school = stored["Jisr School (shelter) (contact: shelter@example.org)"]
    assert school["volumes"][0]["circle"] == pytest.approx(
        {"lat": 36 + 12 / 60 + 30 / 3600, "lon": 37 + 9 / 60 + 10 / 3600, "radius_m": 300}
    )
    assert stored["Water station"]["volumes"][0]["geometry"]["type"] == "Polygon"
    hospital = stored["Al-Amal Hospital (contact: +963 21 000 0000, duty doctor)"]
    assert hospital["share_with"] == ["RED"]
    route = stored["Medical convoy 3 (contact: ICRC Aleppo, +963 21 000 0001)"]
    assert [w["time"] for w in route["route"]["waypoints"]] == [
        "2026-12-03T06:00:00.000Z",
        "2026-12-03T07:30:00.000Z",
        "2026-12-03T09:00:00.000Z",
    ]
    assert route["route"]["half_width_m"] == 500
    assert len(route["volumes"]) == 2
    convoy = stored["Food convoy 12 (contact: convoy lead, radio ch 4)"]
    assert convoy["kind"] == "movement"
    assert convoy["volumes"][0]["time_end"] == "2026-12-03T18:00:00.000Z"
    # the template's header is every column there is
    rows = list(csv.reader(io.StringIO(api.client.get("/api/v1/imports/csv/template").text)))
    assert rows[0] == list(COLUMNS)


TEMPLATE_XLSX = xlsx_of([list(COLUMNS), ["Clinic", "protected-site", "36.2 37.1"]])


@pytest.mark.parametrize(
    ("fmt", "body", "message", "field"),
    [
        ("xlsx", b"name,kind\nClinic,protected-site\n", "the xlsx file cannot be read: not an "
         "XLSX workbook", None),
        ("xlsx", TEMPLATE_XLSX[: len(TEMPLATE_XLSX) // 2], "the xlsx file cannot be read", None),
        ("xlsx", b"", "the xlsx file is empty", None),
        ("csv", b"", "the csv file is empty", None),
        ("csv", b"\n \n", "the csv file is empty", None),
        ("csv", b"name,kind,colour\nClinic,protected-site,red\n",
         "column 3 of the header row is 'colour', not a column Openline reads", "colour"),
        ("xlsx", xlsx_of([["name", "kind", "Colour"]]),
         "column 3 of the header row is 'Colour', not a column Openline reads", "Colour"),
        ("csv", b"name,location\nClinic,36.2 37.1\n", "the header row has no column kind",
         "kind"),
        ("csv", b"\xff\xfename,kind\n", "the file is not UTF-8 text", None),
        ("xlsx", with_entities(TEMPLATE_XLSX), "the xlsx file cannot be read", None),
    ],
    ids=["not a workbook", "truncated xlsx", "empty xlsx", "empty csv", "blank csv",
         "unknown column", "unknown column xlsx", "no kind column", "not UTF-8",
         "xml entities"],
)  # fmt: skip
def test_a_file_that_is_not_a_sheet_of_sites_is_a_422_naming_why(
    api: InProcess, fmt: str, body: bytes, message: str, field: str | None
):
    answer = post(api, fmt, body)

    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith(message), error
    assert error.get("field") == field
    assert held(api) == []


def test_openline_import_template_and_dry_run_read_the_sheet_without_a_node(tmp_path: Path):
    template = tmp_path / "sites.xlsx"
    written = run_openline("import", "xlsx", template, "--template")
    assert written.returncode == 0, written.stderr

    sheet = openpyxl.load_workbook(template)
    rows = [list(row) for row in sheet.active.iter_rows(values_only=True)]
    rows.append(["Clinic", "protected-site", "36.2 37.1"])  # no radius
    rows.append(["Depot", "protected-site", "37SCA3456071", None, None, 100])
    template.write_bytes(xlsx_of(rows))
    planned = run_openline("import", "xlsx", template, "--dry-run")
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(template.read_bytes()[:300])
    refused = run_openline("import", "xlsx", truncated, "--dry-run")

    assert planned.returncode == 1
    items = [f["properties"]["item"] for f in json.loads(planned.stdout)["features"]]
    assert sorted(set(items)) == sorted(f"row {n}" for n in range(2, len(TEMPLATE_ROWS) + 2))
    assert items.count("row 6") == 2  # the medical convoy's route: a volume a leg
    row = len(TEMPLATE_ROWS) + 2
    assert (
        f"error: row {row}: column radius_m: is empty: a site given by its location needs a "
        "radius [radius_m]"
    ) in planned.stderr
    assert f"error: row {row + 1}: column location: MGRS '37SCA3456071'" in planned.stderr
    assert refused.returncode != 0
    assert "the xlsx file cannot be read" in refused.stderr


def test_a_workbook_that_unpacks_to_more_than_a_sheet_of_sites_may_hold_is_refused(
    api: InProcess,
):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/sharedStrings.xml", b"\0" * (MAX_UNPACKED_BYTES + 1))
    assert len(packed.getvalue()) < 100_000

    answer = post(api, "xlsx", packed.getvalue())

    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == (
        f"the xlsx file unpacks to {MAX_UNPACKED_BYTES + 1} bytes, over the "
        f"{MAX_UNPACKED_BYTES} a workbook of sites may hold"
    )


def test_openline_import_xlsx_stores_the_good_rows_in_a_running_node_and_exits_1(
    running_node: RunningNode, tmp_path: Path
):
    sheet = tmp_path / "sites.xlsx"
    sheet.write_bytes(
        xlsx_of(
            [
                ["Name", "Kind", "Location", "Radius_m"],
                ["Clinic", "protected-site", "36°12'N 37°09'E", 300],
                ["Depot", "protected-site", "36.2 37.1", "wide"],
            ]
        )
    )

    done = run_openline("import", "xlsx", sheet, "--node", running_node.directory)

    assert done.returncode == 1
    assert "created ntf_" in done.stdout
    assert "2 records: 1 notifications created, 0 cancelled, 1 records failed" in done.stdout
    assert (
        "error: row 3: column radius_m: 'wide' is not a number of metres [radius_m]" in done.stderr
    )
    with running_node.client() as client:
        (stored,) = client.get("/api/v1/notifications").json()["notifications"]
    assert stored["title"] == "Clinic"
    assert stored["volumes"][0]["circle"]["lat"] == pytest.approx(36.2)
