"""Restart safety: the operator is killed at random points while it creates and scales a PodCliqueSet,
a fresh one (new manager, controllers, scheduler, informers; nothing in memory) takes over, and the end
state is the one an uninterrupted operator reaches from the same inputs.

A crash is armed either at the n-th operator write from now (the operator talks as its own service
account, so an admission plugin can count its writes) — the write is held in admission and dies with the
process (``block``: it never commits) or commits and the process dies a few turns later — or after k
event-loop turns. Crashes cancel every worker where it stands (see ``Simulation.restart_operator``), so
most land mid-reconcile; the test asserts that some did. Scale operations at all three levels go
through the scale subresource between crashes, some of them while the previous one is still converging.

Checked:

1. after settling, the objects equal those of an uninterrupted run of the same plan (by kind/name; pods
   by PodClique and hostname; spec, labels, owners and status counters, not uids/rv/times/placement);
2. at every pod CREATE (in admission) and after every crash and settle: no two live pods with one hostname
   in a PodClique, never more live pods in a PodClique than the largest ``spec.replicas`` it ever had;
3. every DELETE of a Pod, PodClique or PodCliqueScalingGroup (GC cascades along them) was planned when it
   was sent: the pod's PodClique had more live pods than ``spec.replicas`` or was going away; the
   PodClique/PCSG's replica index was scaled away or its owner was going away.

CI: ``EXAMPLES = 80`` hypothesis examples, derandomized (no database), each a create plus 1-4 scales with
1-3 crash points per phase: about 25 s on 2 cores and about 130 crashes (the test asserts >= 75, >= 40 of
them mid-reconcile, >= 10 with a write cut off, and that every kind of scale-in and delete was exercised).
A run that never goes idle fails after ``REAL_TIMEOUT`` seconds of real time instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grove.api import constants as c
from grove.cluster import AdmissionRequest, UserInfo
from grove.sim.nodes import uniform_nodes
from grove.sim.runner import apply_manifests
from grove.sim.simulation import Simulation
from tests.builders import pcs

Obj = dict[str, Any]
T = TypeVar("T")
EXAMPLES = 80
REAL_TIMEOUT = 20.0
NS = "default"
NAME = "rs"
PCSG = f"{NAME}-0-sg"
PCLQ = f"{NAME}-0-a"
OPERATOR = UserInfo(username="system:serviceaccount:grove-system:grove-operator",
                    groups=("system:serviceaccounts", "system:authenticated"))
STATS: Counter[str] = Counter()
POD = ("", "Pod")
PCLQ_GK = ("grove.io", c.KIND_PCLQ)
PCSG_GK = ("grove.io", c.KIND_PCSG)
PCS_GK = ("grove.io", c.KIND_PCS)


def workload() -> Obj:
    body = (pcs(NAME).replicas(2)
            .clique("a", 2, min_available=1).clique("b", 1).clique("c", 2, min_available=1)
            .group("sg", ["b", "c"], replicas=3, min_available=1)
            .termination_delay("4h").build())
    body["metadata"]["namespace"] = NS
    return body


# -- the plan ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crash:
    trigger: str  # "write": at the n-th operator write from now; "turns": after n event-loop turns
    n: int
    block: bool  # "write" only: hold that write in admission so it dies uncommitted


@dataclass(frozen=True)
class Scale:
    kind: str
    replicas: int
    overlap: bool  # sent right after the previous phase's first crash, without waiting for it to settle

    def target(self) -> tuple[str, str]:
        return {c.KIND_PCS: (c.KIND_PCS, NAME), c.KIND_PCSG: (c.KIND_PCSG, PCSG),
                c.KIND_PCLQ: (c.KIND_PCLQ, PCLQ)}[self.kind]


crashes = st.one_of(
    st.builds(Crash, st.just("write"), st.integers(1, 120), st.booleans()),
    st.builds(Crash, st.just("turns"), st.integers(1, 1500), st.just(False)),
)
scales = st.one_of(
    st.builds(Scale, st.just(c.KIND_PCS), st.integers(1, 3), st.booleans()),
    st.builds(Scale, st.just(c.KIND_PCSG), st.integers(1, 3), st.booleans()),
    st.builds(Scale, st.just(c.KIND_PCLQ), st.integers(1, 3), st.booleans()),
)


# -- observation ------------------------------------------------------------------------------------

def live(pod: Obj) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get("phase") not in (
        "Succeeded", "Failed")


def terminating(obj: Obj | None) -> bool:
    return obj is None or bool(obj["metadata"].get("deletionTimestamp"))


@dataclass
class Observer:
    """A validating admission plugin: counts operator writes, trips crashes, checks pod creates and
    deletes against the store as it is at that instant."""

    sim: Simulation
    writes: int = 0
    crash_at: int | None = None
    block: bool = False
    tripped: asyncio.Event = field(default_factory=asyncio.Event)
    max_replicas: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def arm(self, crash: Crash) -> None:
        self.tripped.clear()
        self.crash_at = self.writes + crash.n if crash.trigger == "write" else None
        self.block = crash.block

    def disarm(self) -> None:
        self.crash_at = None

    def get(self, gk: tuple[str, str], name: str) -> Obj | None:
        return self.sim.cluster.store.get((gk, NS, name))

    def pods_of(self, pclq: str) -> list[Obj]:
        return [p for p in self.sim.cluster.store.iter_kind(POD, NS)
                if (p["metadata"].get("labels") or {}).get(c.LABEL_PODCLIQUE) == pclq and live(p)]

    def seen(self, pclq: str, replicas: Any) -> int:
        if isinstance(replicas, int):
            self.max_replicas[pclq] = max(self.max_replicas.get(pclq, 0), replicas)
        return self.max_replicas.get(pclq, 0)

    async def __call__(self, req: AdmissionRequest) -> None:
        if req.user.username == OPERATOR.username and not req.dry_run:
            self.writes += 1
            if self.crash_at is not None and self.writes >= self.crash_at and not self.tripped.is_set():
                self.tripped.set()
                if self.block:  # the process dies while this request is in flight: it never commits
                    await asyncio.get_running_loop().create_future()
        if req.namespace != NS:
            return
        if req.kind == c.KIND_PCLQ and req.operation != "DELETE" and req.object is not None:
            self.seen(req.name, (req.object.get("spec") or {}).get("replicas"))
        if req.kind == "Pod" and req.operation == "CREATE" and not req.subresource and req.object is not None:
            self.check_pod_create(req.object)
        if req.operation == "DELETE" and req.old_object is not None:
            self.check_delete(req.kind, req.old_object)

    def check_pod_create(self, pod: Obj) -> None:
        pclq = (pod["metadata"].get("labels") or {}).get(c.LABEL_PODCLIQUE, "")
        owner = self.get(PCLQ_GK, pclq)
        limit = self.seen(pclq, owner["spec"].get("replicas") if owner else None)
        others = self.pods_of(pclq)
        host = pod["spec"].get("hostname")
        if any(p["spec"].get("hostname") == host for p in others):
            self.violations.append(f"pod create: second live pod with hostname {host} in {pclq}")
        if len(others) + 1 > limit:
            self.violations.append(f"pod create: {pclq} would have {len(others) + 1} live pods > max replicas "
                                   f"{limit}")

    def check_delete(self, kind: str, old: Obj) -> None:
        """A DELETE is planned if it is a surplus pod, or scaled-away/orphaned PodClique or PCSG."""
        if terminating(old) or kind not in ("Pod", c.KIND_PCLQ, c.KIND_PCSG):
            return
        STATS[f"delete {kind}"] += 1
        labels = old["metadata"].get("labels") or {}
        name = old["metadata"]["name"]
        pcs_obj = self.get(PCS_GK, NAME)
        if terminating(pcs_obj):
            return
        assert pcs_obj is not None
        if kind == "Pod":
            pclq = self.get(PCLQ_GK, labels.get(c.LABEL_PODCLIQUE, ""))
            if terminating(pclq):
                return
            assert pclq is not None
            n, want = len(self.pods_of(pclq["metadata"]["name"])), pclq["spec"]["replicas"]
            if n <= want:
                self.violations.append(f"deleted pod {name} ({old['spec'].get('hostname')}): "
                                       f"{pclq['metadata']['name']} had {n} live pods, replicas {want}")
            return
        index = int(labels.get(c.LABEL_PCS_REPLICA_INDEX, "-1"))
        if index >= pcs_obj["spec"]["replicas"]:
            return
        if kind == c.KIND_PCLQ and labels.get(c.LABEL_PCSG):
            group = self.get(PCSG_GK, labels[c.LABEL_PCSG])
            if terminating(group):
                return
            assert group is not None
            if int(labels.get(c.LABEL_PCSG_REPLICA_INDEX, "-1")) >= group["spec"]["replicas"]:
                return
        self.violations.append(f"deleted {kind} {name}, which the plan keeps")

    def check_live(self, where: str) -> None:
        """No hostname twice among a PodClique's live pods; never more than its largest replicas."""
        for q in self.sim.cluster.store.iter_kind(PCLQ_GK, NS):
            name = q["metadata"]["name"]
            limit = self.seen(name, q["spec"].get("replicas"))
            hosts = Counter(p["spec"].get("hostname") for p in self.pods_of(name))
            dup = [h for h, k in hosts.items() if k > 1]
            if dup:
                self.violations.append(f"{where}: duplicate live hostnames {dup} in {name}")
            if sum(hosts.values()) > limit:
                self.violations.append(f"{where}: {name} has {sum(hosts.values())} live pods > max replicas {limit}")


# -- driving ----------------------------------------------------------------------------------------

async def start() -> tuple[Simulation, Observer]:
    sim = Simulation()
    await sim.start()
    observer = Observer(sim)
    sim.cluster.add_validating(observer)
    # The operator from here on talks as its service account (nothing is running yet: a clean restart).
    await sim.restart_operator(crash=False, client=sim.cluster.client_for(OPERATOR))
    await apply_manifests(sim, [*uniform_nodes(8), workload()])
    return sim, observer


async def scale(sim: Simulation, op: Scale) -> None:
    kind, name = op.target()
    await sim.client.patch(c.API_VERSION, kind, name, {"spec": {"replicas": op.replicas}}, namespace=NS,
                           subresource="scale")


async def settle(sim: Simulation) -> None:
    assert await sim.run_until("settled", timeout=900)


async def crash_during(sim: Simulation, observer: Observer, crash: Crash) -> bool:
    """Converge until ``crash`` trips, then kill the operator and start a fresh one. False if the world
    settled first (the crash never happened)."""
    observer.arm(crash)
    settling = asyncio.ensure_future(settle(sim))
    if crash.trigger == "turns":
        for _ in range(crash.n):
            if settling.done():
                break
            await asyncio.sleep(0)
    else:
        tripped = asyncio.ensure_future(observer.tripped.wait())
        await asyncio.wait({settling, tripped}, return_when=asyncio.FIRST_COMPLETED)
        tripped.cancel()
    observer.disarm()
    if settling.done():
        settling.result()
        return False
    settling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await settling
    in_flight = sum(ctrl.active for ctrl in sim.manager.controllers.values())
    STATS["crashes"] += 1
    STATS["crashes mid-reconcile"] += in_flight > 0
    STATS["crashes mid-write"] += crash.trigger == "write" and crash.block
    await sim.restart_operator(crash=True, client=sim.cluster.client_for(OPERATOR))
    observer.check_live("after restart")
    return True


async def run_plan(ops: list[Scale], crash_plan: list[list[Crash]] | None) -> tuple[list[Obj], set[str]]:
    """Create, then apply ``ops``; with ``crash_plan`` (one list per phase: the create, then each op) kill
    the operator as planned. Returns the settled objects and the violations seen."""
    sim, observer = await start()
    try:
        for phase in range(len(ops) + 1):
            if phase:
                await scale(sim, ops[phase - 1])
            for crash in (crash_plan or [[]] * (len(ops) + 1))[phase]:
                crashed = await crash_during(sim, observer, crash)
                if crashed and phase and phase < len(ops) and ops[phase].overlap:
                    STATS["scales sent mid-convergence"] += 1
                    break  # send the next scale while this one is still converging
            else:
                await settle(sim)
                observer.check_live(f"settled phase {phase}")
        await settle(sim)
        observer.check_live("end")
        return sim.objects(), set(observer.violations)
    finally:
        await sim.stop()


# -- comparing end states ---------------------------------------------------------------------------

COMPARED_KINDS = {c.KIND_PCS, c.KIND_PCLQ, c.KIND_PCSG, c.KIND_PODGANG, "Pod", "Service", "ServiceAccount",
                  "Role", "RoleBinding", "Secret", "HorizontalPodAutoscaler"}
STATUS_COUNTERS = ("replicas", "readyReplicas", "availableReplicas", "scheduledReplicas", "updatedReplicas",
                   "phase")
HOST_INDEX = re.compile(r"-(\d+)$")


def normal_form(objs: list[Obj], scaled_in: set[str]) -> dict[tuple[str, str], Obj]:
    """Objects keyed by kind/name (pods by PodClique and hostname) with only the meaningful fields.

    Which pods survive a scale-in is decided by readiness and age, which crashes legitimately shift, so
    pods of PodCliques in ``scaled_in`` are keyed by rank instead and their index stripped."""
    names = {o["metadata"]["uid"]: (o["kind"], o["metadata"]["name"]) for o in objs}
    pods = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Pod"}

    def host_key(pod_name: str) -> str:
        pod = pods.get(pod_name)
        if pod is None:
            return f"<missing {pod_name}>"
        pclq = pod["metadata"]["labels"].get(c.LABEL_PODCLIQUE, "")
        return "<scaled-in>" if pclq in scaled_in else str(pod["spec"].get("hostname"))

    out: dict[tuple[str, str], Obj] = {}
    ranks: Counter[str] = Counter()
    for o in sorted(objs, key=lambda o: (o["kind"], (o.get("spec") or {}).get("hostname") or "")):
        if o["kind"] not in COMPARED_KINDS or (o["kind"] == "Pod" and not live(o)):
            continue
        md = o["metadata"]
        labels = dict(md.get("labels") or {})
        spec = dict(o.get("spec") or {})
        key = md["name"]
        if o["kind"] == "Pod":
            spec.pop("nodeName", None)
            pclq = labels.get(c.LABEL_PODCLIQUE, "")
            key = f"{pclq}/{spec.get('hostname')}"
            if pclq in scaled_in:
                key = f"{pclq}/#{ranks[pclq]}"
                ranks[pclq] += 1
                spec.pop("hostname", None)
                labels.pop(c.LABEL_POD_INDEX, None)
        if o["kind"] == c.KIND_PODGANG:
            spec["podgroups"] = [{**g, "podReferences": sorted(host_key(r["name"]) for r in g.get("podReferences")
                                                               or [])} for g in spec.get("podgroups") or []]
        status = o.get("status") or {}
        out[(o["kind"], key)] = {
            "labels": labels, "annotations": md.get("annotations") or {},
            "owners": sorted(names.get(r["uid"], ("<gone>", r["name"])) for r in md.get("ownerReferences") or []),
            "deleting": bool(md.get("deletionTimestamp")), "spec": spec,
            "status": {k: status[k] for k in STATUS_COUNTERS if k in status},
        }
    return out


INITIAL_REPLICAS = {c.KIND_PCS: 2, c.KIND_PCSG: 3, c.KIND_PCLQ: 2}  # of the scale targets in workload()


def scale_ins(ops: list[Scale]) -> Counter[str]:
    """How many of ``ops`` scale their target in, by kind."""
    replicas, out = dict(INITIAL_REPLICAS), Counter[str]()
    for op in ops:
        out[op.kind] += op.replicas < replicas[op.kind]
        replicas[op.kind] = op.replicas
    return out


def scaled_in_cliques(ops: list[Scale]) -> set[str]:
    """PodCliques whose surviving pods depend on timing: ``a`` of replica 0 once its replicas went down."""
    return {PCLQ} if scale_ins(ops)[c.KIND_PCLQ] else set()


async def guarded(run: Coroutine[Any, Any, T]) -> T:
    """A livelock (the operator never goes idle) fails the example instead of hanging CI."""
    try:
        return await asyncio.wait_for(run, timeout=REAL_TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"no convergence within {REAL_TIMEOUT} s of real time (livelock?)") from None


REFERENCE: dict[tuple[tuple[str, int], ...], tuple[list[Obj], set[str]]] = {}


def reference(ops: list[Scale]) -> tuple[list[Obj], set[str]]:
    key = tuple((op.kind, op.replicas) for op in ops)
    if key not in REFERENCE:
        REFERENCE[key] = asyncio.run(guarded(run_plan(ops, None)))
    return REFERENCE[key]


def diff(want: dict[tuple[str, str], Obj], got: dict[tuple[str, str], Obj]) -> list[str]:
    out = [f"missing {k}" for k in sorted(want.keys() - got.keys())]
    out += [f"extra {k}" for k in sorted(got.keys() - want.keys())]
    for k in sorted(want.keys() & got.keys()):
        for part in want[k]:
            if want[k][part] != got[k][part]:
                out.append(f"{k} {part}: want {want[k][part]!r}, got {got[k][part]!r}")
    return out


def check_plan(ops: list[Scale], plan: list[list[Crash]]) -> None:
    STATS["examples"] += 1
    for kind, n in scale_ins(ops).items():
        STATS[f"scale-in {kind}"] += n
    want_objs, want_violations = reference(ops)
    assert not want_violations, want_violations
    got_objs, violations = asyncio.run(guarded(run_plan(ops, plan)))
    assert not violations, sorted(violations)
    scaled_in = scaled_in_cliques(ops)
    problems = diff(normal_form(want_objs, scaled_in), normal_form(got_objs, scaled_in))
    assert not problems, "\n".join(problems[:20])


def test_restart_safety() -> None:
    """Runs EXAMPLES derandomized plans, then checks the operator really was killed, often mid-reconcile."""
    STATS.clear()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        ops = data.draw(st.lists(scales, min_size=1, max_size=4), label="scales")
        plan = data.draw(st.lists(st.lists(crashes, min_size=1, max_size=3), min_size=len(ops) + 1,
                                  max_size=len(ops) + 1), label="crashes per phase")
        check_plan(ops, plan)

    prop()
    print(f"restart safety: {dict(STATS)}")
    assert STATS["examples"] >= 50, dict(STATS)
    assert STATS["crashes"] >= 75 and STATS["crashes mid-reconcile"] >= 40 and STATS["crashes mid-write"] >= 10, \
        dict(STATS)
    assert all(STATS[k] >= 5 for k in ("scales sent mid-convergence", "delete Pod", "delete PodClique",
                                       *(f"scale-in {kind}" for kind in INITIAL_REPLICAS))), dict(STATS)
