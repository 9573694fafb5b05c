"""pydantic JSON Schema → Kubernetes *structural* OpenAPI v3 schema.

A CRD schema must be structural (KEP-1002): every node typed, no ``$ref``, no ``anyOf`` carrying
types, no ``null`` type. pydantic's ``model_json_schema`` is close but not there, so this module
rewrites it node by node:

- ``$ref`` to ``$defs`` are inlined (our models are trees, never recursive);
- ``Optional[X]`` (``anyOf: [X, null]``) becomes plain ``X``: optional means *omittable*. Like
  upstream's controller-gen CRDs we do not mark ``nullable``; the API server prunes explicit nulls,
  so CRD defaults still apply to a ``field: null``;
- ``title``, ``description`` and every pydantic ``default`` are dropped: CRD defaults and
  descriptions are chosen deliberately in the override table, never leaked from Python defaults;
- ``Int32`` (an int bounded to int32) becomes ``integer`` + ``format: int32``, other ints ``int64``;
- ``dict[str, Any]`` (an embedded Kubernetes object, ``KubeDict``) becomes ``type: object`` +
  ``x-kubernetes-preserve-unknown-fields: true``; ``extra="allow"`` on our own models is dropped, so
  the API server prunes unknown fields there exactly as upstream does.

Anything the rewriter does not understand raises :class:`SchemaError` instead of being copied
through, so a new model construct cannot silently produce a non-structural CRD.

Overrides are keyed by model *name* (pydantic's ``$defs`` key, the class name) and applied where
that model is inlined: extra required properties, property-node patches (defaults, enums, list
types), model-node patches (CEL rules), and patches for arrays of a given model.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

Schema = dict[str, Any]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"

_STRING_KEYS = ("enum", "pattern", "minLength", "maxLength", "format")
_ARRAY_KEYS = ("minItems", "maxItems")
_IGNORED_KEYS = frozenset({"title", "description", "default"})


class SchemaError(ValueError):
    """The pydantic schema has a construct a structural CRD schema cannot express."""


@dataclass(frozen=True)
class ModelOverride:
    """How one model's CRD node differs from what its pydantic schema says."""

    required: tuple[str, ...] = ()
    """Wire names added to the model's ``required`` list (e.g. counters with a CRD default)."""
    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per property (wire name): keys merged into the rewritten property node."""
    schema: Mapping[str, Any] = field(default_factory=dict)
    """Keys merged into the model's own node (e.g. ``x-kubernetes-validations``)."""
    as_list_item: Mapping[str, Any] = field(default_factory=dict)
    """Keys merged into every array node whose items are this model (e.g. list-map keys)."""


@dataclass
class _Context:
    defs: Mapping[str, Schema]
    overrides: Mapping[str, ModelOverride]
    used: set[str]


def structural_schema(model: type[BaseModel], overrides: Mapping[str, ModelOverride]) -> tuple[Schema, set[str]]:
    """The structural schema of ``model`` and the names of the overrides that applied."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs: Mapping[str, Schema] = raw.pop("$defs", {})
    ctx = _Context(defs=defs, overrides=overrides, used=set())
    return _model(raw, model.__name__, ctx), ctx.used


def _node(node: Schema, ctx: _Context) -> Schema:
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        if name not in ctx.defs:
            raise SchemaError(f"unresolvable $ref {node['$ref']}")
        return _model(ctx.defs[name], name, ctx)
    if "anyOf" in node:
        return _node(_without_null(node), ctx)
    if "allOf" in node or "oneOf" in node or "not" in node:
        raise SchemaError(f"allOf/oneOf/not are not supported: {sorted(node)}")
    kind = node.get("type")
    if kind == "object":
        if "properties" in node:
            raise SchemaError("inline object with properties (expected a $ref to a model)")
        return _map(node, ctx)
    if kind == "array":
        return _array(node, ctx)
    if kind == "integer":
        return _integer(node)
    if kind in ("string", "boolean", "number"):
        _reject_unknown(node, {"type", *_STRING_KEYS} if kind == "string" else {"type"})
        out: Schema = {"type": kind}
        out.update({k: copy.deepcopy(node[k]) for k in _STRING_KEYS if k in node})  # no shared nodes: no YAML anchors
        return out
    if "enum" in node and "type" not in node:
        raise SchemaError(f"untyped enum {node['enum']!r}")
    raise SchemaError(f"untyped or unsupported schema node: {node!r}")


def _model(node: Schema, name: str, ctx: _Context) -> Schema:
    _reject_unknown(node, {"type", "properties", "required", "additionalProperties"})
    override = ctx.overrides.get(name)
    if override is not None:
        ctx.used.add(name)
    props: Schema = {}
    for prop, sub in node.get("properties", {}).items():
        rewritten = _node(sub, ctx)
        if override is not None and prop in override.properties:
            rewritten.update(copy.deepcopy(dict(override.properties[prop])))
        props[prop] = rewritten
    if override is not None:
        unknown = (set(override.properties) | set(override.required)) - set(props)
        if unknown:
            raise SchemaError(f"override for {name} names unknown properties {sorted(unknown)}")
    out: Schema = {"type": "object", "properties": props}
    required = list(node.get("required", []))
    if override is not None:
        required += [r for r in override.required if r not in required]
        out.update(copy.deepcopy(dict(override.schema)))
    if required:
        out["required"] = sorted(required)
    return out


def _map(node: Schema, ctx: _Context) -> Schema:
    _reject_unknown(node, {"type", "additionalProperties"})
    values = node.get("additionalProperties", True)
    if values is True:
        return {"type": "object", PRESERVE_UNKNOWN: True}
    if not isinstance(values, dict):
        raise SchemaError(f"unsupported additionalProperties {values!r}")
    return {"type": "object", "additionalProperties": _node(values, ctx)}


def _array(node: Schema, ctx: _Context) -> Schema:
    _reject_unknown(node, {"type", "items", *_ARRAY_KEYS})
    items = node.get("items")
    if not isinstance(items, dict):
        raise SchemaError("array without an items schema")
    out: Schema = {"type": "array", "items": _node(items, ctx)}
    out.update({k: node[k] for k in _ARRAY_KEYS if k in node})
    item_model = _ref_name(items)
    if item_model is not None and item_model in ctx.overrides and ctx.overrides[item_model].as_list_item:
        ctx.used.add(item_model)
        out.update(copy.deepcopy(dict(ctx.overrides[item_model].as_list_item)))
    return out


def _integer(node: Schema) -> Schema:
    _reject_unknown(node, {"type", "minimum", "maximum"})
    lo, hi = node.get("minimum"), node.get("maximum")
    if lo == INT32_MIN and hi == INT32_MAX:
        return {"type": "integer", "format": "int32"}
    out: Schema = {"type": "integer", "format": "int64"}
    if lo is not None:
        out["minimum"] = lo
    if hi is not None:
        out["maximum"] = hi
    return out


def _without_null(node: Schema) -> Schema:
    branches = [b for b in node["anyOf"] if b != {"type": "null"}]
    if len(branches) != 1:
        raise SchemaError(f"unions other than Optional[X] are not structural: {node['anyOf']!r}")
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    return {**rest, **branches[0]}


def _ref_name(node: Schema) -> str | None:
    ref = node.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref is not None else None


def _reject_unknown(node: Schema, allowed: set[str]) -> None:
    unknown = set(node) - allowed - _IGNORED_KEYS
    if unknown:
        raise SchemaError(f"unsupported JSON Schema keys {sorted(unknown)} in {node!r}")
