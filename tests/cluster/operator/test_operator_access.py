"""Least privilege, measured: what the operator (and the gang scheduler, and the startup waiter) really ask
of the API server, against what the chart grants them.

Per operator feature flag, the chart is rendered with that flag and its ConfigMap is the configuration.
On the embedded cluster, every client the processes get records the requests RBAC would authorize
(tests/access_recording.py, pinned to HttpKubeClient's requests): the operator's start-up checks, its
certificate provisioning (two replicas, then a rotation), leader election (two replicas, a hand-over),
its admission handlers (defaulting, validation with their cluster lookups, the authorizer), and the
controllers over every bundled sample plus upstream manifests for each feature: create, scale the
PodCliqueSet, a PodCliqueScalingGroup and a PodClique, change an image, delete. The gang scheduler runs
on its own recorded client, the startup waiter on another.

Then: every recorded request is granted to the identity the chart runs that process as (a missing
permission fails naming it); every Role the operator writes passes the escalation check; and every verb
of every rule the chart gives the operator is recorded, needed to grant a written Role onward, or declared
in grove.operator.access with its reason (an extra grant fails naming it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.api import constants as c
from grove.api import names
from grove.api.crds.generate import generate_crds
from grove.api.duration import parse_duration
from grove.api.models.config import OperatorConfiguration
from grove.controllers.podgang.backends import KAI_API_VERSION, VOLCANO_API_VERSION
from grove.controllers.setup import setup_controllers
from grove.devcluster.nodes import kwok_nodes
from grove.initc.embedded import initc_program
from grove.kube.client import KubeClient
from grove.kube.errors import NotFound
from grove.kube.rbac import (
    PolicyRule,
    Request,
    breakdown,
    compact,
    compact_string,
    grant_refusal,
    rule_allows,
    rule_covers,
    rules_of,
)
from grove.operator.access import DECLARED
from grove.operator.config import load_operator_config
from grove.operator.main import SCHEDULER_LEASE
from grove.operator.preflight import run_preflight
from grove.operator.process import DEFAULT_SERVICE_ACCOUNT
from grove.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from grove.runtime.manager import Manager
from grove.scheduler.binder import setup_scheduler
from grove.sim.runner import apply_manifests
from grove.sim.scheduler_kinds import scheduler_crds
from grove.sim.simulation import SimOptions, Simulation
from grove.webhook.admission import default_podcliqueset_object
from grove.webhook.authorizer import operator_username
from grove.webhook.certs import ensure_certificates
from grove.webhook.server import AdmissionHandlers, ApiServerLookup
from tests.access_recording import AccessLog, RecordingClient
from tests.builders import pcs, third_party_crd, volcano_queue
from tests.cluster.helpers import STAGE_FAST
from tests.rbac_support import (
    EXAMPLES,
    FLAGS,
    RELEASE_NS,
    Grants,
    grants_of,
    render_chart,
    rendered_config,
    runs_as,
)
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
NS = "default"
DATA = Path(__file__).resolve().parents[2] / "data"
HORIZON = 120.0
SA_TOKEN_TYPE = "kubernetes.io/service-account-token"


def _docs(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@dataclass
class Logs:
    operator: AccessLog = field(default_factory=AccessLog)
    scheduler: AccessLog = field(default_factory=AccessLog)
    initc: AccessLog = field(default_factory=AccessLog)


class RecordedSimulation(Simulation):
    """The Simulation with the operator and the gang scheduler on separate managers and recorded clients
    (as the chart runs them: two processes), the waiter recorded, and the operator's start-up before the
    controllers, as ``grove operator`` orders it."""

    def __init__(self, options: SimOptions, logs: Logs, startup: Callable[[RecordedSimulation], Awaitable[None]]
                 ) -> None:
        self.logs = logs
        self.startup = startup
        self.scheduler_manager: Manager | None = None
        super().__init__(replace(options, client_wrapper=lambda inner: self.recorded(inner, logs.operator)))

    def recorded(self, inner: KubeClient, log: AccessLog) -> RecordingClient:
        return RecordingClient(inner, self.cluster.registry.get, log)

    async def start(self) -> None:
        for crd in generate_crds():
            await self.client.create(crd)
        for crd in scheduler_crds(self.config.scheduler.enabled_names()):
            await self.client.create(crd)
        self.admission.install()
        await apply_manifests(self, list(self.options.objects))
        await self.startup(self)
        setup_controllers(self.manager, config=self.config, initc_image=self.options.initc_image,
                          wait_for_sa_token=True)  # as `grove operator` runs them on a real cluster
        self.scheduler_manager = Manager(self.recorded(self.client, self.logs.scheduler), self.clock)
        self.scheduler = setup_scheduler(self.scheduler_manager, config=self.config)
        waiter = initc_program(self.clock)

        async def recorded_waiter(pod: Obj, client: KubeClient) -> int:
            return await waiter(pod, self.recorded(client, self.logs.initc))

        self.kubelet.register_program(c.INITC_CONTAINER_NAME, recorded_waiter)
        self.kubelet.start()
        await self.manager.start()
        await self.scheduler_manager.start()
        self._started = True
        await self.quiesce()

    def _busy(self) -> bool:
        return super()._busy() or (self.scheduler_manager is not None and not self.scheduler_manager.is_idle())

    async def stop(self) -> None:
        await super().stop()
        if self.scheduler_manager is not None:
            await self.scheduler_manager.stop()


# -- the scenario ---------------------------------------------------------------------------------------------


def operator_config(docs: list[Obj], cert_dir: Path) -> OperatorConfiguration:
    """The chart's ConfigMap, with the certificate directory moved somewhere writable."""
    body = yaml.safe_load(rendered_config(docs))
    body["server"]["webhooks"]["serverCertDir"] = str(cert_dir)
    path = cert_dir.parent / "config.yaml"
    path.write_text(yaml.safe_dump(body))
    return load_operator_config(path)


def untainted(nodes: list[Obj]) -> list[Obj]:
    """The e2e cluster's nodes (zone/block/rack/host labels) without its agent taint and with GPUs, so every
    sample lands."""
    for node in nodes:
        node["spec"].pop("taints", None)
        for key in ("capacity", "allocatable"):
            node["status"][key]["nvidia.com/gpu"] = "8"
    return nodes


def cluster_objects(docs: list[Obj], config: OperatorConfiguration) -> list[Obj]:
    """Nodes, the release namespace, the chart's webhook configurations, and what each feature needs."""
    out: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": RELEASE_NS}},
                      *untainted(kwok_nodes(40)), *[d for d in docs if d["kind"].endswith("WebhookConfiguration")]]
    if config.network.auto_mnnvl_enabled:
        out.append(third_party_crd("resource.nvidia.com", "ComputeDomain", "v1beta1"))
    if c.SCHEDULER_VOLCANO in config.scheduler.enabled_names():
        out += [third_party_crd("scheduling.volcano.sh", "Queue", "v1beta1", scope="Cluster"), volcano_queue("research")]
    if config.topology_aware_scheduling.enabled:
        out += _docs(DATA / "e2e-topology.yaml")
    return out


FULL = ("defaults", "everything")
"""Flags that run every bundled sample; the others run simple1 and their feature's manifests."""


def workloads(flag: str, config: OperatorConfiguration) -> list[Obj]:
    """Bundled samples, a PodCliqueSet whose children's names are taken (FOREIGN), and an upstream manifest
    for each feature the configuration turns on."""
    samples = sorted(EXAMPLES.glob("*.yaml")) if flag in FULL else [EXAMPLES / "simple1.yaml"]
    out = [d for p in samples for d in _docs(p)]
    out.append(pcs(FOREIGN, NS).clique("w", 1).build())
    enabled = config.scheduler.enabled_names()
    if c.SCHEDULER_KAI in enabled:
        out += _docs(UPSTREAM / "e2e/workload1.yaml")
        out += [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rs-shared"}},
                {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
                 "metadata": {"name": "ext-ns-tpl", "namespace": "rs-shared"},
                 "spec": {"spec": {"devices": {"requests": [{"name": "d", "exactly": {"deviceClassName": "x"}}]}}}},
                *_docs(UPSTREAM / "e2e/workload-resource-sharing.yaml")]
        if config.topology_aware_scheduling.enabled:
            out += _docs(UPSTREAM / "e2e/tas-hierarchy.yaml")
        if config.network.auto_mnnvl_enabled:
            out += _docs(UPSTREAM / "e2e/auto-mnnvl/mnnvl-comprehensive-mix.yaml")
    if c.SCHEDULER_VOLCANO in enabled:
        out.append(pcs("vc", NS).annotate(c.VOLCANO_QUEUE_ANNOTATION, "research")
                   .clique("w", 2, min_available=2, scheduler=c.SCHEDULER_VOLCANO).build())
    return out


FOREIGN = "foreign"


def foreign_objects() -> list[Obj]:
    """Objects someone else made under the names the operator will want for FOREIGN (no Grove labels, so the
    operator's filtered caches miss them): its create meets AlreadyExists and it reads the live object."""
    meta = {"namespace": NS, "labels": {"made-by": "someone-else"}}
    return [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": names.service_account_name(FOREIGN),
                                                                         **meta}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": names.headless_service_name(FOREIGN, 0), **meta},
             "spec": {"clusterIP": "None", "ports": [{"port": 80}]}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": names.initc_token_secret_name(FOREIGN), **meta},
             "type": "Opaque"},
            {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",  # simple1's, taken
             "metadata": {"name": names.hpa_name(names.pclq_name("simple1", 0, "pca")), **meta},
             "spec": {"scaleTargetRef": {"apiVersion": c.API_VERSION, "kind": c.KIND_PCLQ, "name": "x"},
                      "minReplicas": 1, "maxReplicas": 2}}]


async def drift_and_migration(sim: Simulation) -> None:
    """What a cluster does to managed objects: edits (the operator patches them back), deletions (it
    recreates), a removed autoscaling config (it deletes the HPA), a legacy token Secret (it deletes it)."""
    name = "simple1"
    live = await sim.client.get(c.API_VERSION, c.KIND_PCS, name, NS)
    await sim.client.patch("v1", "ServiceAccount", names.service_account_name(name),
                           {"automountServiceAccountToken": False}, namespace=NS)
    await sim.client.patch("v1", "Service", names.headless_service_name(name, 0),
                           {"spec": {"publishNotReadyAddresses": False}}, namespace=NS)
    hpas = (await sim.client.list("autoscaling/v2", "HorizontalPodAutoscaler", NS,
                                  label_selector=f"{c.LABEL_PART_OF}={name}")).items
    await sim.client.patch("autoscaling/v2", "HorizontalPodAutoscaler", hpas[0]["metadata"]["name"],
                           {"spec": {"maxReplicas": 99}}, namespace=NS)
    await sim.client.create({"apiVersion": "v1", "kind": "Secret", "type": SA_TOKEN_TYPE, "data": {"token": "eA=="},
                             "metadata": {"name": names.legacy_initc_token_secret_name(name), "namespace": NS,
                                          "labels": {c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE, c.LABEL_PART_OF: name},
                                          "annotations": {"kubernetes.io/service-account.name":
                                                          names.service_account_name(name)},
                                          "ownerReferences": [{"apiVersion": c.API_VERSION, "kind": c.KIND_PCS,
                                                               "name": name, "uid": live["metadata"]["uid"],
                                                               "controller": True}]}})
    await settle(sim)
    await sim.client.delete("v1", "Service", names.headless_service_name(name, 0), NS)
    live = await sim.client.get(c.API_VERSION, c.KIND_PCS, name, NS)
    for clique in live["spec"]["template"]["cliques"]:
        clique["spec"].pop("autoScalingConfig", None)
    await sim.client.update(live)
    await settle(sim)
    await backend_drift(sim)


async def backend_drift(sim: Simulation) -> None:
    """A scheduler backend's PodGroup edited by someone (the next PodGang event patches it back), and a
    ClusterTopologyBinding's levels changed (its KAI Topology is immutable: deleted and recreated)."""
    for api_version in (KAI_API_VERSION, VOLCANO_API_VERSION):
        with contextlib.suppress(NotFound):
            groups = (await sim.client.list(api_version, "PodGroup", NS)).items
            for group in groups[:1]:
                name = group["metadata"]["name"]
                await sim.client.patch(api_version, "PodGroup", name, {"spec": {"minMember": 99}}, namespace=NS)
                await sim.client.patch(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, name,
                                       {"metadata": {"annotations": {"test/touched": "yes"}}}, namespace=NS)
    for ctb in (await sim.client.list(c.API_VERSION, c.KIND_CTB)).items:
        ctb["spec"]["levels"] = ctb["spec"]["levels"][1:]
        await sim.client.update(ctb)
    await settle(sim)


async def settle(sim: Simulation) -> None:
    """Run to quiet, doing the token controller's job (fill every service-account token Secret) on the way."""
    for _ in range(10):
        await sim.run_until("settled", timeout=HORIZON)
        secrets = (await sim.client.list("v1", "Secret")).items
        empty = [s for s in secrets if s.get("type") == SA_TOKEN_TYPE and not (s.get("data") or {}).get("token")]
        if not empty:
            return
        for s in empty:
            await sim.client.patch("v1", "Secret", s["metadata"]["name"],
                                   {"data": {"token": base64.b64encode(b"token").decode()}},
                                   namespace=s["metadata"]["namespace"])


async def leader_election(sim: Simulation, client: KubeClient, config: OperatorConfiguration, lease: str,
                          replicas: int) -> None:
    """``replicas`` electors on one Lease: the first leads and renews, is stopped (releases), the next takes over."""
    le = config.leader_election
    electors = [LeaderElector(client, sim.clock, LeaderElectionConfig(
        lease_name=lease, namespace=le.resource_namespace or RELEASE_NS, identity=f"replica-{i}",
        lease_duration=parse_duration(le.lease_duration), renew_deadline=parse_duration(le.renew_deadline),
        retry_period=parse_duration(le.retry_period))) for i in range(replicas)]
    tasks = [asyncio.ensure_future(e.run()) for e in electors]
    for e, task in zip(electors, tasks, strict=True):
        await sim.advance(8)
        assert e.is_leader(), f"{e.config.identity} never led lease {lease}"
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def operator_startup(sim: RecordedSimulation) -> None:
    """What ``grove operator`` does before its controllers start, on the recorded client."""
    op = sim.recorded(sim.client, sim.logs.operator)
    config = sim.config
    await run_preflight(op, config)
    for _replica in range(2):
        await ensure_certificates(op, config, RELEASE_NS)
    secret = config.server.webhooks.secret_name
    await sim.client.patch("v1", "Secret", secret, {"data": {"tls.crt": ""}}, namespace=RELEASE_NS)
    await ensure_certificates(op, config, RELEASE_NS)  # an unusable secret is regenerated
    await leader_election(sim, op, config, config.leader_election.resource_name, replicas=2)
    await leader_election(sim, sim.recorded(sim.client, sim.logs.scheduler), config, SCHEDULER_LEASE, replicas=1)


def _review(operation: str, obj: Obj, old: Obj | None = None, user: str = "alice") -> Obj:
    meta = obj.get("metadata") or {}
    group, _, _ = str(obj.get("apiVersion")).rpartition("/")
    return {"uid": "u", "operation": operation, "object": obj, "oldObject": old, "name": meta.get("name"),
            "namespace": meta.get("namespace"), "userInfo": {"username": user},
            "kind": {"group": group, "kind": obj.get("kind")}}


async def admission(sim: RecordedSimulation, docs: list[Obj], *, managed_pod: bool = False) -> None:
    """The operator's admission handlers, with their cluster lookups on the recorded client."""
    config = sim.config
    handlers = AdmissionHandlers(config, ApiServerLookup(sim.recorded(sim.client, sim.logs.operator), config),
                                 operator_user=operator_username(RELEASE_NS, DEFAULT_SERVICE_ACCOUNT))
    for doc in docs:
        if doc["kind"] == c.KIND_PCS:
            await handlers.default_pcs(_review("CREATE", doc))
            stored = default_podcliqueset_object(doc).object or doc  # validation sees the mutated object
            verdict = await handlers.validate_pcs(_review("CREATE", stored))
            assert verdict["allowed"], verdict
            await handlers.validate_pcs(_review("UPDATE", stored, stored))
        elif doc["kind"] == c.KIND_CTB:
            await handlers.validate_ctb(_review("CREATE", doc))
    if managed_pod and config.authorizer.enabled:
        pods = (await sim.client.list("v1", "Pod", NS)).items
        assert pods
        verdict = await handlers.authorize({**_review("UPDATE", pods[0], pods[0]),
                                            "resource": {"group": "", "resource": "pods"}})
        assert not verdict["allowed"], "the authorizer lets a user edit a managed pod"


async def _scale_all(sim: Simulation, by: int) -> None:
    """Scale at the three levels: the PCS as a user does, then PCSGs and standalone PodCliques as an HPA
    does (their scale subresource)."""
    for p in (await sim.client.list(c.API_VERSION, c.KIND_PCS)).items:
        await sim.client.patch(c.API_VERSION, c.KIND_PCS, p["metadata"]["name"],
                               {"spec": {"replicas": max(p["spec"].get("replicas", 1) + by, 1)}}, namespace=NS)
    await settle(sim)
    for kind in (c.KIND_PCSG, c.KIND_PCLQ):
        for o in (await sim.client.list(c.API_VERSION, kind, NS)).items:
            if kind == c.KIND_PCLQ and o["metadata"].get("labels", {}).get(c.LABEL_PCSG):
                continue
            replicas = o["spec"].get("replicas", 1) + by
            if replicas >= 1:
                await sim.client.update_scale(c.API_VERSION, kind, o["metadata"]["name"], replicas, NS)
        await settle(sim)


async def scale_and_update(sim: Simulation) -> None:
    """Scale up, back down and up again at three levels (the second scale-up repeats events such as
    "created PodGang X", which the recorder aggregates: an Event patch), then back down, then change every
    PodCliqueSet's first image (rolling update)."""
    await _scale_all(sim, +1)
    await _scale_all(sim, -1)
    await _scale_all(sim, +1)
    await _scale_all(sim, -1)
    for p in (await sim.client.list(c.API_VERSION, c.KIND_PCS)).items:
        ctr = p["spec"]["template"]["cliques"][0]["spec"]["podSpec"]["containers"][0]
        ctr["image"] = f"{ctr.get('image', 'x')}-v2"
        await sim.client.update(p)
    await settle(sim)


@dataclass
class Recorded:
    flag: str
    docs: list[Obj]
    logs: Logs
    written_roles: list[Obj]
    pods_seen: int


async def record(flag: str, tmp: Path) -> Recorded:
    docs = render_chart(FLAGS[flag])
    (tmp / "certs").mkdir(parents=True)
    config = operator_config(docs, tmp / "certs")
    logs = Logs()
    sim = RecordedSimulation(SimOptions(config=config, kubelet=STAGE_FAST, objects=tuple(cluster_objects(docs, config))),
                             logs, operator_startup)
    await sim.start()
    try:
        load = workloads(flag, config)
        await admission(sim, load)
        await apply_manifests(sim, [*foreign_objects(), *load])
        await sim.run_until("settled", timeout=1)
        # FOREIGN's reconciles fail while someone else's Secret holds its name; that someone removes it
        await sim.client.delete("v1", "Secret", names.initc_token_secret_name(FOREIGN), NS)
        await settle(sim)
        pods_seen = len((await sim.client.list("v1", "Pod")).items)
        await admission(sim, [], managed_pod=True)
        await drift_and_migration(sim)
        await scale_and_update(sim)
        for p in (await sim.client.list(c.API_VERSION, c.KIND_PCS)).items:
            await sim.client.delete(c.API_VERSION, c.KIND_PCS, p["metadata"]["name"], p["metadata"]["namespace"])
        await settle(sim)
        for ctb in (await sim.client.list(c.API_VERSION, c.KIND_CTB)).items:
            await sim.client.delete(c.API_VERSION, c.KIND_CTB, ctb["metadata"]["name"])
        await settle(sim)
        assert not (await sim.client.list("v1", "Pod")).items, "deleting every PodCliqueSet left pods"
    finally:
        await sim.stop()
    roles = [o for o in logs.operator.rbac_writes if o["kind"] in ("Role", "ClusterRole")]
    return Recorded(flag, docs, logs, roles, pods_seen)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Recorded]:
    render_chart()  # skips (with the reason) before any simulation when helm is not built
    out: dict[str, Recorded] = {}
    for flag in FLAGS:
        out[flag] = asyncio.run(record(flag, tmp_path_factory.mktemp(flag)))
    return out


# -- the checks -------------------------------------------------------------------------------------------


def _missing(grants: Grants, log: AccessLog) -> list[str]:
    lines = []
    for req, access in sorted(log.accesses.items(), key=lambda kv: str(kv[0])):
        if not grants.allows(req):
            why = f" [{access.why}]" if access.why else ""
            lines.append(f"{req} (KubeClient.{access.call}, {log.counts[req]}x){why}")
    return lines


@pytest.mark.parametrize("flag", FLAGS, ids=list(FLAGS))
def test_the_chart_grants_every_request_the_operator_makes(recorded: dict[str, Recorded], flag: str) -> None:
    rec = recorded[flag]
    assert rec.pods_seen >= (100 if flag in FULL else 20), f"the scenario did not run ({rec.pods_seen} pods)"
    grants = grants_of(rec.docs, "operator")
    missing = _missing(grants, rec.logs.operator)
    missing += [f"{d.request} (declared: {d.reason})" for d in DECLARED if not grants.allows(d.request)]
    assert not missing, (f"with {flag}, {grants.subject} ({', '.join(grants.sources)}) is forbidden:\n  "
                         + "\n  ".join(missing))


@pytest.mark.parametrize("flag", FLAGS, ids=list(FLAGS))
def test_the_chart_grants_every_request_the_scheduler_makes(recorded: dict[str, Recorded], flag: str) -> None:
    rec = recorded[flag]
    assert any(r.subresource == "binding" for r in rec.logs.scheduler.accesses), "the scheduler bound nothing"
    grants = grants_of(rec.docs, "scheduler")
    missing = _missing(grants, rec.logs.scheduler)
    assert not missing, (f"with {flag}, {grants.subject} ({', '.join(grants.sources)}) is forbidden:\n  "
                         + "\n  ".join(missing))


@pytest.mark.parametrize("flag", FLAGS, ids=list(FLAGS))
def test_every_role_the_operator_writes_passes_the_escalation_check(recorded: dict[str, Recorded], flag: str
                                                                    ) -> None:
    rec = recorded[flag]
    grants = grants_of(rec.docs, "operator")
    assert rec.written_roles, "the operator wrote no Role"
    roles = {(r["metadata"].get("namespace"), r["metadata"]["name"]): r for r in rec.written_roles}
    problems = []
    for obj in rec.logs.operator.rbac_writes:
        ns = obj["metadata"].get("namespace")
        if obj["kind"] in ("Role", "ClusterRole"):
            rules = rules_of(obj.get("rules") or [])
        elif obj["kind"] in ("RoleBinding", "ClusterRoleBinding"):
            ref = obj["roleRef"]
            bind = Request("bind", "rbac.authorization.k8s.io", ref["kind"].lower() + "s", name=ref["name"],
                           namespace=ns or "")
            if grants.allows(bind):
                continue
            rules = rules_of(roles[(ns if ref["kind"] == "Role" else None, ref["name"])].get("rules") or [])
        else:
            continue
        missing = grant_refusal(grants.rules_in(ns), rules, resource="roles" if ns else "clusterroles",
                                namespace=ns or "")
        if missing:
            problems.append(f"{obj['kind']} {ns}/{obj['metadata']['name']}: " + "; ".join(missing))
    assert not problems, (f"with {flag}, {grants.subject} is attempting to grant RBAC permissions not currently "
                          "held:\n  " + "\n  ".join(sorted(set(problems))[:10]))


@pytest.mark.parametrize("flag", ["defaults", "everything"])
def test_the_startup_waiter_needs_only_the_role_the_operator_gives_it(recorded: dict[str, Recorded], flag: str
                                                                      ) -> None:
    rec = recorded[flag]
    assert rec.logs.initc.accesses, "no startup waiter ran"
    role_rules = {r["metadata"]["namespace"]: rules_of(r["rules"]) for r in rec.written_roles}
    beyond = [str(q) for q in rec.logs.initc.accesses
              if not any(rule_allows(r, q) for r in role_rules.get(q.namespace, []))]
    assert not beyond, "the startup waiter asks for more than its Role grants:\n  " + "\n  ".join(beyond)


def _atoms(grants: Grants) -> list[tuple[str, PolicyRule]]:
    """Every (role, one verb on one resource) the grants consist of."""
    out = []
    for role in grants.roles:
        out += [(f"{role['kind']}/{role['metadata']['name']}", a) for r in rules_of(role.get("rules") or [])
                for a in breakdown(r)]
    return out


def test_the_chart_grants_the_operator_nothing_it_never_uses(recorded: dict[str, Recorded]) -> None:
    """Used = recorded by any process the chart runs as the operator's identity (under any flag), needed to
    grant a Role the operator writes, or declared (grove.operator.access) with the reason a real cluster
    needs it."""
    unused: dict[str, set[PolicyRule]] = {}
    for flag, rec in recorded.items():
        identity = runs_as(rec.docs, "operator")
        same = [name for name in ("operator", "scheduler") if runs_as(rec.docs, name) == identity]
        requests = [q for other in recorded.values() for name in same
                    for q in getattr(other.logs, name).accesses]
        requests += [d.request for d in DECLARED]
        delegated = [sub for other in recorded.values() for role in other.written_roles
                     for r in rules_of(role["rules"]) for sub in breakdown(r)]
        for source, atom in _atoms(grants_of(rec.docs, "operator")):
            if any(rule_allows(atom, q) for q in requests) or any(rule_covers(atom, s) for s in delegated):
                continue
            unused.setdefault(source, set()).add(atom)
        if flag == "defaults":
            assert same, "no Deployment runs `grove operator`"
    lines = [f"{source} grants {rule}" for source, atoms in sorted(unused.items())
             for rule in sorted({compact_string(r) for r in compact(sorted(atoms, key=compact_string))})]
    assert not lines, "the chart grants the operator what it never uses:\n  " + "\n  ".join(lines)
