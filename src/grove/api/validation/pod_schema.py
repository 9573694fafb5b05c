"""The Kubernetes OpenAPI schemas Grove embeds (the pod template), read from generated data.

``schemas/core-v1-podspec.json`` is PodSpec and everything it references, extracted by
``hack/gen-k8s-schemas.py`` from the OpenAPI v3 document of the Kubernetes version we build against
(never edited by hand). Walking a pod spec alongside it gives what the API server's structural schema
check gives for upstream's CRDs, which embed this schema: every field the schema does not declare
(:func:`unknown_pod_spec_fields`, ``containers[0].imagee``) and every value of the wrong JSON type
(:func:`pod_spec_type_errors`, ``affinity`` given as a list). ``null`` is always allowed (it means unset).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from grove.api.validation.errors import Path

Schema = dict[str, Any]


@dataclass(frozen=True)
class UnknownField:
    path: Path
    known: tuple[str, ...]
    """The fields the schema declares at that place (for a "did you mean")."""


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    text = resources.files("grove.api").joinpath("schemas/core-v1-podspec.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def _resolve(schema: Schema) -> Schema:
    schemas = _document()["schemas"]
    for _ in range(8):  # $ref → allOf[$ref] chains are one or two deep
        ref = schema.get("$ref")
        if isinstance(ref, str):
            schema = schemas[ref.rsplit("/", 1)[-1]]
            continue
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and "properties" not in schema:
            schema = all_of[0]
            continue
        break
    return schema


def pod_spec_schema() -> Schema:
    doc = _document()
    schema: Schema = doc["schemas"][doc["root"]]
    return schema


@dataclass(frozen=True)
class TypeMismatch:
    path: Path
    expected: str
    value: Any


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def _allowed_types(schema: Schema) -> list[str]:
    if isinstance(schema.get("type"), str):
        return [schema["type"]]
    one_of = schema.get("oneOf")
    if isinstance(one_of, list):  # Quantity (string | number), IntOrString (integer | string)
        return [t for alt in one_of if isinstance(alt, dict) and isinstance((t := alt.get("type")), str)]
    return []


def type_errors_in(value: Any, schema: Schema, path: Path) -> list[TypeMismatch]:
    """Every value under ``value`` whose JSON type ``schema`` does not allow (children of a mismatch
    are not visited)."""
    out: list[TypeMismatch] = []
    stack: list[tuple[Any, Schema, Path]] = [(value, schema, path)]
    while stack:
        node, sch, where = stack.pop()
        if node is None:
            continue
        sch = _resolve(sch)
        if sch.get("x-kubernetes-preserve-unknown-fields"):
            continue
        allowed = _allowed_types(sch)
        if allowed and not any(_JSON_TYPES[t](node) for t in allowed if t in _JSON_TYPES):
            out.append(TypeMismatch(where, " or ".join(allowed), node))
            continue
        props, extra, items = sch.get("properties"), sch.get("additionalProperties"), sch.get("items")
        if isinstance(node, dict):
            for key, item in reversed(list(node.items())):
                if isinstance(props, dict) and key in props:
                    stack.append((item, props[key], where.child(str(key))))
                elif isinstance(extra, dict):
                    stack.append((item, extra, where.key(key)))
        elif isinstance(node, list) and isinstance(items, dict):
            stack.extend((item, items, where.at(i)) for i, item in reversed(list(enumerate(node))))
    return out


def pod_spec_type_errors(pod_spec: Any, path: Path) -> list[TypeMismatch]:
    return type_errors_in(pod_spec, pod_spec_schema(), path)


def unknown_fields_in(value: Any, schema: Schema, path: Path) -> list[UnknownField]:
    """Every key of ``value`` (recursively) that ``schema`` does not declare; wrong types are left alone
    (the API server's type checks report those)."""
    out: list[UnknownField] = []
    stack: list[tuple[Any, Schema, Path]] = [(value, schema, path)]
    while stack:
        node, sch, where = stack.pop()
        sch = _resolve(sch)
        if sch.get("x-kubernetes-preserve-unknown-fields"):
            continue
        props = sch.get("properties")
        extra = sch.get("additionalProperties")
        if isinstance(node, dict):
            for key, item in reversed(list(node.items())):
                if isinstance(props, dict) and key in props:
                    stack.append((item, props[key], where.child(str(key))))
                elif isinstance(extra, dict):
                    stack.append((item, extra, where.key(key)))
                elif isinstance(props, dict):
                    out.append(UnknownField(where.child(str(key)), tuple(sorted(props))))
        elif isinstance(node, list) and isinstance(sch.get("items"), dict):
            stack.extend((item, sch["items"], where.at(i)) for i, item in reversed(list(enumerate(node))))
    return out


def unknown_pod_spec_fields(pod_spec: Any, path: Path) -> list[UnknownField]:
    return unknown_fields_in(pod_spec, pod_spec_schema(), path)
