"""startsAfter rewriting (spec §6) and the template-of-FQN rule."""

from __future__ import annotations

import pytest

from grove.controllers.common.startup import starts_after_fqns, template_for_pclq

from ..samples import sample


def test_any_order_has_no_dependencies() -> None:
    assert starts_after_fqns(sample("simple1"), 0, "pcd") == []


def test_in_order_depends_on_the_previous_template_clique() -> None:
    pcs = sample("workload3")
    assert starts_after_fqns(pcs, 0, "pc-a") == []
    # pc-b (in sg-x, minAvailable 2) depends on standalone pc-a
    assert starts_after_fqns(pcs, 0, "pc-b", 0) == ["workload3-0-pc-a"]
    # pc-c depends on pc-b in every base replica of sg-x
    assert starts_after_fqns(pcs, 0, "pc-c", 1) == ["workload3-0-sg-x-0-pc-b", "workload3-0-sg-x-1-pc-b"]


def test_explicit_simple3_base_and_scaled_replicas() -> None:
    pcs = sample("simple3")  # sga = {pcb, pcc, pcd}, minAvailable 2, replicas 3
    assert starts_after_fqns(pcs, 0, "pcb", 0) == ["simple3-0-pca"]
    assert starts_after_fqns(pcs, 0, "pcd", 1) == [
        "simple3-0-sga-0-pcb",
        "simple3-0-sga-1-pcb",
        "simple3-0-sga-0-pcc",
        "simple3-0-sga-1-pcc",
    ]
    assert starts_after_fqns(pcs, 0, "pce") == [
        "simple3-0-sga-0-pcb",
        "simple3-0-sga-1-pcb",
        "simple3-0-sga-0-pcc",
        "simple3-0-sga-1-pcc",
    ]
    # scaled replica 2: only same-group dependencies survive, within replica 2
    assert starts_after_fqns(pcs, 0, "pcb", 2) == []
    assert starts_after_fqns(pcs, 0, "pcd", 2) == ["simple3-0-sga-2-pcb", "simple3-0-sga-2-pcc"]


def test_member_needs_its_pcsg_replica() -> None:
    with pytest.raises(ValueError):
        starts_after_fqns(sample("simple3"), 0, "pcb")


def test_template_for_pclq_prefers_the_longest_matching_clique() -> None:
    pcs = sample("mn-disagg")
    found = template_for_pclq(pcs, "mn-disagg-0-prefill-1-pworker")
    assert found is not None and found.name == "pworker"
    pcs.spec.template.cliques[0].name = "worker"  # 'worker' listed first would shadow 'pworker' upstream
    found = template_for_pclq(pcs, "mn-disagg-0-prefill-1-pworker")
    assert found is not None and found.name == "pworker"
    assert template_for_pclq(pcs, "mn-disagg-0-nothing") is None
