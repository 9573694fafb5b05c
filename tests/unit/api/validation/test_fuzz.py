"""Fuzzing admission with mutated manifests: validation never raises and always returns a verdict.

Seeds are valid PodCliqueSets (builders and upstream samples); each example applies 1-4 mutations at
random places: replace a value by a random JSON value (wrong types, huge numbers, unicode, deep
nesting), delete a key, or nest the body deeply. Properties: ``validate_object`` returns (no
exception), every error renders as ``path: message``, and an admitted object re-validates unchanged.
Example count: 300 per test in CI (``max_examples=300``), 2 tests, deadline off.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grove.api.manifests import load_documents
from grove.api.validation import validate_object
from tests.builders import ctb, pcs, tc
from tests.unit.api.validation._support import check, config
from tests.upstream import UPSTREAM

SEEDS: list[dict[str, Any]] = [
    pcs("x").clique("a", replicas=2).clique("b").group("g", ["b"], replicas=2).build(),
    pcs("y").startup("Explicit").topology("zone").clique("a", topology=tc("host")).clique("b", starts_after=["a"])
    .claim_template("t").share("t", cliques=["a"]).build(),
    *[d.body for d in load_documents([str(UPSTREAM / "samples")]) if isinstance(d.body, dict)],
]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["", "0s", "-1h", "kai-scheduler", "CliqueStartupTypeExplicit", "a" * 300, "💥", "\x00"]),
)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _nest(value: Any, depth: int) -> Any:
    for i in range(depth):
        value = [value] if i % 2 else {"x": value}
    return value


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    body = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(body)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "delete", "nest"]))
        if not path:
            body = draw(json_values) if op == "replace" else _nest(body, draw(st.integers(1, 200)))
            continue
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        if op == "delete" and isinstance(parent, dict):
            del parent[last]
        elif op == "nest":
            parent[last] = _nest(parent[last], draw(st.integers(1, 200)))
        else:
            parent[last] = draw(json_values)
        if not isinstance(body, (dict, list)):
            break
    return body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_manifests_never_raise(body: Any) -> None:
    report = check(body, extra=(ctb(),))
    assert report.status in ("validated", "passthrough", "invalid")
    assert report.ok == (not report.result.errors)
    for error in report.result.errors:
        line = str(error)
        assert line.startswith(f"{error.path or '<object>'}: ")
    if report.ok and report.status == "validated":
        again = validate_object(report.wire, config=config(), lookup=_lookup())
        assert again.ok and again.wire == report.wire


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_never_raises(body: Any) -> None:
    report = check(body, extra=())
    assert not report.ok or report.status == "passthrough"


def _lookup() -> Any:
    from grove.api.validation import OfflineLookup
    return OfflineLookup.from_bodies([ctb()])


def test_seeds_are_valid() -> None:
    assert Path(UPSTREAM).is_dir()
    for seed in SEEDS:
        assert check(seed).ok
