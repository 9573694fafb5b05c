"""Upstream's TAS21/TAS22 e2e cases: the objects they create and the error substrings they assert.

The substrings are read from upstream's own test (``operator/e2e/tests/topology_test.go`` in the upstream
archive under ``../shared/thirdparty``), never copied, so a new or reworded upstream assertion shows up
here. The objects are rebuilt as wire dicts, case by case, the way upstream's Go builders build them;
:func:`upstream_assertions` fails when upstream has a case this table lacks (or the other way round).

Used by tests/unit/api/validation/test_upstream_messages.py (our validators and the generated CRD) and
tests/e2e/test_upstream_messages.py (the real API server with our CRDs and webhook).
"""

from __future__ import annotations

import functools
import json
import re
import tarfile
from typing import Any

from tests.builders import ctb, pcs, tc
from tests.upstream import SHARED

THIRDPARTY = SHARED / "thirdparty"
TOPOLOGY_TEST = "operator/e2e/tests/topology_test.go"
PCS_TYPES = "operator/api/core/v1alpha1/podcliqueset.go"

WRONG_PATH = "spec.schedulerTopologyReferences"
"""Upstream's webhook names this path for binding errors; the field is ``spec.schedulerTopologyBindings``."""
OUR_PATH = "spec.schedulerTopologyBindings"

# upstream's e2e/setup/topology.go label keys
ZONE_KEY = "kubernetes.io/zone"
RACK_KEY = "kubernetes.io/rack"
TWO_LEVELS = (("zone", ZONE_KEY), ("rack", RACK_KEY))


def upstream_archive_file(member: str) -> str:
    """One file of upstream's source archive, as text. Fails (never skips) when the archive is missing."""
    archives = sorted(THIRDPARTY.glob("grove-upstream-*.tar.gz"))
    assert len(archives) == 1, f"expected one upstream Grove archive in {THIRDPARTY}, found {archives}"
    with tarfile.open(archives[0]) as tar:
        names = [n for n in tar.getnames() if n == member or n.endswith("/" + member)]
        assert len(names) == 1, f"{member} not found (once) in {archives[0]}: {names}"
        f = tar.extractfile(names[0])
        assert f is not None
        return f.read().decode()


_GO_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _go_strings(text: str) -> list[str]:
    return [json.loads(f'"{s}"') for s in _GO_STRING.findall(text)]


def _function_body(source: str, prefix: str) -> str:
    start = source.index(f"func {prefix}")
    end = source.find("\nfunc ", start + 1)
    return source[start:end if end != -1 else len(source)]


_CASE = re.compile(r'\bname:\s*"([^"]*)"(.*?)\berrContains:\s*\[\]string\{([^}]*)\}', re.DOTALL)


@functools.cache
def upstream_assertions(test_prefix: str) -> dict[str, tuple[str, ...]]:
    """``{case name: errContains}`` of one upstream test function (``Test_TAS21_``, ``Test_TAS22_``)."""
    body = _function_body(upstream_archive_file(TOPOLOGY_TEST), test_prefix)
    out: dict[str, tuple[str, ...]] = {}
    for m in _CASE.finditer(body):
        assert not re.search(r'\bname:\s*"', m.group(2)), f"case {m.group(1)!r} has no errContains of its own"
        out[m.group(1)] = tuple(_go_strings(m.group(3)))
    assert out, f"no errContains cases found in {test_prefix}"
    return out


@functools.cache
def upstream_cel_messages() -> dict[str, str | None]:
    """``{message: reason}`` of every XValidation marker on upstream's PodCliqueSet types."""
    out: dict[str, str | None] = {}
    for line in upstream_archive_file(PCS_TYPES).splitlines():
        if "+kubebuilder:validation:XValidation:" not in line:
            continue
        message = re.search(r'message="((?:[^"\\]|\\.)*)"', line)
        assert message, line
        reason = re.search(r"reason=(\w+)", line)
        out[json.loads(f'"{message.group(1)}"')] = reason.group(1) if reason else None
    return out


# --- TAS21: ClusterTopologyBindings upstream's test creates, by case name --------------------------

def _binding_ctb(name: str, levels: tuple[tuple[str, str], ...],
                 bindings: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return ctb(name, levels=levels, bindings=bindings)


TAS21_CTBS: dict[str, dict[str, Any]] = {
    "duplicate topology domains": _binding_ctb("tas21-invalid-topology", (("zone", ZONE_KEY), ("zone", RACK_KEY))),
    "duplicate scheduler backend references": _binding_ctb(
        "tas22-duplicate-backend", TWO_LEVELS, [("kai-scheduler", "kai-topology-a"), ("kai-scheduler", "kai-topology-b")]),
    "unknown scheduler backend reference": _binding_ctb(
        "tas22-unknown-backend", TWO_LEVELS, [("unknown-scheduler", "topology")]),
    "non topology aware scheduler backend reference": _binding_ctb(
        "tas22-non-tas-backend", TWO_LEVELS, [("default-scheduler", "default-topology")]),
}


# --- TAS22: PodCliqueSets upstream's test creates, by case name ------------------------------------

QUEUE_LABEL = ("kai.scheduler/queue", "test")


def _tas22_pcs(name: str, constraint: dict[str, Any], *, clique_constraint: dict[str, Any] | None = None,
               group_constraint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Upstream's ``newPCS``: 0 replicas, one clique ``worker`` (role worker-role, minAvailable 1)."""
    b = (pcs(name, "default").replicas(0).label(*QUEUE_LABEL)
         .clique("worker", 1, min_available=1, role="worker-role", topology=clique_constraint))
    b.set("spec.template.topologyConstraint", constraint)
    if group_constraint is not None:
        b.group("workers", ["worker"], replicas=1, min_available=1, topology=group_constraint)
    return b.build()


TAS22_PCSS: dict[str, dict[str, Any]] = {
    "deprecated packDomain on PCS create": _tas22_pcs("tas22-legacy-pcs", tc(pack_domain="host")),
    "topologyConstraint without pack": _tas22_pcs("tas22-missing-pack", tc()),
    "empty pack": _tas22_pcs("tas22-empty-pack", {**tc(), "pack": {}}),
    "deprecated packDomain with pack.required": _tas22_pcs(
        "tas22-ambiguous-pack", tc("host", pack_domain="host")),
    "deprecated packDomain on PodClique create": _tas22_pcs(
        "tas22-legacy-pclq", tc("rack"), clique_constraint=tc(name=None, pack_domain="host")),
    "deprecated packDomain on PodCliqueScalingGroup create": _tas22_pcs(
        "tas22-legacy-pcsg", tc("rack"), group_constraint=tc(name=None, pack_domain="host")),
}

TAS22_VALID = _tas22_pcs("tas22-valid-preferred-only", tc(preferred="host"))
"""Upstream's step 4: a preferred-only pack passes CEL."""


def missing(text: str, wants: tuple[str, ...]) -> list[str]:
    return [w for w in wants if w not in text]
