"""The input stage of ``grove sim run``: documents in, bodies the embedded cluster can take out.

Every problem is a :class:`RunError` naming the document (``file#index``) and the field, before anything
is applied: a non-object document, a missing or non-string ``apiVersion``/``kind``/``metadata.name``.
Strictness (see :mod:`grove.api.validation.strict`): unknown fields of Grove kinds and duplicate YAML keys
are warnings, errors with ``strict``. Nodes without ``status.conditions`` are taken as Ready (as KWOK
does for the nodes it manages) with one notice, instead of silently NotReady with every pod Pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grove.api.manifests import Document, ManifestError, load_documents
from grove.api.validation.objects import MAX_DEPTH, deeper_than, validate_generic_meta
from grove.api.validation.strict import unknown_field_warnings
from grove.sim.errors import RunError

Obj = dict[str, Any]


@dataclass
class Inputs:
    bodies: list[Obj] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Lenient-reader problems (unknown fields, duplicate keys); errors under ``strict``."""
    notices: list[str] = field(default_factory=list)
    """Defaults the run applied to the input (Nodes taken as Ready)."""


def body_problem(body: Any) -> str | None:
    """Why ``body`` cannot be applied at all, naming the field; None when it can be sent to the cluster."""
    if not isinstance(body, dict):
        return f"must be a Kubernetes object (a mapping with apiVersion and kind), not {_type_name(body)}"
    for key in ("apiVersion", "kind"):
        value = body.get(key)
        if value is None or value == "":
            return f"{key}: Required value"
        if not isinstance(value, str):
            return f"{key}: Invalid value: must be a string, not {_type_name(value)}"
    if deeper_than(body, MAX_DEPTH):
        return f"object is nested more than {MAX_DEPTH} levels deep"
    problems = validate_generic_meta(body.get("metadata"))
    if problems:
        return "; ".join(str(e) for e in problems)
    return None


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def check_documents(docs: list[Document], *, strict: bool = False) -> Inputs:
    out = Inputs()
    for doc in docs:
        problem = body_problem(doc.body)
        if problem is not None:
            raise RunError(f"{doc.where}: {doc.describe()}: {problem}")
        out.warnings += [f"{doc.where}: {w}" for w in doc.warnings]
        out.warnings += [f"{doc.where}: {doc.describe()}: {w}" for w in unknown_field_warnings(doc.body)]
        out.bodies.append(doc.body)
    if strict and out.warnings:
        raise RunError("--strict refuses the input:\n" + "\n".join(f"  {w}" for w in out.warnings))
    out.notices += default_node_conditions(out.bodies)
    return out


def read_inputs(paths: list[str], *, strict: bool = False) -> Inputs:
    try:
        docs = load_documents(paths)
    except ManifestError as exc:
        raise RunError(str(exc)) from exc
    return check_documents(docs, strict=strict)


def default_node_conditions(bodies: list[Obj]) -> list[str]:
    """Give every Node without ``status.conditions`` a Ready condition, in place; one notice naming them."""
    defaulted: list[str] = []
    for body in bodies:
        if body.get("kind") != "Node" or body.get("apiVersion") != "v1":
            continue
        status = body.get("status")
        if status is None:
            status = body["status"] = {}
        if not isinstance(status, dict) or status.get("conditions"):
            continue
        status["conditions"] = [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                 "message": "no conditions given: taken as Ready (as KWOK does)"}]
        defaulted.append(str(body["metadata"].get("name")))
    if not defaulted:
        return []
    shown = ", ".join(defaulted[:5]) + (f" and {len(defaulted) - 5} more" if len(defaulted) > 5 else "")
    return [f"{len(defaulted)} Node(s) without status.conditions taken as Ready, as KWOK does: {shown}"]
