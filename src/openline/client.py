"""A small HTTP client for a running node's operator API (used by the CLI)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from openline.config import load_settings
from openline.domain.errors import OpenlineError
from openline.nodedir import NodeDirectory


class NodeUnreachable(OpenlineError):
    code = "unreachable"


class ApiError(OpenlineError):
    def __init__(self, status: int, code: str, message: str, field: str | None) -> None:
        super().__init__(message, field=field)
        self.status = status
        self.code = code


class NodeClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    @classmethod
    def for_node(cls, directory: Path) -> NodeClient:
        """The node's own URL and its local CLI token, read from its directory."""
        settings = load_settings(directory, os.environ)
        return cls(settings.public_url, NodeDirectory(directory).read_cli_token())

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise NodeUnreachable(
                f"the node at {self.base_url} does not answer ({exc}); is `openline serve` running?"
            ) from None
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": "http_error", "message": response.text[:200]}
            raise ApiError(
                response.status_code, error["code"], error["message"], error.get("field")
            )
        return response.json()
