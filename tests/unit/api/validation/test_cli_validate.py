"""``grove validate`` as a user runs it (subprocess): exit codes, ``path: message`` lines, no
traceback on garbage, unknown kinds, pass-through kinds, and ``-o yaml|json`` output that validates
again to the same bytes (idempotent defaulting)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.builders import pcs
from tests.unit.api.validation.test_upstream_manifests import DATA, TOPOLOGIES
from tests.upstream import UPSTREAM


def grove(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grove", "validate", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def write(tmp: Path, name: str, docs: list[object]) -> str:
    path = tmp / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return str(path)


def test_valid_files_exit_0_with_one_line_per_object(tmp_path: Path) -> None:
    two = pcs("two").clique("b").build()
    two["spec"]["template"]["cliques"][0]["spec"]["podSpec"]["restartPolicy"] = "OnFailure"
    f = write(tmp_path, "ok.yaml", [pcs("one").clique("a").build(), two,
                                    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}])
    out = grove("-f", f)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["podcliqueset.grove.io/one valid", "podcliqueset.grove.io/two valid",
                                       "node/n1 passed through (not a Grove kind, not validated)"]
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {f}#1: podcliqueset.grove.io/two: restartPolicy OnFailure will be ignored, "
                        "it will be set to Always (spec.template.cliques[0].spec.podSpec.restartPolicy)"]


def test_invalid_object_exit_1_with_every_error_line(tmp_path: Path) -> None:
    bad = pcs("bad").replicas(-1).clique("a").clique("b", replicas=3, min_available=5).build()
    f = write(tmp_path, "bad.yaml", [pcs("fine").clique("a").build(), bad])
    out = grove("-f", f)
    assert out.returncode == 1
    assert f"{f}#1: podcliqueset.grove.io/bad: spec.replicas: Invalid value: -1: must be greater than or " \
           "equal to 0" in out.stderr.splitlines()
    assert f"{f}#1: podcliqueset.grove.io/bad: spec.template.cliques[1].spec.minAvailable: Invalid value: 5: " \
           "must be less than or equal to replicas (3)" in out.stderr.splitlines()
    assert "podcliqueset.grove.io/fine valid" in out.stdout
    assert "Traceback" not in out.stderr


def test_garbage_never_prints_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("a: [unclosed\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "scalar.yaml").write_text("42\n---\n- just\n- a list\n")
    for args in (["-f", str(tmp_path / "broken.yaml")], ["-f", str(tmp_path / "binary.yaml")],
                 ["-f", str(tmp_path / "scalar.yaml")], ["-f", str(tmp_path / "missing.yaml")],
                 ["-f", str(tmp_path / "scalar.yaml"), "--config", str(tmp_path / "broken.yaml")]):
        out = grove(*args)
        assert out.returncode in (1, 2), (args, out.stderr)
        assert "Traceback" not in out.stderr, (args, out.stderr)
        assert any(Path(a).name in out.stderr for a in args if a.startswith("/")), (args, out.stderr)


def test_stdin_and_unknown_kind() -> None:
    out = grove("-f", "-", stdin="apiVersion: grove.io/v1alpha1\nkind: PodCliqueSett\nmetadata: {name: x}\n")
    assert out.returncode == 1
    assert "<stdin>#0: podcliquesett.grove.io/x: kind: Unsupported value" in out.stderr
    assert "Unknown kind" in out.stderr


def test_config_changes_the_verdict(tmp_path: Path) -> None:
    body = pcs("x").clique("a").topology("rack").build()
    f = write(tmp_path, "tas.yaml", [body, yaml.safe_load(Path(TOPOLOGIES[0]).read_text())])
    assert grove("-f", f).returncode == 0
    helm_like = write(tmp_path, "config.yaml", [{"apiVersion": "operator.config.grove.io/v1alpha1",
                                                 "kind": "OperatorConfiguration",
                                                 "scheduler": {"profiles": [{"name": "default-scheduler"}]}}])
    out = grove("-f", f, "--config", helm_like)
    assert out.returncode == 1
    assert "spec.template.topologyConstraint: Forbidden: topology-aware scheduling is disabled" in out.stderr


def test_output_yaml_and_json_validate_again_unchanged(tmp_path: Path) -> None:
    inputs = ["-f", str(UPSTREAM / "samples"), "-f", str(UPSTREAM / "e2e" / "tas-hierarchy.yaml"),
              "-f", str(UPSTREAM / "e2e" / "workload-resource-sharing.yaml"), "-f", TOPOLOGIES[0]]
    first = grove(*inputs, "-o", "yaml")
    assert first.returncode == 0, first.stderr
    docs = list(yaml.safe_load_all(first.stdout))
    assert all(d["kind"] for d in docs) and len(docs) > 10
    pcs_docs = [d for d in docs if d["kind"] == "PodCliqueSet"]
    assert all(d["spec"]["template"]["terminationDelay"] for d in pcs_docs)  # defaulted
    assert all(d["metadata"]["namespace"] for d in pcs_docs)
    again = tmp_path / "again.yaml"
    again.write_text(first.stdout)
    second = grove("-f", str(again), "-o", "yaml")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    as_json = grove("-f", str(again), "-o", "json")
    assert as_json.returncode == 0
    listing = json.loads(as_json.stdout)
    assert listing["kind"] == "List" and listing["items"] == docs


def test_mnnvl_config_file_is_accepted() -> None:
    f = str(UPSTREAM / "e2e" / "auto-mnnvl" / "mnnvl-comprehensive-mix.yaml")
    assert grove("-f", f).returncode == 1
    assert grove("-f", f, "--config", str(DATA / "config-mnnvl.yaml")).returncode == 0
