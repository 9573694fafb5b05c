"""PCSG member PodCliques: names, base vs scaled gang labels, env vars, owner, scale-in order."""

from __future__ import annotations

from typing import Any

from grove.api.models import PodCliqueScalingGroup
from grove.controllers.podcliquescalinggroup.plan_members import (
    member_replica_indices,
    plan_member_podcliques,
    replicas_to_remove,
)
from grove.controllers.podcliqueset.plan_children import plan_children

from ..samples import sample


def simple3_pcsg() -> PodCliqueScalingGroup:
    pcsg = PodCliqueScalingGroup.from_wire(plan_children(sample("simple3")).scaling_groups[0])
    pcsg.metadata.uid = "uid-sga"
    return pcsg


def by_name(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs}


def test_base_and_scaled_members() -> None:
    members = by_name(plan_member_podcliques(sample("simple3"), simple3_pcsg()))
    assert len(members) == 9
    base = members["simple3-0-sga-1-pcc"]["metadata"]
    assert base["labels"]["grove.io/podgang"] == "simple3-0"
    assert "grove.io/base-podgang" not in base["labels"]
    assert base["labels"]["grove.io/podcliquescalinggroup"] == "simple3-0-sga"
    assert base["labels"]["grove.io/podcliquescalinggroup-replica-index"] == "1"
    assert base["labels"]["grove.io/podcliqueset-replica-index"] == "0"
    assert base["labels"]["app.kubernetes.io/component"] == "pcsg-podclique"
    assert base["ownerReferences"] == [
        {
            "apiVersion": "grove.io/v1alpha1",
            "kind": "PodCliqueScalingGroup",
            "name": "simple3-0-sga",
            "uid": "uid-sga",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert base["finalizers"] == ["grove.io/podclique.grove.io"]
    scaled = members["simple3-0-sga-2-pcd"]
    assert scaled["metadata"]["labels"]["grove.io/podgang"] == "simple3-0-sga-0"
    assert scaled["metadata"]["labels"]["grove.io/base-podgang"] == "simple3-0"
    assert scaled["spec"]["startsAfter"] == ["simple3-0-sga-2-pcb", "simple3-0-sga-2-pcc"]
    assert "startsAfter" not in members["simple3-0-sga-2-pcb"]["spec"]


def test_pcsg_env_appended_to_every_container() -> None:
    pcs = sample("simple3")
    pcs.spec.template.cliques[1].spec.pod_spec["initContainers"] = [{"name": "init", "image": "busybox"}]
    members = by_name(plan_member_podcliques(pcs, simple3_pcsg()))
    pod_spec = members["simple3-0-sga-0-pcb"]["spec"]["podSpec"]
    for container in pod_spec["initContainers"] + pod_spec["containers"]:
        assert [e["name"] for e in container["env"]][-3:] == [
            "GROVE_PCSG_NAME",
            "GROVE_PCSG_TEMPLATE_NUM_PODS",
            "GROVE_PCSG_INDEX",
        ]
        assert container["env"][-2]["value"] == "6"  # pcb 2 + pcc 2 + pcd 2
    # the PCS template is not modified
    assert "env" not in pcs.spec.template.cliques[1].spec.pod_spec["containers"][0]


def test_live_member_replicas_preserved() -> None:
    members = by_name(plan_member_podcliques(sample("simple3"), simple3_pcsg(), {"simple3-0-sga-0-pcb": 7}))
    assert members["simple3-0-sga-0-pcb"]["spec"]["replicas"] == 7
    assert members["simple3-0-sga-1-pcb"]["spec"]["replicas"] == 2


def test_scale_in_removes_highest_replicas_first() -> None:
    members = plan_member_podcliques(sample("simple3"), simple3_pcsg())
    members[0]["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert member_replica_indices(members) == {0, 1, 2}
    assert replicas_to_remove(member_replica_indices(members), 1) == [2, 1]
    assert replicas_to_remove([0, 1], 3) == []
