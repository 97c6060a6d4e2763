"""Who may do what: operator roles, tokens that only their own node knows, secrets kept secret.

BLUE's API runs in this process (the ``api`` fixture) with a token of each role; the last test
runs ``openline init`` and ``openline serve`` as real processes and reads what they logged.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.routing import BaseRoute

from openline.api.deps import Requires, sendable_message
from openline.domain.envelopes import first_prev, seal
from openline.domain.messages import Message, Recipient
from openline.domain.precedence import Precedence
from openline.domain.roles import Action, Role, may, roles_allowed
from openline.domain.timeutil import parse_utc
from openline.keys.signing import SigningKey
from openline.services.operators import create_token
from openline.store.database import SQLITE_FILE
from openline.store.tables import operator_tokens
from tests.support.blind import blind_op
from tests.support.boxes import ANY_BOX
from tests.support.nodes import InProcess, make_node_dir
from tests.support.ports import free_port
from tests.support.processes import run_openline, start_node
from tests.support.tracks import track_report

FEDERATION = "/federation/v1/envelopes"
# The API reference pages (HTML, served by the node for people): routes, not operations.
PAGES = {("GET", "/docs"), ("GET", "/redoc")}
WINDOW = {"start": "2024-12-03T13:00:00Z", "end": "2024-12-03T14:00:00Z"}
CIRCLE = {"circle": {"lat": 35, "lon": 38.25, "radius_m": 5000}}


def notification(title: str = "strike package") -> dict[str, Any]:
    ring = [[36.0, 35.0], [36.1, 35.0], [36.1, 35.1], [36.0, 35.1], [36.0, 35.0]]
    volume = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 0,
        "altitude_upper_m": 3000,
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T14:00:00Z",
    }
    return {"kind": "air-operation", "title": title, "volumes": [volume]}


TRACK = track_report(time="2024-12-03T12:00:00Z")  # the fixture's fake clock
FREE_TEXT = {"to": ["BLUE"], "precedence": "flash", "text": "hold fire", "lang": "en"}
LINE_CHECK = {"to": ["BLUE"], "precedence": "routine", "template": "line-check", "fields": {}}
DECONFLICTION_REQUEST = {
    "to": ["BLUE"],
    "precedence": "immediate",
    "template": "deconfliction-request",
    "fields": {"area": CIRCLE, "time_window": WINDOW, "request": "keep clear of the circle"},
}


@dataclass(frozen=True)
class Change:
    """A request that changes something, the action it needs, and the status that means done.

    ``{message}``, ``{notification}`` and ``{blind}`` in the path are a message to BLUE, a
    notification of BLUE's and one of BLUE's deconflicted blind with RED, all made by the
    administrator before the request.
    """

    name: str
    action: Action
    method: str
    path: str
    json: Any
    done: int

    def __str__(self) -> str:
        return self.name


CHANGES = [
    Change("send free text", Action.SEND, "POST", "/api/v1/messages", FREE_TEXT, 201),
    Change("send a line check", Action.SEND, "POST", "/api/v1/messages", LINE_CHECK, 201),
    Change(
        "send a deconfliction request",
        Action.SEND_DECONFLICTION_REQUEST,
        "POST",
        "/api/v1/messages",
        DECONFLICTION_REQUEST,
        201,
    ),
    Change(
        "acknowledge a message",
        Action.ACKNOWLEDGE,
        "POST",
        "/api/v1/messages/{message}/ack",
        None,
        200,
    ),
    Change(
        "create a notification", Action.NOTIFY, "POST", "/api/v1/notifications", notification(), 201
    ),
    Change(
        "revise a notification",
        Action.NOTIFY,
        "PUT",
        "/api/v1/notifications/{notification}",
        notification("strike package, revised"),
        200,
    ),
    Change("report tracks", Action.REPORT_TRACKS, "POST", "/api/v1/tracks", [TRACK], 200),
    Change(
        "cancel a notification",
        Action.NOTIFY,
        "POST",
        "/api/v1/notifications/{notification}/status",
        {"status": "cancelled"},
        200,
    ),
    Change(
        "disclose a blind notification",
        Action.NOTIFY,
        "POST",
        "/api/v1/notifications/{blind}/disclose",
        {"to": ["RED"]},
        200,
    ),
]
FORBIDDEN = [(role, c) for role, c in itertools.product(Role, CHANGES) if not may(role, c.action)]


@pytest.fixture
def tokens(api: InProcess) -> dict[Role, str]:
    return {role: create_token(api.node, f"{role.value}-1", role) for role in Role}


@pytest.fixture
def targets(api: InProcess) -> dict[str, str]:
    """A message to BLUE, a notification of BLUE's and a blind one, made by the administrator."""
    message = api.client.post("/api/v1/messages", json=FREE_TEXT)
    made = api.client.post("/api/v1/notifications", json=notification())
    blind = api.client.post("/api/v1/notifications", json=blind_op("patrol", (36.1, 38.6), "RED"))
    for answer in (message, made, blind):
        assert answer.status_code == 201, answer.text
    return {
        "message": message.json()["id"],
        "notification": made.json()["id"],
        "blind": blind.json()["id"],
    }


def request(api: InProcess, change: Change, targets: dict[str, str], token: str) -> httpx.Response:
    path = change.path.format(**targets)
    return api.client.request(
        change.method, path, json=change.json, headers={"Authorization": f"Bearer {token}"}
    )


def journal(api: InProcess) -> list[dict[str, Any]]:
    page = api.client.get("/api/v1/journal", params={"limit": 5000})
    assert page.status_code == 200, page.text
    return list(page.json()["entries"])


def stored(api: InProcess) -> tuple[Any, Any]:
    messages = api.client.get("/api/v1/messages", params={"limit": 1000}).json()
    notifications = api.client.get("/api/v1/notifications", params={"status": "all"}).json()
    return messages, notifications


@pytest.mark.parametrize(("role", "change"), list(itertools.product(Role, CHANGES)), ids=str)
def test_each_role_does_exactly_what_the_matrix_allows(
    api: InProcess, tokens: dict[Role, str], targets: dict[str, str], role: Role, change: Change
):
    response = request(api, change, targets, tokens[role])

    expected = change.done if may(role, change.action) else 403
    assert response.status_code == expected, response.text


@pytest.mark.parametrize(("role", "change"), FORBIDDEN, ids=str)
def test_a_forbidden_action_is_refused_naming_the_role_it_needs_journaled_and_changes_nothing(
    api: InProcess, tokens: dict[Role, str], targets: dict[str, str], role: Role, change: Change
):
    journal_before, stored_before = journal(api), stored(api)

    response = request(api, change, targets, tokens[role])

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {"code": "forbidden", "message": response.json()["error"]["message"]}
    }
    message = response.json()["error"]["message"]
    needed = " or ".join(r.value for r in roles_allowed(change.action))
    assert f"has the role {role.value}" in message
    assert message.endswith(f"needs the role {needed}")
    assert stored(api) == stored_before
    added = journal(api)[len(journal_before) :]
    assert [entry["kind"] for entry in added] == ["security.forbidden"]
    assert added[0]["data"] == {
        "operator": f"{role.value}-1",
        "role": role.value,
        "action": change.action.value,
        "method": change.method,
        "path": change.path.format(**targets),
        "client": "testclient",
    }
    assert tokens[role] not in str(added)


def test_a_forbidden_requests_long_path_is_journaled_quoted_short(
    api: InProcess, tokens: dict[Role, str]
):
    role = next(role for role in Role if not may(role, Action.ACKNOWLEDGE))
    path = "/api/v1/messages/" + "\x1b[2J" * 2000 + "/ack"  # as the node reads it
    sent = path.replace("\x1b", "%1B")
    journal_before = journal(api)

    response = api.client.post(sent, headers={"Authorization": f"Bearer {tokens[role]}"})

    assert response.status_code == 403, response.text
    (added,) = journal(api)[len(journal_before) :]
    assert added["kind"] == "security.forbidden"
    digest = hashlib.sha256(path.encode()).hexdigest()[:16]
    assert added["data"]["path"].startswith("'/api/v1/messages/\\x1b[2J\\x1b[2J")
    assert added["data"]["path"].endswith(f"' ({len(path)} characters, sha256 {digest})")
    assert len(added["data"]["path"]) < 300


def test_a_forbidden_request_is_refused_whatever_its_body_holds(
    api: InProcess, tokens: dict[Role, str]
):
    response = api.client.post(
        "/api/v1/notifications",
        content=b'{"kind": ',
        headers={"Authorization": f"Bearer {tokens[Role.DUTY_OFFICER]}"},
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# What the GET routes that need a query answer with: a point and a time as an officer types
# them, a map view of 10 km squares.
QUERIES: dict[str, dict[str, str | int | float]] = {
    "/api/v1/basemap": {"west": 38.5, "south": 35.6, "east": 39.5, "north": 36.2, "zoom": 10},
    "/api/v1/entry/point": {"text": "37SEV0090178402"},
    "/api/v1/entry/time": {"text": "031800ZDEC26"},
    "/api/v1/mgrs-grid": {
        "south": 35.8,
        "west": 38.8,
        "north": 36.1,
        "east": 39.2,
        "spacing_m": 10_000,
    },
}


@pytest.mark.parametrize(
    "body",
    [b'{"to": ', b'{"to": [], "template": "planned-operation", "fields": 3}', b"[1, 2]"],
    ids=["malformed", "invalid planned operation", "not an object"],
)
def test_a_planners_other_messages_are_refused_before_their_body_is_checked(
    api: InProcess, tokens: dict[Role, str], body: bytes
):
    journal_before = journal(api)

    response = api.client.post(
        "/api/v1/messages",
        content=body,
        headers={"Authorization": f"Bearer {tokens[Role.PLANNER]}"},
    )

    assert response.status_code == 403, response.text
    added = journal(api)[len(journal_before) :]
    assert [entry["kind"] for entry in added] == ["security.forbidden"]
    assert added[0]["data"]["action"] == Action.SEND.value


def test_a_planners_deconfliction_request_with_a_bad_field_is_checked_like_anyone_elses(
    api: InProcess, tokens: dict[Role, str]
):
    body = {**DECONFLICTION_REQUEST, "fields": {**DECONFLICTION_REQUEST["fields"], "nonsense": 1}}

    response = api.client.post(
        "/api/v1/messages",
        json=body,
        headers={"Authorization": f"Bearer {tokens[Role.PLANNER]}"},
    )

    assert response.status_code == 422, response.text


def get_paths(api: InProcess) -> dict[str, dict[str, str | int | float]]:
    """Every GET path of the API that takes no path parameter, with the query it needs."""
    paths = api.client.get("/openapi.json").json()["paths"]
    found = {}
    for path, ops in paths.items():
        if "get" not in ops or "{" in path or path == "/api/v1/events":
            continue
        needed = {p["name"] for p in ops["get"].get("parameters", []) if p["required"]}
        assert needed <= set(QUERIES.get(path, {})), f"give {path} its query {needed} in QUERIES"
        found[path] = QUERIES.get(path, {})
    return found


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_role_reads_everything(api: InProcess, tokens: dict[Role, str], role: Role):
    auth = {"Authorization": f"Bearer {tokens[role]}"}
    paths = get_paths(api)

    answers = {
        path: api.client.get(path, params=query, headers=auth).status_code
        for path, query in paths.items()
    }

    assert answers == dict.fromkeys(paths, 200)
    assert set(QUERIES) <= set(paths)
    with api.client.stream("GET", "/api/v1/events?after=0", headers=auth) as events:
        assert events.status_code == 200


def api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    """Every endpoint of the app, inside the routers it includes.

    FastAPI keeps an included router whole (its ``original_router``); the test that compares
    this walk with the OpenAPI schema makes sure it misses nothing.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def test_every_api_route_declares_what_it_requires(api: InProcess):
    undeclared = []
    for route in api_routes(api.client.app.routes):  # type: ignore[attr-defined]
        if not route.path.startswith("/api/"):
            continue
        calls = [dependency.call for dependency in route.dependant.dependencies]
        requirements = [c for c in calls if isinstance(c, Requires) or c is sendable_message]
        if len(requirements) != 1:
            undeclared.append(f"{sorted(route.methods)} {route.path}: {requirements}")

    assert undeclared == []


def openapi_operations(api: InProcess) -> list[tuple[str, str]]:
    paths = api.client.get("/openapi.json").json()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def test_the_openapi_schema_lists_every_route(api: InProcess):
    declared = {
        (method, route.path)
        for route in api_routes(api.client.app.routes)  # type: ignore[attr-defined]
        for method in route.methods
    }

    assert declared - PAGES == set(openapi_operations(api))
    # Outside /api/ only the line's endpoints, which envelopes' signatures authenticate: the
    # federation endpoint and the relay's (docs/line.md#relays).
    assert {path for _method, path in declared - PAGES if not path.startswith("/api/")} == {
        FEDERATION,
        "/federation/v1/relay",
    }


@pytest.fixture
def other_nodes_token(tmp_path: Path) -> str:
    """The administrator's token of another node, RED."""
    return make_node_dir(tmp_path / "red", party="RED", lang="ru").token


@pytest.mark.parametrize("credentials", ["none", "unknown", "another node's"])
def test_no_api_endpoint_answers_without_a_valid_token(
    api: InProcess, other_nodes_token: str, credentials: str
):
    tokens = {"unknown": "olt_" + "x" * 43, "another node's": other_nodes_token}
    operations = [(m, p) for m, p in openapi_operations(api) if p.startswith("/api/")]
    assert len(operations) >= 15
    answers = {}
    for method, path in operations:
        url = re.sub(r"\{[^}]+\}", "x", path)
        request = api.client.build_request(method, url, json={})
        if credentials == "none":
            del request.headers["Authorization"]
        else:
            request.headers["Authorization"] = f"Bearer {tokens[credentials]}"
        answers[(method, path)] = api.client.send(request).status_code

    assert answers == dict.fromkeys(operations, 401)


def test_an_operator_token_does_not_make_an_unsigned_envelope_acceptable(api: InProcess):
    forged = seal(
        envelope_id="env_red_1",
        sender="RED",
        to="BLUE",
        link_seq=1,
        prev=first_prev(),
        sent_at="2024-12-03T12:00:00.000Z",
        kind="message",
        body=red_message().to_json(),
        sign=SigningKey.generate().sign,  # not RED's key
        box=ANY_BOX,
    )
    before = stored(api)

    response = api.client.post(FEDERATION, json={"envelopes": [forged.to_json()]})

    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["refused"]["code"] == "bad_signature"
    assert stored(api) == before


def red_message() -> Message:
    return Message(
        id="msg_red_1",
        sender="RED",
        precedence=Precedence.FLASH,
        template="free-text",
        fields={"text": "we speak for RED", "lang": "ru"},
        created_at=parse_utc("2024-12-03T12:00:00Z"),
        deadline=parse_utc("2024-12-03T12:10:00Z"),
        created_by="forger",
        recipients=(Recipient("BLUE"),),
    )


def test_tokens_are_stored_only_as_their_hashes(api: InProcess, tokens: dict[Role, str]):
    every_token = [api.token, *tokens.values()]

    rows = api.node.read(lambda conn: conn.execute(select(operator_tokens)).all())
    database_bytes = b"".join(
        path.read_bytes()
        for path in api.node.directory.path.glob(f"{SQLITE_FILE}*")
        if path.is_file()
    )

    kept = {row.token_hash: row for row in rows}
    for token in every_token:
        digest = hashlib.sha256(token.encode()).hexdigest()
        assert digest in kept
        assert token not in str(tuple(kept[digest]))
        assert token.encode() not in database_bytes
        assert token.removeprefix("olt_").encode() not in database_bytes
    assert {row.operator: row.role for row in rows} == {
        "admin": "administrator",
        "local-cli": "administrator",
        **{f"{role.value}-1": role.value for role in Role},
    }


def test_token_create_takes_a_role_and_token_list_shows_it(tmp_path: Path):
    directory = make_node_dir(tmp_path / "blue").directory

    made = run_openline("token", "create", directory, "--operator", "plans-1", "--role", "planner")
    default = run_openline("token", "create", directory, "--operator", "watch-1")
    wrong = run_openline("token", "create", directory, "--operator", "x", "--role", "root")
    listed = run_openline("token", "list", directory)

    assert made.returncode == 0, made.stderr
    assert default.returncode == 0, default.stderr
    assert wrong.returncode == 2
    assert "'root' is not one of 'duty-officer', 'planner', 'administrator'" in wrong.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert [(row[0], row[1]) for row in rows] == [
        ("admin", "administrator"),
        ("local-cli", "administrator"),
        ("plans-1", "planner"),
        ("watch-1", "duty-officer"),
    ]
    for token in (made.stdout.strip(), default.stdout.strip()):
        assert hashlib.sha256(token.encode()).hexdigest()[:12] in listed.stdout
        assert token not in listed.stdout


def key_forms(key_file: Path) -> list[str]:
    """Every way the private key could be written out: its PEM body, its seed in base64 (with
    and without padding, URL-safe too) and in hex."""
    pem = key_file.read_text(encoding="ascii")
    body = "".join(pem.strip().splitlines()[1:-1])
    seed = base64.b64decode(body)[-32:]
    assert SigningKey(seed).public_key  # it is the key, read back
    forms = [body, base64.b64encode(seed).decode(), base64.urlsafe_b64encode(seed).decode()]
    return [*forms, *(f.rstrip("=") for f in forms), seed.hex()]


@pytest.mark.slow
def test_the_private_key_is_mode_0600_and_never_logged(tmp_path: Path):
    directory = tmp_path / "blue"
    port = str(free_port())
    init = run_openline(
        "init", directory, "--party", "BLUE", "--name", "Blue", "--lang", "en", "--port", port
    )
    assert init.returncode == 0, init.stderr
    key_file = directory / "node.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / "cli.token").stat().st_mode) == 0o600
    duty = run_openline("token", "create", directory, "--operator", "watch-1").stdout.strip()
    node = start_node(directory, init.stdout.strip(), {"OPENLINE_LOG_LEVEL": "debug"})
    try:
        with node.client() as client:
            assert client.get("/api/v1/node").status_code == 200
            assert client.post("/api/v1/messages", json=FREE_TEXT).status_code == 201
            assert client.get("/api/v1/messages", headers={"Authorization": ""}).status_code == 401
            refused = client.post(
                "/api/v1/notifications",
                json=notification(),
                headers={"Authorization": f"Bearer {duty}"},
            )
            assert refused.status_code == 403
            assert client.post(FEDERATION, content=b"{").status_code == 422
    finally:
        node.stop_surely()
    exported = run_openline("journal", "export", directory)

    written = [init.stdout, init.stderr, node.log.read_text(), exported.stdout, exported.stderr]
    assert "security.forbidden" in exported.stdout
    for form in key_forms(key_file):
        for text in written:
            assert form not in text
