"""The one JSON error shape, pinned: every refused request, and what a refusal leaves behind.

Each case is a real request to the node's API in this process. A refusal must answer
``{"error": {"code", "message", "field"?}}`` and nothing else, and must write nothing: the
journal and the messages are the same afterwards, except for exactly one
``security.unauthenticated`` entry when the token was missing or wrong.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
from httpx2 import Response

from openline.services.journal import verify_journal
from tests.support.nodes import InProcess
from tests.support.processes import RunningNode

WRONG_TOKEN = "olt_this-token-was-never-issued-by-this-node-0000000"
Auth = Literal["operator", "none", "wrong", "basic"]
TEXT_LIMIT = 65_536  # the default max_text_bytes


@dataclass(frozen=True)
class Case:
    """One request and the refusal it must get. ``{queued}`` in a path is a queued message."""

    name: str
    method: str
    path: str
    status: int
    code: str
    field: str | None = None
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    auth: Auth = "operator"
    over_size_limit: Literal["declared", "streamed", None] = None

    def __str__(self) -> str:
        return self.name


def send_body(**overrides: Any) -> dict[str, Any]:
    """A valid free-text flash message to our own party, changed by ``overrides``.

    An override of ``...`` leaves that key out.
    """
    body: dict[str, Any] = {"to": ["BLUE"], "precedence": "flash", "text": "hi", "lang": "en"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def template_body(template: str, fields: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"to": ["BLUE"], "precedence": "flash", "template": template}
    body["fields"] = fields
    body.update(overrides)
    return body


def bad_message(name: str, body: dict[str, Any], field: str) -> Case:
    return Case(name, "POST", "/api/v1/messages", 422, "invalid", field, json=body)


POINT = {"lat": 35.0, "lon": 38.5}
CEASE = {"location": POINT, "activity": "artillery fire"}

# Bad input from the issue, then the other ways a message can be wrong: each names its field.
BAD_MESSAGES = [
    bad_message("unknown precedence", send_body(precedence="urgent"), "precedence"),
    bad_message("precedence of the wrong type", send_body(precedence=1), "precedence"),
    bad_message("missing precedence", send_body(precedence=...), "precedence"),
    bad_message("empty text", send_body(text=""), "text"),
    bad_message("blank text", send_body(text=" \n\t "), "text"),
    bad_message("text of the wrong type", send_body(text=42), "text"),
    bad_message("unknown template", template_body("weather-report", {}), "template"),
    bad_message("text one byte over 64 KiB", send_body(text="a" * (TEXT_LIMIT + 1)), "text"),
    bad_message(
        "two-byte text one byte over 64 KiB",
        send_body(text="é" * (TEXT_LIMIT // 2) + "a"),
        "text",
    ),
    bad_message(
        "both text and template", send_body(template="confirm", in_reply_to="msg_X"), "text"
    ),
    bad_message("neither text nor template", send_body(text=..., lang=...), "template"),
    bad_message("text without lang", send_body(lang=...), "lang"),
    bad_message("text with a lang that is no language code", send_body(lang="e1"), "lang"),
    bad_message("text with template fields", send_body(fields={"remarks": "x"}), "fields"),
    bad_message("template with a lang", template_body("line-check", {}, lang="en"), "lang"),
    bad_message("empty to", send_body(to=[]), "to"),
    bad_message("missing to", send_body(to=...), "to"),
    bad_message("to as a string, not a list", send_body(to="BLUE"), "to"),
    bad_message("bad party code in to", send_body(to=["blue"]), "to"),
    bad_message("a party named twice in to", send_body(to=["BLUE", "BLUE"]), "to"),
    bad_message("seventeen recipients", send_body(to=[f"P{i:02d}" for i in range(17)]), "to"),
    bad_message(
        "missing required template field",
        template_body("unable", {}, in_reply_to="x"),
        "fields.reason",
    ),
    bad_message(
        "wrong field type: a point given as text",
        template_body("request-cease-activity", {**CEASE, "location": "grid 37S"}),
        "fields.location",
    ),
    bad_message(
        "wrong field type: a count given as text",
        template_body("protected-site-notice", {"location": POINT, "site": "h", "radius_m": "9"}),
        "fields.radius_m",
    ),
    bad_message(
        "latitude out of range",
        template_body("request-cease-activity", {**CEASE, "location": {"lat": 91, "lon": 0}}),
        "fields.location.lat",
    ),
    bad_message(
        "time without a time zone",
        template_body(
            "unsafe-encounter-report",
            {"location": POINT, "time": "2024-12-03T12:00:00", "description": "close pass"},
        ),
        "fields.time",
    ),
    # Found by fuzzing, each a 500: a 400-digit integer overflowed math.isfinite(), and an
    # instant at an offset outside the years 0001-9999 in UTC overflowed its conversion.
    bad_message(
        "a 400-digit latitude",
        template_body("request-cease-activity", {**CEASE, "location": {"lat": 10**400, "lon": 0}}),
        "fields.location.lat",
    ),
    bad_message(
        "a time that is year 0 in UTC",
        template_body(
            "unsafe-encounter-report",
            {"location": POINT, "time": "0001-01-01T00:00:00+01:00", "description": "close pass"},
        ),
        "fields.time",
    ),
    bad_message("fields not an object", template_body("line-check", []), "fields"),
    bad_message("unknown field", template_body("line-check", {"colour": "red"}), "fields.colour"),
    bad_message("extra top-level key", send_body(priority="high"), "priority"),
    bad_message(
        "in_reply_to naming no message",
        template_body("confirm", {}, in_reply_to="msg_01JE668FG0000000000000000"),
        "in_reply_to",
    ),
    bad_message("confirm without in_reply_to", template_body("confirm", {}), "in_reply_to"),
]
REFUSALS = [
    Case(
        "malformed JSON",
        "POST",
        "/api/v1/messages",
        400,
        "malformed_request",
        content=b'{"to": ["BLUE"], "precedence": ',
        content_type="application/json",
    ),
    Case("missing token", "GET", "/api/v1/messages", 401, "unauthorized", auth="none"),
    Case("wrong token", "GET", "/api/v1/messages", 401, "unauthorized", auth="wrong"),
    Case("basic credentials", "GET", "/api/v1/node", 401, "unauthorized", auth="basic"),
    Case(
        "missing token on a send",
        "POST",
        "/api/v1/messages",
        401,
        "unauthorized",
        json=send_body(),
        auth="none",
    ),
    Case(
        "wrong token on an ack",
        "POST",
        "/api/v1/messages/{queued}/ack",
        401,
        "unauthorized",
        auth="wrong",
    ),
    Case("wrong token on the journal", "GET", "/api/v1/journal", 401, "unauthorized", auth="wrong"),
    Case("missing token on events", "GET", "/api/v1/events", 401, "unauthorized", auth="none"),
    # Found by probing on PostgreSQL, which keeps no NUL in text: each of these was a 500 there.
    Case("a NUL in a message id", "GET", "/api/v1/messages/msg%00X", 400, "malformed_request"),
    Case("a NUL in a query", "GET", "/api/v1/messages?before=%00", 400, "malformed_request"),
    Case(
        "a NUL in a conflict's key",
        "GET",
        "/api/v1/conflicts/k%00/request",
        400,
        "malformed_request",
    ),
    Case("unknown message", "GET", "/api/v1/messages/msg_NOSUCHMESSAGE", 404, "not_found"),
    Case("ack of an unknown message", "POST", "/api/v1/messages/msg_NOSUCH/ack", 404, "not_found"),
    Case("unknown API route", "GET", "/api/v1/teapot", 404, "not_found"),
    Case("wrong method on messages", "DELETE", "/api/v1/messages", 405, "method_not_allowed"),
    Case("wrong method on the journal", "POST", "/api/v1/journal", 405, "method_not_allowed"),
    Case("ack of a queued message", "POST", "/api/v1/messages/{queued}/ack", 409, "conflict"),
    Case(
        "declared body over max_request_bytes",
        "POST",
        "/api/v1/messages",
        413,
        "too_large",
        over_size_limit="declared",
    ),
    Case(
        "streamed body over max_request_bytes",
        "POST",
        "/api/v1/messages",
        413,
        "too_large",
        over_size_limit="streamed",
    ),
    Case("unknown box", "GET", "/api/v1/messages?box=sideways", 422, "invalid", "box"),
    Case("limit of zero", "GET", "/api/v1/messages?limit=0", 422, "invalid", "limit"),
    Case("negative journal after", "GET", "/api/v1/journal?after=-1", 422, "invalid", "after"),
    Case("journal limit over 5000", "GET", "/api/v1/journal?limit=5001", 422, "invalid", "limit"),
    # Found by the fuzzer: these reached the database and overflowed its integers (500).
    Case(
        "journal after past 2**31-1",
        "GET",
        f"/api/v1/journal?after={2**31}",
        422,
        "invalid",
        "after",
    ),
    Case(
        "events after past 2**31-1", "GET", f"/api/v1/events?after={2**31}", 422, "invalid", "after"
    ),
    *BAD_MESSAGES,
]
UNAUTHENTICATED = [c for c in REFUSALS if c.auth in ("none", "wrong", "basic")]


def call(api: InProcess, case: Case, queued_id: str) -> Response:
    """Make the case's request exactly: with, without or with a wrong token."""
    path = case.path.replace("{queued}", queued_id)
    content: Any = case.content
    limit = api.node.settings.max_request_bytes
    if case.over_size_limit == "declared":
        content = b"x" * (limit + 1)
    elif case.over_size_limit == "streamed":
        content = chunks(limit + 1)  # no Content-Length: the limit must count what arrives
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    request = api.client.build_request(
        case.method, path, json=case.json, content=content, headers=headers
    )
    if case.auth == "none":
        del request.headers["Authorization"]
    elif case.auth == "wrong":
        request.headers["Authorization"] = f"Bearer {WRONG_TOKEN}"
    elif case.auth == "basic":
        request.headers["Authorization"] = "Basic YWRtaW46YWRtaW4="
    return api.client.send(request)


def chunks(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    while size > 0:
        yield b"x" * min(chunk, size)
        size -= chunk


@pytest.fixture
def queued_id(api: InProcess) -> str:
    sent = api.client.post("/api/v1/messages", json=send_body(to=["RED"]))
    assert sent.status_code == 201, sent.text
    assert sent.json()["state"] == "queued"
    return str(sent.json()["id"])


def journal(api: InProcess) -> list[dict[str, Any]]:
    page = api.client.get("/api/v1/journal", params={"limit": 5000})
    assert page.status_code == 200, page.text
    return list(page.json()["entries"])


def all_messages(api: InProcess) -> list[dict[str, Any]]:
    listed = api.client.get("/api/v1/messages", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    return list(listed.json()["messages"])


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_every_refusal_answers_the_one_json_error_shape(api: InProcess, queued_id: str, case: Case):
    response = call(api, case, queued_id)

    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    expected_keys = {"code", "message"} | ({"field"} if case.field else set())
    assert set(error) == expected_keys
    assert error["code"] == case.code
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    assert error.get("field") == case.field
    if case.field:  # the message names the field too, for a human reading it
        assert case.field.split(".")[-1] in error["message"]
    if case.status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    else:
        assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_a_refused_request_writes_nothing_but_a_security_event_for_a_bad_token(
    api: InProcess, queued_id: str, case: Case
):
    journal_before, messages_before = journal(api), all_messages(api)

    call(api, case, queued_id)

    journal_after, messages_after = journal(api), all_messages(api)
    assert messages_after == messages_before
    assert journal_after[: len(journal_before)] == journal_before
    added = journal_after[len(journal_before) :]
    if case not in UNAUTHENTICATED:
        assert added == []
        return
    assert [entry["kind"] for entry in added] == ["security.unauthenticated"]
    data = added[0]["data"]
    assert set(data) == {"reason", "method", "path", "client"}
    assert data["method"] == case.method
    assert data["path"] == case.path.replace("{queued}", queued_id)
    reason = "unknown operator token" if case.auth == "wrong" else "no operator token"
    assert data["reason"] == reason
    recorded = json.dumps(added[0])
    assert WRONG_TOKEN not in recorded
    assert "YWRtaW46YWRtaW4=" not in recorded  # the Basic credentials


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("a" * TEXT_LIMIT, TEXT_LIMIT),
        ("é" * (TEXT_LIMIT // 2), TEXT_LIMIT),
        ("€" * (TEXT_LIMIT // 3) + "a", TEXT_LIMIT),
    ],
    ids=["ascii", "two-byte", "three-byte"],
)
def test_free_text_of_exactly_64_kib_is_accepted_whole(api: InProcess, text: str, size: int):
    assert len(text.encode("utf-8")) == size

    sent = api.client.post("/api/v1/messages", json=send_body(text=text))

    assert sent.status_code == 201, sent.text[:300]
    assert api.client.get(sent.headers["Location"]).json()["fields"]["text"] == text


def test_a_request_without_a_token_is_refused_before_its_body_is_read(
    api: InProcess, queued_id: str
):
    malformed = Case(
        "malformed JSON without a token",
        "POST",
        "/api/v1/messages",
        401,
        "unauthorized",
        content=b"{",
        content_type="application/json",
        auth="none",
    )
    before = journal(api)

    response = call(api, malformed, queued_id)

    assert response.status_code == 401
    assert [e["kind"] for e in journal(api)[len(before) :]] == ["security.unauthenticated"]


@pytest.mark.parametrize(
    "last_event_id",
    [b"\xb2", b"99999999999999999999", str(2**31).encode(), str(2**31 - 1).encode()],
    ids=["a superscript two", "20 digits", "2**31", "2**31-1"],
)
def test_a_last_event_id_past_any_journal_streams_from_the_head(
    running_node: RunningNode, last_event_id: bytes
):
    # b"\xb2" is '²' in latin-1, which passed str.isdigit() and then failed int(); a number
    # past 2**31-1 overflowed the seq column (found by the fuzzer; on PostgreSQL it is 32 bits).
    # Each failed the request. It is written on a socket: HTTP clients re-encode header bytes.
    url = httpx.URL(running_node.url)
    request = (
        b"GET /api/v1/events HTTP/1.1\r\nHost: %b\r\nAuthorization: Bearer %b\r\n"
        b"Last-Event-ID: %b\r\n\r\n" % (url.netloc, running_node.token.encode(), last_event_id)
    )
    with socket.create_connection((url.host, url.port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while b": live" not in answer and b"\r\n\r\n{" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert b": live" in answer


@pytest.mark.parametrize(
    ("escape", "named"),
    [("\\ud800", "a lone surrogate \\ud800"), ("\\u0000", "a NUL character (\\u0000)")],
    ids=["lone surrogate", "NUL"],
)
def test_every_json_body_with_a_lone_surrogate_or_a_nul_is_refused_naming_its_place(
    api: InProcess, queued_id: str, escape: str, named: str
):
    # Found by probing: a lone surrogate failed when encoded (a 500); PostgreSQL keeps no NUL.
    paths = api.client.get("/openapi.json").json()["paths"]
    operations = [
        (method.upper(), path.replace("{message_id}", queued_id))
        for path, ops in paths.items()
        for method, op in ops.items()
        if path.startswith("/api/") and "requestBody" in op
    ]
    assert len(operations) >= 4
    journal_before, messages_before = journal(api), all_messages(api)

    for method, path in operations:
        content = f'{{"title": "x{escape}y", "to": ["BLUE"]}}'.encode()
        response = api.client.request(
            method, path, content=content, headers={"Content-Type": "application/json"}
        )

        assert response.status_code == 400, (method, path, response.text)
        error = response.json()["error"]
        assert set(error) == {"code", "message"}
        assert error["code"] == "malformed_request"
        assert error["message"].startswith(
            f"the request body is not valid JSON: title holds {named}"
        )
    assert journal(api) == journal_before
    assert all_messages(api) == messages_before


def test_a_federation_batch_with_a_lone_surrogate_is_refused_and_journaled(api: InProcess):
    content = b'{"envelopes": [{"sender": "RED", "body": {"text": "\\ud800"}}]}'

    response = api.client.post("/federation/v1/envelopes", content=content)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "envelopes"
    assert "envelopes[0].body.text holds a lone surrogate \\ud800" in error["message"]
    (last,) = journal(api)[-1:]
    assert last["kind"] == "security.federation_malformed"
    assert verify_journal(api.node).intact
