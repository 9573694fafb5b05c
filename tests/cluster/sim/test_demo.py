"""``grove demo`` (the README's main job): a disaggregated serving system on simulated GPU nodes."""

from __future__ import annotations

import subprocess
import sys

from grove.cli.demo import bundled_examples


def test_bundled_examples_include_upstream_samples_and_ours() -> None:
    sources = {d.source for d in bundled_examples()}
    assert {"examples/simple1.yaml", "examples/disaggregated-serving.yaml"} <= sources
    assert len(sources) >= 12


def test_demo_brings_up_serving_and_shows_a_gang_that_does_not_fit() -> None:
    out = subprocess.run([sys.executable, "-m", "grove", "demo"], capture_output=True, text=True, timeout=300,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "PodCliqueSet llm-serving replicas=1 available=1" in text
    assert "PodGang llm-serving-0-prefill-0" in text  # the scaled gang of prefill replica 1
    assert "10/10 pods Running, 2 PodGangs" in text
    assert "10 pods Running, 2 Pending as one gang" in text
    assert "Insufficient nvidia.com/gpu; gang needs 2 pods, 0 fit" in text
    assert "Traceback" not in out.stderr


def test_demo_all_examples_run_ready() -> None:
    out = subprocess.run([sys.executable, "-m", "grove", "demo", "--all-examples", "--nodes", "12"],
                         capture_output=True, text=True, timeout=600, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stdout + out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith(("ready", "PENDING"))]
    assert len(lines) >= 12 and all(line.startswith("ready") for line in lines)
    assert any("examples/simple1.yaml#0: 4 PodCliques, 1 scaling groups, 1 PodGangs, 9/9 pods Running" in line
               for line in lines)
