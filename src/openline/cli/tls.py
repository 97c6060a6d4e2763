"""``openline tls``: a self-signed certificate for a node, and the pins peers give for it."""

from __future__ import annotations

from pathlib import Path

import click

from openline.cli.common import reported_errors


@click.group()
def tls() -> None:
    """TLS between nodes: certificates and pins (docs/security.md)."""


@tls.command("self-signed")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--host",
    "hosts",
    multiple=True,
    default=("127.0.0.1", "localhost"),
    show_default=True,
    help="A host name or address the certificate is for (repeat for several).",
)
@click.option("--days", type=click.IntRange(1, 3650), default=825, show_default=True)
def self_signed(directory: Path, hosts: tuple[str, ...], days: int) -> None:
    """Write a new key (DIRECTORY/tls.key, mode 0600) and a self-signed certificate
    (DIRECTORY/tls.crt), and print the pin peers give to `openline peer add --pin`."""
    from openline.keys.tls import write_self_signed

    with reported_errors():
        cert, key, pins = write_self_signed(directory, list(hosts), days)
    click.echo(f"wrote {cert} and {key}; serve with --tls-cert {cert} --tls-key {key}", err=True)
    click.echo(pins.public_key)


@tls.command("pin")
@click.argument("certificate", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def pin(certificate: Path) -> None:
    """Print the pins of a PEM certificate: its public key's, then the whole certificate's."""
    from openline.keys.tls import pins_of_file

    with reported_errors():
        pins = pins_of_file(certificate)
    click.echo(pins.public_key)
    click.echo(pins.certificate)
