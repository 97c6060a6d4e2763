"""A small HTTP client for a running node's operator API (used by the CLI)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import httpx

from openline.domain.errors import OpenlineError
from openline.keys.tls import pinned_context, pins_of_file
from openline.node.directory import NodeDirectory
from openline.node.settings import load_settings


class NodeUnreachable(OpenlineError):
    code = "unreachable"


class ApiError(OpenlineError):
    def __init__(self, status: int, code: str, message: str, field: str | None) -> None:
        super().__init__(message, field=field)
        self.status = status
        self.code = code


class NodeClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            verify=verify,
        )

    @classmethod
    def for_node(cls, directory: Path) -> NodeClient:
        """The node's own URL and its local CLI token, read from its directory."""
        settings = load_settings(directory, os.environ)
        token = NodeDirectory(directory).read_cli_token()
        if not settings.tls_cert_file:
            return cls(settings.public_url, token)
        # The CLI knows its own node's certificate: it pins it, self-signed or not.
        pins = pins_of_file(directory / settings.tls_cert_file)
        return cls(settings.public_url, token, verify=pinned_context(pins.public_key))

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.fetch(method, path, **kwargs).json()

    def fetch(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The node's answer, whatever its type; an error answer raised as ``ApiError``."""
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
        return response
