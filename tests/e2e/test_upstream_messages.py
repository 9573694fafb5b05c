"""Upstream's TAS21/TAS22 message assertions through a real kube-apiserver with our CRDs and webhook.

The objects and the substrings are upstream's (tests/unit/api/validation/upstream_messages.py reads the
substrings from upstream's own test). As upstream's test does, each object is created through the API
server and the error's text (the Status message) is checked:

- TAS22: the CRD's CEL rules refuse the PodCliqueSets (after our mutating webhook ran). Each error line
  ``grove validate`` prints for those rules is also found word for word in the API server's message.
- TAS21: the ClusterTopologyBinding webhook refuses the bindings; every substring is there except
  upstream's wrong path ``spec.schedulerTopologyReferences`` (docs/divergences.md), and that path is the
  only difference.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from grove.api.crds.overrides import TOPOLOGY_CONSTRAINT_RULES, TOPOLOGY_PACK_RULES
from grove.kube.errors import ApiError
from grove.kube.http import HttpKubeClient
from tests.builders import ctb
from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import Operator, operator_running
from tests.unit.api.validation._support import check
from tests.unit.api.validation.upstream_messages import (
    OUR_PATH,
    TAS21_CTBS,
    TAS22_PCSS,
    TAS22_VALID,
    WRONG_PATH,
    missing,
    upstream_assertions,
)

pytestmark = pytest.mark.e2e

NAMESPACE = "grove-upstream-msgs"
CEL_MESSAGES = {r["message"] for r in (*TOPOLOGY_CONSTRAINT_RULES, *TOPOLOGY_PACK_RULES)}
TAS_VALUES: dict[str, Any] = {"config": {"topologyAwareScheduling": {"enabled": True}}}
"""The development values (default-scheduler, kai-scheduler and grove-scheduler enabled) with TAS on:
kai-scheduler is enabled and topology-aware, default-scheduler enabled and not, as in upstream's install."""


@pytest.fixture(scope="module")
def operator(e2e_cluster: E2ECluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    c = e2e_cluster
    with operator_running(c, tmp_path_factory.mktemp("upstream-msgs"), namespaces=[NAMESPACE],
                          values=TAS_VALUES) as op:
        topology = ctb()  # upstream's ensureGroveTopology: created unless it is there
        name = topology["metadata"]["name"]
        created = c.kubectl("get", "clustertopologybinding", name, check=False).returncode != 0
        if created:
            c.apply(topology)
        try:
            yield op
        finally:
            c.kubectl("delete", "podcliquesets", "--all", "-n", NAMESPACE, "--wait=false", check=False)
            if created:
                c.kubectl("delete", "clustertopologybinding", name, "--ignore-not-found", check=False)


def _in_namespace(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "metadata": {**body["metadata"], "namespace": NAMESPACE}}


def _create_all(c: E2ECluster, bodies: dict[str, dict[str, Any]], *, dry_run: bool = False) -> dict[str, str]:
    """``{case: the API server's error message}``; ``"<created>"`` when it accepted the object."""
    async def run() -> dict[str, str]:
        client = HttpKubeClient.from_kubeconfig(str(c.kubeconfig))
        out: dict[str, str] = {}
        try:
            for case, body in bodies.items():
                try:
                    await client.create(body, dry_run=dry_run)
                except ApiError as exc:
                    out[case] = exc.message
                else:
                    out[case] = "<created>"
        finally:
            await client.close()
        return out
    return asyncio.run(run())


def test_tas22_the_crd_refuses_with_upstreams_messages(operator: Operator, e2e_cluster: E2ECluster) -> None:
    bodies = {case: _in_namespace(b) for case, b in TAS22_PCSS.items()}
    said = _create_all(e2e_cluster, bodies)
    problems = []
    for case, text in said.items():
        if gone := missing(text, upstream_assertions("Test_TAS22_")[case]):
            problems.append(f"{case}: {gone} not in {text!r}")
        # grove validate's lines for the CEL rules are the API server's, word for word
        offline = [str(e) for e in check(bodies[case]).result.errors if e.detail in CEL_MESSAGES]
        assert offline, case
        problems += [f"{case}: offline line {line!r} not in {text!r}" for line in offline if line not in text]
    assert problems == [], "\n".join(problems)
    stored = e2e_cluster.kubectl_json("get", "podcliquesets", "-n", NAMESPACE)["items"]
    assert [o["metadata"]["name"] for o in stored] == []


def test_tas22_preferred_only_pack_passes(operator: Operator, e2e_cluster: E2ECluster) -> None:
    """Upstream's step 4, as a server-side dry run (CRD, both webhooks, nothing stored)."""
    said = _create_all(e2e_cluster, {"valid": _in_namespace(TAS22_VALID)}, dry_run=True)
    assert said == {"valid": "<created>"}


def test_tas21_the_webhook_refuses_with_upstreams_words_and_our_path(operator: Operator,
                                                                    e2e_cluster: E2ECluster) -> None:
    said = _create_all(e2e_cluster, TAS21_CTBS)
    failing: dict[str, list[str]] = {}
    for case, text in said.items():
        wants = upstream_assertions("Test_TAS21_")[case]
        assert "denied the request" in text, text  # the webhook's answer, not the schema's
        assert missing(text.replace(OUR_PATH, WRONG_PATH), wants) == [], text
        if gone := missing(text, wants):
            failing[case] = gone
    assert failing == {
        "duplicate scheduler backend references": [f"{WRONG_PATH}[1].schedulerName"],
        "unknown scheduler backend reference": [f"{WRONG_PATH}[0].schedulerName"],
        "non topology aware scheduler backend reference": [f"{WRONG_PATH}[0].schedulerName"],
    }, said
    names = {o["metadata"]["name"] for o in e2e_cluster.kubectl_json("get", "clustertopologybindings")["items"]}
    assert names.isdisjoint(b["metadata"]["name"] for b in TAS21_CTBS.values())
