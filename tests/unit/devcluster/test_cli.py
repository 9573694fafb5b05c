"""`grove dev-cluster` without built binaries or without a running cluster tells the user what to do."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

import grove.cli.devcluster  # noqa: F401  (registers `dev-cluster` on the app)
from grove.cli.main import app


def _grove(tmp_path: Path, *args: str) -> Result:
    runner = CliRunner()
    return runner.invoke(app, ["dev-cluster", *args], env={"GROVE_CACHE_DIR": str(tmp_path / "cache")})


def test_up_without_binaries_and_no_build_prints_the_build_command(tmp_path: Path) -> None:
    proc = _grove(tmp_path, "up", "--no-build", "--nodes", "2")
    assert proc.exit_code == 2
    assert "kube-apiserver" in proc.stderr
    assert "hack/build-control-plane.sh" in proc.stderr
    assert str(tmp_path / "cache" / "control-plane") in proc.stderr
    assert proc.stdout == ""


def test_status_and_down_of_a_cluster_that_never_ran(tmp_path: Path) -> None:
    status = _grove(tmp_path, "status", "--name", "nothing")
    assert status.exit_code == 1
    assert str(tmp_path / "cache" / "dev-cluster" / "nothing") in status.stdout
    down = _grove(tmp_path, "down", "--name", "nothing")
    assert down.exit_code == 0
    assert "was not running" in down.stderr


def test_bad_cluster_name_is_rejected(tmp_path: Path) -> None:
    proc = _grove(tmp_path, "status", "--name", "Bad_Name")
    assert proc.exit_code == 2
    assert "lowercase" in proc.stderr


def test_up_rejects_a_bad_pod_start_delay_before_anything_starts(tmp_path: Path) -> None:
    proc = _grove(tmp_path, "up", "--no-build", "--nodes", "2", "--pod-start-delay", "eight")
    assert proc.exit_code == 2
    assert "invalid duration 'eight'" in proc.stderr
