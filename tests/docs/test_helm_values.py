"""The Helm values the docs show render with the chart, and do what the page says: with docs/operating.md's
values a PodCliqueSet may use the chart's gang scheduler (`schedulerName: grove-scheduler`), which the
chart's default configuration refuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grove.devcluster import ControlPlaneBinaries
from tests.docs import console
from tests.docs.blocks import REPO, Block, example_blocks

CHART = REPO / "deploy" / "helm" / "grove"
VALUES = [b for b in example_blocks("yaml") if b.helm_values]
GANG_SET = """apiVersion: grove.io/v1alpha1
kind: PodCliqueSet
metadata: {name: gang}
spec:
  replicas: 1
  template:
    cliques:
      - name: w
        spec:
          roleName: w
          replicas: 2
          podSpec:
            schedulerName: grove-scheduler
            containers: [{name: w, image: nginx:1.27}]
"""


def _helm() -> Path:
    helm = ControlPlaneBinaries.default().path("helm")
    if not helm.exists():
        reason = f"helm is not built at {helm} (build the control plane: hack/build-control-plane.sh)"
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    return helm


def _config_map(tmp: Path, values: Path | None) -> Path:
    """The rendered ConfigMap grove-operator-config, as `kubectl get cm -o yaml` would give it."""
    extra = ["-f", str(values)] if values else []
    out = subprocess.run([str(_helm()), "template", "grove", str(CHART), "-n", "grove-system", *extra],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cms = [d for d in yaml.safe_load_all(out.stdout) if d and d.get("kind") == "ConfigMap"
           and d["metadata"]["name"] == "grove-operator-config"]
    assert len(cms) == 1
    path = tmp / ("cm-values.yaml" if values else "cm-default.yaml")
    path.write_text(yaml.safe_dump(cms[0]), encoding="utf-8")
    return path


def _validate(config: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    (tmp / "gang.yaml").write_text(GANG_SET, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "grove", "validate", "--config", str(config), "-f", "gang.yaml"],
                          cwd=tmp, capture_output=True, text=True, timeout=120, env=console.env())


def test_docs_show_helm_values() -> None:
    assert any(b.page == "operating.md" for b in VALUES)


@pytest.mark.parametrize("block", VALUES, ids=[b.where for b in VALUES])
def test_helm_values_render(block: Block, tmp_path: Path) -> None:
    values = tmp_path / (block.filename or "values.yaml")
    values.write_text(block.text, encoding="utf-8")
    _config_map(tmp_path, values)


def test_operating_values_enable_the_gang_scheduler(tmp_path: Path) -> None:
    block = next(b for b in VALUES if b.page == "operating.md")
    values = tmp_path / "grove-values.yaml"
    values.write_text(block.text, encoding="utf-8")
    refused = _validate(_config_map(tmp_path, None), tmp_path)
    assert refused.returncode == 1 and 'Unsupported value: "grove-scheduler"' in refused.stdout + refused.stderr
    accepted = _validate(_config_map(tmp_path, values), tmp_path)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "scheduler profiles default-scheduler, kai-scheduler, grove-scheduler (default)" in accepted.stderr
