"""``grove scheduler``'s start-up conflict check against the embedded cluster's API: a KAI scheduler
Deployment or its held leader Lease stops start-up with exit code 8 and a message naming the object; the
default (grove-scheduler only) starts beside them; a check the scheduler's RBAC does not allow warns and
lets it start."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from grove.cluster import EmbeddedCluster
from grove.kube.clock import VirtualClock
from grove.kube.errors import Forbidden
from grove.operator.preflight import PreflightError
from grove.operator.scheduler_conflicts import EXIT_SCHEDULER_CONFLICT, check_scheduler_conflicts
from grove.runtime.leaderelection import micro_time
from tests.unit.operator.test_scheduler_conflicts import kai_deployment

OWN = ("grove-system", "grove-scheduler-leader-election")


@pytest.fixture
def cluster() -> EmbeddedCluster:
    return EmbeddedCluster(clock=VirtualClock(start=1_767_225_600.0))


async def _namespace(cluster: EmbeddedCluster, name: str) -> None:
    await cluster.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


async def test_kai_deployment_refuses_kai_scheduler_only(cluster: EmbeddedCluster) -> None:
    await _namespace(cluster, "kai-scheduler")
    await cluster.client.create(kai_deployment())
    now = cluster.clock.now()
    await check_scheduler_conflicts(cluster.client, ["grove-scheduler"], now, OWN)  # the default starts
    with pytest.raises(PreflightError) as err:
        await check_scheduler_conflicts(cluster.client, ["grove-scheduler", "kai-scheduler"], now, OWN)
    assert err.value.code == EXIT_SCHEDULER_CONFLICT == 8
    assert ("kai-scheduler: KAI scheduler answers for it (Deployment kai-scheduler/kai-scheduler-default)"
            in str(err.value))
    assert "without --scheduler-name kai-scheduler" in str(err.value)


async def test_held_kai_lease_refuses_until_it_expires(cluster: EmbeddedCluster) -> None:
    await _namespace(cluster, "kai-scheduler")
    now = cluster.clock.now()
    await cluster.client.create({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "kai-scheduler", "namespace": "kai-scheduler"},
        "spec": {"holderIdentity": "kai-scheduler-default-5d9c_1f2e", "leaseDurationSeconds": 15,
                 "acquireTime": micro_time(now - 60), "renewTime": micro_time(now - 2)}})
    # another Lease (ours, and an unrelated one) never counts
    await cluster.client.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                 "metadata": {"name": "binder-lock", "namespace": "kai-scheduler"},
                                 "spec": {"holderIdentity": "b", "leaseDurationSeconds": 15,
                                          "renewTime": micro_time(now)}})
    with pytest.raises(PreflightError) as err:
        await check_scheduler_conflicts(cluster.client, ["kai-scheduler"], now, OWN)
    assert "Lease kai-scheduler/kai-scheduler held by kai-scheduler-default-5d9c_1f2e" in str(err.value)
    await check_scheduler_conflicts(cluster.client, ["kai-scheduler"], now + 14, OWN)  # expired at now + 13


class NoListRbac:
    """The scheduler's identity without list on deployments and leases (a chart without the rule)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def list(self, api_version: str, kind: str, namespace: str | None = None, **kw: Any) -> Any:
        if kind in ("Deployment", "Lease"):
            raise Forbidden(f'{kind.lower()}s is forbidden: User "system:serviceaccount:grove-system:'
                            f'grove-scheduler" cannot list resource "{kind.lower()}s" at the cluster scope')
        return await self.inner.list(api_version, kind, namespace, **kw)


async def test_missing_rbac_warns_and_starts(cluster: EmbeddedCluster, caplog: pytest.LogCaptureFixture) -> None:
    await _namespace(cluster, "kai-scheduler")
    await cluster.client.create(kai_deployment())
    with caplog.at_level(logging.WARNING, logger="grove.operator"):
        await check_scheduler_conflicts(NoListRbac(cluster.client), ["grove-scheduler", "kai-scheduler"],
                                        cluster.clock.now(), OWN)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith("scheduler-name conflict check incomplete: cannot list deployments.apps "
                                  "cluster-wide (Forbidden: ")
    assert "cannot list leases.coordination.k8s.io named grove-scheduler (Forbidden" in warnings[1]
    assert all("grant the scheduler list on deployments (apps) and leases (coordination.k8s.io)" in w
               for w in warnings)
