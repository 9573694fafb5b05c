"""Embedded Kubernetes types (PodSpec, MetricSpec, ResourceClaimTemplateSpec) as structural CRD schemas.

Upstream's controller-gen CRDs embed the full schema of every Kubernetes type a Grove object carries, so
the API server prunes and validates a pod template like any other field (``kubectl explain`` shows it,
``kubectl apply`` warns about ``containers[0].imagee``). Ours come from the same place the API server's
own schemas come from: the OpenAPI v3 documents of the Kubernetes version we build against, extracted
into ``grove/api/schemas/*.json`` by ``hack/gen-k8s-schemas.py`` (also what
:mod:`grove.api.validation.pod_schema` reads: one source).

OpenAPI v3 is not structural, so each node is rewritten the way controller-gen writes the Go type:

- ``$ref`` (bare or as ``allOf: [{$ref}]``) is inlined; the field's own description wins over the
  type's, the type's is kept where the field has none (list items, the root);
- ``resource.Quantity`` becomes ``anyOf: [integer, string]`` + controller-gen's quantity ``pattern`` +
  ``x-kubernetes-int-or-string``; ``intstr.IntOrString`` the same without a pattern;
- an embedded ``ObjectMeta`` becomes ``type: object`` and ``runtime.RawExtension`` an object that
  keeps unknown fields, as controller-gen emits them;
- the zero-value defaults openapi-gen writes for every non-pointer field (``{}``, ``[]``, and ``""``,
  ``0``, ``false`` on required fields) are dropped; controller-gen has defaults only from ``+default``
  markers (``protocol: TCP``, ``LocalObjectReference.name: ""``), and so do we. The
  strategic-merge-patch and union extensions, which a CRD does not use, are dropped too;
- list and map semantics (``x-kubernetes-list-type``, ``-list-map-keys``, ``-map-type``), ``required``,
  ``format`` and descriptions are kept; ``map-type: atomic`` is restored on the five types that inline
  the atomic ``LocalObjectReference`` (the OpenAPI document drops it there, controller-gen keeps it).

Against upstream's CRDs (controller-gen, k8s.io/api v0.35) the embedded nodes then differ only by the
Kubernetes version (1.36's ``schedulingGroup`` in place of 1.35's ``workloadRef``), by the two
``azureDisk`` defaults (``cachingMode: ReadWrite``, ``kind: Shared``) that openapi-gen resolves from
``+default=ref(...)`` and controller-gen cannot (core defaulting sets the same values), and by ten
descriptions of string-alias list items the OpenAPI document does not carry.

Any other key or construct raises :class:`SchemaError`, so a new Kubernetes version cannot slip a
non-structural node into a CRD. The conversion is pure and cached; callers get a fresh copy.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any, Final

from grove.api.crds.structural import PRESERVE_UNKNOWN, Schema, SchemaError

POD_SPEC: Final = "core-v1-podspec.json"
METRIC_SPEC: Final = "autoscaling-v2-metricspec.json"
RESOURCE_CLAIM_TEMPLATE_SPEC: Final = "resource-v1-resourceclaimtemplatespec.json"

QUANTITY_PATTERN: Final = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
"""controller-gen's pattern for ``resource.Quantity`` (k8s.io/apimachinery's quantity grammar)."""

INT_OR_STRING: Final[Schema] = {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}

_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"

# Types that embed LocalObjectReference inline (``+structType=atomic``): controller-gen carries the marker
# over, the OpenAPI document loses it with the inlining, so it is restored here.
_INLINE_ATOMIC: Final = frozenset({f"io.k8s.api.core.v1.{t}" for t in (
    "ConfigMapEnvSource", "SecretEnvSource", "ConfigMapVolumeSource", "ConfigMapProjection", "SecretProjection")})

_KEPT = ("format", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type")
_DROPPED = frozenset({"x-kubernetes-patch-merge-key", "x-kubernetes-patch-strategy", "x-kubernetes-unions"})
_STRUCTURE = frozenset({"type", "description", "default", "properties", "additionalProperties", "items",
                        "required", "$ref", "allOf", "oneOf"})
_ZERO_DEFAULTS: Final = ("", 0, False)


def _document(name: str) -> dict[str, Any]:
    text = resources.files("grove.api").joinpath(f"schemas/{name}").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def kube_schema(name: str) -> Schema:
    """The structural CRD schema of the root type of ``grove/api/schemas/<name>`` (a fresh copy)."""
    return copy.deepcopy(_converted(name))


@cache
def _converted(name: str) -> Schema:
    doc = _document(name)
    return _Converter(doc["schemas"]).type_node(doc["root"], ())


class _Converter:
    def __init__(self, schemas: dict[str, Schema]) -> None:
        self.schemas = schemas

    def type_node(self, name: str, stack: tuple[str, ...]) -> Schema:
        """The node for a whole named type (its own description included)."""
        if name in stack:
            raise SchemaError(f"recursive Kubernetes type {' -> '.join((*stack, name))}: not expressible structurally")
        if name not in self.schemas:
            raise SchemaError(f"unresolvable $ref {name}")
        source = self.schemas[name]
        out: Schema
        if name in (_QUANTITY, _INT_OR_STRING):
            out = copy.deepcopy(INT_OR_STRING)
            if name == _QUANTITY:
                out["pattern"] = QUANTITY_PATTERN
            return out  # controller-gen gives these no description of their own
        if name == _OBJECT_META:
            out = {"type": "object"}
        elif name == _RAW_EXTENSION:
            out = {"type": "object", PRESERVE_UNKNOWN: True}
        else:
            out = self.node(source, (*stack, name))
        if name in _INLINE_ATOMIC:
            out["x-kubernetes-map-type"] = "atomic"
        if isinstance(source.get("description"), str) and source["description"]:
            out["description"] = source["description"]
        return out

    def node(self, source: Schema, stack: tuple[str, ...], *, required: bool = False) -> Schema:
        unknown = set(source) - _STRUCTURE - set(_KEPT) - _DROPPED
        if unknown:
            raise SchemaError(f"unsupported OpenAPI keys {sorted(unknown)} under {'/'.join(stack)}")
        ref = _ref_of(source)
        if ref is not None:
            out = self.type_node(ref, stack)
        elif "oneOf" in source or "allOf" in source:
            raise SchemaError(f"oneOf/allOf other than a single $ref under {'/'.join(stack)}: {source!r}")
        else:
            out = self.inline(source, stack)
        if isinstance(source.get("description"), str) and source["description"]:
            out["description"] = source["description"]
        if "default" in source and not _generated_zero(source["default"], required):
            out["default"] = copy.deepcopy(source["default"])
        out.update({k: copy.deepcopy(source[k]) for k in _KEPT if k in source})
        return out

    def inline(self, source: Schema, stack: tuple[str, ...]) -> Schema:
        kind = source.get("type")
        if not isinstance(kind, str):
            raise SchemaError(f"untyped OpenAPI node under {'/'.join(stack)}: {source!r}")
        out: Schema = {"type": kind}
        if "properties" in source:
            needed = set(source.get("required") or ())
            out["properties"] = {prop: self.node(sub, stack, required=prop in needed)
                                 for prop, sub in sorted(source["properties"].items())}
        if isinstance(source.get("additionalProperties"), dict):
            out["additionalProperties"] = self.node(source["additionalProperties"], stack, required=True)
        elif "additionalProperties" in source:
            raise SchemaError(f"additionalProperties {source['additionalProperties']!r} under {'/'.join(stack)}")
        if "items" in source:
            out["items"] = self.node(source["items"], stack, required=True)
        if source.get("required"):
            out["required"] = sorted(source["required"])
        return out


def _ref_of(node: Schema) -> str | None:
    ref = node.get("$ref")
    if ref is None:
        all_of = node.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict) and set(all_of[0]) == {"$ref"}:
            ref = all_of[0]["$ref"]
    return str(ref).rsplit("/", 1)[-1] if ref is not None else None


def _generated_zero(value: Any, required: bool) -> bool:
    """A default openapi-gen writes for every non-pointer field: ``{}``/``[]`` anywhere, ``""``/``0``/
    ``false`` on a required field (on an optional one they come from a ``+default`` marker, which
    controller-gen emits too, e.g. ``LocalObjectReference.name: ""``, a list-map key)."""
    if value == {} or value == []:
        return True
    return required and any(type(value) is type(zero) and value == zero for zero in _ZERO_DEFAULTS)
