"""Upstream e2e gang scheduling scenarios GS1-GS12 (spec/scenarios.md §2.1) on the embedded cluster,
with upstream's workload1.yaml / workload2.yaml applied unchanged (kai-scheduler pods, agent taint)."""

from __future__ import annotations

import pytest

from tests.cluster.helpers import StartSim

from .scenario import E2E_SHAPE, GangScenario

W1, W2 = "workload1.yaml", "workload2.yaml"


@pytest.fixture
async def t(start_sim: StartSim) -> GangScenario:
    sim = await start_sim(E2E_SHAPE)
    return GangScenario(sim)


async def test_GS1_gang_scheduling_with_full_replicas(t: GangScenario) -> None:
    await t.prepare(10)
    await t.cordon(1)
    await t.apply(W1)
    await t.expect(total=10, pending=10, running=0, unschedulable_events=True)
    await t.uncordon(1)
    await t.expect(total=10, running=10, ready=10)
    await t.expect_distinct_nodes()


async def test_GS2_gang_scheduling_with_scaling_full_replicas(t: GangScenario) -> None:
    await t.prepare(14)
    await t.cordon(5)
    await t.apply(W1)
    await t.expect(total=10, pending=10, running=0, unschedulable_events=True)
    await t.uncordon(1)
    await t.expect(total=10, running=10, ready=10)
    await t.scale_pcsg("workload1-0-sg-x", 3)
    await t.expect(total=14, running=10, pending=4, unschedulable_events=True)
    await t.uncordon(4)
    await t.expect(total=14, running=14, ready=14)
    await t.expect_distinct_nodes()


async def test_GS3_gang_scheduling_with_pcs_scaling_full_replicas(t: GangScenario) -> None:
    await t.prepare(20)
    await t.cordon(11)
    await t.apply(W1)
    await t.expect(total=10, pending=10, running=0, unschedulable_events=True)
    await t.uncordon(1)
    await t.expect(total=10, running=10, ready=10)
    await t.scale_pcs(2)
    await t.expect(total=20, running=10, pending=10, unschedulable_events=True)
    await t.uncordon(10)
    await t.expect(total=20, running=20, ready=20)
    await t.expect_distinct_nodes()


async def test_GS4_gang_scheduling_with_pcs_and_pcsg_scaling_full_replicas(t: GangScenario) -> None:
    await t.prepare(28)
    await t.cordon(19)
    await t.apply(W1)
    await t.expect(total=10, pending=10, running=0, unschedulable_events=True)
    await t.uncordon(1)
    await t.expect(total=10, running=10, ready=10)
    await t.scale_pcsg("workload1-0-sg-x", 3)
    await t.expect(total=14, running=10, pending=4, unschedulable_events=True)
    await t.uncordon(4)  # [1:5]
    await t.expect(total=14, running=14, ready=14)
    await t.scale_pcs(2)
    await t.expect(total=24, running=14, pending=10, unschedulable_events=True)
    await t.uncordon(10)  # [5:15]
    await t.expect(total=24, running=24, ready=24)
    await t.scale_pcsg("workload1-1-sg-x", 3)
    await t.expect(total=28, running=24, pending=4, unschedulable_events=True)
    await t.uncordon(4)  # [15:19]
    await t.expect(total=28, running=28, ready=28)
    await t.expect_distinct_nodes()


async def test_GS5_gang_scheduling_with_min_replicas(t: GangScenario) -> None:
    await t.prepare(10)
    await t.cordon(8)
    await t.apply(W2)
    await t.expect(total=10)
    await t.expect_all_pending_after(30, total=10)
    await t.expect_unschedulable_events(gated=4)  # the base gang's 6 pods; the scaled gang's 4 stay gated
    await t.uncordon(1)
    await t.expect(total=10, running=3, pending=7, ready=3)
    await t.uncordon(7)
    await t.expect(total=10, running=10, ready=10)
    await t.expect_distinct_nodes()


async def test_GS6_gang_scheduling_with_pcsg_scaling_min_replicas(t: GangScenario) -> None:
    await t.prepare(14)
    await t.cordon(12)
    await t.apply(W2)
    await t.expect_all_pending_after(30, total=10)
    await t.uncordon(1)
    await t.expect(running=3, pending=7, ready=3)
    await t.uncordon(7)  # [1:8]
    await t.expect(total=10, running=10, ready=10)
    await t.scale_pcsg("workload2-0-sg-x", 3)
    await t.expect(total=14, running=10, pending=4, unschedulable_events=True)
    await t.uncordon(2)  # [8:10]
    await t.expect(total=14, running=12, pending=2, ready=12, unschedulable_events=True)
    await t.uncordon(2)  # [10:12]
    await t.expect(total=14, running=14, ready=14)
    await t.expect_distinct_nodes()


async def test_GS7_gang_scheduling_with_pcsg_scaling_min_replicas_advanced1(t: GangScenario) -> None:
    await t.prepare(14)
    await t.cordon(12)
    await t.apply(W2)
    await t.expect_all_pending_after(30, total=10)
    await t.uncordon(1)
    await t.expect(running=3, pending=7, ready=3)
    await t.uncordon(2)
    await t.expect(running=5, pending=5, ready=5, unschedulable_events=True)
    await t.uncordon(5)
    await t.expect(total=10, running=10, ready=10)
    await t.scale_pcsg("workload2-0-sg-x", 3)
    await t.expect(total=14, running=10, pending=4, unschedulable_events=True)
    await t.uncordon(2)
    await t.expect(running=12, pending=2, ready=12)
    await t.uncordon(2)
    await t.expect(total=14, running=14, ready=14)
    await t.expect_distinct_nodes()


async def test_GS8_gang_scheduling_with_pcsg_scaling_min_replicas_advanced2(t: GangScenario) -> None:
    await t.prepare(14)
    await t.cordon(12)
    await t.apply(W2)
    await t.expect_all_pending_after(30, total=10)
    await t.scale_pcsg("workload2-0-sg-x", 3)
    await t.expect(total=14, pending=14)
    await t.expect_all_pending_after(30, total=14)
    await t.uncordon(1)
    await t.expect(running=3, pending=11, ready=3)
    await t.uncordon(4)
    await t.expect(running=7, pending=7, ready=7, unschedulable_events=True)
    await t.uncordon(7)
    await t.expect(total=14, running=14, ready=14)
    await t.expect_distinct_nodes()


async def test_GS9_gang_scheduling_with_pcs_scaling_min_replicas(t: GangScenario) -> None:
    await t.prepare(20)
    await t.cordon(18)
    await t.apply(W2)
    await t.expect_all_pending_after(30, total=10)
    await t.uncordon(1)
    await t.expect(running=3, pending=7, ready=3)
    await t.uncordon(7)
    await t.expect(total=10, running=10, ready=10)
    await t.scale_pcs(2)
    await t.expect(total=20, running=10, pending=10)
    await t.uncordon(3)
    await t.expect(running=13, pending=7, ready=13)
    await t.uncordon(7)
    await t.expect(total=20, running=20, ready=20)
    await t.expect_distinct_nodes()


async def test_GS10_gang_scheduling_with_pcs_scaling_min_replicas_advanced(t: GangScenario) -> None:
    await t.prepare(20)
    await t.cordon(18)
    await t.apply(W2)
    await t.expect_all_pending_after(30, total=10)
    await t.scale_pcs(2)
    await t.expect(total=20, pending=20)
    await t.expect_all_pending_after(30, total=20)
    await t.uncordon(4)
    await t.expect(running=6, pending=14, ready=6)
    await t.uncordon(4)
    await t.expect(running=10, pending=10, ready=10, unschedulable_events=True)
    await t.uncordon(10)
    await t.expect(total=20, running=20, ready=20)
    await t.expect_distinct_nodes()


async def test_GS11_gang_scheduling_with_pcs_and_pcsg_scaling_min_replicas(t: GangScenario) -> None:
    await t.prepare(28)
    await t.cordon(26)
    await t.apply(W2)
    await t.expect_all_pending_after(30, total=10)
    await t.uncordon(1)
    await t.expect(running=3, pending=7, ready=3)
    await t.uncordon(7)
    await t.expect(total=10, running=10, ready=10)
    await t.scale_pcsg("workload2-0-sg-x", 3)
    await t.expect(total=14, running=10, pending=4, unschedulable_events=True)
    await t.uncordon(2)
    await t.expect(running=12, pending=2)
    await t.uncordon(2)
    await t.expect(total=14, running=14, ready=14)
    await t.scale_pcs(2)
    await t.expect(total=24, running=14, pending=10)
    await t.uncordon(3)
    await t.expect(running=17, pending=7)
    await t.uncordon(7)
    await t.expect(total=24, running=24, ready=24)
    await t.scale_pcsg("workload2-1-sg-x", 3)
    await t.expect(total=28, running=24, pending=4, unschedulable_events=True)
    await t.uncordon(2)
    await t.expect(running=26, pending=2)
    await t.uncordon(2)
    await t.expect(total=28, running=28, ready=28)
    await t.expect_distinct_nodes()


async def test_GS12_gang_scheduling_with_complex_pcsg_scaling(t: GangScenario) -> None:
    await t.prepare(28)
    await t.cordon(26)
    await t.apply(W2)
    await t.expect_all_pending_after(30, total=10)
    await t.scale_pcs(2)
    await t.expect(total=20, pending=20)
    await t.scale_pcsg("workload2-0-sg-x", 3)
    await t.expect(total=24, pending=24)
    await t.scale_pcsg("workload2-1-sg-x", 3)
    await t.expect(total=28, running=0, pending=28)
    await t.uncordon(4)
    await t.expect(running=6, ready=6)
    await t.uncordon(8)
    await t.expect(running=14, ready=14)
    await t.uncordon(14)
    await t.expect(total=28, running=28, ready=28)
    await t.expect_distinct_nodes()
