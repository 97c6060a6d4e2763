"""What the API accepts and returns. Limits sit here, at the boundary."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

from openline.domain.conflicts import StoredConflict
from openline.domain.journal import JournalEntry
from openline.domain.messages import Draft, Message, State
from openline.domain.notifications import Kind
from openline.domain.parties import PARTY_CODE
from openline.domain.phrasebook import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from openline.domain.precedence import Precedence
from openline.domain.timeutil import format_utc
from openline.domain.tracks import OpenWarning, TrackReport
from openline.i18n import render_message

# For the OpenAPI document: domain/parties.py checks a code and names the field it is in.
PARTY_SCHEMA: dict[str, Any] = {"type": "string", "pattern": PARTY_CODE.pattern}


class MessageCreate(BaseModel):
    """``{to, precedence, template, fields}`` or ``{to, precedence, text, lang}``."""

    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(
        min_length=1,
        max_length=16,
        description="Recipient party codes.",
        json_schema_extra={"items": PARTY_SCHEMA},
    )
    precedence: Precedence
    template: str | None = Field(None, max_length=40, description="A phrasebook template.")
    fields: dict[str, Any] | None = Field(None, description="The template's fields.")
    text: str | None = Field(None, description="Free text, sent unchanged and untranslated.")
    lang: str | None = Field(None, max_length=3, description="Language of the free text.")
    in_reply_to: str | None = Field(None, max_length=40, description="The message answered.")

    @classmethod
    def of(cls, draft: Draft) -> MessageCreate:
        """A template draft as a client posts it (the node fills one in from a conflict)."""
        return cls.model_validate(
            {
                "to": list(draft.to),
                "precedence": draft.precedence,
                "template": draft.template,
                "fields": dict(draft.fields),
                "in_reply_to": draft.in_reply_to,
            }
        )


class RecipientPublic(BaseModel):
    party: str
    state: State
    delivered_at: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None


class MessagePublic(BaseModel):
    id: str
    sender: str = Field(serialization_alias="from")
    to: list[str]
    precedence: Precedence
    template: str
    fields: dict[str, Any]
    in_reply_to: str | None
    created_at: str
    created_by: str
    deadline: str
    state: State
    recipients: list[RecipientPublic]
    rendering: dict[str, Any] = Field(
        description="The message as this node's operators read it, in the node's language: "
        "title, labelled lines and the whole text; free text unchanged and marked untranslated."
    )

    @classmethod
    def of(
        cls, message: Message, state: State, lang: str, rendering: dict[str, Any] | None = None
    ) -> MessagePublic:
        """The message as the API shows it; ``rendering``: its rendering in ``lang``, when made
        already (a message sent renders before it is committed)."""
        return cls(
            id=message.id,
            sender=message.sender,
            to=list(message.to),
            precedence=message.precedence,
            template=message.template,
            fields=dict(message.fields),
            in_reply_to=message.in_reply_to,
            created_at=format_utc(message.created_at),
            created_by=message.created_by,
            deadline=format_utc(message.deadline),
            state=state,
            recipients=[
                RecipientPublic(
                    party=r.party,
                    state=r.state,
                    delivered_at=_text(r.delivered_at),
                    acknowledged_at=_text(r.acknowledged_at),
                    acknowledged_by=r.acknowledged_by,
                )
                for r in message.recipients
            ],
            rendering=render_message(message, lang) if rendering is None else rendering,
        )


class MessageList(BaseModel):
    messages: list[MessagePublic]


class CardPublic(BaseModel):
    party: str
    name: str
    lang: str
    url: str = Field(description="The preferred URL: the first of urls.")
    urls: list[str] = Field(description="The node's URLs, in order of preference.")
    public_key: str


class JournalHead(BaseModel):
    seq: int
    hash: str


class PathPublic(BaseModel):
    via: str = Field(description="The path as deliveries record it: its URL, or relay:PARTY.")
    url: str | None = Field(description="A direct path's URL; null for a relay.")
    tls_pin: str | None = Field(description="The pin its https certificate must match.")
    relay: str | None = Field(description="A relay path's party; null for a direct path.")
    status: Literal["up", "down", "unknown"] = Field(
        description="up: its last delivery or check got the peer's signed answer; down: it "
        "failed; unknown: not checked yet"
    )
    last_check_at: str | None = Field(description="Its last delivery or check, either way.")
    problem: str | None = Field(description="Why it is down, in words.")


class PeerPublic(CardPublic):
    status: Literal["up", "degraded", "down"] = Field(
        description="up: heard within two line-check intervals, nothing waiting, the "
        "preferred path up; degraded: heard, but envelopes wait, delivery is retrying, only a "
        "backup path works or none does; down: not heard for two intervals"
    )
    reason: str
    last_heard_at: str | None
    waiting: int = Field(description="Envelopes for this peer still without a receipt.")
    paths: list[PathPublic] = Field(description="The paths to the peer, the preferred first.")
    carrying: str | None = Field(
        description="The via of the path the last batch went by (null before the first)."
    )


class ProcessPublic(BaseModel):
    """A process serving this node, as its last heartbeat said (docs/deployment.md)."""

    process: str = Field(description="host:pid:start, the process's own name for itself.")
    url: str = Field(description="The URL it serves at (its public_url setting).")
    started_at: str
    heartbeat_age_s: float = Field(
        description="Seconds since its last heartbeat, by the database's clock (0 on SQLite, "
        "where this process is the node's only one)."
    )
    leader: bool = Field(description="Whether it leads the node's line.")
    leader_since: str | None = Field(description="Since when it leads, by the database's clock.")


class NodePublic(BaseModel):
    party: CardPublic
    process: str = Field(description="The process that answered (host:pid:start).")
    leader: str | None = Field(
        description="The process leading the node's line (its senders, line checks, "
        "escalation), as this process last heard; null while none does."
    )
    processes: list[ProcessPublic] = Field(
        description="Every process serving this node heard from within a day."
    )
    peers: list[PeerPublic]
    journal: JournalHead
    version: str
    ready: bool = Field(
        description="Whether this process has loaded its conflict finder since it started: "
        "until then, what needs it (storing, changing or receiving a notification) answers "
        "503 with Retry-After."
    )


class NotAppliedPublic(BaseModel):
    """An envelope received but not applied on one of this node's links (docs/line.md)."""

    peer: str = Field(description="The other end of the link.")
    direction: Literal["from", "to"] = Field(
        description="from: the peer's envelope, not applied here; to: this node's, not applied "
        "by the peer"
    )
    link_seq: int = Field(description="Its place on the link.")
    id: str
    kind: str
    hash: str
    reason: str = Field(description="Why it could not be applied, in the receiving node's words.")
    at: str = Field(description="When this node journaled it.")
    acknowledged_by: str | None = Field(description="The officer who acknowledged it, if one has.")
    acknowledged_at: str | None


class NotAppliedList(BaseModel):
    envelopes: list[NotAppliedPublic] = Field(description="The oldest `limit` of them.")
    total: int = Field(description="How many wait for an acknowledgement in all.")


# At most this many envelopes not applied acknowledged in one request: ten of the console's lists.
MAX_ACKNOWLEDGED = 1000
ENVELOPE_HASH = r"^[0-9a-f]{64}$"


class NotAppliedAcknowledgement(BaseModel):
    """The envelopes not applied an officer acknowledges at once: those the console showed."""

    model_config = ConfigDict(extra="forbid")

    hashes: list[Annotated[str, Field(pattern=ENVELOPE_HASH)]] = Field(
        min_length=1,
        max_length=MAX_ACKNOWLEDGED,
        description="The envelopes' hashes (SHA-256, in hex), as listed.",
    )


class NotAppliedAcknowledged(BaseModel):
    envelopes: list[NotAppliedPublic] = Field(
        description="Each acknowledged, in the order asked: by this officer, or by the one before."
    )


def _text(instant: Any) -> str | None:
    return format_utc(instant) if instant is not None else None


# The JSON Schema of a volume, for the OpenAPI document only: clients (and the fuzzer) learn
# the shape from it, while domain/volumes.py checks every rule and names the place of any break
# (docs/notifications.md).
_POSITION = {
    "type": "array",
    "prefixItems": [
        {"type": "number", "minimum": -180, "maximum": 180},
        {"type": "number", "minimum": -90, "maximum": 90},
    ],
    "minItems": 2,
    "maxItems": 2,
}
_RING = {"type": "array", "items": _POSITION, "minItems": 4}
_POLYGON = {"type": "array", "items": _RING, "minItems": 1}
_BAND_AND_WINDOW: dict[str, Any] = {
    "altitude_lower_m": {"type": "number", "minimum": MIN_ALTITUDE_M, "maximum": MAX_ALTITUDE_M},
    "altitude_upper_m": {"type": "number", "minimum": MIN_ALTITUDE_M, "maximum": MAX_ALTITUDE_M},
    "time_start": {"type": "string", "format": "date-time"},
    "time_end": {"type": "string", "format": "date-time"},
}


def _volume(shape: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {shape: schema, **_BAND_AND_WINDOW},
        "required": [shape, *_BAND_AND_WINDOW],
        "additionalProperties": False,
    }


VOLUME_SCHEMA: dict[str, Any] = {
    "oneOf": [
        _volume(
            "geometry",
            {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {"type": {"const": "Polygon"}, "coordinates": _POLYGON},
                        "required": ["type", "coordinates"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": "MultiPolygon"},
                            "coordinates": {"type": "array", "items": _POLYGON, "minItems": 1},
                        },
                        "required": ["type", "coordinates"],
                        "additionalProperties": False,
                    },
                ]
            },
        ),
        _volume(
            "circle",
            {
                "type": "object",
                "properties": {
                    "lat": {"type": "number", "minimum": -90, "maximum": 90},
                    "lon": {"type": "number", "minimum": -180, "maximum": 180},
                    "radius_m": {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000},
                },
                "required": ["lat", "lon", "radius_m"],
                "additionalProperties": False,
            },
        ),
        _volume(
            "corridor",
            {
                "type": "object",
                "description": "Every point within half_width_m of the geodesic path.",
                "properties": {
                    "path": {"type": "array", "items": _POSITION, "minItems": 2},
                    "half_width_m": {"type": "number", "exclusiveMinimum": 0, "maximum": 100_000},
                },
                "required": ["path", "half_width_m"],
                "additionalProperties": False,
            },
        ),
    ]
}
_WAYPOINT = {
    "type": "object",
    "properties": {
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "time": {"type": "string", "format": "date-time"},
    },
    "required": ["lon", "lat", "time"],
    "additionalProperties": False,
}
ROUTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A movement's timetable: each leg becomes a corridor volume over the window "
    "it can be on it (docs/notifications.md).",
    "properties": {
        "waypoints": {"type": "array", "items": _WAYPOINT, "minItems": 2},
        "half_width_m": {"type": "number", "exclusiveMinimum": 0, "maximum": 100_000},
        "time_tolerance_s": {"type": "number", "minimum": 0, "maximum": 86_400},
        "altitude_lower_m": _BAND_AND_WINDOW["altitude_lower_m"],
        "altitude_upper_m": _BAND_AND_WINDOW["altitude_upper_m"],
    },
    "required": ["waypoints", "half_width_m", "altitude_lower_m", "altitude_upper_m"],
    "additionalProperties": False,
}


class NotificationCreate(BaseModel):
    """``{kind, title, volumes, share_with}``; every rule is in docs/notifications.md."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        description="air-operation, ground-operation, ..., protected-site, zone.",
        json_schema_extra={"enum": [kind.value for kind in Kind]},
    )
    title: str = Field(description="What the operators of every party read.")
    volumes: list[dict[str, Any]] | None = Field(
        None,
        description="Volume4D: a geometry (GeoJSON Polygon or MultiPolygon), a circle or a "
        "corridor, altitude_lower_m, altitude_upper_m, time_start, time_end. Required unless a "
        "movement gives a route.",
        json_schema_extra={"items": VOLUME_SCHEMA},
    )
    route: dict[str, Any] | None = Field(
        None,
        description="A movement only, in place of volumes: waypoints with times, half_width_m, "
        "time_tolerance_s and the altitude band; its legs become the volumes.",
        json_schema_extra=ROUTE_SCHEMA,
    )
    share_with: list[str] = Field(
        default_factory=list,
        description="Parties to share it with.",
        json_schema_extra={"items": PARTY_SCHEMA},
    )
    reference: str | None = Field(
        None,
        max_length=64,
        description="The outside document it comes from, e.g. NOTAM A3799/24 (docs/interop.md).",
    )
    disclosure: Literal["full", "blind"] | None = Field(
        None,
        description="full (the default): shared with share_with; blind: never sent, deconflicted "
        "with share_with by private set intersection (docs/blind.md).",
    )


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "completed", "cancelled"]


class DiscloseRequest(BaseModel):
    """``{"to": ["RED"]}``: the parties a blind notification is shared with in full."""

    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(
        min_length=1,
        max_length=64,
        description="Parties it is deconflicted with blind.",
        json_schema_extra={"items": PARTY_SCHEMA},
    )


class ConflictingNotificationPublic(BaseModel):
    notification: str = Field(description="Its id.")
    owner: str
    kind: str


class MinimaPublic(BaseModel):
    lateral_m: float
    vertical_m: float
    time_s: float


class TimeWindowPublic(BaseModel):
    start: str
    end: str


class AltitudeBandPublic(BaseModel):
    lower_m: float
    upper_m: float


class ClashPublic(BaseModel):
    volumes: list[int] = Field(description="The clashing volumes' indices: a's, then b's.")
    distance_m: float = Field(description="The least distance between their footprints.")
    time_overlap: TimeWindowPublic | None
    time_gap_s: float = Field(description="How far apart their time windows are (0: overlap).")
    altitude_overlap: AltitudeBandPublic | None
    altitude_gap_m: float = Field(description="How far apart their bands are (0: overlap).")


class ConflictPublic(BaseModel):
    """A conflict between two notifications, the same on every node that holds both."""

    key: str
    rule: str = Field(description="separation, protected-site or zone.")
    state: str = Field(
        description="open (nothing proposed), proposed (a proposal waits), agreed (one was "
        "accepted) or cleared (the notifications no longer clash)."
    )
    a: ConflictingNotificationPublic = Field(description="The notification whose id sorts first.")
    b: ConflictingNotificationPublic
    minima: MinimaPublic = Field(description="The separation minima applied.")
    distance_m: float = Field(description="The least geodesic distance between the footprints.")
    time_window: TimeWindowPublic | None = Field(description="Where the time windows overlap.")
    altitude_band: AltitudeBandPublic | None = Field(
        description="Where the altitude bands overlap."
    )
    clashes: list[ClashPublic] = Field(description="Every pair of volumes that clashes.")
    blind: Literal[False] = Field(False, description="Found exactly (see PossibleConflictPublic).")
    opened_at: str
    updated_at: str
    cleared_at: str | None
    resolution: ProposalPublic | None = Field(
        None, description="The latest proposal to resolve it, waiting or accepted."
    )
    revise: str | None = Field(
        None,
        description="The notification whose owner agreed to a delay, reroute or cancellation, "
        "and has it to revise.",
    )

    @classmethod
    def of(cls, stored: StoredConflict | dict[str, Any]) -> ConflictPublic:
        return cls.model_validate(stored if isinstance(stored, dict) else stored.to_json())


class BlindMatchPublic(BaseModel):
    """One of this party's notifications and where the other party's blind operations may be."""

    notification: str = Field(description="This party's own notification's id.")
    cells: list[str] = Field(description="The H3 cells (docs/blind.md) both sides cover.")
    slots: list[TimeWindowPublic] = Field(description="The time slots both sides cover.")
    bands: list[AltitudeBandPublic] = Field(description="The altitude bands both sides cover.")
    outlines: list[list[list[float]]] = Field(
        description="Each cell's boundary, a closed ring of [lon, lat], in the order of cells."
    )


class PossibleConflictPublic(BaseModel):
    """A possible conflict found blind with another party: no geometry of theirs."""

    key: str
    blind: Literal[True] = True
    rule: Literal["blind"] = "blind"
    party: str = Field(description="The other party.")
    state: str = Field(description="open, proposed, agreed or cleared, as for a conflict.")
    notifications: list[BlindMatchPublic]
    opened_at: str
    updated_at: str
    cleared_at: str | None
    resolution: ProposalPublic | None = None
    revise: None = None


class WindowPublic(BaseModel):
    start: str
    end: str


class ProposalCreate(BaseModel):
    """``{outcome, text, window?}``: window (only and always) for a delay."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(
        description="proceed, joint, delay, reroute, cancel or object.",
        json_schema_extra={"enum": ["proceed", "joint", "delay", "reroute", "cancel", "object"]},
    )
    text: str = Field(description="What is proposed, in a few words.")
    window: dict[str, Any] | None = Field(None, description="A delay's new window {start, end}.")


class ProposalPublic(BaseModel):
    id: str
    key: str = Field(description="The conflict's key.")
    outcome: str
    text: str
    window: WindowPublic | None
    party: str = Field(description="The party that proposed it.")
    by: str = Field(description="Its operator.")
    at: str
    counters: str | None = Field(description="The other party's proposal it answers, if any.")
    state: str = Field(
        description="waiting, accepted, superseded (by a later proposal) or closed (the "
        "conflict cleared and opened again)."
    )
    accepted_by: str | None = Field(description="The other party's operator who accepted it.")
    accepted_at: str | None


class ProposalList(BaseModel):
    proposals: list[ProposalPublic]


ConflictPublic.model_rebuild()  # its resolution is a ProposalPublic, defined after it


class AcknowledgementPublic(BaseModel):
    """One version of a notification awaiting one party's acknowledgement, or acknowledged."""

    notification: str
    version: int
    owner: str
    party: str = Field(description="The party asked to acknowledge it.")
    deadline: str
    state: str = Field(description="waiting, overdue or acknowledged.")
    acknowledged_by: str | None
    acknowledged_at: str | None
    kind: str | None = None
    title: str | None = None


class AcknowledgementList(BaseModel):
    acknowledgements: list[AcknowledgementPublic]


class NotificationPublic(BaseModel):
    id: str
    owner: str
    kind: str
    title: str
    status: str
    volumes: list[dict[str, Any]]
    share_with: list[str]
    created_at: str
    updated_at: str
    version: int
    reference: str | None = None
    route: dict[str, Any] | None = Field(
        None, description="A movement's timetable: volume i is its leg i (waypoint i to i + 1)."
    )
    blind_with: list[str] = Field(
        [], description="The parties it is deconflicted with blind (its owner's node only)."
    )
    conflicts: list[ConflictPublic] | None = Field(
        None, description="Its open conflicts (in answers to a change)."
    )


class NotificationList(BaseModel):
    notifications: list[NotificationPublic]


class ConflictList(BaseModel):
    conflicts: list[ConflictPublic | PossibleConflictPublic]


# --- tracks and proximity warnings (docs/proximity.md) ---------------------------------------

TRACK_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "track_id": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,64}$"},
        "time": {"type": "string", "format": "date-time"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "alt_m": {"type": "number", "minimum": MIN_ALTITUDE_M, "maximum": MAX_ALTITUDE_M},
        "speed_mps": {"type": "number", "minimum": 0, "maximum": 2000},
        "heading_deg": {"type": "number", "minimum": 0, "maximum": 360},
        "kind": {"enum": ["air", "uav", "ground", "sea"]},
    },
    "required": ["track_id", "time", "lat", "lon", "alt_m", "speed_mps", "heading_deg", "kind"],
    "additionalProperties": False,
}


class TracksAccepted(BaseModel):
    accepted: int = Field(description="Reports that became their track's latest.")
    superseded: int = Field(
        description="Reports dropped because this node holds a newer one of their track."
    )


class AsJson:
    """``Annotated`` metadata for a domain object in an answer: the route hands it over as it is
    (only its type is checked), its ``to_json()`` writes it, and ``schema`` describes that in
    the OpenAPI document. So one type goes from the engine to the answer."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def __get_pydantic_core_schema__(
        self, source: type[Any], _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def check(value: object) -> Any:
            if not isinstance(value, source):
                raise ValueError(f"not a {source.__name__}")
            return value

        return core_schema.no_info_plain_validator_function(
            check,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: value.to_json(), return_schema=core_schema.dict_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, _schema: core_schema.CoreSchema, _handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return self.schema


# A listed track is a TrackReport, a listed warning an OpenWarning (domain/tracks.py).
TRACK_SCHEMA: dict[str, Any] = {
    **TRACK_REPORT_SCHEMA,
    "properties": {"party": {"type": "string"}, **TRACK_REPORT_SCHEMA["properties"]},
    "required": ["party", *TRACK_REPORT_SCHEMA["required"]],
}
ListedTrack = Annotated[TrackReport, AsJson(TRACK_SCHEMA)]


class TrackList(BaseModel):
    tracks: list[ListedTrack]


WARNING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A proximity warning: the same key and, for the same reports, the same "
    "figures on every node that holds the tracks (and the notification) it is about.",
    "properties": {
        "key": {"type": "string"},
        "rule": {"enum": ["approach", "protected-site", "volume"]},
        "minima": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "The minima and look-ahead applied.",
        },
        "opened_at": {
            "type": "string",
            "format": "date-time",
            "description": "When this node opened it.",
        },
    },
    "required": ["key", "rule", "minima", "opened_at"],
    "additionalProperties": True,
}
ListedWarning = Annotated[OpenWarning, AsJson(WARNING_SCHEMA)]


class WarningList(BaseModel):
    """A page of the open warnings, sorted by key (``after`` the last key for the next), and
    how many are open in all."""

    warnings: list[ListedWarning]
    total: int


# A listed journal entry is a JournalEntry (domain/journal.py), its data as an object.
JOURNAL_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "kind": {"type": "string"},
        "data": {"type": "object"},
        "prev_hash": {"type": "string"},
        "hash": {"type": "string"},
        "sig": {"type": "string"},
    },
    "required": ["seq", "at", "kind", "data", "prev_hash", "hash", "sig"],
    "additionalProperties": False,
}
ListedEntry = Annotated[JournalEntry, AsJson(JOURNAL_ENTRY_SCHEMA)]


class JournalPage(BaseModel):
    entries: list[ListedEntry]
    head: JournalHead


class ProvenEntryPublic(BaseModel):
    entry: str = Field(description="The entry's bytes (RFC 8785 canonical JSON), as text.")
    hash: str = Field(description="SHA-256 of the entry's bytes, hex.")
    sig: str = Field(description="The entry's own signature (journals from before checkpoints).")
    inclusion: list[str] = Field(description="Its inclusion proof in the checkpoint's tree.")


class JournalProof(BaseModel):
    """A proof of journal entries, checked offline by `openline journal check-proof`
    (docs/journal.md, "Proofs")."""

    openline_proof: int
    card: dict[str, Any] = Field(description="The node's card.")
    checkpoint: str = Field(description="The signed note, with every cosignature held.")
    entries: list[ProvenEntryPublic]
    sig: str = Field(description="The node's signature of the rest of the document.")
