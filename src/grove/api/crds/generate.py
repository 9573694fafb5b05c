"""The five Grove CustomResourceDefinitions, built from the wire models (spec §1.1).

The models stay the single source of field names and types (architecture principle 5); this module
only adds the CRD envelope: names, scope, the one served and stored version ``v1alpha1``, the status
and scale subresources and the printer columns. ``metadata`` is ``type: object`` only, as the API
server requires for the root of a custom resource. The output is plain JSON-ready dicts, rebuilt on
every call so callers may mutate them.
"""

from __future__ import annotations

from typing import Any

from grove.api.crds.overrides import overrides_by_name
from grove.api.crds.presentation import CATEGORIES, PRESENTATION
from grove.api.crds.structural import Schema, SchemaError, structural_problems, structural_schema
from grove.api.kinds import CRD_KINDS, GroveKind, grove_kind_by_name

CRD_API_VERSION = "apiextensions.k8s.io/v1"


def crd_name(kind: GroveKind) -> str:
    return f"{kind.plural}.{kind.group}"


def openapi_schema(kind: GroveKind) -> Schema:
    """The structural ``openAPIV3Schema`` of one kind."""
    schema, _ = _schema_and_used_overrides(kind)
    return schema


def _schema_and_used_overrides(kind: GroveKind) -> tuple[Schema, set[str]]:
    schema, used = structural_schema(kind.model, overrides_by_name())
    props = schema["properties"]
    props["metadata"] = {"type": "object"}
    schema["description"] = PRESENTATION[kind.kind].description
    problems = structural_problems(schema)
    if problems:
        raise SchemaError(f"{kind.kind} schema is not structural: " + "; ".join(problems[:5]))
    return schema, used


def build_crd(kind: GroveKind) -> dict[str, Any]:
    presentation = PRESENTATION[kind.kind]
    schema, _ = _schema_and_used_overrides(kind)
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "CustomResourceDefinition",
        "metadata": {"name": crd_name(kind)},
        "spec": {
            "group": kind.group,
            "names": {
                "kind": kind.kind,
                "listKind": f"{kind.kind}List",
                "plural": kind.plural,
                "singular": kind.kind.lower(),
                "shortNames": list(kind.short_names),
                "categories": list(CATEGORIES),
            },
            "scope": "Namespaced" if kind.namespaced else "Cluster",
            "versions": [
                {
                    "name": kind.version,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": presentation.subresources(),
                    "additionalPrinterColumns": presentation.printer_columns(),
                }
            ],
        },
    }


def generate_crds() -> list[dict[str, Any]]:
    """All five CRDs in the stable order of :data:`grove.api.kinds.CRD_KINDS`.

    Raises :class:`SchemaError` if an override in the table matched no model, so the table cannot
    rot silently when a model is renamed.
    """
    used: set[str] = set()
    for kind in CRD_KINDS:
        used |= _schema_and_used_overrides(kind)[1]
    unused = set(overrides_by_name()) - used
    if unused:
        raise SchemaError(f"CRD overrides for models no CRD uses: {sorted(unused)}")
    return [build_crd(kind) for kind in CRD_KINDS]


def crd_for(kind: str) -> dict[str, Any]:
    """One CRD by kind name, plural or short name (``pcs``, ``PodGang``, ``clustertopologybindings``)."""
    found = grove_kind_by_name(kind)
    if found is None:
        known = ", ".join(k.short_names[0] for k in CRD_KINDS)
        raise KeyError(f"unknown Grove kind {kind!r} (known: {known})")
    return build_crd(found)
