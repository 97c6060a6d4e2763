"""The node the fuzzing tests share within a file: BLUE as a real process, linked to a RED that
never answers, and the OpenAPI schema it serves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis

from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import RunningNode, start_node


@pytest.fixture(scope="module")
def fuzzed_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    """BLUE as a real process, linked to a RED that never answers."""
    created = make_node_dir(tmp_path_factory.mktemp("fuzz") / "blue", port=free_port())
    link(created.directory, silent_card())
    node = start_node(created.directory, created.token)
    try:
        yield node
    finally:
        node.stop_surely()


@pytest.fixture(scope="module")
def node_schema(fuzzed_node: RunningNode) -> Any:
    return schemathesis.openapi.from_url(f"{fuzzed_node.url}/openapi.json")


@pytest.fixture(scope="module")
def session(fuzzed_node: RunningNode) -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened
