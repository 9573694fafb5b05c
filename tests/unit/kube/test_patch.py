from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.kube.errors import BadRequest, Invalid
from grove.kube.patch import json_patch, merge_patch

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                     lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
                     max_leaves=10)


def test_merge_patch_rfc7386_examples() -> None:
    assert merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == \
        {"a": "z", "c": {"d": "e"}}
    assert merge_patch({"a": ["b"]}, {"a": ["c"]}) == {"a": ["c"]}
    assert merge_patch({"a": "b"}, ["c"]) == ["c"]
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}


@settings(max_examples=60)
@given(st.dictionaries(st.text(max_size=3), _json, max_size=4), st.dictionaries(st.text(max_size=3), _json, max_size=4))
def test_merge_patch_never_mutates_inputs_and_is_idempotent(target: dict[str, Any], patch: dict[str, Any]) -> None:
    import copy
    t0, p0 = copy.deepcopy(target), copy.deepcopy(patch)
    once = merge_patch(target, patch)
    assert target == t0 and patch == p0
    assert merge_patch(once, patch) == once


def test_json_patch_operations() -> None:
    doc = {"a": [1, 2], "b": {"c": "d"}}
    out = json_patch(doc, [
        {"op": "add", "path": "/a/1", "value": 9},
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "replace", "path": "/b/c", "value": "e"},
        {"op": "copy", "from": "/b", "path": "/x"},
        {"op": "move", "from": "/b/c", "path": "/b/moved"},
        {"op": "add", "path": "/k~1v", "value": True},
        {"op": "test", "path": "/a", "value": [1, 9, 2, 3]},
    ])
    assert out == {"a": [1, 9, 2, 3], "b": {"moved": "e"}, "x": {"c": "e"}, "k/v": True}
    assert doc == {"a": [1, 2], "b": {"c": "d"}}


@pytest.mark.parametrize("ops", [
    [{"op": "test", "path": "/a", "value": 2}],
    [{"op": "remove", "path": "/missing"}],
    [{"op": "replace", "path": "/nope", "value": 1}],
    [{"op": "add", "path": "/l/5", "value": 1}],
    [{"op": "move", "from": "/o", "path": "/o/inner"}],
])
def test_json_patch_failures_are_invalid(ops: list[dict[str, Any]]) -> None:
    with pytest.raises(Invalid):
        json_patch({"a": 1, "l": [], "o": {}}, ops)


@pytest.mark.parametrize("ops", [{"op": "add"}, [{"op": "jump", "path": "/a"}], [{"op": "add", "path": "a", "value": 1}],
                                 [{"op": "add", "path": "/a"}]])
def test_malformed_json_patches_are_bad_requests(ops: Any) -> None:
    with pytest.raises(BadRequest):
        json_patch({"a": 1}, ops)
