"""Core validation of Pods and Nodes on every write, as kube-apiserver's ``pkg/apis/core/validation``.

The rules are :mod:`grove.api.validation.core` (shared with ``grove validate``); here they run on the
object about to be stored and a failure is the same 422 Invalid a real API server sends
(:func:`grove.api.validation.status.invalid_status`), so a garbage pod never reaches the scheduler or
the fake kubelet. Pod status writes are not re-checked (the spec cannot change through them).
"""

from __future__ import annotations

from typing import Any

from grove.api.validation.core import validate_core_object
from grove.api.validation.status import invalid_status
from grove.kube.errors import from_status


def check_core_object(obj: dict[str, Any], *, subresource: str | None = None) -> None:
    """Raise Invalid naming every field path when ``obj`` is a v1 Pod or Node the API server would refuse."""
    if subresource not in (None, "status") or (subresource == "status" and obj.get("kind") == "Pod"):
        return
    errors = validate_core_object(obj)
    if errors:
        name = str((obj.get("metadata") or {}).get("name") or "")
        raise from_status(invalid_status(str(obj.get("kind")), "", name, errors))
