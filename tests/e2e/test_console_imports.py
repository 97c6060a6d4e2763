"""Sites from a spreadsheet in the console (issue 22, item 5's upload): the planner downloads the
XLSX template, uploads a sheet with good and bad rows and sees how many were stored and a table
of the bad rows, each with its row, column and reason; the good rows are on the node; a file
that is not a spreadsheet is refused, saying so, with nothing stored."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.support.console import Console, OpenConsole
from tests.support.processes import RunningNode

SHEET = """name,kind,location,radius_m,contact
Clinic,protected-site,36.2 37.1,300,+963 21 000
School,protected-site,"36°12'30""N 37°09'10""E",200,
Depot,protected-site,99 37.1,100,
Camp,hospital,37SCA34560714,1000,
Well,protected-site,37SCA34560714,50,
"""


def upload(console: Console, path: Path) -> None:
    console.page.set_input_files("input[name=sheet]", str(path))
    console.page.click("form.import-upload button[name=import]")
    console.page.locator(".import-report p").wait_for()


def test_a_planner_uploads_a_sheet_of_sites_and_sees_every_bad_row(
    running_node: RunningNode, open_console: OpenConsole, tmp_path: Path
):
    blue = running_node
    console = open_console(blue)
    console.page.click("#imports-button")
    with console.page.expect_download() as template:
        console.page.click("[data-template=xlsx]")
    assert template.value.suggested_filename == "openline-sites.xlsx"
    template.value.save_as(tmp_path / "template.xlsx")
    header = next(openpyxl.load_workbook(tmp_path / "template.xlsx").active.iter_rows())
    assert [cell.value for cell in header][:3] == ["name", "kind", "location"]

    sheet = tmp_path / "sites.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    upload(console, sheet)

    report = console.page.inner_text(".import-report p")
    assert report == "5 rows: 3 stored, 2 refused."
    cells = console.page.eval_on_selector_all(
        "table.import-errors tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.innerText))",
    )
    assert [row[:2] for row in cells] == [["4", "location"], ["5", "kind"]]
    assert "latitude 99 is outside -90 to 90" in cells[0][2]
    assert "'hospital' is not a notification kind" in cells[1][2]
    console.screenshot("import-report")
    with blue.client() as client:
        titles = sorted(n["title"] for n in client.get("/api/v1/notifications").json()[
            "notifications"])  # fmt: skip
    assert titles == ["Clinic (contact: +963 21 000)", "School", "Well"]

    not_a_sheet = tmp_path / "notes.xlsx"
    not_a_sheet.write_text("not a workbook", encoding="utf-8")
    upload(console, not_a_sheet)
    said = console.page.inner_text(".import-report p")
    assert said.startswith("Spreadsheet refused, nothing stored: the xlsx file cannot be read")
    # the browser logs the refusal it was answered; it is the one expected
    (refusal,) = [e for e in console.watch.errors if "/api/v1/imports/xlsx" in e]
    assert "422" in refusal
    console.watch.errors.remove(refusal)
