"""``POST /api/v1/messages`` is served by a handler of its own (``direct_send_route``), ahead of
FastAPI's route, which costs the route about half its CPU; that route stays the one the OpenAPI
document describes. Both must answer every request alike: each request of the table goes to a
node served the direct way and to a node served by FastAPI's route alone, and the answers and
what each journals must be the same, up to the ids and times each node makes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from openline.api.app import create_app
from openline.domain.roles import Role
from openline.node.assembly import Node
from openline.services.operators import create_token
from tests.support.nodes import make_node_dir

FREE_TEXT = b'{"to": ["BLUE"], "precedence": "routine", "text": "keep clear", "lang": "en"}'
JSON = "application/json"
REQUEST = (
    b'{"to": ["BLUE"], "precedence": "immediate", "template": "deconfliction-request", '
    b'"fields": {"area": {"circle": {"lat": 35, "lon": 38.25, "radius_m": 5000}}, '
    b'"time_window": {"start": "2024-12-03T13:00:00Z", "end": "2024-12-03T14:00:00Z"}, '
    b'"request": "keep clear of the circle"}}'
)
# (who sends, the body, its content type); None: no Content-Type header.
CASES = {
    "free text": ("duty-officer", FREE_TEXT, JSON),
    "json with a charset": ("duty-officer", FREE_TEXT, "application/json; charset=utf-8"),
    "a +json type": ("duty-officer", FREE_TEXT, "application/merge-patch+json"),
    "no content type": ("duty-officer", FREE_TEXT, None),
    "sent as text": ("duty-officer", FREE_TEXT, "text/plain"),
    "empty": ("duty-officer", b"", JSON),
    "empty, no type": ("duty-officer", b"", None),
    "malformed": ("duty-officer", b'{"to": ', JSON),
    "not UTF-8": ("duty-officer", b'{"to": ["\xff"]}', JSON),
    "a lone surrogate": ("duty-officer", FREE_TEXT.replace(b"keep", b"\\ud800"), JSON),
    "a NUL": ("duty-officer", FREE_TEXT.replace(b"keep", b"\\u0000"), JSON),
    "NaN": ("duty-officer", FREE_TEXT.replace(b'"keep clear"', b"NaN"), JSON),
    "nested too deep": ("duty-officer", b"[" * 100 + b"]" * 100, JSON),
    "a list": ("duty-officer", b"[1, 2]", JSON),
    "a string": ("duty-officer", b'"text"', JSON),
    "an unknown member": ("duty-officer", FREE_TEXT[:-1] + b', "colour": "red"}', JSON),
    "no recipient": ("duty-officer", FREE_TEXT.replace(b'["BLUE"]', b"[]"), JSON),
    "text and a template": ("duty-officer", FREE_TEXT[:-1] + b', "template": "confirm"}', JSON),
    "an unknown party": ("duty-officer", FREE_TEXT.replace(b"BLUE", b"GREEN"), JSON),
    "a planner's free text": ("planner", FREE_TEXT, JSON),
    "a planner's malformed body": ("planner", b'{"to": ', None),
    "a planner's deconfliction request": ("planner", REQUEST, JSON),
    "a planner's request, bad field": ("planner", REQUEST[:-2] + b', "x": 1}}', JSON),
}
# What differs between two nodes for the same request: ids, instants and date-time groups.
MADE_HERE = re.compile(
    r"msg_[0-9A-Z]{26}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z|\d{6}Z[A-Z]{3}\d\d|\d+\.\d+ ms"
)


class Served:
    """A node in this process, its API served with or without the direct handler."""

    def __init__(self, path: Path, directly: bool) -> None:
        self.node = Node.open(make_node_dir(path).directory, environ={})
        app = create_app(self.node)
        if not directly:
            app.router.routes[:] = [r for r in app.router.routes if type(r) is not Route]
        self.client = TestClient(app)
        self.tokens = {role.value: create_token(self.node, role.value, role) for role in Role}

    def post(self, role: str, body: bytes, content_type: str | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        before = self._journal_length()
        response = self.client.post("/api/v1/messages", content=body, headers=headers)
        kept = ("content-type", "location", "www-authenticate", "retry-after")
        return {
            "status": response.status_code,
            "headers": {name: MADE_HERE.sub("*", response.headers.get(name, "")) for name in kept},
            "body": MADE_HERE.sub("*", response.text),
            "journaled": [entry["kind"] for entry in self._journal()[before:]],
        }

    def _journal(self) -> list[dict[str, Any]]:
        page = self.client.get(
            "/api/v1/journal",
            params={"limit": 5000},
            headers={"Authorization": f"Bearer {self.tokens['administrator']}"},
        )
        assert page.status_code == 200, page.text
        return list(page.json()["entries"])

    def _journal_length(self) -> int:
        return len(self._journal())


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Served]]:
    directly = Served(tmp_path_factory.mktemp("direct") / "blue", directly=True)
    by_fastapi = Served(tmp_path_factory.mktemp("fastapi") / "blue", directly=False)
    with directly.client, by_fastapi.client:
        yield directly, by_fastapi


def test_the_hot_routes_are_found_first_and_fastapis_routes_are_documented(
    both: tuple[Served, Served],
) -> None:
    directly, _ = both
    first = directly.client.app.router.routes[:2]  # type: ignore[attr-defined]
    assert [(r.path, r.methods, r.include_in_schema) for r in first] == [
        ("/api/v1/messages", {"POST"}, False),
        ("/federation/v1/envelopes", {"POST"}, False),
    ]
    paths = directly.client.get("/openapi.json").json()["paths"]
    assert paths["/api/v1/messages"]["post"]["operationId"] == "send_api_v1_messages_post"
    federation = paths["/federation/v1/envelopes"]["post"]["operationId"]
    assert federation == "receive_envelopes_federation_v1_envelopes_post"


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_message_posted_is_answered_as_fastapis_route_answers_it(
    both: tuple[Served, Served], case: tuple[str, bytes, str | None]
) -> None:
    directly, by_fastapi = both

    answered = directly.post(*case)

    assert answered == by_fastapi.post(*case)
