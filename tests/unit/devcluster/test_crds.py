"""CRD files for `dev-cluster up --crds` are read from files or directories; anything else is refused
before a process starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.devcluster.crds import install_crds, load_crds


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


class _ScriptedRest:
    """Answers GETs of a CRD in the order a real kube-apiserver does right after create: first with
    ``status.conditions: null`` (Go's nil slice, no omitempty), then Established."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.gets = 0

    def create_or_keep(self, path: str, body: dict[str, Any]) -> None:
        self.created.append(body["metadata"]["name"])

    def request(self, method: str, path: str, body: Any = None) -> Any:
        self.gets += 1
        if self.gets == 1:
            return {"metadata": {"name": path.rsplit("/", 1)[-1]}, "status": {"conditions": None}}
        if self.gets == 2:
            return {"metadata": {"name": path.rsplit("/", 1)[-1]}, "status": None}
        return {"status": {"conditions": [{"type": "Established", "status": "True"}]}}


def test_install_waits_through_null_conditions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("grove.devcluster.crds.time.sleep", lambda _s: None)
    rest = _ScriptedRest()
    install_crds(rest, [_crd("a.x.io")], timeout=5)  # type: ignore[arg-type]
    assert rest.created == ["a.x.io"]
    assert rest.gets == 3
