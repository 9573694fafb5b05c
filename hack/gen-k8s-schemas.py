#!/usr/bin/env python3
"""Extract the Kubernetes schemas Grove embeds (PodSpec and everything it references) from the OpenAPI v3
document of the Kubernetes version we build against, into src/grove/api/schemas/core-v1-podspec.json.

Generated, never edited by hand: ``python hack/gen-k8s-schemas.py [OPENAPI_JSON]``. Without an argument the
document is read from the Go module cache (``$(go env GOMODCACHE)/k8s.io/kubernetes@$GROVE_K8S_VERSION``,
default v1.36.3, which ``hack/build-control-plane.sh`` downloads). Descriptions are dropped (the file
serves field checking); the output is sorted JSON, so a regeneration diff shows only real changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT_SCHEMA = "io.k8s.api.core.v1.PodSpec"
OUT = Path(__file__).resolve().parents[1] / "src/grove/api/schemas/core-v1-podspec.json"
K8S_VERSION = os.environ.get("GROVE_K8S_VERSION", "v1.36.3")


def default_source() -> Path:
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    return Path(cache) / f"k8s.io/kubernetes@{K8S_VERSION}/api/openapi-spec/v3/api__v1_openapi.json"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [node["$ref"].rsplit("/", 1)[-1]] if isinstance(node.get("$ref"), str) else []
        return out + [r for k, v in node.items() if k != "$ref" for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else default_source()
    schemas = json.loads(source.read_text())["components"]["schemas"]
    seen: set[str] = set()
    todo = [ROOT_SCHEMA]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(refs(schemas[name]))
    doc = {"source": f"k8s.io/kubernetes {K8S_VERSION} api/openapi-spec/v3/api__v1_openapi.json",
           "root": ROOT_SCHEMA, "schemas": {name: strip(schemas[name]) for name in sorted(seen)}}
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"{OUT}: {len(seen)} schemas from {source}")


if __name__ == "__main__":
    main()
