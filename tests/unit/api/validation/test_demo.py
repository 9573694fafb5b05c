"""``grove demo``: the bundled examples validate, and the implied PodCliques/PodGangs follow §3.1/§7.1."""

from __future__ import annotations

import subprocess
import sys

from grove.api.models.core import PodCliqueSet
from grove.cli.demo import bundled_examples, implied_objects
from tests.builders import pcs


def test_implied_names_for_scaling_group_with_scaled_gangs() -> None:
    body = pcs("svc").clique("fe").clique("pl").clique("pw").group("prefill", ["pl", "pw"], replicas=3,
                                                                      min_available=1).build()
    pclqs, gangs = implied_objects(PodCliqueSet.model_validate(body), 1)
    assert gangs == {
        "svc-1": ["svc-1-fe", "svc-1-prefill-0-pl", "svc-1-prefill-0-pw"],
        "svc-1-prefill-0": ["svc-1-prefill-1-pl", "svc-1-prefill-1-pw"],
        "svc-1-prefill-1": ["svc-1-prefill-2-pl", "svc-1-prefill-2-pw"],
    }
    assert len(pclqs) == 7


def test_bundled_examples_include_upstream_samples_and_ours() -> None:
    sources = {d.source for d in bundled_examples()}
    assert {"examples/simple1.yaml", "examples/disaggregated-serving.yaml"} <= sources
    assert len(sources) >= 12


def test_demo_command_shows_trees_and_summary() -> None:
    out = subprocess.run([sys.executable, "-m", "grove", "demo"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "PodCliqueSet llm-serving" in out.stdout
    assert "PodGang llm-serving-0-prefill-0" in out.stdout  # the scaled gang of prefill replica 1
    assert "example PodCliqueSets valid, 0 invalid" in out.stdout
