"""Kubernetes API errors as exceptions that mirror metav1.Status reasons.

Both KubeClient backends raise exactly these, so callers branch on the class (or ``reason``), never on
backend-specific types. ``to_status`` gives the wire form an HTTP facade would send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StatusCause:
    """One field-level reason (``metav1.StatusCause``): field path, reason type, message."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def to_wire(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "reason": self.reason}


class ApiError(Exception):
    """Base class: an API request the server answered with a failure Status."""

    code: int = 500
    reason: str = "InternalError"

    def __init__(self, message: str, *, causes: list[StatusCause] | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.causes: list[StatusCause] = list(causes or [])
        self.details: dict[str, Any] = dict(details or {})

    def to_status(self) -> dict[str, Any]:
        details = dict(self.details)
        if self.causes:
            details["causes"] = [c.to_wire() for c in self.causes]
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            status["details"] = details
        return status


class BadRequest(ApiError):
    code, reason = 400, "BadRequest"


class Unauthorized(ApiError):
    code, reason = 401, "Unauthorized"


class Forbidden(ApiError):
    code, reason = 403, "Forbidden"


class NotFound(ApiError):
    code, reason = 404, "NotFound"


class MethodNotAllowed(ApiError):
    code, reason = 405, "MethodNotAllowed"


class AlreadyExists(ApiError):
    code, reason = 409, "AlreadyExists"


class Conflict(ApiError):
    code, reason = 409, "Conflict"


class Gone(ApiError):
    """410: the requested resourceVersion is older than the watch history kept (relist)."""

    code, reason = 410, "Expired"


class Invalid(ApiError):
    """422: the object failed validation; ``causes`` names every field path and rule."""

    code, reason = 422, "Invalid"


class TooManyRequests(ApiError):
    code, reason = 429, "TooManyRequests"


class ServerTimeout(ApiError):
    code, reason = 504, "Timeout"


_BY_REASON: dict[str, type[ApiError]] = {
    cls.reason: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, AlreadyExists, Conflict,
                Gone, Invalid, TooManyRequests, ServerTimeout)
}
_BY_REASON["Gone"] = Gone


def from_status(status: dict[str, Any], http_code: int | None = None) -> ApiError:
    """Rebuild the matching exception from a wire ``Status`` (used by the HTTP backend)."""
    reason = str(status.get("reason") or "")
    code = int(status.get("code") or http_code or 500)
    cls = _BY_REASON.get(reason)
    if cls is None:
        cls = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 410: Gone,
               422: Invalid, 429: TooManyRequests}.get(code, ApiError)
    details = dict(status.get("details") or {})
    causes = [StatusCause(field=str(c.get("field", "")), message=str(c.get("message", "")),
                          reason=str(c.get("reason", "")))
              for c in details.pop("causes", []) or []]
    return cls(str(status.get("message") or reason or f"HTTP {code}"), causes=causes, details=details)

