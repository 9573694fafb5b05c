"""The Python side finds the same versioned cache folder the build script writes to."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from grove.devcluster.binaries import BinariesMissing, ControlPlaneBinaries, build_script


@pytest.mark.parametrize("env", [{}, {"GROVE_K8S_VERSION": "1.35.4", "GROVE_HELM_VERSION": "3.21.4"}])
def test_cache_folder_agrees_with_build_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                env: dict[str, str]) -> None:
    script = build_script()
    assert script is not None and script.name == "build-control-plane.sh"
    monkeypatch.setenv("GROVE_CACHE_DIR", str(tmp_path))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    out = subprocess.run(["bash", str(script), "--print-dir"], capture_output=True, text=True, check=True,
                         env=dict(os.environ))
    assert Path(out.stdout.strip()) == ControlPlaneBinaries.default().root
    assert ControlPlaneBinaries.default().root.is_relative_to(tmp_path / "control-plane")


def test_missing_binaries_name_the_build_command(tmp_path: Path) -> None:
    bins = ControlPlaneBinaries(tmp_path / "cp")
    (tmp_path / "cp" / "bin").mkdir(parents=True)
    etcd = bins.path("etcd")
    etcd.write_text("#!/bin/sh\n")
    etcd.chmod(0o755)
    missing = bins.missing()
    assert "etcd" not in missing and "kube-apiserver" in missing and "kwok-stages/pod-ready.yaml" in missing
    with pytest.raises(BinariesMissing, match=r"build-control-plane\.sh"):
        bins.require()
    bins.require(("etcd",))
