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
  ``x-kubernetes-preserve-unknown-fields: true``, unless the override table embeds the Kubernetes
  type's own schema there (``ModelOverride.embedded``: PodSpec, MetricSpec, ResourceClaimTemplateSpec,
  see :mod:`grove.api.crds.kube_schema`); ``extra="allow"`` on our own models is dropped, so the API
  server prunes unknown fields there exactly as upstream does.

Anything the rewriter does not understand raises :class:`SchemaError` instead of being copied
through, so a new model construct cannot silently produce a non-structural CRD;
:func:`structural_problems` checks a finished schema against the API server's structural rules.

Overrides are keyed by model *name* (pydantic's ``$defs`` key, the class name) and applied where
that model is inlined: extra required properties, property-node patches (defaults, enums, list
types), model-node patches (CEL rules), and patches for arrays of a given model.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
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
    embedded: Mapping[str, Callable[[], Schema]] = field(default_factory=dict)
    """Per ``KubeDict`` property (or list of them): the schema of the embedded Kubernetes type, which
    replaces ``x-kubernetes-preserve-unknown-fields`` (for a list, its items). Called once per use."""


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
        if override is not None and prop in override.embedded:
            rewritten = _embed(rewritten, override.embedded[prop](), f"{name}.{prop}")
        if override is not None and prop in override.properties:
            rewritten.update(copy.deepcopy(dict(override.properties[prop])))
        props[prop] = rewritten
    if override is not None:
        unknown = (set(override.properties) | set(override.required) | set(override.embedded)) - set(props)
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


def _embed(node: Schema, embedded: Schema, where: str) -> Schema:
    """``node`` (an embedded object, or a list of them) with the embedded type's schema in its place."""
    if node == {"type": "object", PRESERVE_UNKNOWN: True}:
        return embedded
    if node.get("type") == "array" and node.get("items") == {"type": "object", PRESERVE_UNKNOWN: True}:
        return {**node, "items": embedded}
    raise SchemaError(f"{where}: only an embedded Kubernetes object (KubeDict) can take an embedded schema")


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


# --- the API server's structural rules (KEP-1002, apiextensions-apiserver schema validation) ---------

_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean"})
_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
_FORBIDDEN = frozenset({"$ref", "$schema", "id", "definitions", "$defs", "patternProperties", "dependencies",
                        "additionalItems", "title", "const", "examples"})
_NOT_IN_JUNCTORS = frozenset({"type", "description", "default", "additionalProperties", "nullable",
                              "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
                              "x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
                              "x-kubernetes-map-type", "x-kubernetes-validations"})
_INT_OR_STRING_BRANCHES = [{"type": "integer"}, {"type": "string"}]
_SCALARS = frozenset({"string", "integer", "number", "boolean"})


def schema_nodes(node: Schema, path: str = "") -> Iterator[tuple[str, Schema]]:
    """(path, node) for every node outside logical junctors: ``a.b``, ``a[]`` (items), ``a.*`` (map values)."""
    yield path, node
    for name, sub in (node.get("properties") or {}).items():
        yield from schema_nodes(sub, f"{path}.{name}" if path else name)
    if isinstance(node.get("additionalProperties"), dict):
        yield from schema_nodes(node["additionalProperties"], f"{path}.*")
    if isinstance(node.get("items"), dict):
        yield from schema_nodes(node["items"], f"{path}[]")


def structural_problems(schema: Schema) -> list[str]:
    """Every way ``schema`` breaks the rules kube-apiserver enforces on a v1 CRD's ``openAPIV3Schema``
    (empty when it is structural): every node typed (or int-or-string / preserve-unknown-fields), no
    ``$ref`` or other unsupported keywords, junctors (``anyOf``...) only as value validations that add no
    type, default, description or field not also declared outside them, the exact int-or-string shape,
    array items, list/map semantics the API server accepts, and ``required`` naming declared fields."""
    problems: list[str] = []
    for path, node in schema_nodes(schema):
        where = path or "<root>"
        problems += [f"{where}: {p}" for p in _node_problems(node)]
        for junctor in _JUNCTORS:
            if junctor in node:
                problems += [f"{where}.{junctor}: {p}" for p in _junctor_problems(node, junctor)]
    return problems


def _node_problems(node: Schema) -> list[str]:
    out: list[str] = []
    if _FORBIDDEN & set(node):
        out.append(f"unsupported keywords {sorted(_FORBIDDEN & set(node))}")
    kind = node.get("type")
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    if int_or_string and kind is not None:
        out.append("x-kubernetes-int-or-string with a type")
    if kind is None and not int_or_string and node.get(PRESERVE_UNKNOWN) is not True:
        out.append("no type")
    if kind is not None and kind not in _TYPES:
        out.append(f"bad type {kind!r}")
    if node.get(PRESERVE_UNKNOWN) is False:
        out.append(f"{PRESERVE_UNKNOWN}: false")
    if "properties" in node and "additionalProperties" in node:
        out.append("properties and additionalProperties together")
    if node.get("additionalProperties") is False:
        out.append("additionalProperties: false")
    if ("properties" in node or "additionalProperties" in node) and kind != "object":
        out.append("properties on a non-object")
    if kind == "array" and not isinstance(node.get("items"), dict):
        out.append("array without a single items schema")
    if node.get("uniqueItems") is True:
        out.append("uniqueItems: true")
    if "nullable" in node and kind is None:
        out.append("nullable without a type")
    if kind == "integer" and node.get("format") not in ("int32", "int64"):
        out.append("integer without int32/int64 format")
    for req in node.get("required", []):
        if req not in (node.get("properties") or {}):
            out.append(f"required {req!r} is not a property")
    out += _list_problems(node)
    map_type = node.get("x-kubernetes-map-type")
    if map_type is not None and (map_type not in ("atomic", "granular") or kind != "object"):
        out.append(f"x-kubernetes-map-type {map_type!r} on a {kind} node")
    return out


def _list_problems(node: Schema) -> list[str]:
    list_type = node.get("x-kubernetes-list-type")
    if list_type is None:
        return ["x-kubernetes-list-map-keys without list-type map"] if "x-kubernetes-list-map-keys" in node else []
    if node.get("type") != "array" or list_type not in ("atomic", "set", "map"):
        return [f"x-kubernetes-list-type {list_type!r} on a {node.get('type')} node"]
    items = node.get("items") or {}
    if list_type == "set" and items.get("type") not in _SCALARS and items.get("x-kubernetes-map-type") != "atomic":
        return ["list-type set of non-scalar, non-atomic items"]
    if list_type != "map":
        return ["x-kubernetes-list-map-keys on a list that is not a map"] if "x-kubernetes-list-map-keys" in node else []
    keys = node.get("x-kubernetes-list-map-keys") or []
    if items.get("type") != "object" or not keys:
        return ["list-type map needs object items and list-map keys"]
    out: list[str] = []
    for key in keys:
        prop = (items.get("properties") or {}).get(key)
        if prop is None:
            out.append(f"map key {key!r} is not a property of the items")
        elif key not in items.get("required", []) and "default" not in prop:
            out.append(f"map key {key!r} is neither required nor defaulted")
        elif prop.get("type") not in ("string", "integer", "boolean"):
            out.append(f"map key {key!r} is not a scalar")
    return out


def _junctor_problems(node: Schema, junctor: str) -> list[str]:
    branches = node[junctor] if junctor != "not" else [node[junctor]]
    if not isinstance(branches, list) or not all(isinstance(b, dict) for b in branches):
        return ["not a list of schemas"]
    if node.get("x-kubernetes-int-or-string") is True and junctor in ("anyOf", "allOf"):
        if junctor == "anyOf" and branches == _INT_OR_STRING_BRANCHES:
            return []
        if junctor == "allOf" and len(branches) == 1 and branches[0].get("anyOf") == _INT_OR_STRING_BRANCHES:
            return []
    out: list[str] = []
    for i, branch in enumerate(branches):
        for sub_path, sub in schema_nodes(branch):
            where = f"[{i}]{'.' + sub_path if sub_path else ''}"
            bad = _NOT_IN_JUNCTORS & set(sub)
            if bad:
                out.append(f"{where}: {sorted(bad)} inside {junctor}")
            if "$ref" in sub:
                out.append(f"{where}: $ref")
        out += [f"[{i}]: {p}" for p in _undeclared_in(branch, node)]
    return out


def _undeclared_in(branch: Schema, outer: Schema) -> list[str]:
    """Fields and items a junctor branch names that the surrounding schema does not declare."""
    out: list[str] = []
    for name, sub in (branch.get("properties") or {}).items():
        declared = (outer.get("properties") or {}).get(name)
        if declared is None:
            out.append(f"field {name!r} not declared outside the junctor")
        else:
            out += _undeclared_in(sub, declared)
    if isinstance(branch.get("items"), dict):
        if not isinstance(outer.get("items"), dict):
            out.append("items not declared outside the junctor")
        else:
            out += _undeclared_in(branch["items"], outer["items"])
    return out
