"""PodGangs: metadata, PodGroups and pod references, topology translation, Initialized decision."""

from __future__ import annotations

from typing import Any

from grove.api.models import ClusterTopologyBinding
from grove.controllers.podcliqueset.plan_podgangs import (
    TopologyContext,
    initialized_status_patch,
    plan_podgangs,
    podgang_pods_created,
)

from ..helpers import pod
from ..samples import sample

CTB = ClusterTopologyBinding.from_wire(
    {
        "metadata": {"name": "grove-topology"},
        "spec": {
            "levels": [
                {"domain": "zone", "key": "kubernetes.io/zone"},
                {"domain": "rack", "key": "kubernetes.io/rack"},
                {"domain": "host", "key": "kubernetes.io/hostname"},
            ]
        },
    }
)


def test_metadata_and_owner() -> None:
    pcs = sample("simple1")
    pcs.metadata.labels = {"app": "simple1", "grove.io/ignored": "x"}
    pcs.metadata.annotations = {"team": "a"}
    pcs.spec.template.priority_class_name = "high"
    existing = {
        "simple1-0": {
            "metadata": {
                "labels": {"grove.io/kept": "1", "foreign": "dropped"},
                "annotations": {"kai.scheduler/skip-podgrouper": "true"},
            }
        }
    }
    (gang,) = plan_podgangs(pcs, existing=existing)
    md = gang["metadata"]
    assert md["labels"] == {
        "grove.io/kept": "1",
        "app": "simple1",
        "app.kubernetes.io/managed-by": "grove-operator",
        "app.kubernetes.io/part-of": "simple1",
        "app.kubernetes.io/component": "podgang",
        "grove.io/scheduler-name": "default-scheduler",
    }
    assert md["annotations"] == {"team": "a"}  # KAI's annotation is not preserved (spec §13.10)
    assert md["ownerReferences"][0]["kind"] == "PodCliqueSet"
    assert md["ownerReferences"][0]["controller"] is True
    assert gang["apiVersion"] == "scheduler.grove.io/v1alpha1"
    assert gang["spec"]["priorityClassName"] == "high"
    assert "topologyConstraint" not in gang["spec"]


def test_pod_references_are_sorted_live_pods_of_this_gang() -> None:
    pcs = sample("single-node-aggregated")
    fqn = "single-node-aggregated-0-model-worker"
    gang_name = "single-node-aggregated-0"
    pods = [
        pod("w-b", pclq=fqn, gang=gang_name),
        pod("w-a", pclq=fqn, gang=gang_name),
        pod("w-c", pclq=fqn, gang=gang_name, deleting=True),
        pod("w-d", pclq=fqn, gang="other"),
        pod("x", pclq="someone-else", gang=gang_name),
    ]
    (gang,) = plan_podgangs(pcs, pods)
    (group,) = gang["spec"]["podgroups"]
    assert group == {
        "name": fqn,
        "minReplicas": 2,
        "podReferences": [{"namespace": "default", "name": "w-a"}, {"namespace": "default", "name": "w-b"}],
    }


def test_tas_translation_base_and_scaled() -> None:
    pcs = sample("tas-pcsg-pclq")  # PCSG workers (rack, r2 m2) of clique worker (host)
    groups = pcs.spec.template.pod_clique_scaling_groups
    assert groups
    pcsg_name = "tas-pcsg-pclq-0-workers"
    (base, scaled) = plan_podgangs(pcs, pcsg_replicas={pcsg_name: 3}, topo=TopologyContext(True, CTB))
    assert base["metadata"]["annotations"]["grove.io/topology-name"] == "grove-topology"
    assert "topologyConstraint" not in base["spec"]  # the PCS itself has none
    assert [g["topologyConstraint"] for g in base["spec"]["podgroups"]] == [
        {"packConstraint": {"required": "kubernetes.io/hostname"}}
    ] * 2
    assert base["spec"]["topologyConstraintGroupConfigs"] == [
        {
            "name": f"{pcsg_name}-{j}",
            "podGroupNames": [f"{pcsg_name}-{j}-worker"],
            "topologyConstraint": {"packConstraint": {"required": "kubernetes.io/rack"}},
        }
        for j in (0, 1)
    ]
    assert scaled["metadata"]["name"] == f"{pcsg_name}-0"
    assert scaled["spec"]["topologyConstraint"] == {"packConstraint": {"required": "kubernetes.io/rack"}}
    assert "topologyConstraintGroupConfigs" not in scaled["spec"]
    assert base["metadata"]["labels"]["grove.io/scheduler-name"] == "kai-scheduler"


def test_tas_off_writes_nothing_and_missing_binding_keeps_group_configs() -> None:
    pcs = sample("tas-pcsg-pclq")
    (off,) = plan_podgangs(pcs)
    assert "annotations" not in off["metadata"]
    assert all("topologyConstraint" not in g for g in off["spec"]["podgroups"])
    assert "topologyConstraintGroupConfigs" not in off["spec"]
    (no_ctb,) = plan_podgangs(pcs, topo=TopologyContext(True, None))
    assert [gc["name"] for gc in no_ctb["spec"]["topologyConstraintGroupConfigs"]] == [
        "tas-pcsg-pclq-0-workers-0",
        "tas-pcsg-pclq-0-workers-1",
    ]
    assert all("topologyConstraint" not in gc for gc in no_ctb["spec"]["topologyConstraintGroupConfigs"])
    assert "annotations" not in no_ctb["metadata"]


def test_unknown_domains_are_dropped() -> None:
    pcs = sample("tas-pcsg-pclq")
    rack_only = ClusterTopologyBinding.from_wire(
        {"metadata": {"name": "grove-topology"}, "spec": {"levels": [{"domain": "rack", "key": "r"}]}}
    )
    (gang,) = plan_podgangs(pcs, topo=TopologyContext(True, rack_only))
    assert all("topologyConstraint" not in g for g in gang["spec"]["podgroups"])  # host is unknown
    assert gang["spec"]["topologyConstraintGroupConfigs"][0]["topologyConstraint"] == {
        "packConstraint": {"required": "r"}
    }


def pclq(name: str, replicas: int) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"replicas": replicas}}


def test_initialized_decision_and_patch() -> None:
    pcs = sample("single-node-disaggregated")  # prefill 3, decode 2
    (gang,) = plan_podgangs(pcs)
    pfx = "single-node-disaggregated-0"
    pclqs = {f"{pfx}-prefill": pclq(f"{pfx}-prefill", 3), f"{pfx}-decode": pclq(f"{pfx}-decode", 2)}
    pods = [pod(f"p{k}", pclq=f"{pfx}-prefill", gang=pfx) for k in range(3)]
    pods += [pod("d0", pclq=f"{pfx}-decode", gang=pfx)]
    assert not podgang_pods_created(gang, pclqs, pods)
    pods.append(pod("d1", pclq=f"{pfx}-decode", gang=pfx, deleting=True))
    assert not podgang_pods_created(gang, pclqs, pods)  # terminating pods do not count
    pods.append(pod("d2", pclq=f"{pfx}-decode", gang=pfx))
    assert podgang_pods_created(gang, pclqs, pods)
    assert not podgang_pods_created(gang, {f"{pfx}-prefill": pclqs[f"{pfx}-prefill"]}, pods)  # PCLQ missing

    first = initialized_status_patch(gang, False, "T0")
    assert first is not None and first["phase"] == "Pending"
    assert (first["conditions"][0]["status"], first["conditions"][0]["reason"]) == (
        "False",
        "PodGangPodsCreationPending",
    )
    pending = {**gang, "status": first}
    assert initialized_status_patch(pending, False, "T1") is None
    done = initialized_status_patch(pending, True, "T1")
    assert done is not None and done["conditions"][0]["reason"] == "PodGangPodsCreated"
    assert initialized_status_patch({**gang, "status": done}, True, "T2") is None
