"""Pod-template and PCS generation hashes: only labels, annotations, podSpec and priority class count."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.api.models import PodCliqueSet
from grove.controllers.common.hashing import (
    SAFE_ALPHABET,
    clique_pod_template_hash,
    compute_hash,
    fnv64a,
    pcs_generation_hash,
)

from ..samples import sample


def test_fnv64a_known_vectors() -> None:
    assert fnv64a(b"") == 0xCBF29CE484222325
    assert fnv64a(b"a") == 0xAF63DC4C8601EC8C


def test_hash_is_short_and_label_safe() -> None:
    h = pcs_generation_hash(sample("simple1"))
    assert 1 <= len(h) <= 10
    assert set(h) <= set(SAFE_ALPHABET)


def _set_replicas(p: PodCliqueSet) -> None:
    p.spec.template.cliques[0].spec.replicas = 7


def _set_min_available(p: PodCliqueSet) -> None:
    p.spec.template.cliques[0].spec.min_available = 1


def _set_autoscaling(p: PodCliqueSet) -> None:
    cfg = p.spec.template.cliques[0].spec.auto_scaling_config
    assert cfg is not None
    cfg.max_replicas = 50


def _set_topology(p: PodCliqueSet) -> None:
    p.spec.template.topology_constraint = {"pack": {"required": "zone"}}  # type: ignore[assignment]


def _set_termination_delay(p: PodCliqueSet) -> None:
    p.spec.template.termination_delay = "10s"


def _set_pcs_replicas(p: PodCliqueSet) -> None:
    p.spec.replicas = 4


def _set_pcsg(p: PodCliqueSet) -> None:
    groups = p.spec.template.pod_clique_scaling_groups
    assert groups
    groups[0].replicas = 5


NEUTRAL: list[Callable[[PodCliqueSet], None]] = [
    _set_replicas,
    _set_min_available,
    _set_autoscaling,
    _set_topology,
    _set_termination_delay,
    _set_pcs_replicas,
    _set_pcsg,
]


@pytest.mark.parametrize("change", NEUTRAL, ids=lambda f: f.__name__)
def test_non_template_changes_keep_both_hashes(change: Callable[[PodCliqueSet], None]) -> None:
    before = sample("simple1")
    after = sample("simple1")
    change(after)
    assert pcs_generation_hash(after) == pcs_generation_hash(before)
    assert clique_pod_template_hash(after, "pca") == clique_pod_template_hash(before, "pca")


def test_image_change_rolls_only_that_clique() -> None:
    before = sample("simple1")
    after = sample("simple1")
    after.spec.template.cliques[0].spec.pod_spec["containers"][0]["image"] = "nginx:1.27"
    assert pcs_generation_hash(after) != pcs_generation_hash(before)
    assert clique_pod_template_hash(after, "pca") != clique_pod_template_hash(before, "pca")
    assert clique_pod_template_hash(after, "pcd") == clique_pod_template_hash(before, "pcd")


@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_template_metadata_changes_the_hash(field: str) -> None:
    before = sample("simple1")
    after = sample("simple1")
    setattr(after.spec.template.cliques[0], field, {"team": "a"})
    assert clique_pod_template_hash(after, "pca") != clique_pod_template_hash(before, "pca")


def test_priority_class_from_the_pcs_changes_the_hash() -> None:
    before = sample("simple1")
    after = sample("simple1")
    after.spec.template.priority_class_name = "high"
    assert pcs_generation_hash(after) != pcs_generation_hash(before)
    # a priorityClassName in the podSpec is overridden by the PCS value
    after.spec.template.priority_class_name = None
    after.spec.template.cliques[0].spec.pod_spec["priorityClassName"] = "ignored"
    assert pcs_generation_hash(after) == pcs_generation_hash(before)


def test_clique_order_matters_for_the_generation_hash() -> None:
    before = sample("simple1")
    after = sample("simple1")
    after.spec.template.cliques.reverse()
    assert pcs_generation_hash(after) != pcs_generation_hash(before)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_hash_ignores_key_order_and_empty_values(data: dict[str, object]) -> None:
    reordered = dict(reversed(list(data.items())))
    assert compute_hash(reordered) == compute_hash(data)
    assert compute_hash({**data, "zz-empty": {}}) == compute_hash(
        {k: v for k, v in data.items() if k != "zz-empty"}
    )


def test_golden_values_pin_the_encoding() -> None:
    # A change here re-rolls every pod of every PodCliqueSet on upgrade: change only on purpose.
    assert compute_hash({"a": 1}) == compute_hash({"a": 1, "b": None, "c": []})
    assert compute_hash({"a": 1}) == GOLDEN_A1


GOLDEN_A1 = "84f6dd595b"
