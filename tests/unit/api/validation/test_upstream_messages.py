"""Upstream's e2e tests TAS21 and TAS22 assert error text; ours must contain every asserted substring.

TAS22's messages come from the CRD's CEL rules (the API server evaluates them before any webhook), so
they are checked in the generated CRD, with the mutating webhook applied first as the API server does,
and in our offline validator (``grove validate`` and the validating webhook). TAS21's come from the
ClusterTopologyBinding validating webhook; its denial message must contain every substring except
upstream's wrong path ``spec.schedulerTopologyReferences`` (docs/divergences.md), and that path must be
the *only* difference. tests/e2e/test_upstream_messages.py repeats both through a real kube-apiserver.
"""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.crds import crd_for
from grove.api.models.config import (
    OperatorConfiguration,
    SchedulerConfig,
    SchedulerProfile,
    TopologyAwareScheduling,
)
from grove.webhook.admission import default_podcliqueset_object
from grove.webhook.server import AdmissionHandlers
from tests.builders import ctb
from tests.unit.api.crds.openapi import validate
from tests.unit.api.validation._support import check, describe
from tests.unit.api.validation.upstream_messages import (
    OUR_PATH,
    TAS21_CTBS,
    TAS22_PCSS,
    TAS22_VALID,
    WRONG_PATH,
    missing,
    upstream_assertions,
    upstream_cel_messages,
)

PCS_SCHEMA = crd_for("pcs")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
# As upstream's e2e install: kai-scheduler the default profile; default-scheduler is always enabled.
UPSTREAM_E2E_CONFIG = OperatorConfiguration(
    topology_aware_scheduling=TopologyAwareScheduling(enabled=True),
    scheduler=SchedulerConfig(profiles=[SchedulerProfile(name="kai-scheduler")], default_profile_name="kai-scheduler"),
)
# upstream's ensureGroveTopology: the e2e cluster's topology (zone/block/rack/host)
GROVE_TOPOLOGY = ctb()


def test_our_case_tables_are_upstreams() -> None:
    assert set(TAS21_CTBS) == set(upstream_assertions("Test_TAS21_"))
    assert set(TAS22_PCSS) == set(upstream_assertions("Test_TAS22_"))


# --- TAS22: CRD CEL messages ------------------------------------------------------------------------

def _crd_errors(body: dict[str, Any]) -> list[str]:
    """What the API server's CRD validation says, after the mutating webhook ran (admission order)."""
    defaulted = default_podcliqueset_object(body).object
    assert defaulted is not None
    return validate(defaulted, PCS_SCHEMA)


@pytest.mark.parametrize("case", sorted(TAS22_PCSS))
def test_tas22_crd_cel_messages_contain_upstreams_assertions(case: str) -> None:
    wants = upstream_assertions("Test_TAS22_")[case]
    text = "\n".join(_crd_errors(TAS22_PCSS[case]))
    assert text, f"{case}: the CRD accepted the object"
    assert missing(text, wants) == [], text


@pytest.mark.parametrize("case", sorted(TAS22_PCSS))
def test_tas22_offline_validation_says_the_same(case: str) -> None:
    """``grove validate`` and our validating webhook report the CEL rules with the same words."""
    wants = upstream_assertions("Test_TAS22_")[case]
    report = check(TAS22_PCSS[case], cfg=UPSTREAM_E2E_CONFIG, extra=(GROVE_TOPOLOGY,))
    assert missing(describe(report), wants) == [], describe(report)


# What kube-apiserver v1.36.3 answered for each case with our CRD (tests/e2e/test_upstream_messages.py
# checks the same lines against the live server): a failed CEL rule without a reason prints no value.
TAS22_API_SERVER_LINES = {
    "deprecated packDomain on PCS create": [
        "spec.template.topologyConstraint.packDomain: Forbidden: packDomain is deprecated and cannot be used "
        "on new workloads; use pack.required"],
    "topologyConstraint without pack": [
        "spec.template.topologyConstraint.pack: Required value: topologyConstraint must specify pack or "
        "deprecated packDomain"],
    "empty pack": [
        "spec.template.topologyConstraint.pack: Required value: pack must specify at least one of required or "
        "preferred"],
    "deprecated packDomain with pack.required": [
        "spec.template.topologyConstraint.pack.required: Invalid value: must not set both pack.required and "
        "deprecated packDomain",
        "spec.template.topologyConstraint.packDomain: Forbidden: packDomain is deprecated and cannot be used "
        "on new workloads; use pack.required"],
    "deprecated packDomain on PodClique create": [
        "spec.template.cliques[0].topologyConstraint.packDomain: Forbidden: packDomain is deprecated and "
        "cannot be used on new workloads; use pack.required"],
    "deprecated packDomain on PodCliqueScalingGroup create": [
        "spec.template.podCliqueScalingGroups[0].topologyConstraint.packDomain: Forbidden: packDomain is "
        "deprecated and cannot be used on new workloads; use pack.required"],
}


def test_tas22_offline_lines_are_the_api_servers() -> None:
    """``grove validate`` prints the CEL errors exactly as the API server does: path, type, message."""
    assert set(TAS22_API_SERVER_LINES) == set(TAS22_PCSS)
    for case, lines in TAS22_API_SERVER_LINES.items():
        report = check(TAS22_PCSS[case], cfg=UPSTREAM_E2E_CONFIG, extra=(GROVE_TOPOLOGY,))
        assert [str(e) for e in report.result.errors] == lines, case


def test_tas22_preferred_only_pack_passes() -> None:
    assert _crd_errors(TAS22_VALID) == []
    report = check(TAS22_VALID, cfg=UPSTREAM_E2E_CONFIG, extra=(GROVE_TOPOLOGY,))
    assert report.ok, describe(report)


def _crd_rules(schema: Any) -> list[dict[str, Any]]:
    if isinstance(schema, dict):
        return [*schema.get("x-kubernetes-validations", []), *(r for v in schema.values() for r in _crd_rules(v))]
    if isinstance(schema, list):
        return [r for v in schema for r in _crd_rules(v)]
    return []


def test_every_cel_message_and_reason_is_upstreams() -> None:
    """The generated CRD's CEL messages are upstream's, each with upstream's reason (error type); the only
    others are the rules of Grove's own additive fields (topology spread, docs/spread.md)."""
    from grove.api.crds.overrides import SPREAD_RULES

    extensions = {r["message"] for r in SPREAD_RULES}
    ours = {r["message"]: r.get("reason") for r in _crd_rules(PCS_SCHEMA)}
    assert extensions <= set(ours)
    assert {m: r for m, r in ours.items() if m not in extensions} == upstream_cel_messages()


# --- TAS21: ClusterTopologyBinding webhook messages ------------------------------------------------

async def _webhook_denial(body: dict[str, Any]) -> str:
    handlers = AdmissionHandlers(UPSTREAM_E2E_CONFIG, None)
    response = await handlers.validate_ctb({"uid": "u", "operation": "CREATE", "object": body})
    assert response["allowed"] is False, response
    message: str = response["status"]["message"]
    return message


@pytest.mark.parametrize("case", sorted(TAS21_CTBS))
async def test_tas21_webhook_messages_differ_from_upstreams_only_by_the_field_path(case: str) -> None:
    wants = upstream_assertions("Test_TAS21_")[case]
    text = await _webhook_denial(TAS21_CTBS[case])
    # every substring but upstream's wrong path is there as asserted ...
    assert [w for w in missing(text, wants) if WRONG_PATH not in w] == [], text
    # ... and naming the field as upstream does makes every assertion pass: the path is the only difference
    assert missing(text.replace(OUR_PATH, WRONG_PATH), wants) == [], text
    assert WRONG_PATH not in text


async def test_tas21_divergence_is_exactly_the_documented_one() -> None:
    """The cases that fail upstream's assertions are the three binding cases, each on the path alone.

    If upstream corrects its path this fails: then drop the divergence from docs/divergences.md.
    """
    failing = {}
    for case, body in TAS21_CTBS.items():
        text = await _webhook_denial(body)
        if gone := missing(text, upstream_assertions("Test_TAS21_")[case]):
            failing[case] = gone
    assert failing == {
        "duplicate scheduler backend references": [f"{WRONG_PATH}[1].schedulerName"],
        "unknown scheduler backend reference": [f"{WRONG_PATH}[0].schedulerName"],
        "non topology aware scheduler backend reference": [f"{WRONG_PATH}[0].schedulerName"],
    }


async def test_tas21_lines_read_as_upstreams_field_errors() -> None:
    """Whole lines, not just substrings: what upstream's field.Duplicate/field.Invalid print, our path."""
    texts = {case: await _webhook_denial(body) for case, body in TAS21_CTBS.items()}
    assert texts == {
        "duplicate topology domains":
            'ClusterTopologyBinding.grove.io "tas21-invalid-topology" is invalid: '
            'spec.levels[1].domain: Duplicate value: "zone"',
        "duplicate scheduler backend references":
            'ClusterTopologyBinding.grove.io "tas22-duplicate-backend" is invalid: '
            f'{OUR_PATH}[1].schedulerName: Duplicate value: "kai-scheduler"',
        "unknown scheduler backend reference":
            'ClusterTopologyBinding.grove.io "tas22-unknown-backend" is invalid: '
            f'{OUR_PATH}[0].schedulerName: Invalid value: "unknown-scheduler": '
            "scheduler backend is not enabled in Grove",
        "non topology aware scheduler backend reference":
            'ClusterTopologyBinding.grove.io "tas22-non-tas-backend" is invalid: '
            f'{OUR_PATH}[0].schedulerName: Invalid value: "default-scheduler": '
            "scheduler backend does not implement topology-aware scheduling",
    }
