"""kube-apiserver's core validation of Pods and Nodes, for the fields Grove and its scheduler read.

The embedded cluster must refuse what a real API server refuses (``pkg/apis/core/validation``), or one
garbage pod reaches the scheduler and the fake kubelet: containers present, each with a DNS-1123-label
name unique in the pod and a non-empty image; resource quantities that parse and are not negative;
requests not above limits; taint effects; Node capacity and allocatable quantities. Messages and paths
are the API server's (``spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater
than or equal to 0``). ``grove validate`` runs the same checks on Pods and Nodes among its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grove.api.quantity import QuantityError, parse_quantity
from grove.api.validation.errors import ROOT, ErrorList, Path, duplicate, invalid, not_supported, required
from grove.api.validation.k8s import is_dns1123_label
from grove.api.validation.pod_schema import pod_spec_type_errors

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def validate_quantity(value: Any, path: Path) -> ErrorList:
    """A resource quantity that parses and is not negative (``ValidateNonnegativeQuantity``)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return [invalid(path, value, "must be a quantity (a string such as 500m, 2 or 1Gi)")]
    try:
        amount = parse_quantity(value)
    except QuantityError as exc:
        return [invalid(path, value, str(exc))]
    if amount < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def _resource_map(value: Any, path: Path) -> tuple[dict[str, Any], ErrorList]:
    if value is None:
        return {}, []
    if not isinstance(value, dict):
        return {}, [invalid(path, value, "must be of type object")]
    errs: ErrorList = []
    good: dict[str, Any] = {}
    for name, quantity in value.items():
        problems = validate_quantity(quantity, path.key(name))
        errs += problems
        if not problems:
            good[str(name)] = quantity
    return good, errs


def validate_resources(resources: Any, path: Path) -> ErrorList:
    if resources is None:
        return []
    if not isinstance(resources, dict):
        return [invalid(path, resources, "must be of type object")]
    requests, errs = _resource_map(resources.get("requests"), path.child("requests"))
    limits, limit_errs = _resource_map(resources.get("limits"), path.child("limits"))
    errs += limit_errs
    for name, quantity in requests.items():
        if name in limits and parse_quantity(quantity) > parse_quantity(limits[name]):
            errs.append(invalid(path.child("requests"), quantity,  # the API server names the map, not the key
                                f"must be less than or equal to {name} limit of {limits[name]}"))
    return errs


def _validate_container(container: Any, path: Path, names: set[str]) -> ErrorList:
    if not isinstance(container, dict):
        return [invalid(path, container, "must be of type object")]
    errs: ErrorList = []
    name = container.get("name")
    if not name:
        errs.append(required(path.child("name")))
    elif not isinstance(name, str):
        errs.append(invalid(path.child("name"), name, "must be of type string"))
    else:
        errs += [invalid(path.child("name"), name, m) for m in is_dns1123_label(name)]
        if name in names:
            errs.append(duplicate(path.child("name"), name))
        names.add(name)
    image = container.get("image")
    if not image:
        errs.append(required(path.child("image")))
    elif not isinstance(image, str):
        errs.append(invalid(path.child("image"), image, "must be of type string"))
    errs += validate_resources(container.get("resources"), path.child("resources"))
    return errs


def validate_pod_spec(spec: Any, path: Path) -> ErrorList:
    if not isinstance(spec, dict):
        return [required(path.child("containers"))] if spec is None else [invalid(path, spec, "must be of type object")]
    errs: ErrorList = []
    names: set[str] = set()
    containers = spec.get("containers")
    if not containers:
        errs.append(required(path.child("containers")))
    for key in ("initContainers", "containers"):
        items = spec.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            errs.append(invalid(path.child(key), items, "must be of type array"))
            continue
        for i, container in enumerate(items):
            errs += _validate_container(container, path.child(key).at(i), names)
    errs += _string_map(spec.get("nodeSelector"), path.child("nodeSelector"))
    for key in ("tolerations", "schedulingGates"):
        if spec.get(key) is not None and not isinstance(spec[key], list):
            errs.append(invalid(path.child(key), spec[key], "must be of type array"))
    _, overhead_errs = _resource_map(spec.get("overhead"), path.child("overhead"))
    return errs + overhead_errs


def _string_map(value: Any, path: Path) -> ErrorList:
    if value is None:
        return []
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return [invalid(path, value, "must be a map of string to string")]
    return []


def validate_pod(pod: Mapping[str, Any]) -> ErrorList:
    spec, path = pod.get("spec"), ROOT.child("spec")
    mismatches = pod_spec_type_errors(spec, path) if isinstance(spec, dict) else []
    if mismatches:  # wrong JSON types: the API server's decoder refuses these before any rule runs
        return [invalid(m.path, m.value, f"must be of type {m.expected}") for m in mismatches]
    return validate_pod_spec(spec, path)


def validate_node(node: Mapping[str, Any]) -> ErrorList:
    errs: ErrorList = []
    spec = node.get("spec")
    if spec is not None and not isinstance(spec, dict):
        errs.append(invalid(ROOT.child("spec"), spec, "must be of type object"))
        spec = None
    taints = (spec or {}).get("taints")
    if taints is not None and not isinstance(taints, list):
        errs.append(invalid(ROOT.child("spec", "taints"), taints, "must be of type array"))
    for i, taint in enumerate(taints if isinstance(taints, list) else []):
        path = ROOT.child("spec", "taints").at(i)
        if not isinstance(taint, dict):
            errs.append(invalid(path, taint, "must be of type object"))
            continue
        if not taint.get("key"):
            errs.append(required(path.child("key")))
        if taint.get("effect") not in TAINT_EFFECTS:
            errs.append(not_supported(path.child("effect"), taint.get("effect"), TAINT_EFFECTS))
    status = node.get("status")
    if status is not None and not isinstance(status, dict):
        return [*errs, invalid(ROOT.child("status"), status, "must be of type object")]
    for key in ("capacity", "allocatable"):
        _, problems = _resource_map((status or {}).get(key), ROOT.child("status", key))
        errs += problems
    conditions = (status or {}).get("conditions")
    if conditions is not None and (not isinstance(conditions, list)
                                   or not all(isinstance(cd, dict) for cd in conditions)):
        errs.append(invalid(ROOT.child("status", "conditions"), conditions, "must be an array of objects"))
    return errs


def validate_core_object(body: Mapping[str, Any]) -> ErrorList | None:
    """Core validation of a v1 Pod or Node; None for every other kind (nothing to say)."""
    if body.get("apiVersion") != "v1":
        return None
    if body.get("kind") == "Pod":
        return validate_pod(body)
    if body.get("kind") == "Node":
        return validate_node(body)
    return None
