"""The one family of errors Openline raises for bad input or impossible requests.

Every error names the value and the limit it broke; the API turns each class into one HTTP
status with the JSON shape ``{"error": {"code", "message", "field"?}}``.
"""

from __future__ import annotations


class OpenlineError(Exception):
    """Base of every error Openline raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        where = f", field={self.field!r}" if self.field else ""
        return f"{type(self).__name__}({self.message!r}{where})"


class InvalidInput(OpenlineError):
    """A value broke a rule: wrong type, out of range, unknown name."""

    code = "invalid"


class NotFound(OpenlineError):
    """The thing asked for does not exist on this node."""

    code = "not_found"


class Conflict(OpenlineError):
    """The request is well formed but the current state does not allow it."""

    code = "conflict"


class Unauthorized(OpenlineError):
    """No operator token, or one this node does not know."""

    code = "unauthorized"


class Forbidden(OpenlineError):
    """A known operator whose role does not allow what was asked."""

    code = "forbidden"


class Unavailable(OpenlineError):
    """The node cannot keep what it is asked to keep right now (disk, database)."""

    code = "unavailable"
