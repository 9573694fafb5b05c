#!/usr/bin/env python3
"""Extract the Kubernetes schemas Grove embeds from the OpenAPI v3 documents of the Kubernetes version we
build against, into src/grove/api/schemas/*.json (one file per embedded root type):

- ``core-v1-podspec.json``: core/v1 PodSpec (``podSpec`` of a clique / PodClique);
- ``autoscaling-v2-metricspec.json``: autoscaling/v2 MetricSpec (``autoScalingConfig.metrics[]``);
- ``resource-v1-resourceclaimtemplatespec.json``: resource.k8s.io/v1 ResourceClaimTemplateSpec
  (``resourceClaimTemplates[].templateSpec``).

Each file holds its root and everything it references, descriptions included (the CRDs carry them, so
``kubectl explain`` shows them, as upstream's controller-gen CRDs do). They are the single source of the
embedded schemas: the CRD generator (``grove.api.crds.kube_schema``) and Grove's own field checks
(``grove.api.validation.pod_schema``) both read them.

Generated, never edited by hand: ``python hack/gen-k8s-schemas.py [OPENAPI_SPEC_V3_DIR]``. Without an argument
the documents are read from the Go module cache (``$(go env GOMODCACHE)/k8s.io/kubernetes@$GROVE_K8S_VERSION``,
default v1.36.3, which ``hack/build-control-plane.sh`` downloads). The output is sorted JSON, so a
regeneration diff shows only real changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parents[1] / "src/grove/api/schemas"
K8S_VERSION = os.environ.get("GROVE_K8S_VERSION", "v1.36.3")

# (output file, OpenAPI v3 document under api/openapi-spec/v3, root schema)
TARGETS = [
    ("core-v1-podspec.json", "api__v1_openapi.json", "io.k8s.api.core.v1.PodSpec"),
    ("autoscaling-v2-metricspec.json", "apis__autoscaling__v2_openapi.json", "io.k8s.api.autoscaling.v2.MetricSpec"),
    ("resource-v1-resourceclaimtemplatespec.json", "apis__resource.k8s.io__v1_openapi.json",
     "io.k8s.api.resource.v1.ResourceClaimTemplateSpec"),
]


def default_source() -> Path:
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    return Path(cache) / f"k8s.io/kubernetes@{K8S_VERSION}/api/openapi-spec/v3"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [node["$ref"].rsplit("/", 1)[-1]] if isinstance(node.get("$ref"), str) else []
        return out + [r for k, v in node.items() if k != "$ref" for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def extract(schemas: dict[str, Any], root: str) -> dict[str, Any]:
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(refs(schemas[name]))
    return {name: schemas[name] for name in sorted(seen)}


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else default_source()
    for out, document, root in TARGETS:
        schemas = json.loads((source / document).read_text())["components"]["schemas"]
        found = extract(schemas, root)
        doc = {"source": f"k8s.io/kubernetes {K8S_VERSION} api/openapi-spec/v3/{document}",
               "root": root, "schemas": found}
        (OUT_DIR / out).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print(f"{OUT_DIR / out}: {len(found)} schemas from {source / document}")


if __name__ == "__main__":
    main()
