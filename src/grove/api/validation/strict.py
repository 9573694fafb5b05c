"""Unknown fields: what a lenient reader keeps silently and kubectl's strict field validation names.

Grove's models keep unknown fields (``extra="allow"``) so nothing a newer server sends is lost; for
*input* a field the schema does not know is almost always a typo (``spec.replicaz``, ``minAvalable``).
This lists them with their wire paths, as the API server's ``fieldValidation=Warn`` does
(``unknown field "spec.replicaz"``); callers print them as warnings, or refuse the input in strict mode
(kubectl ``--validate=strict``). Embedded Kubernetes types (the pod template) are checked against the
Kubernetes OpenAPI schema of the version we build against (:mod:`grove.api.crds.podspec`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from grove.api.kinds import model_for
from grove.api.models.base import ObjectMeta
from grove.api.validation.errors import ROOT, Path
from grove.api.validation.schema import parse_model

KNOWN_EXTRA: dict[type[BaseModel], frozenset[str]] = {
    ObjectMeta: frozenset({"selfLink"}),  # deprecated metav1.ObjectMeta fields Grove never reads
}


def unknown_fields(model: BaseModel, path: Path = ROOT) -> list[Path]:
    """Every field of ``model`` (recursively) its schema does not define, in document order."""
    out: list[Path] = []
    _walk(model, path, out)
    return out


def _walk(model: BaseModel, path: Path, out: list[Path]) -> None:
    allowed = KNOWN_EXTRA.get(type(model), frozenset())
    extra = model.model_extra or {}
    for key in extra:
        if key not in allowed:
            out.append(path.child(str(key)))
    for name, info in type(model).model_fields.items():
        if name not in model.model_fields_set:
            continue
        _walk_value(getattr(model, name), path.child(info.alias or name), out)


def _walk_value(value: Any, path: Path, out: list[Path]) -> None:
    if isinstance(value, BaseModel):
        _walk(value, path, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, BaseModel):
                _walk(item, path.at(i), out)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, BaseModel):
                _walk(item, path.key(key), out)


def unknown_field_warnings(body: Any) -> list[str]:
    """``unknown field "PATH"`` for each unknown field of a Grove object; [] for other kinds or bodies
    that do not parse (their schema errors are reported by validation)."""
    if not isinstance(body, dict):
        return []
    model = model_for(body.get("apiVersion"), body.get("kind"))
    if model is None:
        return []
    parsed, _ = parse_model(model, body)
    if parsed is None:
        return []
    return [f'unknown field "{p}"' for p in unknown_fields(parsed)]
