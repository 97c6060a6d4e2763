"""The API's reference pages work on an air-gapped network: /docs (Swagger UI) and /redoc (ReDoc)
render from files the node serves, in a real Chromium whose every request beyond 127.0.0.1 is
refused and fails the test (the watch of tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Request

from tests.support.console import OpenConsole
from tests.support.processes import RunningNode

pytestmark = pytest.mark.slow


def test_swagger_ui_and_redoc_render_from_the_nodes_own_files(
    running_node: RunningNode, open_console: OpenConsole
) -> None:
    page = open_console(running_node).page
    scripts: list[str] = []

    def on_request(request: Request) -> None:
        if request.resource_type == "script":
            scripts.append(request.url)

    page.on("request", on_request)

    page.goto(f"{running_node.url}/docs")
    page.locator(".swagger-ui .opblock-summary-path[data-path='/api/v1/messages']").first.wait_for()
    assert "Openline node" in page.locator(".swagger-ui .info .title").inner_text()

    page.goto(f"{running_node.url}/redoc")
    page.get_by_role("heading", name="Openline node", exact=False).first.wait_for()
    page.get_by_text("/api/v1/messages").first.wait_for(state="attached")

    assert f"{running_node.url}/vendor/swagger-ui/swagger-ui-bundle.js" in scripts
    assert f"{running_node.url}/vendor/redoc/redoc.standalone.js" in scripts
