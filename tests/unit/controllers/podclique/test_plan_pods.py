"""Pod construction: metadata, gates, backends, Grove env vars, hostnames and the startup waiter."""

from __future__ import annotations

from typing import Any

import pytest

from grove.controllers.podclique.plan_pods import PodSettings, build_pod, initc_image_ref

from ..helpers import planned_podcliques
from ..samples import sample


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def label_ref(key: str) -> dict[str, Any]:
    return {"fieldRef": {"fieldPath": f"metadata.labels['{key}']"}}


def test_env_demo_standalone_pod_zero() -> None:
    pcs = sample("env-demo-standalone")
    pclq = planned_podcliques(pcs)["env-demo-standalone-0-frontend"]
    pod = build_pod(pcs, pclq, 0)
    env = env_of(pod["spec"]["containers"][0])
    assert env["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}  # user var kept after ours
    del env["POD_NAME"]
    assert env == {
        "GROVE_PCS_NAME": "env-demo-standalone",
        "GROVE_PCS_INDEX": "0",
        "GROVE_PCLQ_NAME": "env-demo-standalone-0-frontend",
        "GROVE_HEADLESS_SERVICE": "env-demo-standalone-0.default.svc.cluster.local",
        "GROVE_PCLQ_POD_INDEX": label_ref("grove.io/podclique-pod-index"),
    }
    assert pod["metadata"]["labels"]["grove.io/podclique-pod-index"] == "0"
    spec = pod["spec"]
    fqdn = f"{spec['hostname']}.{spec['subdomain']}.default.svc.cluster.local"
    assert fqdn == "env-demo-standalone-0-frontend-0.env-demo-standalone-0.default.svc.cluster.local"
    assert pod["metadata"]["generateName"] == "env-demo-standalone-0-frontend-"


def test_env_demo_pcsg_leader_and_worker() -> None:
    pcs = sample("env-demo-pcsg")
    pclqs = planned_podcliques(pcs)
    leader = build_pod(pcs, pclqs["env-demo-pcsg-0-model-instance-0-leader"], 0)
    worker = build_pod(pcs, pclqs["env-demo-pcsg-0-model-instance-0-worker"], 2)
    env = env_of(leader["spec"]["containers"][0])
    assert env["GROVE_PCLQ_NAME"] == "env-demo-pcsg-0-model-instance-0-leader"
    assert env["GROVE_PCSG_TEMPLATE_NUM_PODS"] == "4"
    assert env["GROVE_PCSG_NAME"] == label_ref("grove.io/podcliquescalinggroup")
    assert env["GROVE_PCSG_INDEX"] == label_ref("grove.io/podcliquescalinggroup-replica-index")
    labels = leader["metadata"]["labels"]
    assert labels["grove.io/podcliquescalinggroup"] == "env-demo-pcsg-0-model-instance"
    assert labels["grove.io/podcliquescalinggroup-replica-index"] == "0"
    # the five pod vars come first, the PCSG vars after them
    assert [e["name"] for e in leader["spec"]["containers"][0]["env"]] == [
        "GROVE_PCS_NAME",
        "GROVE_PCS_INDEX",
        "GROVE_PCLQ_NAME",
        "GROVE_HEADLESS_SERVICE",
        "GROVE_PCLQ_POD_INDEX",
        "GROVE_PCSG_NAME",
        "GROVE_PCSG_TEMPLATE_NUM_PODS",
        "GROVE_PCSG_INDEX",
    ]
    # a worker builds the leader FQDN from $GROVE_PCSG_NAME-$GROVE_PCSG_INDEX-leader-0.$GROVE_HEADLESS_SERVICE
    wenv = env_of(worker["spec"]["containers"][0])
    wlabels = worker["metadata"]["labels"]
    leader_fqdn = (
        f"{wlabels['grove.io/podcliquescalinggroup']}-"
        f"{wlabels['grove.io/podcliquescalinggroup-replica-index']}-leader-0."
        f"{wenv['GROVE_HEADLESS_SERVICE']}"
    )
    assert (
        leader_fqdn == "env-demo-pcsg-0-model-instance-0-leader-0.env-demo-pcsg-0.default.svc.cluster.local"
    )
    assert worker["spec"]["hostname"] == "env-demo-pcsg-0-model-instance-0-worker-2"


def test_pod_metadata_gates_and_owner() -> None:
    pcs = sample("simple1")
    pclq = planned_podcliques(pcs)["simple1-0-pca"]
    pclq.spec.pod_spec["schedulingGates"] = [{"name": "user-gate"}]
    pclq.metadata.annotations = {"note": "x"}
    pod = build_pod(pcs, pclq, 1)
    md = pod["metadata"]
    assert md["labels"]["app.kubernetes.io/managed-by"] == "grove-operator"
    assert md["labels"]["app.kubernetes.io/part-of"] == "simple1"
    assert md["labels"]["grove.io/podclique"] == "simple1-0-pca"
    assert md["labels"]["grove.io/podgang"] == "simple1-0"
    assert md["labels"]["grove.io/podcliqueset-replica-index"] == "0"
    assert (
        md["labels"]["grove.io/pod-template-hash"]
        == (pclq.metadata.labels or {})["grove.io/pod-template-hash"]
    )
    assert md["annotations"] == {"note": "x"}
    assert md["ownerReferences"] == [
        {
            "apiVersion": "grove.io/v1alpha1",
            "kind": "PodClique",
            "name": "simple1-0-pca",
            "uid": "uid-simple1-0-pca",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert pod["spec"]["schedulingGates"] == [{"name": "grove.io/podgang-pending-creation"}]
    assert pod["spec"]["schedulerName"] == "default-scheduler"
    assert "initContainers" not in pod["spec"]
    # the PodClique model is untouched
    assert pclq.spec.pod_spec["schedulingGates"] == [{"name": "user-gate"}]
    assert "env" not in pclq.spec.pod_spec["containers"][0]


def test_user_env_with_a_grove_name_is_dropped() -> None:
    pcs = sample("simple1")
    pclq = planned_podcliques(pcs)["simple1-0-pcd"]
    pclq.spec.pod_spec["containers"][0]["env"] = [
        {"name": "GROVE_PCS_NAME", "value": "mine"},
        {"name": "KEEP", "value": "1"},
    ]
    env = build_pod(pcs, pclq, 0)["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == [
        "GROVE_PCS_NAME",
        "GROVE_PCS_INDEX",
        "GROVE_PCLQ_NAME",
        "GROVE_HEADLESS_SERVICE",
        "GROVE_PCLQ_POD_INDEX",
        "KEEP",
    ]
    assert env[0]["value"] == "simple1"


@pytest.mark.parametrize(
    ("scheduler", "annotations", "extra_label"),
    [
        ("default-scheduler", {}, None),
        ("grove-scheduler", {}, None),
        (
            "kai-scheduler",
            {"kai.scheduler/skip-podgrouper": "true", "pod-group-name": "simple1-0"},
            ("kai.scheduler/subgroup-name", "simple1-0-pca"),
        ),
        (
            "volcano",
            {"scheduling.k8s.io/group-name": "simple1-0", "scheduling.volcano.sh/group-name": "simple1-0"},
            None,
        ),
    ],
)
def test_backend_prepare_pod(
    scheduler: str, annotations: dict[str, str], extra_label: tuple[str, str] | None
) -> None:
    pcs = sample("simple1")
    pclq = planned_podcliques(pcs)["simple1-0-pca"]
    pclq.spec.pod_spec["schedulerName"] = scheduler
    pod = build_pod(pcs, pclq, 0)
    assert pod["spec"]["schedulerName"] == scheduler
    assert pod["metadata"].get("annotations", {}) == annotations
    if extra_label:
        assert pod["metadata"]["labels"][extra_label[0]] == extra_label[1]


def test_default_profile_applies_when_no_scheduler_is_named() -> None:
    pcs = sample("simple1")
    pclq = planned_podcliques(pcs)["simple1-0-pca"]
    pod = build_pod(pcs, pclq, 0, PodSettings(default_profile="kai-scheduler"))
    assert pod["spec"]["schedulerName"] == "kai-scheduler"
    assert pod["metadata"]["annotations"]["pod-group-name"] == "simple1-0"


@pytest.mark.parametrize(("image", "expected"), [
    ("grove-initc", "grove-initc:v9"),  # bare: the operator's version, as before
    ("reg.io/team/grove-initc", "reg.io/team/grove-initc:v9"),
    ("reg.io:5000/grove-initc", "reg.io:5000/grove-initc:v9"),  # a registry port is not a tag
    ("reg.io:5000/grove-initc:1.2", "reg.io:5000/grove-initc:1.2"),
    ("grove-initc:latest", "grove-initc:latest"),
    ("reg.io/grove-initc@sha256:" + "a" * 64, "reg.io/grove-initc@sha256:" + "a" * 64),
    ("reg.io/grove-initc:1.2@sha256:" + "b" * 64, "reg.io/grove-initc:1.2@sha256:" + "b" * 64),
])
def test_initc_image_is_used_as_given_when_it_has_a_tag_or_digest(image: str, expected: str) -> None:
    assert initc_image_ref(image, "v9") == expected
    pcs = sample("simple3")
    pod = build_pod(pcs, planned_podcliques(pcs)["simple3-0-pce"], 0, PodSettings(initc_image=image, version="v9"))
    assert pod["spec"]["initContainers"][0]["image"] == expected

def test_startup_waiter_for_simple3_pce() -> None:
    pcs = sample("simple3")
    pclq = planned_podcliques(pcs)["simple3-0-pce"]
    pod = build_pod(pcs, pclq, 0, PodSettings(initc_image="reg/grove-initc", version="v9"))
    (initc,) = pod["spec"]["initContainers"]
    assert initc["name"] == "grove-initc"
    assert initc["image"] == "reg/grove-initc:v9"
    assert initc["args"] == [
        "--podcliques=simple3-0-sga-0-pcb:2",
        "--podcliques=simple3-0-sga-1-pcb:2",
        "--podcliques=simple3-0-sga-0-pcc:2",
        "--podcliques=simple3-0-sga-1-pcc:2",
    ]
    assert "env" not in initc
    assert initc["volumeMounts"] == [
        {"name": "pod-info-vol", "mountPath": "/var/grove/pod-info", "readOnly": True},
        {
            "name": "sa-token-secret-vol",
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            "readOnly": True,
        },
    ]
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert vols["sa-token-secret-vol"]["secret"] == {"secretName": "simple3-ic-sat", "defaultMode": 420}
    assert [i["path"] for i in vols["pod-info-vol"]["downwardAPI"]["items"]] == ["namespace", "podgangname"]


def test_scaled_member_pod_is_in_the_scaled_gang() -> None:
    pcs = sample("simple3")
    pclq = planned_podcliques(pcs)["simple3-0-sga-2-pcd"]
    pod = build_pod(pcs, pclq, 0)
    labels = pod["metadata"]["labels"]
    assert labels["grove.io/podgang"] == "simple3-0-sga-0"
    assert labels["grove.io/base-podgang"] == "simple3-0"
    assert pod["spec"]["initContainers"][0]["args"] == [
        "--podcliques=simple3-0-sga-2-pcb:2",
        "--podcliques=simple3-0-sga-2-pcc:2",
    ]
