"""Leader election between two ``grove operator`` replicas on the real control plane.

Two processes (distinct webhook/health/metrics ports) campaign for the same Lease
(``grove-system/grove-operator-leader-election``; leaseDuration 6 s, renewDeadline 4 s, retryPeriod
1 s). The leader is found from the Lease's holderIdentity (each process logs "<identity> became
leader"), then SIGKILLed, so nothing releases the Lease: the survivor must take it over within the
lease duration. It can, because a candidate watches the Lease (it times each renewal as it happens) and
wakes exactly when the record it observed expires; so the takeover comes leaseDuration after the dead
leader's last renewal, which is at most leaseDuration after the kill. Then the workload converges under the new leader: a PCS created
before the kill is scaled, and a PCS created after the kill gets its PodCliques and pods.

Admission goes to the follower from the start (a Service would route around the dead endpoint; here
the webhook URL names one replica). Pods are left to kube-scheduler, which cannot place them (no agent
toleration), so they stay Pending and use no node capacity. Cleanup deletes both PCSs, waits for the
cascade, removes the webhook configurations and stops the survivor with SIGTERM (it releases the Lease).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grove.kube.clock import parse_rfc3339
from tests.e2e.harness import E2ECluster, wait_until
from tests.e2e.operator_support import (
    LEASE_DURATION,
    NS,
    OPERATOR_LEASE,
    RETRY_PERIOD,
    ChartRelease,
    Operator,
    chart_installed,
    free_port,
    repoint_webhooks,
)
from tests.upstream import UPSTREAM

pytestmark = pytest.mark.e2e

WORK_NS = "grove-le-e2e"
SAMPLES = UPSTREAM / "samples/simple"
# Measurement slack, not algorithm slack: the renewal's write and watch delivery, the takeover's write,
# and this test polling the survivor's /metrics every 0.1 s.
SLACK = 1.0  # measured 0.02-0.08 s (0.08 s with one core kept busy); generous so a loaded CI box cannot flake
TAKEOVER_BOUND = LEASE_DURATION + SLACK


def _holder(c: E2ECluster) -> str:
    lease = c.kubectl_json("get", "lease", OPERATOR_LEASE, "-n", NS)
    return str(lease["spec"].get("holderIdentity") or "")


def _count(c: E2ECluster, resource: str, pcs: str) -> int:
    return len(c.kubectl_json("get", resource, "-n", WORK_NS, "-l", f"app.kubernetes.io/part-of={pcs}")["items"])


def _children(c: E2ECluster, pcs: str) -> tuple[int, int, int]:
    """(PodCliques, PodGangs, pods) of one PCS."""
    return (_count(c, "podcliques.grove.io", pcs), _count(c, "podgangs.scheduler.grove.io", pcs),
            _count(c, "pods", pcs))


@dataclass
class Replicas:
    a: Operator
    b: Operator
    release: ChartRelease


@pytest.fixture
def replicas(e2e_cluster: E2ECluster, tmp_path: Path) -> Iterator[Replicas]:
    c = e2e_cluster
    with chart_installed(c, tmp_path, namespaces=[WORK_NS]) as release:
        a = Operator(release, "operator-a")
        b = Operator(release, "operator-b", ports=(free_port(), free_port(), free_port()))
        try:
            # One after the other, so they do not race to create the webhook certificate Secret.
            a.start()
            b.start()
            yield Replicas(a, b, release)
        finally:
            try:
                c.kubectl("delete", "pcs", "--all", "-n", WORK_NS, "--wait=false", check=False)
                wait_until("the PCSs' cascade in " + WORK_NS, lambda: not c.kubectl_json(
                    "get", "pods,podcliques.grove.io,podgangs.scheduler.grove.io", "-n", WORK_NS)["items"],
                    timeout=120)
            finally:
                a.stop()
                b.stop()


def test_sigkilled_leader_is_replaced_within_the_lease_duration(
        replicas: Replicas, e2e_cluster: E2ECluster) -> None:
    c = e2e_cluster
    wait_until("one replica to hold the Lease", lambda: _holder(c) != "", timeout=30)
    holder = _holder(c)

    def leads(op: Operator) -> bool:
        assert op.proc is not None
        return re.search(rf"^.*{re.escape(holder)} became leader of lease", op.proc.text(), re.M) is not None

    wait_until(f"the process of holder {holder} to log its leadership", lambda: leads(replicas.a) or leads(replicas.b), timeout=10)
    leader, follower = (replicas.a, replicas.b) if leads(replicas.a) else (replicas.b, replicas.a)
    assert not leads(follower), "both replicas claim the same identity"
    wait_until("the leader's /metrics to report leadership", leader.is_leader, timeout=10)
    assert not follower.is_leader(), "the follower reports leadership too"
    repoint_webhooks(c, replicas.release, follower.webhook_port)

    # Before the kill: the leader reconciles simple1 (4 PCLQs, 1 PodGang, 9 pods).
    c.kubectl("apply", "-n", WORK_NS, "-f", str(SAMPLES / "simple1.yaml"))
    wait_until("simple1's children under the first leader", lambda: _children(c, "simple1") == (4, 1, 9), timeout=60)

    assert leader.proc is not None
    killed_at = time.monotonic()
    code = leader.proc.kill()
    assert code == -9, code
    dead_lease = c.kubectl_json("get", "lease", OPERATOR_LEASE, "-n", NS)["spec"]
    assert dead_lease.get("holderIdentity") == holder, "SIGKILL must leave the Lease to expire, not released"
    takeover = wait_until(f"{follower.name} to take the Lease over (bound {TAKEOVER_BOUND:.1f}s)",
                          follower.is_leader, timeout=TAKEOVER_BOUND, interval=0.1)
    new_holder = _holder(c)
    assert new_holder not in ("", holder), new_holder
    assert f"{new_holder} became leader" in (follower.proc.text() if follower.proc else "")
    new_lease = c.kubectl_json("get", "lease", OPERATOR_LEASE, "-n", NS)["spec"]
    after_last_renewal = parse_rfc3339(new_lease["acquireTime"]) - parse_rfc3339(dead_lease["renewTime"])
    print(f"leader {leader.name} SIGKILLed; {follower.name} took the Lease over {takeover:.2f}s after the kill, "
          f"{after_last_renewal:.2f}s after the dead leader's last renewal "
          f"(leaseDuration {LEASE_DURATION:g}s, retryPeriod {RETRY_PERIOD:g}s)")
    assert LEASE_DURATION <= after_last_renewal <= LEASE_DURATION + SLACK, after_last_renewal
    wait_until("the Lease to name the new leader", lambda: _holder(c) == new_holder, timeout=5)
    assert time.monotonic() - killed_at < TAKEOVER_BOUND + 5

    # After the kill: the new leader reconciles an existing PCS (scale-out) and a new one.
    converge = time.monotonic()
    c.kubectl("scale", "pcsg", "simple1-0-sga", "--replicas=2", "-n", WORK_NS)
    c.kubectl("apply", "-n", WORK_NS, "-f", str(SAMPLES / "simple2-explicit-startup-order.yaml"))
    wait_until(f"simple2's children (4 PCLQs, 1 PodGang, 9 pods) under the new leader; log:\n{follower.logs()}",
               lambda: _children(c, "simple2") == (4, 1, 9), timeout=60)
    wait_until("simple1's PCSG scale-out (6 PCLQs, scaled PodGang simple1-0-sga-0, 13 pods) under the new leader",
               lambda: _children(c, "simple1") == (6, 2, 13), timeout=60)
    print(f"workload converged under the new leader in {time.monotonic() - converge:.1f}s")
    assert follower.proc is not None and follower.proc.p.poll() is None, follower.logs()

