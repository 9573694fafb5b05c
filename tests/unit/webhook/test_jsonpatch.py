"""The webhook's RFC 6902 diff: applying it (with the API server semantics of grove.kube.patch) always
yields the target, and it stays minimal for the defaulting case."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grove.kube.patch import json_patch
from grove.webhook.jsonpatch import diff, escape

keys = st.sampled_from(["a", "b", "c/d", "e~f", "", "spec"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3))
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(values, values)
def test_applying_the_diff_yields_the_target(source: Any, target: Any) -> None:
    assert json_patch(source, diff(source, target)) == target


@settings(max_examples=100, deadline=None)
@given(values)
def test_equal_documents_have_an_empty_diff(doc: Any) -> None:
    assert diff(doc, doc) == []


def test_escape_follows_rfc6901() -> None:
    assert escape("a/b~c") == "a~1b~0c"


def test_bool_and_int_are_not_conflated() -> None:
    assert diff({"x": 1}, {"x": True}) == [{"op": "replace", "path": "/x", "value": True}]


def test_defaulting_patch_touches_only_the_defaulted_fields() -> None:
    source = {"metadata": {"name": "x"}, "spec": {"cliques": [{"name": "a", "spec": {"replicas": 2}}]}}
    target = {"metadata": {"name": "x", "namespace": "default"},
              "spec": {"cliques": [{"name": "a", "spec": {"replicas": 2, "minAvailable": 2}}]}}
    assert diff(source, target) == [
        {"op": "add", "path": "/metadata/namespace", "value": "default"},
        {"op": "add", "path": "/spec/cliques/0/spec/minAvailable", "value": 2},
    ]


def test_list_length_change_replaces_the_list() -> None:
    assert diff({"l": [1]}, {"l": [1, 2]}) == [{"op": "replace", "path": "/l", "value": [1, 2]}]
