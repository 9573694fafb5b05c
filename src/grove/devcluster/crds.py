"""Install CustomResourceDefinitions before kube-controller-manager starts.

The garbage collector in kube-controller-manager re-reads discovery only every 30 s (hard-coded), so
owner-reference cascades on a kind that appears later are delayed by up to half a minute. Creating
the CRDs (e.g. Grove's, from ``deploy/helm/grove/crds``) while only etcd and kube-apiserver run, and
waiting for them to be Established, lets the GC watch them from its first sync.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from grove.devcluster.rest import AdminRest

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def load_crds(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """CRD documents from files and directories (``*.yaml``/``*.yml``, sorted); other kinds are an error."""
    crds: list[dict[str, Any]] = []
    for path in paths:
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
        if not files:
            raise ValueError(f"{path}: no *.yaml files")
        for file in files:
            for doc in yaml.safe_load_all(file.read_text()):
                if doc is None:
                    continue
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    kind = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
                    raise ValueError(f"{file}: expected CustomResourceDefinition documents, found {kind}")
                crds.append(doc)
    return crds


def install_crds(rest: AdminRest, crds: list[dict[str, Any]], timeout: float = 60.0) -> None:
    """Create the CRDs (existing ones are kept) and wait until every one is Established."""
    for crd in crds:
        rest.create_or_keep(CRD_PATH, crd)
    pending = {crd["metadata"]["name"] for crd in crds}
    deadline = time.monotonic() + timeout
    while pending:
        for name in sorted(pending):
            got = rest.request("GET", f"{CRD_PATH}/{name}")
            conds = {c["type"]: c["status"] for c in (got.get("status") or {}).get("conditions") or []}
            if conds.get("Established") == "True":
                pending.discard(name)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"CRDs not Established after {timeout:.0f}s: {', '.join(sorted(pending))}")
        time.sleep(0.2)
