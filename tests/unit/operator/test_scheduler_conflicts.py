"""The scheduler-name conflict decision (pure): which Deployments and Leases mean another scheduler already
answers for a name ``grove scheduler`` would answer for.

The fixtures have the shape KAI's operator (v0.17) and Volcano's chart (1.14) give their scheduler
Deployments, and the Leases their leader election writes."""

from __future__ import annotations

from typing import Any

import pytest

from grove.kube.clock import rfc3339
from grove.operator.scheduler_conflicts import (
    deployment_holder,
    find_conflicts,
    flag_values,
    lease_holder,
)

NOW = 1_767_225_600.0

Obj = dict[str, Any]


def deployment(name: str, namespace: str, *, labels: dict[str, str] | None = None, image: str = "x:1",
               args: list[str] | None = None, replicas: int | None = 1, pod_labels: dict[str, str] | None = None,
               deleting: bool = False) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace, "labels": labels or {}}
    if deleting:
        meta["deletionTimestamp"] = rfc3339(NOW)
    spec: Obj = {"template": {"metadata": {"labels": pod_labels or {}},
                              "spec": {"containers": [{"name": name, "image": image, "args": args or []}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def kai_deployment(**kw: Any) -> Obj:
    """As KAI's operator renders the default shard's scheduler (pkg/operator/operands/scheduler)."""
    return deployment("kai-scheduler-default", "kai-scheduler",
                      labels={"app": "kai-scheduler-default", "app.kubernetes.io/managed-by": "kai-operator"},
                      pod_labels={"app": "kai-scheduler-default"},
                      image="ghcr.io/kai-scheduler/kai-scheduler/scheduler:v0.17.0",
                      args=["--scheduler-conf=/etc/config/config.yaml", "--scheduler-name=kai-scheduler",
                            "--namespace=kai-scheduler", "--nodepool-label-key=kai.scheduler/node-pool"], **kw)


def kai_binder() -> Obj:
    """KAI's binder also takes --scheduler-name, but it places nothing by itself: not the scheduler."""
    return deployment("binder", "kai-scheduler",
                      labels={"app": "binder", "app.kubernetes.io/managed-by": "kai-operator"},
                      image="ghcr.io/kai-scheduler/kai-scheduler/binder:v0.17.0",
                      args=["--scheduler-name", "kai-scheduler", "--leader-elect"])


def volcano_deployment(extra_args: tuple[str, ...] = (), **kw: Any) -> Obj:
    """As Volcano's chart renders it (installer/helm/chart/volcano/templates/scheduler.yaml)."""
    return deployment("volcano-scheduler", "volcano-system", labels={"app": "volcano-scheduler"},
                      pod_labels={"app": "volcano-scheduler"}, image="docker.io/volcanosh/vc-scheduler:v1.14.1",
                      args=["--logtostderr", "--scheduler-conf=/volcano.scheduler/volcano-scheduler.conf",
                            *extra_args, "--enable-healthz=true", "--leader-elect=true", "-v=3", "2>&1"], **kw)


def grove_scheduler_deployment() -> Obj:
    return deployment("grove-scheduler", "grove-system", labels={"app.kubernetes.io/component": "scheduler"},
                      image="grove:0.1.0", args=["scheduler", "--config", "/etc/grove/config.yaml",
                                                 "--scheduler-name", "kai-scheduler"])


def lease(name: str, namespace: str, *, holder: str = "pod-1_abc", renewed: float = NOW - 3,
          duration: int = 15) -> Obj:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                     "acquireTime": "2026-01-01T00:00:00.000000Z",
                     "renewTime": rfc3339(renewed).replace("Z", ".000000Z")}}


@pytest.mark.parametrize(("dep", "expected"), [
    (kai_deployment(), ("KAI scheduler", ("kai-scheduler",))),
    (kai_deployment(replicas=None), ("KAI scheduler", ("kai-scheduler",))),  # replicas defaults to 1
    (volcano_deployment(), ("Volcano scheduler", ("volcano",))),
    # Volcano's --scheduler-name is repeatable
    (volcano_deployment(("--scheduler-name=volcano", "--scheduler-name", "kai-scheduler")),
     ("Volcano scheduler", ("volcano", "kai-scheduler"))),
    # a KAI scheduler installed by hand (no operator label): recognised by its image
    (deployment("my-kai", "ai", image="nvcr.io/nvidia/kai-scheduler/scheduler@sha256:0123",
                args=["--scheduler-name=gpu-sched"]), ("KAI scheduler", ("gpu-sched",))),
    (deployment("vc", "ai", image="volcanosh/vc-scheduler:latest"), ("Volcano scheduler", ("volcano",))),
    (kai_binder(), None),
    (grove_scheduler_deployment(), None),  # our own: it leader-elects with its replicas, no conflict
    (kai_deployment(replicas=0), None),  # scaled down: runs nothing
    (volcano_deployment(deleting=True), None),
    (deployment("nginx", "web", labels={"app": "nginx"}, image="nginx:1.27"), None),
], ids=["kai", "kai-default-replicas", "volcano", "volcano-names", "kai-by-image", "volcano-by-image",
        "kai-binder", "grove", "kai-scaled-to-0", "volcano-deleting", "unrelated"])
def test_deployment_holder(dep: Obj, expected: tuple[str, tuple[str, ...]] | None) -> None:
    holder = deployment_holder(dep)
    assert (None if holder is None else (holder.product, holder.names)) == expected
    if holder is not None:
        assert holder.evidence == f"Deployment {dep['metadata']['namespace']}/{dep['metadata']['name']}"


@pytest.mark.parametrize(("obj", "held"), [
    (lease("kai-scheduler", "kai-scheduler"), True),
    (lease("kai-scheduler", "kai-scheduler", renewed=NOW - 16), False),  # expired one second ago
    (lease("kai-scheduler", "kai-scheduler", holder=""), False),  # released
    (lease("volcano", "volcano-system", renewed=NOW - 14), True),
], ids=["held", "expired", "released", "volcano-about-to-expire"])
def test_lease_is_held_only_until_it_expires(obj: Obj, held: bool) -> None:
    assert (lease_holder(obj, NOW) is not None) is held


def test_lease_without_times_is_not_counted() -> None:
    obj = lease("kai-scheduler", "kai-scheduler")
    del obj["spec"]["renewTime"], obj["spec"]["acquireTime"]
    assert lease_holder(obj, NOW) is None


@pytest.mark.parametrize(("answering", "deployments", "leases", "conflicts"), [
    # the default (grove-scheduler only) is safe next to KAI and Volcano
    (["grove-scheduler"], [kai_deployment(), volcano_deployment()],
     [lease("kai-scheduler", "kai-scheduler"), lease("volcano", "volcano-system")], []),
    (["grove-scheduler", "kai-scheduler"], [kai_deployment()], [], [("kai-scheduler", "KAI scheduler")]),
    (["grove-scheduler", "kai-scheduler"], [kai_binder(), grove_scheduler_deployment()], [], []),
    # KAI run without a Deployment we know (e.g. by hand), seen by its leader Lease only
    (["kai-scheduler"], [], [lease("kai-scheduler", "kai-scheduler")], [("kai-scheduler", "KAI scheduler")]),
    (["kai-scheduler"], [], [lease("kai-scheduler", "kai-scheduler", renewed=NOW - 600)], []),
    (["volcano"], [volcano_deployment()], [lease("volcano", "volcano-system")],
     [("volcano", "Volcano scheduler"), ("volcano", "Volcano scheduler")]),
    (["kai-scheduler", "volcano"], [kai_deployment(replicas=0)], [], []),
    (["default-scheduler"], [], [lease("kube-scheduler", "kube-system")], [("default-scheduler", "kube-scheduler")]),
    # our own Lease is never another scheduler
    (["grove-scheduler-leader-election"], [], [lease("grove-scheduler-leader-election", "grove-system")], []),
], ids=["default-is-safe", "kai-deployment", "kai-binder-and-grove-ignored", "kai-lease", "kai-lease-expired",
        "volcano-both", "kai-scaled-down", "kube-scheduler", "own-lease"])
def test_find_conflicts(answering: list[str], deployments: list[Obj], leases: list[Obj],
                        conflicts: list[tuple[str, str]]) -> None:
    found = find_conflicts(answering, deployments, leases, NOW,
                           own_lease=("grove-system", "grove-scheduler-leader-election"))
    assert [(x.scheduler_name, x.holder.product) for x in found] == conflicts


def test_reason_names_the_object_and_holder() -> None:
    [dep] = find_conflicts(["kai-scheduler"], [kai_deployment()], [], NOW)
    assert dep.reason == "kai-scheduler: KAI scheduler answers for it (Deployment kai-scheduler/kai-scheduler-default)"
    [held] = find_conflicts(["kai-scheduler"], [], [lease("kai-scheduler", "kai-scheduler", holder="kai-0_u1")], NOW)
    assert held.reason.startswith("kai-scheduler: KAI scheduler answers for it (Lease kai-scheduler/kai-scheduler "
                                  "held by kai-0_u1, renewed 2025-12-31T23:59:57")
    assert held.reason.endswith("expires in 12s)")


def test_flag_values_reads_both_pflag_spellings() -> None:
    argv = ["--scheduler-name=a", "--scheduler-name", "b", "--scheduler-names=c", "--scheduler-name"]
    assert flag_values(argv, "--scheduler-name") == ["a", "b"]
