"""Every setting is documented in docs/configuration.md, and the page documents nothing else."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from openline.node.settings import Settings, env_name

CONFIGURATION_DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
TABLE_HEADER = ("setting", "environment variable", "type", "default", "meaning")
SETTINGS = sorted(Settings.model_fields)


@dataclass(frozen=True)
class Row:
    setting: str
    env: str
    default: str
    meaning: str


def _code(cell: str) -> str:
    """The text of a cell written as one code span, or the cell as it is."""
    match = re.fullmatch(r"`([^`]+)`", cell)
    return match.group(1) if match else cell


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def settings_table(text: str) -> list[Row]:
    """The rows of the table whose header is TABLE_HEADER (the first such table)."""
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if tuple(_cells(line)) == TABLE_HEADER]
    if not headers:
        raise ValueError(f"no table with the columns {' | '.join(TABLE_HEADER)}")
    start = headers[0]
    rows = []
    for line in lines[start + 2 :]:  # after the header and its |---| line
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(TABLE_HEADER), f"a row of the settings table is malformed: {line}"
        setting, env, _type, default, meaning = cells
        rows.append(Row(_code(setting), _code(env), _code(default), meaning))
    return rows


def documented_default(setting: str) -> str:
    """How the table writes a default: the TOML (and JSON) literal, or ``required``."""
    field = Settings.model_fields[setting]
    return "required" if field.is_required() else json.dumps(field.default)


@pytest.fixture(scope="module")
def table() -> dict[str, Row]:
    rows = settings_table(CONFIGURATION_DOC.read_text(encoding="utf-8"))
    names = [row.setting for row in rows]
    assert len(names) == len(set(names)), f"a setting has two rows: {names}"
    return {row.setting: row for row in rows}


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_has_a_description_in_the_code(setting: str):
    description = Settings.model_fields[setting].description or ""
    assert description.strip(), f"Settings.{setting} has no description"


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_has_a_row_with_a_meaning_in_the_configuration_table(
    setting: str, table: dict[str, Row]
):
    assert setting in table, f"{setting} is not in the settings table of {CONFIGURATION_DOC}"
    assert table[setting].meaning


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_table_names_the_environment_variable_that_overrides_each_setting(
    setting: str, table: dict[str, Row]
):
    assert table[setting].env == env_name(setting)


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_table_gives_the_default_each_setting_really_has(setting: str, table: dict[str, Row]):
    assert table[setting].default == documented_default(setting)


def test_the_configuration_table_documents_no_setting_that_does_not_exist(
    table: dict[str, Row],
):
    assert sorted(set(table) - set(SETTINGS)) == []


def test_the_table_reader_finds_rows_and_refuses_a_page_without_the_table():
    page = "\n".join(
        (
            "| setting | environment variable | type | default | meaning |",
            "|---|---|---|---|---|",
            "| `port` | `OPENLINE_PORT` | integer | `8470` | TCP port. |",
            "| `party` | `OPENLINE_PARTY` | party code | required | This party. |",
            "",
            "| `ignored` | after the table | | | |",
        )
    )
    assert settings_table(page) == [
        Row("port", "OPENLINE_PORT", "8470", "TCP port."),
        Row("party", "OPENLINE_PARTY", "required", "This party."),
    ]
    with pytest.raises(ValueError, match="no table with the columns setting"):
        settings_table("| name | value |\n|---|---|\n| `port` | 8470 |\n")


def test_every_example_config_file_in_the_configuration_page_is_valid():
    text = CONFIGURATION_DOC.read_text(encoding="utf-8")
    examples = re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)
    assert examples, "the configuration page shows no example openline.toml"
    for example in examples:
        Settings.model_validate(tomllib.loads(example))
