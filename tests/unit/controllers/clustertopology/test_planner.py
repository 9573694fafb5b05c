"""Table tests for the ClusterTopologyBinding planner (spec §5.4, §10.2): which backends a binding syncs or
checks, the KAI Topology it wants (create, leave, delete + recreate, refuse an unowned one), drift checks,
the ``SchedulerTopologyDrift`` condition matrix, the status and the transition events."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api import constants as c
from grove.controllers.clustertopology.planner import (
    EVENT_DRIFT_DETECTED,
    EVENT_IN_SYNC,
    KAI_TOPOLOGY_API_VERSION,
    KIND_TOPOLOGY,
    MESSAGE_LEVELS_DIFFER,
    REASON_DRIFT,
    REASON_IN_SYNC,
    REASON_TOPOLOGY_NOT_FOUND,
    BackendStatus,
    Binding,
    NotOwnedError,
    SyncAction,
    ctbs_for_topology,
    desired_kai_topology,
    drift_condition,
    kai_drift,
    plan_kai_sync,
    plan_status,
    plan_work,
    topology_sync_enabled,
    transition_event,
)

Obj = dict[str, Any]
KAI, GROVE, DEFAULT, VOLCANO = c.SCHEDULER_KAI, c.SCHEDULER_GROVE, c.SCHEDULER_DEFAULT, c.SCHEDULER_VOLCANO
KEYS = ["topology.kubernetes.io/zone", "kubernetes.io/rack", "kubernetes.io/hostname"]
NOW = "2026-01-01T00:00:10Z"


def ctb(name: str = "grove-topology", keys: list[str] | None = None, bindings: list[tuple[str, str]] | None = None,
        *, uid: str = "uid-ctb", generation: int = 1, status: Obj | None = None) -> Obj:
    spec: Obj = {"levels": [{"domain": f"d{i}", "key": k} for i, k in enumerate(KEYS if keys is None else keys)]}
    if bindings is not None:
        spec["schedulerTopologyBindings"] = [{"schedulerName": s, "topologyReference": r} for s, r in bindings]
    obj: Obj = {"apiVersion": c.API_VERSION, "kind": c.KIND_CTB,
                "metadata": {"name": name, "uid": uid, "generation": generation}, "spec": spec}
    if status is not None:
        obj["status"] = status
    return obj


def topology(name: str = "grove-topology", keys: list[str] | None = None, *, owner_uid: str | None = "uid-ctb",
             deleting: bool = False, generation: int = 1) -> Obj:
    meta: Obj = {"name": name, "uid": "uid-topo", "generation": generation}
    if owner_uid is not None:
        meta["ownerReferences"] = [{"apiVersion": c.API_VERSION, "kind": c.KIND_CTB, "name": name,
                                    "uid": owner_uid, "controller": True, "blockOwnerDeletion": True}]
    if deleting:
        meta["deletionTimestamp"] = NOW
    return {"apiVersion": KAI_TOPOLOGY_API_VERSION, "kind": KIND_TOPOLOGY, "metadata": meta,
            "spec": {"levels": [{"nodeLabel": k} for k in (KEYS if keys is None else keys)]}}


# --- enablement and work ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("profiles", "enabled"), [
    ([DEFAULT], False),
    ([DEFAULT, VOLCANO, GROVE], False),  # grove-scheduler reads the CTB itself: nothing to sync
    ([DEFAULT, KAI], True),
    ([GROVE, DEFAULT, KAI, VOLCANO], True),
])
def test_topology_sync_runs_only_with_a_topology_keeping_profile(profiles: list[str], enabled: bool) -> None:
    assert topology_sync_enabled(profiles) is enabled


@pytest.mark.parametrize(("bindings", "enabled", "auto", "bound", "unavailable"), [
    (None, [DEFAULT, KAI], (KAI,), (), ()),
    (None, [DEFAULT], (), (), ()),
    ([(KAI, "admin-topo")], [DEFAULT, KAI], (), (Binding(KAI, "admin-topo"),), ()),
    ([(GROVE, "x")], [GROVE, KAI], (KAI,), (), ()),
    ([(KAI, "t")], [DEFAULT], (), (), ((KAI, "scheduler backend 'kai-scheduler' is not enabled"),)),
    ([(VOLCANO, "t")], [VOLCANO, KAI], (KAI,), (),
     ((VOLCANO, "scheduler backend 'volcano' does not support topology management"),)),
])
def test_plan_work_splits_auto_managed_bound_and_unavailable(
        bindings: list[tuple[str, str]] | None, enabled: list[str], auto: tuple[str, ...],
        bound: tuple[Binding, ...], unavailable: tuple[tuple[str, str], ...]) -> None:
    work = plan_work(ctb(bindings=bindings), enabled)
    assert work.auto == auto
    assert work.bound == bound
    assert [(s.scheduler_name, s.message) for s in work.unavailable] == list(unavailable)
    assert all(not s.in_sync for s in work.unavailable)


# --- the KAI Topology ----------------------------------------------------------------------------------------


def test_desired_topology_is_named_like_the_ctb_with_its_keys_in_order_and_owned_by_it() -> None:
    want = desired_kai_topology(ctb())
    assert want["apiVersion"] == "kai.scheduler/v1alpha1" and want["kind"] == "Topology"
    assert want["metadata"]["name"] == "grove-topology"
    assert "namespace" not in want["metadata"]
    assert want["spec"] == {"levels": [{"nodeLabel": k} for k in KEYS]}
    assert want["metadata"]["ownerReferences"] == [{
        "apiVersion": c.API_VERSION, "kind": c.KIND_CTB, "name": "grove-topology", "uid": "uid-ctb",
        "controller": True, "blockOwnerDeletion": True}]


@pytest.mark.parametrize(("existing", "action"), [
    (None, SyncAction.CREATE),
    (topology(), SyncAction.NONE),
    (topology(keys=KEYS[1:]), SyncAction.RECREATE),          # a level removed
    (topology(keys=list(reversed(KEYS))), SyncAction.RECREATE),  # same keys, other order
    (topology(keys=[*KEYS, "numa"]), SyncAction.RECREATE),     # a level added
    (topology(deleting=True), SyncAction.WAIT),
])
def test_plan_kai_sync(existing: Obj | None, action: SyncAction) -> None:
    assert plan_kai_sync(ctb(), existing) is action


@pytest.mark.parametrize("owner_uid", [None, "uid-of-another-ctb"])
def test_an_unowned_topology_of_the_ctb_name_is_an_error(owner_uid: str | None) -> None:
    with pytest.raises(NotOwnedError, match="KAI Topology grove-topology is not owned by ClusterTopologyBinding"):
        plan_kai_sync(ctb(), topology(owner_uid=owner_uid))


@pytest.mark.parametrize(("existing", "in_sync", "message", "generation"), [
    (None, False, "KAI Topology 'admin-topo' not found", None),
    (topology("admin-topo", owner_uid=None, generation=3), True, "", 3),
    (topology("admin-topo", keys=KEYS[:2], owner_uid=None, generation=4), False, MESSAGE_LEVELS_DIFFER, 4),
])
def test_drift_check_of_a_bound_topology(existing: Obj | None, in_sync: bool, message: str,
                                         generation: int | None) -> None:
    got = kai_drift(ctb(bindings=[(KAI, "admin-topo")]), Binding(KAI, "admin-topo"), existing)
    assert got == BackendStatus(KAI, "admin-topo", in_sync, message, generation)


def test_a_topology_event_maps_to_its_owner_its_namesake_and_ctbs_binding_it() -> None:
    ctbs = [ctb("a"), ctb("b", bindings=[(KAI, "shared")]), ctb("c", bindings=[(GROVE, "shared")]), ctb("shared")]
    assert ctbs_for_topology(topology("a"), ctbs) == ["a"]
    assert ctbs_for_topology(topology("shared", owner_uid=None), ctbs) == ["b", "shared"]
    orphan = topology("gone")  # owner reference names a CTB the cache no longer has: still enqueued
    assert ctbs_for_topology(orphan, ctbs) == ["gone"]
    assert ctbs_for_topology(topology("other", owner_uid=None), ctbs) == []


# --- condition, status, events ----------------------------------------------------------------------------


def st(in_sync: bool) -> BackendStatus:
    return BackendStatus(KAI, "grove-topology", in_sync)


@pytest.mark.parametrize(("statuses", "not_found", "want"), [
    ([], False, None),
    ([], True, None),
    ([st(True)], False, ("False", REASON_IN_SYNC)),
    ([st(True), st(True)], False, ("False", REASON_IN_SYNC)),
    ([st(True), st(False)], False, ("True", REASON_DRIFT)),
    ([st(False)], False, ("True", REASON_DRIFT)),
    ([st(True), st(False)], True, ("Unknown", REASON_TOPOLOGY_NOT_FOUND)),
    ([st(True)], True, ("Unknown", REASON_TOPOLOGY_NOT_FOUND)),
])
def test_drift_condition_matrix(statuses: list[BackendStatus], not_found: bool,
                                want: tuple[str, str] | None) -> None:
    got = drift_condition(statuses, topology_not_found=not_found)
    assert (got[:2] if got else None) == want


def test_status_on_success_moves_observed_generation_and_lists_entries() -> None:
    status = plan_status(ctb(generation=3), [st(True)], topology_not_found=False, succeeded=True, now=NOW)
    assert status["observedGeneration"] == 3
    assert status["schedulerTopologyStatuses"] == [
        {"schedulerName": KAI, "topologyReference": "grove-topology", "inSync": True}]
    (cond,) = status["conditions"]
    assert cond == {"type": c.COND_SCHEDULER_TOPOLOGY_DRIFT, "status": "False", "reason": REASON_IN_SYNC,
                    "message": "All scheduler backend topologies are in sync", "lastTransitionTime": NOW,
                    "observedGeneration": 3}


def test_status_on_failure_keeps_the_old_observed_generation_and_shows_the_message() -> None:
    old = ctb(generation=4, status={"observedGeneration": 3})
    failed = BackendStatus(KAI, "grove-topology", False, "KAI Topology grove-topology is not owned by ...")
    status = plan_status(old, [failed], topology_not_found=False, succeeded=False, now=NOW)
    assert status["observedGeneration"] == 3
    assert status["schedulerTopologyStatuses"][0]["message"].startswith("KAI Topology grove-topology is not owned")
    assert status["conditions"][0]["status"] == "True"
    assert "observedGeneration" not in plan_status(ctb(), [failed], topology_not_found=False, succeeded=False,
                                                   now=NOW)


def test_no_entries_removes_the_condition_and_keeps_other_conditions() -> None:
    other = {"type": "Other", "status": "True", "reason": "R", "message": "", "lastTransitionTime": NOW}
    drift = {"type": c.COND_SCHEDULER_TOPOLOGY_DRIFT, "status": "True", "reason": REASON_DRIFT, "message": "",
             "lastTransitionTime": NOW}
    old = ctb(status={"conditions": [other, drift], "schedulerTopologyStatuses": [st(False).to_wire()]})
    status = plan_status(old, [], topology_not_found=False, succeeded=True, now=NOW)
    assert status["conditions"] == [other]
    assert "schedulerTopologyStatuses" not in status


def test_last_transition_time_moves_only_when_the_status_changes() -> None:
    earlier = "2026-01-01T00:00:00Z"
    drift = {"type": c.COND_SCHEDULER_TOPOLOGY_DRIFT, "status": "True", "reason": REASON_DRIFT, "message": "",
             "lastTransitionTime": earlier}
    old = ctb(status={"conditions": [drift]})
    still = plan_status(old, [st(False)], topology_not_found=False, succeeded=True, now=NOW)
    assert still["conditions"][0]["lastTransitionTime"] == earlier
    fixed = plan_status(old, [st(True)], topology_not_found=False, succeeded=True, now=NOW)
    assert fixed["conditions"][0]["lastTransitionTime"] == NOW


@pytest.mark.parametrize(("before", "after", "want"), [
    (None, "True", ("Warning", EVENT_DRIFT_DETECTED)),
    ("False", "True", ("Warning", EVENT_DRIFT_DETECTED)),
    ("Unknown", "True", ("Warning", EVENT_DRIFT_DETECTED)),
    (None, "False", ("Normal", EVENT_IN_SYNC)),
    ("True", "False", ("Normal", EVENT_IN_SYNC)),
    ("True", "True", None),
    ("False", "False", None),
    ("True", "Unknown", None),
    ("True", None, None),
])
def test_events_announce_status_transitions(before: str | None, after: str | None,
                                            want: tuple[str, str] | None) -> None:
    got = transition_event(before, after)
    assert (got[:2] if got else None) == want
