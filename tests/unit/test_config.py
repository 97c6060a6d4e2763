"""Settings: the node's config file, each setting overridden by OPENLINE_<NAME>, errors named."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from openline.domain.precedence import Precedence
from openline.keys.signing import SigningKey, write_private_key
from openline.node.assembly import Node
from openline.node.directory import NodeDirectory
from openline.node.settings import (
    CONFIG_FILE,
    ConfigError,
    Settings,
    load_settings,
    write_config_file,
)

BASE = 'party = "BLUE"\nname = "Coalition air operations centre"\nlang = "en"\n'


def node(tmp_path: Path, text: str = BASE) -> Path:
    (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    return tmp_path


def error(directory: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(directory, environ or {})
    return caught.value.message


def test_settings_are_read_from_the_config_file(tmp_path: Path) -> None:
    text = BASE + 'host = "10.1.2.3"\nport = 9000\nline_check_interval = 2.5\nlog_level = "debug"\n'
    settings = load_settings(node(tmp_path, text), {})
    assert settings.party == "BLUE"
    assert settings.name == "Coalition air operations centre"
    assert settings.lang == "en"
    assert settings.host == "10.1.2.3"
    assert settings.port == 9000
    assert settings.line_check_interval == 2.5
    assert settings.log_level == "debug"


def test_a_setting_not_in_the_file_keeps_its_default(tmp_path: Path) -> None:
    settings = load_settings(node(tmp_path), {})
    assert settings.port == Settings.model_fields["port"].default == 8470
    assert settings.line_check_interval == 60.0
    assert settings.max_text_bytes == 65536


def test_what_init_writes_is_what_load_reads(tmp_path: Path) -> None:
    values: dict[str, str | int] = {
        "party": "RED",
        "name": "Командование «Юг»",
        "lang": "ru",
        "port": 8471,
    }
    write_config_file(tmp_path / CONFIG_FILE, values)
    settings = load_settings(tmp_path, {})
    assert (settings.party, settings.name, settings.lang, settings.port) == (
        "RED",
        "Командование «Юг»",
        "ru",
        8471,
    )


@pytest.mark.parametrize(
    "name",
    [
        "Ops\x7froom",  # DEL: a JSON string may hold it raw, a TOML one may not
        "Ops\x00\x01\x1f\x1b[31mroom",
        'Tab\there, "quotes" and a backslash \\',
        "Two\nlines\r\n",
        "\u2028\ufeff\U0001f6e9",
    ],
    ids=["DEL", "C0 controls", "tab quotes backslash", "line breaks", "unicode separators"],
)
def test_a_name_with_control_characters_is_read_back_as_written(tmp_path: Path, name: str) -> None:
    values: dict[str, str | int] = {"party": "RED", "name": name, "lang": "en"}
    write_config_file(tmp_path / CONFIG_FILE, values)
    assert load_settings(tmp_path, {}).name == name


@pytest.mark.parametrize(
    ("variable", "value", "setting", "expected"),
    [
        ("OPENLINE_PORT", "9001", "port", 9001),
        ("OPENLINE_LINE_CHECK_INTERVAL", "1", "line_check_interval", 1.0),
        ("OPENLINE_NAME", "Night shift", "name", "Night shift"),
        ("OPENLINE_PARTY", "GREEN", "party", "GREEN"),
        ("OPENLINE_LANG", "ar", "lang", "ar"),
        ("OPENLINE_ACK_DEADLINE_FLASH", "30", "ack_deadline_flash", 30),
        ("OPENLINE_URL", "https://blue.example", "url", "https://blue.example"),
        ("OPENLINE_LOG_LEVEL", "warning", "log_level", "warning"),
    ],
)
def test_an_environment_variable_overrides_the_file(
    tmp_path: Path, variable: str, value: str, setting: str, expected: object
) -> None:
    text = BASE + "port = 8471\nline_check_interval = 30\n"
    settings = load_settings(node(tmp_path, text), {variable: value})
    assert getattr(settings, setting) == expected


def test_every_setting_can_be_overridden_from_the_environment(tmp_path: Path) -> None:
    # Each setting's own value, given as text as the environment gives it, must be accepted.
    defaults = load_settings(node(tmp_path), {})
    environ = {
        f"OPENLINE_{name.upper()}": str(getattr(defaults, name)) for name in Settings.model_fields
    }
    assert load_settings(tmp_path, environ) == defaults


def test_variables_without_the_openline_prefix_are_ignored(tmp_path: Path) -> None:
    environ = {"PATH": "/usr/bin", "PORT": "1", "OPENLINEX_PORT": "1", "openline_port": "1"}
    assert load_settings(node(tmp_path), environ).port == 8470


def test_a_required_setting_may_come_from_the_environment(tmp_path: Path) -> None:
    text = 'name = "Blue"\nlang = "en"\n'
    assert load_settings(node(tmp_path, text), {"OPENLINE_PARTY": "BLUE"}).party == "BLUE"


@pytest.mark.parametrize("variable", ["OPENLINE_NOPE", "OPENLINE_", "OPENLINE_MODEL_CONFIG"])
def test_an_unknown_openline_variable_is_an_error_naming_it(tmp_path: Path, variable: str) -> None:
    message = error(node(tmp_path), {variable: "1"})
    assert message.startswith(f"{variable} is not an Openline setting")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPENLINE_PORT", "abc"),
        ("OPENLINE_PORT", "0"),
        ("OPENLINE_PORT", "65536"),
        ("OPENLINE_PORT", "80.5"),
        ("OPENLINE_LINE_CHECK_INTERVAL", "soon"),
        ("OPENLINE_LINE_CHECK_INTERVAL", "0"),
        ("OPENLINE_ACK_DEADLINE_ROUTINE", "-1"),
        ("OPENLINE_LANG", "de"),
        ("OPENLINE_PARTY", "blue"),
        ("OPENLINE_NAME", ""),
        ("OPENLINE_LOG_LEVEL", "verbose"),
        ("OPENLINE_MAX_TEXT_BYTES", "0"),
    ],
)
def test_a_badly_typed_variable_is_an_error_naming_it_and_its_value(
    tmp_path: Path, variable: str, value: str
) -> None:
    message = error(node(tmp_path), {variable: value})
    assert message.startswith(f"{variable}={value!r}: ")


def test_openline_port_abc_names_the_variable_and_the_value(tmp_path: Path) -> None:
    message = error(node(tmp_path), {"OPENLINE_PORT": "abc"})
    assert "OPENLINE_PORT" in message
    assert "'abc'" in message
    assert "integer" in message


def test_an_unknown_key_in_the_file_is_an_error_naming_it(tmp_path: Path) -> None:
    directory = node(tmp_path, BASE + "colour = 'red'\n")
    message = error(directory)
    assert "'colour' is not an Openline setting" in message
    assert str(directory / CONFIG_FILE) in message


@pytest.mark.parametrize(
    ("line", "setting", "value"),
    [
        ("port = 70000", "port", "70000"),
        ('port = "abc"', "port", "'abc'"),
        ("line_check_interval = -1", "line_check_interval", "-1"),
        ('lang = "de"', "lang", "'de'"),
    ],
)
def test_a_bad_value_in_the_file_is_an_error_naming_the_setting_and_the_file(
    tmp_path: Path, line: str, setting: str, value: str
) -> None:
    text = "\n".join(x for x in BASE.splitlines() if not x.startswith(setting)) + f"\n{line}\n"
    directory = node(tmp_path, text)
    message = error(directory)
    assert message.startswith(f"{setting} in {directory / CONFIG_FILE}={value}: ")


def test_a_directory_without_a_config_file_is_not_an_openline_node(tmp_path: Path) -> None:
    message = error(tmp_path)
    assert message.startswith(f"{tmp_path} is not an Openline node: {CONFIG_FILE} is missing")
    assert "openline init" in message


def test_a_directory_that_does_not_exist_is_not_an_openline_node(tmp_path: Path) -> None:
    assert "is not an Openline node" in error(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "content",
    [
        b'party = "BLUE\n',
        b"party = BLUE\n",
        b"[[[\n",
        b'party = "BLUE"\nparty = "RED"\n',
        b'name = "\xff\xfe"\n',
    ],
    ids=["unclosed string", "bare word", "bad table", "duplicate key", "not UTF-8"],
)
def test_a_corrupt_config_file_is_a_config_error_naming_the_file(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / CONFIG_FILE).write_bytes(content)
    message = error(tmp_path)
    assert message.startswith(f"{tmp_path / CONFIG_FILE} cannot be read: ")


def test_a_config_path_that_is_a_directory_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).mkdir()
    assert "cannot be read" in error(tmp_path)


@pytest.mark.parametrize("missing", ["party", "name", "lang"])
def test_a_required_setting_missing_from_the_file_is_named(tmp_path: Path, missing: str) -> None:
    text = "".join(line for line in BASE.splitlines(True) if not line.startswith(missing))
    directory = node(tmp_path, text)
    message = error(directory)
    assert message == f"{missing} in {directory / CONFIG_FILE}: required setting is missing"


@pytest.mark.parametrize(
    ("extra", "public_url"),
    [
        ("", "http://127.0.0.1:8470"),
        ("port = 9000\n", "http://127.0.0.1:9000"),
        ('host = "10.1.2.3"\nport = 81\n', "http://10.1.2.3:81"),
        ('url = "https://line.blue.example/"\nport = 9000\n', "https://line.blue.example/"),
    ],
)
def test_the_public_url_is_the_configured_url_or_else_http_host_port(
    tmp_path: Path, extra: str, public_url: str
) -> None:
    assert load_settings(node(tmp_path, BASE + extra), {}).public_url == public_url


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])  # noqa: S104 - values read, no socket bound
def test_listening_on_every_address_needs_the_url_peers_reach_the_node_at(
    tmp_path: Path, host: str
) -> None:
    message = error(node(tmp_path, BASE + f'host = "{host}"\n'))
    assert f"host {host} listens on every address" in message
    assert "set url" in message
    given = {"OPENLINE_URL": "http://10.1.2.3:8470"}
    assert load_settings(tmp_path, given).public_url == "http://10.1.2.3:8470"


def test_the_ack_deadlines_map_each_precedence_to_its_setting(tmp_path: Path) -> None:
    defaults = load_settings(node(tmp_path), {}).ack_deadlines
    assert defaults == {
        Precedence.FLASH: 600,
        Precedence.IMMEDIATE: 1800,
        Precedence.PRIORITY: 10800,
        Precedence.ROUTINE: 21600,
    }
    environ = {"OPENLINE_ACK_DEADLINE_FLASH": "5", "OPENLINE_ACK_DEADLINE_ROUTINE": "7"}
    changed = load_settings(tmp_path, environ).ack_deadlines
    assert changed == {**defaults, Precedence.FLASH: 5, Precedence.ROUTINE: 7}


def test_settings_cannot_be_changed_once_built(tmp_path: Path) -> None:
    settings = load_settings(node(tmp_path), {})
    with pytest.raises(ValidationError, match=re.escape("frozen")):
        settings.port = 1


def test_init_refuses_to_write_an_unknown_setting_or_overwrite_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'colour' is not an Openline setting"):
        write_config_file(tmp_path / "a.toml", {"colour": "red"})
    node(tmp_path)
    with pytest.raises(FileExistsError):
        write_config_file(tmp_path / CONFIG_FILE, {"party": "RED"})


def test_a_node_on_postgresql_without_its_driver_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node(tmp_path, BASE + 'database_url = "postgresql://duty@127.0.0.1:5432/openline"\n')
    write_private_key(NodeDirectory(tmp_path).key_file, SigningKey.generate())
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what Python finds when it is not installed
    with pytest.raises(ConfigError) as caught:
        Node.open(tmp_path, environ={})
    assert caught.value.message == (
        "database_url postgresql+psycopg://duty@127.0.0.1:5432/openline: PostgreSQL needs the "
        "driver psycopg, which is not installed: install Openline with its postgresql extra, "
        "pip install 'openline[postgresql]'"
    )
