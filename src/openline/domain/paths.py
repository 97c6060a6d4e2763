"""The paths to a peer: the ways this node reaches it, in order of preference.

A path is either **direct**, an http(s) URL of the peer's node with the TLS pin its
certificate must match there (if any), or a **relay**, a third party's node both ends have
linked, which stores and forwards. The first path is the preferred one; the others are
backups, tried in order. Every delivery records which way it went in its journal entry's
``via``: a direct path's URL, ``relay:PARTY`` for a relay, ``bundle`` for a courier bundle.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from openline.domain.errors import InvalidInput
from openline.domain.quoting import quote

MAX_PATHS = 8
MAX_URL_CHARS = 500
PIN_SEPARATOR = "#"  # URL#PIN: a fragment is never sent to a server, so it is free to say this
RELAY_PREFIX = "relay:"
BUNDLE_VIA = "bundle"


@dataclass(frozen=True)
class DirectPath:
    """The peer's node at ``url``; its https certificate must match ``tls_pin`` if given, or,
    while a rotation's overlap lasts (``openline peer pin``), the pin it replaced,
    ``old_pin``, until ``old_pin_until`` (an instant as Openline writes them)."""

    url: str
    tls_pin: str | None = None
    old_pin: str | None = None
    old_pin_until: str | None = None

    @property
    def via(self) -> str:
        return self.url

    def pins(self) -> tuple[str, ...]:
        """The pins a certificate may match on this path: none if it is not pinned."""
        return tuple(pin for pin in (self.tls_pin, self.old_pin) if pin is not None)

    def at(self, now: str) -> DirectPath:
        """This path as it stands at ``now``: without its old pin once the overlap is over."""
        if self.old_pin is None or (self.old_pin_until or "") > now:
            return self
        return DirectPath(self.url, self.tls_pin)

    def to_json(self) -> dict[str, str | None]:
        return {"via": self.via, "url": self.url, "tls_pin": self.tls_pin, "relay": None}


@dataclass(frozen=True)
class RelayPath:
    """Through the node of ``relay``, a party both ends have linked, which stores and forwards."""

    relay: str

    @property
    def via(self) -> str:
        return relay_via(self.relay)

    def to_json(self) -> dict[str, str | None]:
        return {"via": self.via, "url": None, "tls_pin": None, "relay": self.relay}


PeerPath = DirectPath | RelayPath


def paths_at(paths: Sequence[PeerPath], now: str) -> tuple[PeerPath, ...]:
    """``paths`` as they stand at ``now`` (``DirectPath.at``): the pins each accepts then."""
    return tuple(path.at(now) if isinstance(path, DirectPath) else path for path in paths)


def relay_via(relay: str) -> str:
    """The ``via`` of a delivery a relay carried."""
    return RELAY_PREFIX + relay


class PathStatus(StrEnum):
    UNKNOWN = "unknown"  # not checked yet
    UP = "up"  # the last check or delivery on it got the peer's signed answer
    DOWN = "down"  # the last check or delivery on it failed


# scheme://host[:port][/path]: a host name, an IPv4 address or a bracketed IPv6 address.
_NODE_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[^\s?#]*)?"
)


def check_path_url(url: str, *, field: str = "url") -> str:
    """``url`` if it is an http(s) URL of a host, with a port from 1 to 65535 if any and no
    query, fragment or spaces; else InvalidInput naming it."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_CHARS:
        raise InvalidInput(
            f"{field} {quote(url, 80)} is not a URL of 1 to {MAX_URL_CHARS} characters",
            field=field,
        )
    found = _NODE_URL.match(url)
    if found is None or found["scheme"] not in ("http", "https"):
        raise InvalidInput(
            f"{field} {quote(url, 80)} is not an http:// or https:// URL of a node",
            field=field,
        )
    if found.end() != len(url) or not 0 < int(found["port"] or 1) < 65536:
        raise InvalidInput(
            f"{field} {quote(url, 80)}: a node's URL takes a port from 1 to 65535 and no "
            "query, fragment or spaces",
            field=field,
        )
    return url


def parse_direct_path(text: str, *, field: str = "path") -> tuple[str, str | None]:
    """``URL`` or ``URL#PIN`` as the URL, checked, and the pin as given (the caller checks it:
    pins are the TLS layer's). A pin needs an https URL."""
    url, separator, pin = text.partition(PIN_SEPARATOR)
    check_path_url(url, field=field)
    if separator and not pin:
        raise InvalidInput(f"{field} {quote(text, 80)}: nothing after '#', where its pin goes")
    if separator and not url.startswith("https://"):
        raise InvalidInput(
            f"{field} {quote(text, 80)}: a TLS pin needs an https:// URL", field=field
        )
    return url, (pin or None)


def check_paths(paths: Sequence[PeerPath], *, field: str = "paths") -> tuple[PeerPath, ...]:
    """``paths`` if there are 1 to ``MAX_PATHS`` of them, none twice, a relay only last."""
    if not 0 < len(paths) <= MAX_PATHS:
        raise InvalidInput(f"{field}: give 1 to {MAX_PATHS} paths, not {len(paths)}", field=field)
    seen = [path.via for path in paths]
    for via in seen:
        if seen.count(via) > 1:
            raise InvalidInput(f"{field}: {quote(via, 80)} is given twice", field=field)
    for path in paths[:-1]:
        if isinstance(path, RelayPath):
            raise InvalidInput(
                f"{field}: the relay {path.relay} must be the last path", field=field
            )
    return tuple(paths)


def sending_order(statuses: Sequence[PathStatus]) -> list[int]:
    """The order in which the sender tries the paths (by index): those up or not yet checked
    first, in order of preference, then those down, in the same order, so that when every path
    seems down each is still tried."""
    usable = [i for i, status in enumerate(statuses) if status is not PathStatus.DOWN]
    down = [i for i, status in enumerate(statuses) if status is PathStatus.DOWN]
    return usable + down
