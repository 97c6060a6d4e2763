"""One typed settings object for a node: its config file, overridden by OPENLINE_<NAME>.

Settings are built by the caller (the app factory, the CLI), never at import. Every setting is
declared once here with its default and its help, and documented in docs/configuration.md (a
test keeps the two in step). An unknown setting or a value of the wrong type is an error that
names the setting and where it came from.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from openline.domain.acknowledgements import deadline_table
from openline.domain.errors import InvalidInput, OpenlineError
from openline.domain.parties import NodeUrl, PartyCode
from openline.domain.precedence import Precedence
from openline.domain.separation import SeparationRules, separation_rules

CONFIG_FILE = "openline.toml"
ENV_PREFIX = "OPENLINE_"
# Addresses that mean "every interface": never an address peers can reach.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - recognised here, never bound by default


class ConfigError(OpenlineError):
    """The node's configuration is missing, unreadable or wrong."""

    code = "invalid_config"


class Settings(BaseModel):
    """Everything a node can be told. Times are seconds; sizes are bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    party: PartyCode = Field(description="This node's party code, e.g. BLUE.")
    name: str = Field(min_length=1, max_length=200, description="The party's display name.")
    lang: Literal["en", "ru", "fr", "ar"] = Field(
        description="The working language of this node's operators."
    )
    host: str = Field("127.0.0.1", description="Address the node listens on.")
    port: int = Field(8470, ge=1, le=65535, description="TCP port the node listens on.")
    url: str = Field(
        "",
        max_length=500,
        validate_default=True,
        description="URL at which operators and peers reach this node; empty: http://HOST:PORT.",
    )
    backup_urls: list[NodeUrl] = Field(
        [],
        max_length=7,
        description="Further URLs at which peers reach this node, in order of preference after "
        "url: the card's other paths (docs/line.md#paths). From the environment: separated by "
        "commas, or a JSON list.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy database URL; empty: the SQLite file openline.db in the node "
        "directory.",
    )
    database_busy_timeout: float = Field(
        5.0,
        gt=0,
        le=600,
        description="Seconds a write waits for a database lock another process holds (SQLite's "
        "busy timeout, PostgreSQL's lock_timeout) before the node answers 503.",
    )
    line_check_interval: float = Field(
        60.0, gt=0, le=86400, description="Seconds between automatic line checks to each peer."
    )
    retry_after_cap: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="The most seconds the sender waits before trying a peer again when the "
        "peer answered 429 or 503 with Retry-After asking for longer.",
    )
    witness_after_entries: int = Field(
        10_000,
        ge=1,
        le=2**31 - 1,
        description="Entries the journal may grow by, beyond the checkpoint a peer last "
        "cosigned, before the node offers the peer a newer one between line checks "
        "(witnessing under load, docs/journal.md#witnessing).",
    )
    ack_deadline_flash: int = Field(
        600, gt=0, description="Seconds to acknowledge a flash message before it is overdue."
    )
    ack_deadline_immediate: int = Field(
        1800, gt=0, description="Seconds to acknowledge an immediate message."
    )
    ack_deadline_priority: int = Field(
        10800, gt=0, description="Seconds to acknowledge a priority message."
    )
    ack_deadline_routine: int = Field(
        21600, gt=0, description="Seconds to acknowledge a routine message."
    )
    notification_ack_deadlines: str | dict[str, int] = Field(
        "default",
        description="Seconds a party shared a notification has to acknowledge each version, "
        "by kind: 'default' (protected-site and movement 1800, every other kind 10800) or a "
        "table KIND = seconds over the defaults; from the environment, 'default' or JSON.",
    )
    escalation_repeat_interval: float = Field(
        300.0,
        gt=0,
        le=86400,
        description="Seconds between repeated alarms for a message still unacknowledged after "
        "its deadline.",
    )
    max_text_bytes: int = Field(
        65536, ge=1, le=1_048_576, description="Largest free text accepted, in bytes of UTF-8."
    )
    max_request_bytes: int = Field(
        1_048_576, ge=1024, le=64 * 1_048_576, description="Largest HTTP request body accepted."
    )
    max_envelope_bytes: int = Field(
        2_097_152,
        ge=4096,
        le=64 * 1_048_576,
        description="Largest envelope a node seals or accepts from a peer; a request to the "
        "federation endpoint may carry up to four times this.",
    )
    # A misbehaving peer (docs/reliability.md#a-misbehaving-peer).
    federation_rate_limit: float = Field(
        1000.0,
        gt=0,
        le=1_000_000,
        description="Requests per second the federation endpoint takes from one peer at one "
        "address, on average; more are refused with 429.",
    )
    federation_rate_burst: int = Field(
        2000,
        ge=1,
        le=1_000_000,
        description="Requests one peer at one address may send at once above "
        "federation_rate_limit before it is refused with 429.",
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Addresses or networks (10.0.0.0/8) of the reverse proxies in front of the "
        "node, whose X-Forwarded-For names the client; empty: the header is never believed. "
        "From the environment: separated by commas, or a JSON list.",
    )
    request_read_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a client has to send a whole request, headers and body, from its "
        "first byte (or from opening the connection); a slower one is disconnected.",
    )
    group_commit_max_batch: int = Field(
        512,
        ge=1,
        le=100_000,
        description="Most writes the database writer commits together in one transaction.",
    )
    separation_minima: str | dict[str, list[float]] = Field(
        "default",
        description="Separation minima for conflict detection: 'default', '0' (every minimum "
        "zero: a conflict is exactly a 4D intersection) or a table KIND/KIND = [lateral_m, "
        "vertical_m, time_s] over the defaults; from the environment, '0', 'default' or JSON.",
    )
    # Blind deconfliction (docs/blind.md): both parties must choose the same grid.
    blind_h3_resolution: int = Field(
        6,
        ge=0,
        le=12,
        description="The H3 resolution blind notifications are covered at (6: cells of about "
        "36 km²); both parties must use the same.",
    )
    blind_slot_seconds: int = Field(
        1800,
        ge=60,
        le=86400,
        description="Seconds in each time slot blind notifications are covered by; both "
        "parties must use the same.",
    )
    blind_items_per_day: int = Field(
        200_000,
        ge=0,
        le=10_000_000,
        description="Most items a peer's blind runs may bring in over 24 hours, its offers "
        "and replies together; beyond, its runs are refused (journaled) until the day rolls on.",
    )
    blind_runs_per_hour: int = Field(
        60,
        ge=0,
        le=100_000,
        description="Most blind runs a peer may start with this node in an hour; more are "
        "refused (journaled).",
    )
    blind_max_items: int = Field(
        20_000,
        ge=1,
        le=100_000,
        description="Most items one side of one blind run may hold: a blind notification "
        "that would make more for a party is refused.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info", description="How much the node logs."
    )
    # Tracks and proximity warnings (docs/proximity.md).
    track_interval: float = Field(
        1.0,
        ge=0.05,
        le=60,
        description="Seconds between track envelopes to each peer: the latest report of every "
        "track changed since the last one crosses, the others are coalesced away.",
    )
    track_share_with: str = Field(
        "all",
        max_length=1000,
        description="The peers this node's tracks cross to: 'all' linked peers, 'none', or "
        "party codes separated by commas.",
    )
    track_stale_after: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Seconds after its latest report that a track is forgotten (and its "
        "warnings cleared); older reports are refused.",
    )
    proximity_lookahead: float = Field(
        300.0, gt=0, le=3600, description="Seconds ahead that proximity warnings look."
    )
    proximity_lateral_minimum: float = Field(
        9260.0,
        ge=0,
        le=1_000_000,
        description="Metres: two tracks of different parties predicted closer than this "
        "laterally (and within the vertical minimum) warn. Default 5 NM.",
    )
    proximity_vertical_minimum: float = Field(
        300.0,
        ge=0,
        le=100_000,
        description="Metres of altitude within which two tracks count as at the same height "
        "(about 1,000 ft by default).",
    )
    # TLS (docs/security.md): set both to serve https; relative paths are in the node directory.
    tls_cert_file: str = Field(
        "",
        description="PEM certificate (chain) the node serves https with; empty: plain http.",
    )
    tls_key_file: str = Field("", description="PEM private key of tls_cert_file.")
    tls_ca_file: str = Field(
        "",
        description="PEM CA certificates that vouch for unpinned https peers; empty: the CA "
        "bundle certifi ships. Pinned peers are checked against their pin instead.",
    )
    require_key_confirmation: bool = Field(
        False,
        description="Hold a peer's key rotation until an administrator confirms the new key's "
        "fingerprint out of band (openline peer confirm-key); false: take it at once.",
    )
    # Imports: what ED-318 files are checked against (docs/interop.md#the-ed-318-schema).
    ed318_schema_dir: str = Field(
        "",
        max_length=4096,
        description="Folder holding EUROCONTROL's ED-318 JSON schema (Schema_GeoZones.json and "
        "the files it refers to); empty: ED-318 imports are refused.",
    )
    # NOTAM imports beyond a volume's own limits (docs/interop.md#areas-e).
    notam_max_circle_km: float = Field(
        1000.0,
        ge=1000.0,
        le=5000.0,
        description="Largest circle radius (km) a NOTAM import accepts: one over a volume's "
        "1,000 km is read as polygons round its centre that cover it, with a warning.",
    )
    notam_unlimited_m: float = Field(
        30449.52,
        ge=1000.0,
        le=100_000.0,
        description="The height (m) a NOTAM's UNL, and its Q-line's 999, is imported as: "
        "FL999 by default.",
    )

    # The console's base map (docs/console.md#map-tiles): relative to the node directory.
    map_tiles_dir: str = Field(
        "",
        max_length=4096,
        description="Folder of MBTiles archives of raster tiles (NAME.mbtiles) the console offers "
        "as base maps; empty: none, the map has the borders and the grid only.",
    )

    # The TAK bridge (docs/tak.md): relative paths are in the node directory.
    tak_url: str = Field(
        "",
        max_length=500,
        description="The TAK server this node streams Cursor-on-Target to and takes position "
        "reports from: tcp://HOST:PORT, udp://HOST:PORT or tls://HOST:PORT; empty: none.",
    )
    tak_client_cert: str = Field(
        "", description="PEM client certificate for a tls:// tak_url (required there)."
    )
    tak_client_key: str = Field("", description="PEM private key of tak_client_cert.")
    tak_ca_file: str = Field(
        "",
        description="PEM CA certificates that vouch for the TAK server's certificate; empty: "
        "the system's.",
    )

    @field_validator("url")
    @classmethod
    def _reachable_url(cls, url: str, info: ValidationInfo) -> str:
        if not url and info.data.get("host") in WILDCARD_HOSTS:
            raise ValueError(
                f"host {info.data['host']} listens on every address, so it is no address for "
                "peers and operators: set url to the one they reach this node at"
            )
        return url

    @field_validator("tak_url")
    @classmethod
    def _tak_url(cls, url: str) -> str:
        if not url:
            return url
        scheme, _, rest = url.partition("://")
        host, _, port = rest.rpartition(":")
        if scheme not in ("tcp", "udp", "tls") or not host or not port.isdigit():
            raise ValueError("expected tcp://HOST:PORT, udp://HOST:PORT or tls://HOST:PORT")
        if not 1 <= int(port) <= 65535:
            raise ValueError(f"port {port} is outside 1 to 65535")
        return url

    @field_validator("separation_minima", mode="before")
    @classmethod
    def _minima_table(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"not valid JSON: {exc}") from None
        try:
            separation_rules(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("notification_ack_deadlines", mode="before")
    @classmethod
    def _ack_deadline_table(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"not valid JSON: {exc}") from None
        if isinstance(value, str) and value != "default":
            raise ValueError(f"{value!r:.40} is neither 'default' nor a table KIND = seconds")
        try:
            deadline_table({} if value == "default" else value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("backup_urls", mode="before")
    @classmethod
    def _listed_urls(cls, value: Any) -> Any:
        return _listed(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _addresses_or_networks(cls, value: Any) -> Any:
        value = _listed(value)
        for entry in value if isinstance(value, list) else ():
            try:
                if "/" in str(entry):
                    ipaddress.ip_network(entry)
                else:
                    ipaddress.ip_address(entry)
            except ValueError as exc:
                raise ValueError(f"{entry!r:.60} is no address or network: {exc}") from None
        return value

    @property
    def separation(self) -> SeparationRules:
        return separation_rules(self.separation_minima)

    @property
    def public_url(self) -> str:
        scheme = "https" if self.tls_cert_file else "http"
        return self.url or f"{scheme}://{self.host}:{self.port}"

    @property
    def notification_deadlines(self) -> dict[str, int]:
        """Seconds to acknowledge a shared notification, by kind (domain/acknowledgements.py)."""
        given = self.notification_ack_deadlines
        return deadline_table({} if isinstance(given, str) else given)

    @property
    def ack_deadlines(self) -> dict[Precedence, int]:
        return {p: getattr(self, f"ack_deadline_{p.value}") for p in Precedence}


def _listed(value: Any) -> Any:
    """A list as the environment gives it (a JSON list, or separated by commas) as a list."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def env_name(setting: str) -> str:
    return f"{ENV_PREFIX}{setting.upper()}"


def load_settings(directory: Path, environ: Mapping[str, str]) -> Settings:
    """Read ``directory/openline.toml`` and apply OPENLINE_<NAME> overrides from ``environ``."""
    path = directory / CONFIG_FILE
    from_file = read_config_file(path)
    from_env = _settings_from_env(environ)
    try:
        return Settings.model_validate({**from_file, **from_env})
    except ValidationError as exc:
        raise _explain(exc, path, from_env) from None


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"{path.parent} is not an Openline node: {path.name} is missing "
            "(create a node with: openline init DIR --party CODE --name NAME --lang LANG)"
        ) from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from None
    unknown = sorted(set(values) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]!r} is not an Openline setting")
    return values


def _settings_from_env(environ: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in Settings.model_fields:
            raise ConfigError(f"{key} is not an Openline setting (see docs/configuration.md)")
        values[name] = value
    return values


def _explain(exc: ValidationError, path: Path, from_env: Mapping[str, str]) -> ConfigError:
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    where = env_name(name) if name in from_env else f"{name} in {path}"
    if error["type"] == "missing":
        return ConfigError(f"{where}: required setting is missing")
    return ConfigError(f"{where}={error.get('input')!r}: {error['msg']}")


def write_config_file(path: Path, values: Mapping[str, str | int | float | list[str]]) -> None:
    """Write the settings an administrator chose; every other setting keeps its default."""
    unknown = [key for key in values if key not in Settings.model_fields]
    if unknown:
        raise ConfigError(f"{unknown[0]!r} is not an Openline setting")
    # Private, as every file of the node directory (0600); "x": never over an existing one.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Openline node settings: see docs/configuration.md for every setting.\n")
        handle.write(tomli_w.dumps(dict(values)))
