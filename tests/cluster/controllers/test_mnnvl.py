"""Auto-MNNVL on the embedded cluster (spec §11.3), upstream's ``auto-mnnvl`` manifests applied unchanged.

With ``network.autoMNNVLEnabled`` and a minimal ``computedomains.resource.nvidia.com`` CRD installed: one
ComputeDomain per PCS replica and distinct group, the PodClique claims, opt-out and CPU-only cliques left
alone, scale-out adding a replica's domains, PCS deletion removing them (finalizer stripped first). With
the feature off (and only ``none`` annotations admitted) nothing is created or injected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.api import constants as c
from grove.operator.config import load_operator_config
from grove.sim.nodes import uniform_nodes
from grove.sim.runner import RunError, apply_manifests
from grove.sim.simulation import SimOptions, Simulation
from tests.builders import third_party_crd
from tests.cluster.helpers import NS, STAGE_FAST, StartSim, listed, settle
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
CD = "resource.nvidia.com/v1beta1"
DIR = UPSTREAM / "e2e/auto-mnnvl"
CONFIG = Path(__file__).resolve().parents[2] / "data" / "config-mnnvl.yaml"
CRD: Obj = third_party_crd("resource.nvidia.com", "ComputeDomain", "v1beta1")


def docs(name: str) -> list[Obj]:
    out = [d for d in yaml.safe_load_all((DIR / name).read_text()) if d]
    for d in out:
        d["metadata"].setdefault("namespace", NS)
    return out


async def start(start_sim: StartSim, manifest: str, *, enabled: bool = True) -> Simulation:
    options = SimOptions(kubelet=STAGE_FAST, objects=(CRD, *uniform_nodes(8)),
                         config=load_operator_config(CONFIG) if enabled else None)
    sim = await start_sim(options)
    await apply_manifests(sim, docs(manifest))
    await settle(sim)
    return sim


async def domains(sim: Simulation) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in await listed(sim, CD, "ComputeDomain")}


async def pclq_claims(sim: Simulation, pcs: str) -> dict[str, tuple[str | None, list[list[str]]]]:
    """PodClique name -> (mnnvl template name, per-container claim names)."""
    out: dict[str, tuple[str | None, list[list[str]]]] = {}
    for o in await listed(sim, c.API_VERSION, c.KIND_PCLQ, part_of=pcs):
        ps = o["spec"]["podSpec"]
        tpl = [rc["resourceClaimTemplateName"] for rc in ps.get("resourceClaims") or [] if rc["name"] == "mnnvl-claim"]
        refs = [[r["name"] for r in (ct.get("resources") or {}).get("claims") or []] for ct in ps["containers"]]
        out[o["metadata"]["name"]] = (tpl[0] if tpl else None, refs)
    return out


async def test_gpu_default_creates_domain_injects_claim_and_deletion_removes_it(start_sim: StartSim) -> None:
    sim = await start(start_sim, "mnnvl-gpu-default.yaml")
    got = await domains(sim)
    assert sorted(got) == ["mnnvl-gpu-default-0-default"]
    cd = got["mnnvl-gpu-default-0-default"]
    pcs_obj = (await listed(sim, c.API_VERSION, c.KIND_PCS))[0]
    assert cd["metadata"]["finalizers"] == ["grove.io/computedomain-finalizer"]
    assert cd["metadata"]["labels"] == {
        c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE, c.LABEL_PART_OF: "mnnvl-gpu-default",
        c.LABEL_APP_NAME: "mnnvl-gpu-default-0-default", c.LABEL_COMPONENT: "pcs-computedomain",
        c.LABEL_PCS_REPLICA_INDEX: "0", "grove.io/mnnvl-group": "default"}
    (ref,) = cd["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["name"], ref["uid"]) == (c.KIND_PCS, "mnnvl-gpu-default", pcs_obj["metadata"]["uid"])
    assert cd["spec"] == {"numNodes": 0, "channel": {"resourceClaimTemplate": {"name": "mnnvl-gpu-default-0-default"}}}
    assert await pclq_claims(sim, "mnnvl-gpu-default") == {
        "mnnvl-gpu-default-0-gpu-worker": ("mnnvl-gpu-default-0-default", [["mnnvl-claim"]])}
    reasons = [e["reason"] for e in await listed(sim, "v1", "Event")]
    assert reasons.count("ComputeDomainCreateSuccessful") == 1

    await sim.client.update_scale(c.API_VERSION, c.KIND_PCS, "mnnvl-gpu-default", 2, NS)
    await settle(sim)
    assert sorted(await domains(sim)) == ["mnnvl-gpu-default-0-default", "mnnvl-gpu-default-1-default"]
    await sim.client.update_scale(c.API_VERSION, c.KIND_PCS, "mnnvl-gpu-default", 1, NS)
    await settle(sim)
    assert sorted(await domains(sim)) == ["mnnvl-gpu-default-0-default"]
    assert "ComputeDomainDeleteSuccessful" in [e["reason"] for e in await listed(sim, "v1", "Event")]

    await sim.client.delete(c.API_VERSION, c.KIND_PCS, "mnnvl-gpu-default", NS)
    await settle(sim)
    assert await listed(sim, c.API_VERSION, c.KIND_PCS) == []
    assert await domains(sim) == {}


async def test_comprehensive_mix_groups_per_clique(start_sim: StartSim) -> None:
    sim = await start(start_sim, "mnnvl-comprehensive-mix.yaml")
    assert sorted(await domains(sim)) == sorted(
        f"mnnvl-mix-0-{g}" for g in ("default", "train", "infer", "batch", "solo"))
    got = await pclq_claims(sim, "mnnvl-mix")
    want = {"mnnvl-mix-0-sa1": "default", "mnnvl-mix-0-sa2": "train", "mnnvl-mix-0-sa3": None,
            "mnnvl-mix-0-g1-0-p1": "default", "mnnvl-mix-0-g1-0-p2": "infer", "mnnvl-mix-0-g1-0-p3": None,
            "mnnvl-mix-0-g2-0-p4": "train", "mnnvl-mix-0-g2-0-p5": "batch", "mnnvl-mix-0-g2-0-p6": None,
            "mnnvl-mix-0-g3-0-p7": None, "mnnvl-mix-0-g3-0-p8": "solo", "mnnvl-mix-0-g3-0-p9": None}
    assert {n: (t.removeprefix("mnnvl-mix-0-") if t else None) for n, (t, _) in got.items()} == want
    assert all(refs == ([["mnnvl-claim"]] if t else [[]]) for t, refs in got.values())


async def test_optout_creates_nothing(start_sim: StartSim) -> None:
    sim = await start(start_sim, "mnnvl-gpu-optout.yaml")
    assert await domains(sim) == {}
    assert await pclq_claims(sim, "mnnvl-gpu-optout") == {"mnnvl-gpu-optout-0-gpu-worker": (None, [[]])}


async def test_cpu_clique_with_annotation_is_not_enrolled(start_sim: StartSim) -> None:
    sim = await start(start_sim, "mnnvl-cpu-with-annotation.yaml")
    assert sorted(await domains(sim)) == ["mnnvl-cpu-with-annotation-0-default"]
    assert await pclq_claims(sim, "mnnvl-cpu-with-annotation") == {
        "mnnvl-cpu-with-annotation-0-gp": ("mnnvl-cpu-with-annotation-0-default", [["mnnvl-claim"]]),
        "mnnvl-cpu-with-annotation-0-cp": (None, [[]])}


async def test_feature_off_changes_nothing(start_sim: StartSim) -> None:
    sim = await start(start_sim, "mnnvl-comprehensive-bare.yaml", enabled=False)
    # off: the PCS controller never watches ComputeDomains, creates none and injects no claim
    assert not [inf for inf in sim.manager.informers if inf.key.kind == "ComputeDomain"]
    assert await domains(sim) == {}
    got = await pclq_claims(sim, "mnnvl-comprehensive-bare")
    assert got and all(t is None and refs == [[]] for t, refs in got.values())
    # and a non-"none" group is refused at admission, as before
    with pytest.raises(RunError, match="mnnvl"):
        await apply_manifests(sim, docs("mnnvl-gpu-default.yaml"))
    assert await domains(sim) == {}
