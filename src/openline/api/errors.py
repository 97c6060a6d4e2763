"""The one JSON error shape: ``{"error": {"code", "message", "field"?}}``, for every failure."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from openline.domain import errors
from openline.domain.quoting import quote, quote_if_unusual

log = logging.getLogger(__name__)

STATUS = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.Unavailable: 503,
}
HTTP_CODES = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid",
}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="unauthorized, forbidden, not_found, conflict, invalid, ...")
    message: str = Field(description="For people: names the value and the limit it broke.")
    field: str | None = Field(None, description="The input at fault, when one is.")


class ErrorResponse(BaseModel):
    """The one error shape, declared in the OpenAPI document for every error status."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


_WHEN = {
    400: "The body is not JSON, or a string in it, or the URL, holds a lone surrogate or a NUL.",
    401: "No operator token, or one this node does not know.",
    403: "The token's role does not allow this (docs/security.md).",
    404: "No such thing on this node.",
    409: "The current state does not allow this.",
    413: "The body is over the size limit.",
    422: "A value broke a rule; `field` names it.",
    429: "Too many requests (from this peer, or with unknown tokens from this address); "
    "`Retry-After` says when to try again.",
    503: "The node cannot keep the write right now; nothing of it was kept.",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each in the one shape."""
    return {status: {"model": ErrorResponse, "description": _WHEN[status]} for status in statuses}


OPERATOR_ERRORS = documented(400, 401, 403, 404, 409, 413, 422, 429, 503)
FEDERATION_ERRORS = documented(413, 422, 429, 503)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


# A 503 is a database that cannot take a write right now (docs/reliability.md): worth trying
# again soon, by an operator's client or a peer's sender alike.
RETRY_AFTER_S = 2
_HEADERS = {401: {"WWW-Authenticate": "Bearer"}, 503: {"Retry-After": str(RETRY_AFTER_S)}}


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, field), status_code=status, headers=_HEADERS.get(status)
    )


def too_many_requests(message: str, retry_after_s: int) -> JSONResponse:
    """429 in the one shape, with the seconds to wait before trying again."""
    response = error_response(429, "rate_limited", message)
    response.headers["Retry-After"] = str(retry_after_s)
    return response


def _status_for(exc: errors.OpenlineError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def _openline_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.OpenlineError)
    return error_response(_status_for(exc), exc.code, exc.message, exc.field)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        problem = first.get("ctx", {}).get("error")  # what the decoder (or strict_json) found
        detail = f": {problem}" if problem else ""
        message = f"the request body is not valid JSON{detail}"
        return error_response(400, "malformed_request", message)
    location = [str(part) for part in first["loc"] if part not in ("body", "query", "path")]
    field = ".".join(map(quote_if_unusual, location)) or None  # a member name may be anything
    value = f" (got {quote(first['input'])})" if "input" in first and location else ""
    message = f"{field}: {first['msg']}{value}" if field else f"request body: {first['msg']}"
    return error_response(422, "invalid", message, field)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """A read the database could not serve (a PostgreSQL connection lost, say); writes come
    as Unavailable from the writer. Nothing was changed, so the client may try again."""
    log.warning("database unavailable: %s", exc)
    orig = getattr(exc, "orig", exc)
    return error_response(503, "unavailable", f"the database cannot answer right now: {orig}")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Errors raised in middleware (auth journaling a refusal) reach only this handler.
    if isinstance(exc, errors.OpenlineError):
        return await _openline_error(request, exc)
    if isinstance(exc, OperationalError):
        return await _database_unavailable(request, exc)
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "the node failed on this request; see its log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.OpenlineError, _openline_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
