"""``openline coord``: convert coordinates between decimal degrees, DMS and MGRS.

With TEXT, converts that one coordinate. Without it, converts standard input line by line,
writing one line out for each line in (flushed at once, so it works as a filter in a pipe).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click

from openline.domain.errors import InvalidInput
from openline.geo.coords import FORMATS, check_format, convert


@click.command(
    "coord",
    # TEXT may start with a minus sign (-33.5 151.2): unknown "options" are part of it.
    context_settings={"ignore_unknown_options": True},
)
@click.argument("text", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--to",
    "to",
    type=click.Choice(FORMATS),
    default="dd",
    show_default=True,
    help="Output: dd (LAT LON in decimal degrees), dms, or mgrs.",
)
@click.option(
    "--precision",
    type=int,
    default=None,
    help="dd: decimals (6-15, default 6); dms: decimals of a second (0-9, default 1); "
    "mgrs: digits per axis (-1-11, default 5, 1 m).",
)
def coord(text: tuple[str, ...], to: str, precision: int | None) -> None:
    """Convert the coordinate TEXT, or each line of standard input, to --to.

    TEXT may be decimal degrees (36.2 37.15), DMS (36°12'N 37°09'E, 361200N0370900E,
    N36 12.0 E037 09.0), MGRS (37SBA1234567890) or UTM/UPS (38n 444140.6 3684706.3). A bad
    line of standard input prints "ERROR: reason" and the command exits 1 at the end.
    """
    try:
        check_format(to, precision)
    except InvalidInput as exc:
        raise click.BadParameter(exc.message, param_hint="--precision") from None
    if text:
        try:
            click.echo(convert(" ".join(text), to, precision))
        except InvalidInput as exc:  # "Error: reason", exit 1, like every other command
            raise click.ClickException(exc.message) from None
        return
    failed = False
    for line in _input_lines():
        try:
            result = convert(line, to, precision)
        except InvalidInput as exc:
            result, failed = f"ERROR: {exc.message}", True
        click.echo(result)  # echo flushes: each answer leaves before the next line is read
    if failed:
        sys.exit(1)


def _input_lines() -> Iterator[str]:
    """Standard input line by line, as each arrives; bytes that are not UTF-8 become U+FFFD
    (and so an error for that line alone, not the end of the run)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        yield from (line.rstrip("\r\n") for line in sys.stdin)
        return
    for raw in stream:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")
