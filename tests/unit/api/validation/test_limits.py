"""The documented cap on the work one PodCliqueSet may ask for (MAX_PODS_PER_PODCLIQUESET)."""

from __future__ import annotations

from grove.api.validation.limits import MAX_PODS_PER_PODCLIQUESET
from tests.builders import pcs
from tests.unit.api.validation._support import check, error_at


def test_int32_max_replicas_is_refused_at_the_field_naming_the_limit() -> None:
    report = check(pcs("x").clique("a", replicas=2**31 - 1, min_available=1).build())
    assert error_at(report, "spec.template.cliques[0].spec.replicas") == [
        "spec.template.cliques[0].spec.replicas: Invalid value: 2147483647: this PodCliqueSet would ask for "
        f"2147483647 pods, more than the limit of {MAX_PODS_PER_PODCLIQUESET} pods per PodCliqueSet"]


def test_the_product_counts_and_the_largest_factor_is_named() -> None:
    # 200 PCS replicas x (10 x 3-replica group + 5) = 7,000: under the cap.
    body = pcs("x").replicas(200).clique("a", replicas=10, min_available=1).clique("b", replicas=5) \
        .group("g", ["a"], replicas=3).build()
    assert check(body).ok
    body["spec"]["replicas"] = 400  # 14,000
    assert [e.path for e in check(body).result.errors] == ["spec.replicas"]


def test_autoscaling_maxima_count() -> None:
    body = pcs("x").clique("a", replicas=1).build()
    body["spec"]["template"]["cliques"][0]["spec"]["autoScalingConfig"] = {"minReplicas": 1,
                                                                           "maxReplicas": 20_000}
    assert [e.path for e in check(body).result.errors] == [
        "spec.template.cliques[0].spec.autoScalingConfig.maxReplicas"]
