"""A small structural-schema validator for tests: what a kube-apiserver does to a custom resource.

It follows the API server's order: explicit nulls on non-nullable fields are pruned, absent fields
with a ``default`` are defaulted, then types, required, enums, patterns, bounds, list-map key
uniqueness and the CEL ``x-kubernetes-validations`` are checked. Unlike the API server it reports
unknown fields as errors instead of pruning them silently, because pruning would mean a manifest is
*not* accepted unchanged. CEL runs through cel-python with ``oldSelf`` bound for transition rules;
``optionalOldSelf`` rules see an absent ``oldSelf`` on create (``hasValue()`` is false).
"""

from __future__ import annotations

import re
from typing import Any

import celpy
from celpy import celtypes

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_ABSENT = celtypes.NullType()


def _has_value(opt: Any) -> celtypes.BoolType:
    return celtypes.BoolType(opt is not _ABSENT and not isinstance(opt, celtypes.NullType))


def _value(opt: Any) -> Any:
    if not _has_value(opt):
        raise ValueError("optional.value() on an absent value")
    return opt


_ENV = celpy.Environment()
_FUNCTIONS = {"hasValue": _has_value, "value": _value}


def cel_holds(rule: str, self_value: Any, old_value: Any = None, *, optional_old_self: bool = False) -> bool:
    """Evaluate one rule. ``old_value=None`` means create (no old object)."""
    program = _ENV.program(_ENV.compile(rule), functions=_FUNCTIONS)
    activation: dict[str, Any] = {"self": celpy.json_to_cel(self_value)}
    if old_value is not None:
        activation["oldSelf"] = celpy.json_to_cel(old_value)
    elif optional_old_self:
        activation["oldSelf"] = _ABSENT
    elif "oldSelf" in rule:
        return True  # a plain transition rule does not run on create
    result = program.evaluate(activation)
    if not isinstance(result, celtypes.BoolType):
        raise AssertionError(f"CEL rule {rule!r} gave {result!r}, not a bool")
    return bool(result)


def validate(value: Any, schema: dict[str, Any], path: str = "", old: Any = None) -> list[str]:
    """Every violation as ``path: message``; empty when the API server would accept ``value``."""
    errors: list[str] = []
    if not path and isinstance(value, dict) and "metadata" in value:
        # The API server validates ObjectMeta itself; the CRD schema only says "object".
        if not isinstance(value["metadata"], dict):
            errors.append("metadata: must be an object")
        value = {k: v for k, v in value.items() if k != "metadata"}
    _check(value, schema, path or "<root>", old, errors)
    return errors


def _check(value: Any, schema: dict[str, Any], path: str, old: Any, errors: list[str]) -> None:
    if value is None:
        if not schema.get("nullable"):
            errors.append(f"{path}: null is not allowed")
        return
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, int | str) or isinstance(value, bool):
            errors.append(f"{path}: must be an integer or a string")
        elif isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")  # a Quantity
        return
    checker = _TYPE_CHECKS.get(kind) if kind else None
    if kind is not None and (checker is None or not checker(value)):
        errors.append(f"{path}: {value!r} is not of type {kind}")
        return
    if kind == "object":
        _check_object(value, schema, path, old, errors)
    elif kind == "array":
        _check_array(value, schema, path, old, errors)
    else:
        _check_scalar(value, schema, path, errors)
    for rule in schema.get("x-kubernetes-validations", []):
        if not cel_holds(rule["rule"], value, old, optional_old_self=bool(rule.get("optionalOldSelf"))):
            errors.append(f"{path}: {rule.get('message', rule['rule'])}")


def _check_object(value: dict[str, Any], schema: dict[str, Any], path: str, old: Any, errors: list[str]) -> None:
    props: dict[str, Any] = schema.get("properties", {})
    present = {k: v for k, v in value.items() if not (v is None and not props.get(k, {}).get("nullable"))}
    for name, sub in props.items():
        if name not in present and "default" in sub:
            present[name] = sub["default"]
    for name in schema.get("required", []):
        if name not in present:
            errors.append(f"{path}.{name}: required")
    if "additionalProperties" in schema:
        for key, item in present.items():
            _check(item, schema["additionalProperties"], f"{path}.{key}", None, errors)
        return
    for key, item in present.items():
        if key in props:
            old_item = old.get(key) if isinstance(old, dict) else None
            _check(item, props[key], f"{path}.{key}", old_item, errors)
        elif not schema.get("x-kubernetes-preserve-unknown-fields"):
            errors.append(f"{path}.{key}: unknown field (would be pruned)")


def _check_array(value: list[Any], schema: dict[str, Any], path: str, old: Any, errors: list[str]) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: more than {schema['maxItems']} items")
    keys = schema.get("x-kubernetes-list-map-keys")
    old_by_key: dict[tuple[Any, ...], Any] = {}
    if keys and isinstance(old, list):
        old_by_key = {tuple(o.get(k) for k in keys): o for o in old if isinstance(o, dict)}
    seen: set[tuple[Any, ...]] = set()
    for i, item in enumerate(value):
        old_item = None
        if keys and isinstance(item, dict):
            key = tuple(item.get(k) for k in keys)
            if key in seen:
                errors.append(f"{path}[{i}]: duplicate entry for key {key}")
            seen.add(key)
            old_item = old_by_key.get(key)
        _check(item, schema["items"], f"{path}[{i}]", old_item, errors)


def _check_scalar(value: Any, schema: dict[str, Any], path: str, errors: list[str]) -> None:
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']}")
    if isinstance(value, int | float):
        lo, hi = INT_RANGES.get(schema.get("format", ""), (None, None))
        lo = schema.get("minimum", lo)
        hi = schema.get("maximum", hi)
        if lo is not None and value < lo:
            errors.append(f"{path}: {value} is below {lo}")
        if hi is not None and value > hi:
            errors.append(f"{path}: {value} is above {hi}")


_TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
