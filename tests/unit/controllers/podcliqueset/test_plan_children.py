"""PCS children: exact metadata of every kind, live replicas preserved, startsAfter rewritten."""

from __future__ import annotations

from grove.controllers.common.hashing import clique_pod_template_hash
from grove.controllers.podcliqueset.plan_children import plan_children, stale_names

from ..samples import sample

DEFAULT = {"app.kubernetes.io/managed-by": "grove-operator", "app.kubernetes.io/part-of": "simple1"}
OWNER = [
    {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodCliqueSet",
        "name": "simple1",
        "uid": "uid-pcs",
        "controller": True,
        "blockOwnerDeletion": True,
    }
]


def test_access_objects() -> None:
    plan = plan_children(sample("simple1"))
    sa, role, rb, secret = plan.service_account, plan.role, plan.role_binding, plan.token_secret
    assert sa["metadata"]["labels"] == {
        **DEFAULT,
        "app.kubernetes.io/name": "simple1",
        "app.kubernetes.io/component": "pod-service-account",
    }
    assert sa["automountServiceAccountToken"] is True
    assert role["metadata"]["labels"]["app.kubernetes.io/name"] == "grove.io-pcs-simple1"
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods", "pods/status"], "verbs": ["get", "list", "watch"]}
    ]
    assert rb["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "grove.io:pcs:simple1",
    }
    assert rb["subjects"] == [{"kind": "ServiceAccount", "name": "simple1", "namespace": "default"}]
    assert secret["type"] == "kubernetes.io/service-account-token"
    assert secret["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "simple1"}
    for obj in (sa, role, rb, secret):
        assert obj["metadata"]["ownerReferences"] == OWNER
        assert obj["metadata"]["namespace"] == "default"


def test_headless_service() -> None:
    pcs = sample("simple1")
    pcs.spec.replicas = 2
    svc = plan_children(pcs).services[1]
    assert svc["metadata"]["name"] == "simple1-1"
    assert svc["metadata"]["labels"]["grove.io/podcliqueset-replica-index"] == "1"
    assert svc["spec"] == {
        "clusterIP": "None",
        "publishNotReadyAddresses": True,
        "selector": {**DEFAULT, "grove.io/podcliqueset-replica-index": "1"},
    }


def test_hpas_target_and_defaults() -> None:
    pcs = sample("simple1")
    pca_hpa, sga_hpa = plan_children(pcs).hpas
    assert pca_hpa["apiVersion"] == "autoscaling/v2"
    assert pca_hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodClique",
        "name": "simple1-0-pca",
    }
    assert (pca_hpa["spec"]["minReplicas"], pca_hpa["spec"]["maxReplicas"]) == (3, 5)
    assert sga_hpa["spec"]["scaleTargetRef"]["kind"] == "PodCliqueScalingGroup"
    assert sga_hpa["metadata"]["labels"]["app.kubernetes.io/component"] == "pcs-hpa"
    cfg = pcs.spec.template.cliques[0].spec.auto_scaling_config
    assert cfg is not None
    cfg.metrics = None
    assert plan_children(pcs).hpas[0]["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
        }
    ]


def test_standalone_podclique_metadata_and_spec() -> None:
    pcs = sample("simple1")
    pcs.spec.template.cliques[0].labels = {"team": "x", "app.kubernetes.io/part-of": "spoofed"}
    pcs.spec.template.cliques[0].annotations = {"grove.io/topology-name": "t", "note": "n"}
    pca = plan_children(pcs).podcliques[0]
    md = pca["metadata"]
    assert md["name"] == "simple1-0-pca"
    assert md["labels"] == {
        "team": "x",
        **DEFAULT,
        "app.kubernetes.io/name": "simple1-0-pca",
        "app.kubernetes.io/component": "pcs-podclique",
        "grove.io/podcliqueset-replica-index": "0",
        "grove.io/podgang": "simple1-0",
        "grove.io/pod-template-hash": clique_pod_template_hash(pcs, "pca"),
    }
    assert md["annotations"] == {"note": "n"}
    assert md["finalizers"] == ["grove.io/podclique.grove.io"]
    assert md["ownerReferences"] == OWNER
    assert pca["spec"]["roleName"] == "rolea"
    assert pca["spec"]["replicas"] == 3 and pca["spec"]["minAvailable"] == 3
    assert "startsAfter" not in pca["spec"]


def test_live_replicas_survive_and_new_replicas_seed_from_the_template() -> None:
    pcs = sample("simple1")
    pcs.spec.replicas = 2
    plan = plan_children(
        pcs, existing_pclq_replicas={"simple1-0-pca": 5}, existing_pcsg_replicas={"simple1-0-sga": 3}
    )
    replicas = {p["metadata"]["name"]: p["spec"]["replicas"] for p in plan.podcliques}
    assert replicas == {"simple1-0-pca": 5, "simple1-0-pcd": 2, "simple1-1-pca": 3, "simple1-1-pcd": 2}
    assert [g["spec"] for g in plan.scaling_groups] == [
        {"replicas": 3, "minAvailable": 1, "cliqueNames": ["pcb", "pcc"]},
        {"replicas": 1, "minAvailable": 1, "cliqueNames": ["pcb", "pcc"]},
    ]


def test_scaling_group_metadata() -> None:
    pcs = sample("simple1")
    pcs.metadata.annotations = {"grove.io/mnnvl-group": "g1"}
    (sga,) = plan_children(pcs).scaling_groups
    md = sga["metadata"]
    assert md["labels"] == {
        **DEFAULT,
        "app.kubernetes.io/name": "simple1-0-sga",
        "app.kubernetes.io/component": "pcs-podcliquescalinggroup",
        "grove.io/podcliqueset-replica-index": "0",
    }
    assert md["annotations"] == {"grove.io/mnnvl-group": "g1"}
    assert md["finalizers"] == ["grove.io/podcliquescalinggroup.grove.io"]
    groups = pcs.spec.template.pod_clique_scaling_groups
    assert groups
    groups[0].annotations = {"grove.io/mnnvl-group": "none"}
    assert plan_children(pcs).scaling_groups[0]["metadata"]["annotations"] == {"grove.io/mnnvl-group": "none"}


def test_explicit_startup_rewrites_starts_after() -> None:
    plan = plan_children(sample("simple2"))
    after = {p["metadata"]["name"]: p["spec"].get("startsAfter") for p in plan.podcliques}
    assert after == {
        "simple2-0-pca": None,
        "simple2-0-pcb": ["simple2-0-pca"],
        "simple2-0-pcc": ["simple2-0-pca"],
        "simple2-0-pcd": ["simple2-0-pcb", "simple2-0-pcc"],
    }


def test_scale_in_leaves_stale_children() -> None:
    pcs = sample("simple1")
    plan = plan_children(pcs)
    assert stale_names(["simple1-0-pca", "simple1-1-pca", "simple1-1-pcd"], plan.podcliques) == [
        "simple1-1-pca",
        "simple1-1-pcd",
    ]
