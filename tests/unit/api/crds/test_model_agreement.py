"""The CRD schema and the pydantic models agree where both judge a value.

The API server checks the CRD; our code (embedded cluster, webhook, CLI) checks the models. If they
disagree, a manifest works in one world and fails in the other. Hypothesis probes the constrained
fields: topology level domains/keys (pattern and length) and int32 bounds.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from grove.api.crds import SchemaError, generate_crds, openapi_schema
from grove.api.crds import overrides as overrides_module
from grove.api.crds.structural import ModelOverride
from grove.api.kinds import grove_kind_by_name
from grove.api.models import ClusterTopologyBinding, PodCliqueSet
from grove.api.models.config import OperatorConfiguration

from .openapi import validate

_CTB = grove_kind_by_name("ct")
_PCS = grove_kind_by_name("pcs")
assert _CTB is not None and _PCS is not None
CTB_SCHEMA = openapi_schema(_CTB)
PCS_SCHEMA = openapi_schema(_PCS)

_label_text = st.text(alphabet="abcXYZ019-_./", min_size=0, max_size=70)
_domain_text = st.one_of(st.text(alphabet="abz09-A", min_size=0, max_size=66), st.sampled_from(["zone", "rack"]))


def _accepted_by_model(model: Any, body: dict[str, Any]) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(domain=_domain_text, key=_label_text)
def test_topology_levels_agree(domain: str, key: str) -> None:
    body = {"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding", "metadata": {"name": "t"},
            "spec": {"levels": [{"domain": domain, "key": key}]}}
    assert (validate(body, CTB_SCHEMA) == []) is _accepted_by_model(ClusterTopologyBinding, body)


@settings(max_examples=200, deadline=None)
@given(replicas=st.one_of(st.integers(min_value=-(2**40), max_value=2**40),
                          st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1]), st.text(max_size=3)))
def test_int32_fields_agree(replicas: Any) -> None:
    clique = {"name": "w", "spec": {"roleName": "w", "replicas": replicas, "podSpec": {"containers": []}}}
    body = {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": "x"},
            "spec": {"template": {"cliques": [clique]}}}
    assert (validate(body, PCS_SCHEMA) == []) is _accepted_by_model(PodCliqueSet, body)


def test_an_override_for_a_model_no_crd_uses_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {**overrides_module.MODEL_OVERRIDES, OperatorConfiguration: ModelOverride(required=("x",))}
    monkeypatch.setattr(overrides_module, "MODEL_OVERRIDES", table)
    with pytest.raises(SchemaError, match="OperatorConfiguration"):
        generate_crds()
