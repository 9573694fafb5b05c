"""Pod-template hash of a clique and generation hash of a PodCliqueSet (spec §8.1).

A clique's hash covers exactly a PodTemplateSpec made of the template ``labels``, ``annotations`` and
``podSpec`` with ``priorityClassName`` replaced by the PodCliqueSet's value; the PCS generation hash covers
the same for every clique in template order. Nothing else (replicas, minAvailable, autoscaling, topology,
terminationDelay, startsAfter) may change a hash, since a hash change rolls pods.

Upstream hashes Go's ``dump.ForHash`` with FNV-64a; byte parity is impractical (spec §13.7), so we hash a
canonical JSON (sorted keys, no whitespace, empty maps/lists and nulls pruned so ``labels: {}`` equals no
labels) with FNV-64a, fold it to 32 bits and render its decimal digits through the alphabet of Go's
``rand.SafeEncodeString`` (no vowels, no look-alikes), which gives the familiar ~10-character label value.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from grove.api.models.core import PodCliqueSet, PodCliqueTemplateSpec

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV64_OFFSET = 0xCBF29CE484222325
_FNV64_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1


def fnv64a(data: bytes) -> int:
    h = _FNV64_OFFSET
    for byte in data:
        h ^= byte
        h = (h * _FNV64_PRIME) & _MASK64
    return h


def safe_encode(text: str) -> str:
    """Go's ``rand.SafeEncodeString``: each byte mapped onto the safe alphabet."""
    return "".join(SAFE_ALPHABET[b % len(SAFE_ALPHABET)] for b in text.encode())


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    return json.dumps(_prune(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(value: Any) -> str:
    """Stable short hash of JSON-shaped data.

    Controllers hash the same few templates on every reconcile, so results are memoised by the exact
    JSON text (C-speed to produce); pruning and the pure-Python FNV run once per distinct template."""
    return _hash_of_json(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


@functools.lru_cache(maxsize=4096)
def _hash_of_json(text: str) -> str:
    h = fnv64a(canonical_json(json.loads(text)))
    folded = (h >> 32) ^ (h & 0xFFFFFFFF)
    return safe_encode(str(folded))


def pod_template_spec(clique: PodCliqueTemplateSpec, priority_class_name: str | None) -> dict[str, Any]:
    """The PodTemplateSpec whose hash is the clique's pod-template hash."""
    pod_spec = dict(clique.spec.pod_spec)
    if priority_class_name:
        pod_spec["priorityClassName"] = priority_class_name
    else:
        pod_spec.pop("priorityClassName", None)
    return {
        "metadata": {"labels": dict(clique.labels or {}), "annotations": dict(clique.annotations or {})},
        "spec": pod_spec,
    }


def pod_template_hash(clique: PodCliqueTemplateSpec, priority_class_name: str | None) -> str:
    return compute_hash(pod_template_spec(clique, priority_class_name))


def clique_pod_template_hash(pcs: PodCliqueSet, clique_name: str) -> str:
    """The hash of the named clique of ``pcs`` (KeyError if there is no such clique)."""
    for clique in pcs.spec.template.cliques:
        if clique.name == clique_name:
            return pod_template_hash(clique, pcs.spec.template.priority_class_name)
    raise KeyError(clique_name)


def templates_hash(cliques: Sequence[PodCliqueTemplateSpec], priority_class_name: str | None) -> str:
    return compute_hash([pod_template_spec(cl, priority_class_name) for cl in cliques])


def pcs_generation_hash(pcs: PodCliqueSet) -> str:
    """The PCS generation hash: every clique's PodTemplateSpec, in template order."""
    return templates_hash(pcs.spec.template.cliques, pcs.spec.template.priority_class_name)
