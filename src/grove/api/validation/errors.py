"""Field errors shaped like Kubernetes' ``field.Error``: a path, a type, the bad value and the rule.

Every validator returns these instead of raising, so one call reports *all* problems at once and each
one names the field (``spec.template.cliques[1].spec.minAvailable``) with the wire (camelCase) names a
user wrote. ``str(error)`` is the line a person reads: ``path: Invalid value: 5: must be ...``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final


class ErrorType(StrEnum):
    REQUIRED = "Required"
    INVALID = "Invalid"
    FORBIDDEN = "Forbidden"
    DUPLICATE = "Duplicate"
    NOT_SUPPORTED = "NotSupported"
    NOT_FOUND = "NotFound"
    TOO_LONG = "TooLong"


_HEADLINE: Final = {
    ErrorType.REQUIRED: "Required value",
    ErrorType.INVALID: "Invalid value",
    ErrorType.FORBIDDEN: "Forbidden",
    ErrorType.DUPLICATE: "Duplicate value",
    ErrorType.NOT_SUPPORTED: "Unsupported value",
    ErrorType.NOT_FOUND: "Not found",
    ErrorType.TOO_LONG: "Too long",
}
_SHOWS_VALUE: Final = {ErrorType.INVALID, ErrorType.DUPLICATE, ErrorType.NOT_SUPPORTED, ErrorType.NOT_FOUND}
_MAX_VALUE_CHARS: Final = 120


class Path(str):
    """A field path in Kubernetes notation; immutable, built with :meth:`child`, :meth:`at`, :meth:`key`."""

    __slots__ = ()

    def child(self, *names: str) -> Path:
        out = str(self)
        for name in names:
            out = f"{out}.{name}" if out else name
        return Path(out)

    def at(self, i: int) -> Path:
        return Path(f"{self}[{i}]")

    def key(self, k: object) -> Path:
        return Path(f"{self}[{k}]")


ROOT: Final = Path("")


class _OmittedValue:
    """Kubernetes' ``field.OmitValueType``: the error line leaves the bad value out."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OMIT_VALUE"


OMIT_VALUE: Final = _OmittedValue()
"""Pass as the value for a line without one, as the API server prints a failed CEL rule:
``spec.x: Invalid value: <message>``."""


def format_value(value: Any) -> str:
    """The value as JSON (strings quoted, numbers bare), shortened so a huge input stays readable."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=False)
    except (ValueError, TypeError, RecursionError):
        text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


@dataclass(frozen=True)
class FieldError:
    path: str
    type: ErrorType
    detail: str = ""
    value: Any = None

    def message(self) -> str:
        parts = [_HEADLINE[self.type]]
        if self.type in _SHOWS_VALUE and self.value is not OMIT_VALUE:
            parts.append(format_value(self.value))
        if self.detail:
            parts.append(self.detail)
        return ": ".join(parts)

    def __str__(self) -> str:
        return f"{self.path or '<object>'}: {self.message()}"


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, ErrorType.REQUIRED, detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(path, ErrorType.INVALID, detail, value)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, ErrorType.FORBIDDEN, detail)


def duplicate(path: str, value: Any, detail: str = "") -> FieldError:
    return FieldError(path, ErrorType.DUPLICATE, detail, value)


def not_found(path: str, value: Any, detail: str = "") -> FieldError:
    return FieldError(path, ErrorType.NOT_FOUND, detail, value)


def not_supported(path: str, value: Any, supported: list[str] | tuple[str, ...]) -> FieldError:
    detail = "supported values: " + ", ".join(format_value(s) for s in supported)
    return FieldError(path, ErrorType.NOT_SUPPORTED, detail, value)


def too_long(path: str, max_length: int) -> FieldError:
    return FieldError(path, ErrorType.TOO_LONG, f"may not be more than {max_length} bytes")


ErrorList = list[FieldError]


@dataclass
class ValidationResult:
    """Errors reject the object; warnings are returned to the user (as the webhook does) but admit it."""

    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def extend(self, other: ValidationResult) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def paths(self) -> list[str]:
        return [e.path for e in self.errors]
