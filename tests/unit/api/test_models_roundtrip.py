"""Every upstream manifest loads into our models and dumps back to the identical JSON."""

from __future__ import annotations

import pytest

from grove.api.kinds import grove_kind_by_name, model_for
from grove.api.manifests import load_documents
from grove.api.models import PodCliqueSet
from tests.upstream import UPSTREAM

DOCS = load_documents([str(UPSTREAM)])


def test_upstream_corpus_is_present() -> None:
    assert sum(1 for d in DOCS if d.body.get("kind") == "PodCliqueSet") >= 50


@pytest.mark.parametrize("doc", [d for d in DOCS if model_for(d.body.get("apiVersion"), d.body.get("kind"))],
                         ids=lambda d: d.where.split("upstream/")[-1])
def test_load_then_dump_gives_back_the_same_json(doc) -> None:  # type: ignore[no-untyped-def]
    model = model_for(doc.body["apiVersion"], doc.body["kind"])
    assert model is not None
    assert model.model_validate(doc.body).to_wire() == doc.body


def test_unknown_fields_survive_a_round_trip() -> None:
    body = {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodCliqueSet",
        "metadata": {"name": "x", "somethingNew": {"a": 1}},
        "spec": {"futureField": True, "template": {"cliques": [
            {"name": "a", "spec": {"roleName": "a", "replicas": 1,
                                   "podSpec": {"containers": [{"name": "c", "image": "i", "newPodField": 7}]}}}]}},
    }
    assert PodCliqueSet.from_wire(body).to_wire() == body


def test_kinds_resolve_by_short_name() -> None:
    assert grove_kind_by_name("pcs").kind == "PodCliqueSet"  # type: ignore[union-attr]
    assert grove_kind_by_name("PG").plural == "podgangs"  # type: ignore[union-attr]
    assert grove_kind_by_name("nope") is None
