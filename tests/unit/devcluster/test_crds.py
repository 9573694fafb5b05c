"""CRD files for `dev-cluster up --crds` are read from files or directories; anything else is refused
before a process starts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grove.devcluster.crds import load_crds


def _crd(name: str) -> dict[str, object]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": name}}


def test_directory_and_multi_document_files(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(yaml.safe_dump_all([_crd("b1.x.io"), None, _crd("b2.x.io")]))
    (tmp_path / "a.yml").write_text(yaml.safe_dump(_crd("a.x.io")))
    (tmp_path / "notes.txt").write_text("ignored")
    names = [c["metadata"]["name"] for c in load_crds([tmp_path])]
    assert names == ["a.x.io", "b1.x.io", "b2.x.io"]


def test_other_kinds_and_empty_directories_are_errors(tmp_path: Path) -> None:
    bad = tmp_path / "svc.yaml"
    bad.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}))
    with pytest.raises(ValueError, match=r"svc\.yaml: expected CustomResourceDefinition documents, found Service"):
        load_crds([bad])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no"):
        load_crds([empty])


def test_the_chart_crds_load(tmp_path: Path) -> None:
    chart = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "grove" / "crds"
    if not chart.is_dir():
        pytest.fail(f"expected the chart CRDs at {chart}")
    names = {c["metadata"]["name"] for c in load_crds([chart])}
    assert "podcliquesets.grove.io" in names and "podgangs.scheduler.grove.io" in names
