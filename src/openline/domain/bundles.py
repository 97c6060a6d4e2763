"""Courier bundles: a peer's envelopes and receipts in one signed file, for when no network
reaches it (docs/line.md#courier-bundles).

A bundle is UTF-8 text, one JSON value a line, each line ending with a newline (0x0A):

1. the header, RFC 8785 canonical JSON: ``{"content_sha256", "created_at", "envelopes",
   "from", "id", "openline_bundle": 1, "receipts", "sig", "to"}``;
2. ``envelopes`` lines, each one envelope exactly as the line carries it, in link order;
3. ``receipts`` lines, each one receipt the sender gives for an envelope of the addressee.

``content_sha256`` is the SHA-256 of every byte after the header's newline; ``sig`` is the
sender's Ed25519 signature over the canonical JSON of the header without ``sig``. So one
byte changed anywhere, a line removed or the file cut short is found before anything of it
is read. Each envelope and receipt also carries its own signature, checked as the network's are.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openline.domain import envelopes as rules
from openline.domain.canonical import canonical_json
from openline.domain.envelopes import Refused, Signer, Verifier
from openline.domain.quoting import quote, quote_all
from openline.domain.strict_json import loads

BUNDLE_VERSION = 1
FORMAT = "openline_bundle"
SUFFIX = ".bundle"
_HEADER_KEYS = frozenset(
    (FORMAT, "id", "from", "to", "created_at", "envelopes", "receipts", "content_sha256", "sig")
)
_ID = re.compile(r"^bdl_[A-Za-z0-9]{1,60}$")
_PARTY = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Header:
    """What a bundle's first line says of it."""

    id: str
    sender: str
    to: str
    created_at: str
    envelopes: int
    receipts: int
    content_sha256: str
    sig: str

    def unsigned(self) -> dict[str, Any]:
        return {
            FORMAT: BUNDLE_VERSION,
            "id": self.id,
            "from": self.sender,
            "to": self.to,
            "created_at": self.created_at,
            "envelopes": self.envelopes,
            "receipts": self.receipts,
            "content_sha256": self.content_sha256,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.unsigned(), "sig": self.sig}


@dataclass(frozen=True)
class Bundle:
    """A bundle whose header is read; its content is read by :func:`check_bundle`."""

    header: Header
    content: bytes
    sha256: str  # of the whole file: how an operator names it

    def summary(self) -> dict[str, Any]:
        h = self.header
        return {
            "id": h.id,
            "from": h.sender,
            "to": h.to,
            "created_at": h.created_at,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Contents:
    """A checked bundle's envelopes and receipts, each as JSON still to be checked alone."""

    envelopes: list[object]
    receipts: list[object]


def write_bundle(
    *,
    bundle_id: str,
    sender: str,
    to: str,
    created_at: str,
    envelopes: Sequence[str],
    receipts: Sequence[dict[str, Any]],
    sign: Signer,
) -> bytes:
    """The bundle file of ``envelopes`` (their canonical JSON text, in link order) and
    ``receipts``, signed by ``sign`` (the sender's key)."""
    lines = [*envelopes, *(canonical_json(r).decode("utf-8") for r in receipts)]
    content = "".join(f"{line}\n" for line in lines).encode("utf-8")
    header = Header(
        bundle_id,
        sender,
        to,
        created_at,
        len(envelopes),
        len(receipts),
        hashlib.sha256(content).hexdigest(),
        "",
    )
    sig = base64.b64encode(sign(canonical_json(header.unsigned()))).decode("ascii")
    signed = canonical_json({**header.unsigned(), "sig": sig})
    return signed + b"\n" + content


def read_bundle(data: bytes, *, max_bytes: int) -> Bundle:
    """Read a bundle's header (``Refused``, ``malformed`` or ``too_large``, if it is not one);
    its signature and content are checked by :func:`check_bundle`."""
    if len(data) > max_bytes:
        raise Refused(
            rules.TOO_LARGE, f"bundle of {len(data)} bytes, over the limit of {max_bytes} bytes"
        )
    first, newline, content = data.partition(b"\n")
    if not newline:
        raise Refused(rules.MALFORMED, "not an Openline bundle: no header line")
    try:
        value = loads(first)
    except (ValueError, UnicodeDecodeError):
        raise Refused(
            rules.MALFORMED, "not an Openline bundle: its first line is not a JSON header"
        ) from None
    return Bundle(_header(value), content, hashlib.sha256(data).hexdigest())


def _header(value: object) -> Header:
    if not isinstance(value, dict) or value.get(FORMAT) is None:
        raise Refused(rules.MALFORMED, f"not an Openline bundle: no {FORMAT!r} in its header")
    if value[FORMAT] != BUNDLE_VERSION or isinstance(value[FORMAT], bool):
        raise Refused(
            rules.MALFORMED, f"bundle version {quote(value[FORMAT])} is not {BUNDLE_VERSION}"
        )
    if set(value) != _HEADER_KEYS:
        missing, extra = sorted(_HEADER_KEYS - set(value)), sorted(set(value) - _HEADER_KEYS)
        raise Refused(
            rules.MALFORMED,
            f"bundle header members wrong: missing {quote_all(missing) or 'none'}, "
            f"unexpected {quote_all(extra) or 'none'}",
        )
    for key, pattern in (
        ("id", _ID),
        ("from", _PARTY),
        ("to", _PARTY),
        ("created_at", _INSTANT),
        ("content_sha256", _SHA256),
    ):
        if not isinstance(value[key], str) or not pattern.match(value[key]):
            raise Refused(rules.MALFORMED, f"bundle header: {key} {quote(value[key])} is not valid")
    for key in ("envelopes", "receipts"):
        count = value[key]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise Refused(rules.MALFORMED, f"bundle header: {key} {quote(count)} is not a count")
    if not isinstance(value["sig"], str):
        raise Refused(rules.MALFORMED, "bundle header: sig is not base64 text")
    return Header(
        value["id"],
        value["from"],
        value["to"],
        value["created_at"],
        value["envelopes"],
        value["receipts"],
        value["content_sha256"],
        value["sig"],
    )


def check_bundle(bundle: Bundle, verify: Verifier) -> Contents:
    """The bundle's envelopes and receipts, if its header is signed by ``verify``'s key and
    its content is the content signed; else ``Refused`` (``bad_signature``), whole."""
    header = bundle.header
    if not verify(canonical_json(header.unsigned()), _signature(header.sig)):
        raise Refused(
            rules.BAD_SIGNATURE,
            f"bundle {header.id}: its header's signature does not verify with "
            f"{header.sender}'s key",
        )
    found = hashlib.sha256(bundle.content).hexdigest()
    if found != header.content_sha256:
        raise Refused(
            rules.BAD_SIGNATURE,
            f"bundle {header.id}: its content is not what {header.sender} signed (SHA-256 "
            f"{found}, signed {header.content_sha256}): altered or cut short",
        )
    lines = bundle.content.split(b"\n")
    if lines.pop() != b"" or len(lines) != header.envelopes + header.receipts:
        raise Refused(
            rules.MALFORMED,
            f"bundle {header.id}: {len(lines)} lines, not the {header.envelopes} envelopes and "
            f"{header.receipts} receipts its header counts",
        )
    values = [_line(header, n, line) for n, line in enumerate(lines, start=2)]
    return Contents(values[: header.envelopes], values[header.envelopes :])


def _line(header: Header, number: int, line: bytes) -> object:
    try:
        return loads(line)
    except (ValueError, UnicodeDecodeError):
        raise Refused(rules.MALFORMED, f"bundle {header.id}: line {number} is not JSON") from None


def _signature(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return b""
    return raw if len(raw) == 64 else b""


def file_name(header: Header) -> str:
    """The name a bundle is saved under: who to whom, and its id."""
    return f"openline-{header.sender}-to-{header.to}-{header.id}{SUFFIX}"


ENVELOPES_PER_BUNDLE = 16


def max_bundle_bytes(max_envelope_bytes: int) -> int:
    """The largest bundle a node writes or reads: ``ENVELOPES_PER_BUNDLE`` of its largest
    envelopes (32 MiB by default); what does not fit waits for the next bundle."""
    return ENVELOPES_PER_BUNDLE * max_envelope_bytes
