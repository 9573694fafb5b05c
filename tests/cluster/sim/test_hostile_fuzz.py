"""Hypothesis: random mutations of upstream's sample manifests never make ``grove validate`` or ``grove sim
run`` raise an unhandled exception (exit 3, a traceback) or run longer than 5 s; the answer is always
exit 0 (still valid) or 1 (a clear error). Each example is a separate process (forked from one
pre-imported server, :mod:`tests.cluster.sim.cli_forks`), run on the text a user would write.

Mutations (1-3 per example) replace a value by a random JSON value (wrong types, unicode, empty
containers, deep nesting), delete a key, rename one (a typo), or duplicate a key in the text. Integers are
small or far beyond every limit: a legal but large count (a 1,000-pod clique) is slow in the embedded
cluster for a reason that is not hostile input (each pod event re-plans the whole gang), so it is left
to the scale benchmarks. Example counts are modest so the suite stays fast (~15 s).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grove.api.manifests import load_documents
from tests.cluster.sim.cli_forks import CliForks
from tests.upstream import SAMPLES

SEEDS: list[dict[str, Any]] = [d.body for d in load_documents([str(SAMPLES)])
                               if isinstance(d.body, dict) and d.body.get("kind") == "PodCliqueSet"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.integers(2**31 - 2, 2**70), st.floats(allow_nan=False),
    st.text(max_size=20), st.sampled_from(["", "0s", "-1h", "lots", "1e999999", "kai-scheduler", "💥", "\x00",
                                            "CliqueStartupTypeExplicit", "a" * 300, "Bad Name"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    body = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    duplicate = False
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)[1:]))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        op = draw(st.sampled_from(["replace", "delete", "rename", "nest", "duplicate"]))
        if op == "delete":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            parent[str(last) + draw(st.sampled_from(["z", "_", "s"]))] = parent.pop(last)
        elif op == "nest":
            value = parent[last]
            for i in range(draw(st.integers(1, 150))):
                value = [value] if i % 2 else {"x": value}
            parent[last] = value
        elif op == "duplicate":
            duplicate = True
        else:
            parent[last] = draw(values)
    text = json.dumps(body, ensure_ascii=False)
    if duplicate and text.startswith('{"apiVersion": '):
        text = '{"apiVersion": "v0", ' + text[1:]  # a duplicate key: the last value wins
    return text


@pytest.fixture(scope="module")
def cli() -> Iterator[CliForks]:
    forks = CliForks()
    yield forks
    forks.close()


def test_seeds_are_upstream_samples() -> None:
    assert len(SEEDS) >= 5


@pytest.mark.parametrize("command", [["validate"], ["sim", "run"]], ids=["validate", "sim"])
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=mutated_text())
def test_mutated_samples_never_crash_or_hang(cli: CliForks, tmp_path: Path, command: list[str], text: str) -> None:
    f = tmp_path / "mutated.json"
    f.write_text(text, encoding="utf-8")
    r = cli.run([*command, "-f", str(f)], timeout=5.0)
    assert not r.timed_out, f"still running after 5 s on:\n{text[:2000]}"
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, f"{r.stderr}\non:\n{text[:2000]}"
    assert r.rc in (0, 1), f"exit {r.rc}: {r.stderr}"
