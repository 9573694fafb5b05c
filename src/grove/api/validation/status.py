"""The one encoding of a rejected object: a 422 ``metav1.Status`` built from field errors.

Both worlds send it: the webhook server puts it in ``AdmissionResponse.status`` (the API server passes
it on to the client), the embedded cluster raises it (via :func:`grove.kube.errors.from_status`) from
admission and from its core validation. As ``apierrors.NewInvalid`` writes it:

- ``message``: ``Kind.group "name" is invalid: path: body`` (several errors in ``[a, b]``), core kinds
  without a group (``Pod "x" is invalid: ...``);
- ``details.causes[]``: ``{"reason": "FieldValueInvalid", "message": "Invalid value: ...", "field": path}``.
  ``metav1.StatusCause`` serialises its type under ``reason`` (not ``type``: a decoder drops that), and
  the cause types are ``FieldValue`` + the error type (``FieldValueRequired``, ``FieldValueInvalid``,
  ``FieldValueNotSupported``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grove.api.validation.errors import FieldError


def cause_type(err: FieldError) -> str:
    """metav1.CauseType of a field error: ``FieldValue`` + its type (``FieldValueInvalid``)."""
    return f"FieldValue{err.type.value}"


def invalid_message(kind: str, group: str, name: str, errors: Sequence[FieldError]) -> str:
    qualified = f"{kind}.{group}" if group else kind
    details = ", ".join(str(e) for e in errors)
    return f'{qualified} "{name}" is invalid: ' + (f"[{details}]" if len(errors) > 1 else details)


def invalid_status(kind: str, group: str, name: str, errors: Sequence[FieldError]) -> dict[str, Any]:
    """The wire ``Status`` for a 422 Invalid (``apiVersion``/``kind`` included, as the API server sends)."""
    return {
        "apiVersion": "v1",
        "kind": "Status",
        "metadata": {},
        "status": "Failure",
        "message": invalid_message(kind, group, name, errors),
        "reason": "Invalid",
        "code": 422,
        "details": {
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [{"reason": cause_type(e), "message": e.message(), "field": e.path} for e in errors],
        },
    }
