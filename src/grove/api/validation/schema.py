"""The schema stage: parse a wire body into its model and turn every pydantic error into a FieldError.

This plays the part of the API server's structural-schema check. It never raises: any body (not a
mapping, wrong types, huge numbers, unicode, deep nesting) yields either a model or a list of
errors with Kubernetes-style paths built from the wire (camelCase) names, ``[i]`` for list items and
``[key]`` for map keys. To tell a map key from a field name, the error location is walked alongside
the model's type annotations.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from grove.api.validation.errors import (
    ROOT,
    ErrorList,
    FieldError,
    Path,
    invalid,
    not_supported,
    required,
    too_long,
)

M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    "int_type": "integer", "int_parsing": "integer", "int_from_float": "integer",
    "string_type": "string", "bool_type": "boolean", "bool_parsing": "boolean",
    "float_type": "number", "float_parsing": "number", "dict_type": "object", "model_type": "object",
    "model_attributes_type": "object", "list_type": "array", "none_required": "null",
}


def _unwrap(ann: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the one concrete type (or leave a real union)."""
    while True:
        origin = get_origin(ann)
        if origin is Annotated:
            ann = get_args(ann)[0]
            continue
        if origin is Union or origin is types.UnionType:
            members = [a for a in get_args(ann) if a is not type(None)]
            if len(members) == 1:
                ann = members[0]
                continue
        return ann


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _field_annotation(model: type[BaseModel], name: str) -> Any:
    for fname, info in model.model_fields.items():
        if name in (fname, info.alias):
            return info.annotation
    return Any


def render_loc(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[Path, Any]:
    """The Kubernetes path of a pydantic error location, and the annotation found at its end."""
    path = ROOT
    ann: Any = model
    for part in loc:
        ann = _unwrap(ann)
        origin = get_origin(ann)
        if origin is dict:
            path = path.key(part)
            ann = get_args(ann)[1] if get_args(ann) else Any
        elif origin is list and isinstance(part, int):
            path = path.at(part)
            ann = get_args(ann)[0] if get_args(ann) else Any
        elif _is_model(ann) and isinstance(part, str):
            path = path.child(part)
            ann = _field_annotation(ann, part)
        elif isinstance(part, int):
            path = path.at(part)
            ann = Any
        else:
            path = path.child(part)
            ann = Any
    return path, _unwrap(ann)


def _convert(model: type[BaseModel], err: Any) -> FieldError:
    path, ann = render_loc(model, tuple(err.get("loc", ())))
    kind = err.get("type", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return required(path)
    if kind == "literal_error":
        options = [str(a) for a in get_args(ann)] if get_origin(ann) is Literal else [str(ctx.get("expected", ""))]
        return not_supported(path, value, options)
    if kind in _TYPE_NAMES:
        return invalid(path, value, f"must be of type {_TYPE_NAMES[kind]}")
    if kind in ("less_than_equal", "greater_than_equal") and isinstance(value, int):
        return invalid(path, value, "must be an int32 (between -2147483648 and 2147483647)")
    if kind == "string_pattern_mismatch":
        return invalid(path, value, f"must match the regex {ctx.get('pattern', '')}")
    if kind == "string_too_long":
        return too_long(path, int(ctx.get("max_length", 0)))
    if kind == "string_too_short":
        return invalid(path, value, f"must be at least {ctx.get('min_length', 1)} characters")
    if kind == "too_short":
        return required(path, f"must have at least {ctx.get('min_length', 1)} item(s)")
    return invalid(path, value, str(err.get("msg", "invalid")))


def parse_model(model: type[M], body: Any) -> tuple[M | None, ErrorList]:
    """``model.model_validate(body)`` that reports instead of raising."""
    if not isinstance(body, dict):
        return None, [invalid(ROOT, body, "must be a Kubernetes object (a mapping)")]
    try:
        return model.model_validate(body), []
    except ValidationError as exc:
        return None, [_convert(model, e) for e in exc.errors(include_url=False)]
    except RecursionError:
        return None, [invalid(ROOT, "...", "object is nested too deeply to validate")]
