"""Unknown fields: what a lenient reader keeps silently and kubectl's strict field validation names.

Grove's models keep unknown fields (``extra="allow"``) so nothing a newer server sends is lost; for
*input* a field the schema does not know is almost always a typo (``spec.replicaz``, ``minAvalable``).
This lists them with their wire paths, as the API server's ``fieldValidation=Warn`` does
(``unknown field "spec.replicaz"``), with a "did you mean" when a declared field is close; callers
print them as warnings, or refuse the input in strict mode (kubectl ``--validate=strict``). The pod
template is checked against the Kubernetes OpenAPI schema (:mod:`grove.api.validation.pod_schema`), as upstream's
CRDs embed it (``containers[0].imagee``).
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel

from grove.api.kinds import model_for
from grove.api.models.base import ObjectMeta
from grove.api.models.config import BindServer
from grove.api.validation.errors import ROOT, FieldError, Path, not_supported
from grove.api.validation.pod_schema import UnknownField, unknown_pod_spec_fields
from grove.api.validation.schema import parse_model

KNOWN_EXTRA: dict[type[BaseModel], frozenset[str]] = {
    ObjectMeta: frozenset({"selfLink"}),  # deprecated metav1.ObjectMeta fields Grove never reads
    BindServer: frozenset({"enable"}),  # upstream's chart writes server.healthProbes.enable (its Go types lack it)
}
POD_SPEC_FIELD = "podSpec"


def _declared(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(sorted({info.alias or name for name, info in model.model_fields.items()}
                        | KNOWN_EXTRA.get(model, frozenset())))


def unknown_fields(model: BaseModel, path: Path = ROOT) -> list[UnknownField]:
    """Every field of ``model`` (recursively, pod templates included) its schema does not declare."""
    out: list[UnknownField] = []
    _walk(model, path, out)
    return out


def _walk(model: BaseModel, path: Path, out: list[UnknownField]) -> None:
    allowed = KNOWN_EXTRA.get(type(model), frozenset())
    for key in model.model_extra or {}:
        if key not in allowed:
            out.append(UnknownField(path.child(str(key)), _declared(type(model))))
    for name, info in type(model).model_fields.items():
        if name not in model.model_fields_set:
            continue
        wire = info.alias or name
        value = getattr(model, name)
        if wire == POD_SPEC_FIELD and isinstance(value, dict):
            out.extend(unknown_pod_spec_fields(value, path.child(wire)))
        else:
            _walk_value(value, path.child(wire), out)


def _walk_value(value: Any, path: Path, out: list[UnknownField]) -> None:
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


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def warning(field: UnknownField) -> str:
    """kubectl's wording, plus the closest declared field when one is close."""
    close = difflib.get_close_matches(_leaf(field.path), field.known, n=1, cutoff=0.75)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f'unknown field "{field.path}"{hint}'


def error(field: UnknownField) -> FieldError:
    return not_supported(field.path, _leaf(field.path), field.known)


def unknown_fields_of(body: Any) -> list[UnknownField]:
    """The unknown fields of a Grove object; [] for other kinds, or bodies that do not parse (their schema
    errors are reported by validation)."""
    if not isinstance(body, dict):
        return []
    model = model_for(body.get("apiVersion"), body.get("kind"))
    if model is None:
        return []
    parsed, _ = parse_model(model, body)
    if parsed is None:
        return []
    return unknown_fields(parsed)


def unknown_field_warnings(body: Any) -> list[str]:
    return [warning(f) for f in unknown_fields_of(body)]
