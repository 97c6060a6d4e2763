"""``openline coord``: one coordinate from TEXT, or one answer per line of standard input."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from openline.cli.coord import coord

EXAMPLES = "e.g. 36.2 37.15, 36°12'N 37°09'E or 37SBA1234567890"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(coord, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["36.2 37.15"], "36.200000 37.150000"),
        (["36.2", "37.15"], "36.200000 37.150000"),  # unquoted words are one coordinate
        (["361200N0370900E", "--to", "dd"], "36.200000 37.150000"),
        (["36°12'N 37°09'E", "--to", "mgrs"], "37SCA3367707717"),
        (["--to", "mgrs", "36.2", "37.15", "--precision", "2"], "37SCA3307"),
        (["37SBA", "--to", "dms"], "36°33'45.9\"N 036°12'23.4\"E"),
        (["N36 12.0 E037 09.0", "--to", "dms", "--precision", "0"], "36°12'00\"N 037°09'00\"E"),
        (["-33.5", "151.2", "--to", "mgrs"], "56HLH3279591830"),  # a minus is not an option
        (["--", "-33.5", "-151.2"], "-33.500000 -151.200000"),
        (["38n 444140.6 3684706.3", "--to", "mgrs", "--precision", "8"], "38SMB4414060084706300"),
        (["36.2 37.15", "--precision", "9"], "36.200000000 37.150000000"),
    ],
)
def test_one_coordinate_is_converted(args: list[str], printed: str) -> None:
    assert run(*args) == (0, printed + "\n", "")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["91 0"], "latitude 91 is outside -90 to 90"),
        (["36°60'N 37°09'E"], 'minute 60 is not below 60 in "36°60\'N"'),
        (["61SBA"], "MGRS zone 61 is not 1 to 60"),
        (["37IBA"], "MGRS band 'I' does not exist: UTM bands are C to X without I and O"),
        ([""], f"empty coordinate: expected one, {EXAMPLES}"),
    ],
)
def test_a_bad_coordinate_prints_the_reason_on_stderr_and_exits_1(
    args: list[str], error: str
) -> None:
    assert run(*args) == (1, "", f"Error: {error}\n")


def test_standard_input_gets_one_line_out_per_line_in() -> None:
    status, out, err = run("--to", "mgrs", stdin="36.2 37.15\n91 0\n\n37SBA\n36.2N 37.15\n")
    assert out.splitlines() == [
        "37SCA3367707717",
        "ERROR: latitude 91 is outside -90 to 90",
        f"ERROR: empty coordinate: expected one, {EXAMPLES}",
        "37SBA5000050000",
        "ERROR: one hemisphere letter in '36.2N 37.15': give one for latitude and one for "
        "longitude, or none, or separate the two with a comma",
    ]
    assert (status, err) == (1, "")


def test_bytes_that_are_not_utf8_spoil_only_their_own_line() -> None:
    result = CliRunner().invoke(coord, [], input=b"36.2 37.15 \xff\n36.2 37.15\n")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "ERROR: unexpected '\ufffd' in '36.2 37.15 \ufffd'",
        "36.200000 37.150000",
    ]


def test_standard_input_without_a_bad_line_exits_0() -> None:
    assert run(stdin="36.2 37.15\r\n-33.5,151.2") == (
        0,
        "36.200000 37.150000\n-33.500000 151.200000\n",
        "",
    )
    assert run(stdin="") == (0, "", "")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--to", "utm", "36 37"], "Invalid value for '--to'"),
        (["--precision", "5", "36 37"], "precision 5 for dd is not 6 to 15 decimals"),
        (["--to", "mgrs", "--precision", "12"], "precision 12 for mgrs is not -1 to 11"),
        (["--to", "dms", "--precision", "-1"], "precision -1 for dms is not 0 to 9"),
    ],
)
def test_a_bad_option_is_a_usage_error(args: list[str], error: str) -> None:
    status, out, err = run(*args, stdin="36 37\n")
    assert (status, out) == (2, "")
    assert error in err
