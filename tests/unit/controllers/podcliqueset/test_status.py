"""PCS status: replicas, available/updated replicas, selector, TopologyLevelsUnavailable."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.models import ClusterTopologyBinding, PodClique, PodCliqueScalingGroup, PodCliqueSet
from grove.api.models.core import PodCliqueSetStatus, TopologyConstraint
from grove.controllers.common.hashing import clique_pod_template_hash, pcs_generation_hash
from grove.controllers.podcliqueset.status import compute_pcs_status, topology_condition

from ..samples import sample

T0 = "2024-01-01T00:00:00Z"


def pclq(pcs: PodCliqueSet, name: str, clique: str, ready: int, converged: bool = True) -> PodClique:
    h = clique_pod_template_hash(pcs, clique)
    return PodClique.from_wire(
        {
            "metadata": {"name": name, "labels": {"grove.io/pod-template-hash": h}},
            "spec": {"podSpec": {}, "replicas": ready, "minAvailable": ready},
            "status": {
                "readyReplicas": ready,
                "updatedReplicas": ready,
                "currentPodTemplateHash": h if converged else "old",
                "currentPodCliqueSetGenerationHash": pcs_generation_hash(pcs),
            },
        }
    )


def pcsg(name: str, available: int, current: str) -> PodCliqueScalingGroup:
    return PodCliqueScalingGroup.from_wire(
        {
            "metadata": {"name": name},
            "spec": {"replicas": 1, "minAvailable": 1, "cliqueNames": ["pcb", "pcc"]},
            "status": {"availableReplicas": available, "currentPodCliqueSetGenerationHash": current},
        }
    )


def simple1(replicas: int = 2) -> PodCliqueSet:
    pcs = sample("simple1")
    pcs.spec.replicas = replicas
    pcs.status = PodCliqueSetStatus(current_generation_hash=pcs_generation_hash(pcs))
    return pcs


def test_available_and_updated_replicas() -> None:
    pcs = simple1()
    g = pcs_generation_hash(pcs)
    pclqs = [
        pclq(pcs, "simple1-0-pca", "pca", 3),
        pclq(pcs, "simple1-0-pcd", "pcd", 2),
        pclq(pcs, "simple1-1-pca", "pca", 3),
        pclq(pcs, "simple1-1-pcd", "pcd", 2, converged=False),
    ]
    pcsgs = [pcsg("simple1-0-sga", 1, g), pcsg("simple1-1-sga", 1, g)]
    st = compute_pcs_status(pcs, pclqs, pcsgs, now=T0)
    assert (st["replicas"], st["availableReplicas"], st["updatedReplicas"]) == (2, 2, 1)
    assert (
        st["hpaPodSelector"]
        == "app.kubernetes.io/managed-by=grove-operator,app.kubernetes.io/part-of=simple1"
    )
    assert "conditions" not in st
    # replica 1's PCSG below its minAvailable, replica 0's PodClique missing
    st = compute_pcs_status(pcs, pclqs[1:], [pcsgs[0], pcsg("simple1-1-sga", 0, g)], now=T0)
    assert (st["availableReplicas"], st["updatedReplicas"]) == (0, 0)


def binding(*domains: str) -> ClusterTopologyBinding:
    return ClusterTopologyBinding.from_wire(
        {
            "metadata": {"name": "t"},
            "spec": {"levels": [{"domain": d, "key": f"kubernetes.io/{d}"} for d in domains]},
        }
    )


def constrained(tc: dict[str, Any]) -> PodCliqueSet:
    pcs = sample("simple1")
    pcs.spec.template.topology_constraint = TopologyConstraint.from_wire(tc)
    return pcs


@pytest.mark.parametrize(
    ("pcs_tc", "tas", "ctb", "expected"),
    [
        (None, False, None, None),
        (
            {"topologyName": "t", "pack": {"required": "zone"}},
            False,
            None,
            ("Unknown", "TopologyAwareSchedulingDisabled"),
        ),
        (None, True, None, ("False", "AllClusterTopologyLevelsAvailable")),
        ({"pack": {"required": "zone"}}, True, binding("zone"), ("Unknown", "TopologyNameMissing")),
        (
            {"topologyName": "t", "pack": {"required": "zone"}},
            True,
            None,
            ("Unknown", "ClusterTopologyNotFound"),
        ),
        (
            {"topologyName": "t", "pack": {"required": "zone", "preferred": "rack"}},
            True,
            binding("zone"),
            ("True", "ClusterTopologyLevelsUnavailable"),
        ),
        (
            {"topologyName": "t", "pack": {"required": "zone", "preferred": "rack"}},
            True,
            binding("zone", "rack"),
            ("False", "AllClusterTopologyLevelsAvailable"),
        ),
    ],
)
def test_topology_condition(
    pcs_tc: dict[str, Any] | None,
    tas: bool,
    ctb: ClusterTopologyBinding | None,
    expected: tuple[str, str] | None,
) -> None:
    pcs = constrained(pcs_tc) if pcs_tc else sample("simple1")
    got = topology_condition(pcs, tas, ctb)
    assert (got[:2] if got else None) == expected
