"""Benchmark: load (YAML), default and validate N PodCliqueSets, as ``grove validate`` does.

The mix is upstream's samples and e2e manifests (PodCliqueSets only) repeated with distinct names,
validated against the embedded cluster configuration with the e2e topologies available. Prints JSON:
``{"objects": N, "seconds": ..., "per_object_ms": ...}``. Target: 1,000 objects in under 1 s.

    .venv/bin/python bench/bench_validate.py [N]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml

from grove.api.manifests import parse_stream
from grove.api.models.config import embedded_cluster_config
from grove.api.validation import OfflineLookup, validate_object

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = ROOT.parent / "shared" / "upstream"
TOPOLOGIES = [ROOT / "tests" / "data" / "e2e-topology.yaml", ROOT / "tests" / "data" / "e2e-multi-topology.yaml"]


def corpus(n: int) -> str:
    """A multi-document YAML stream of ``n`` PodCliqueSets with distinct names."""
    seeds = []
    for path in sorted([*(UPSTREAM / "samples").rglob("*.yaml"), *(UPSTREAM / "e2e").glob("*.yaml")]):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "PodCliqueSet" and "topology-condition" not in path.name:
                seeds.append(doc)
    docs = []
    for i in range(n):
        doc = json.loads(json.dumps(seeds[i % len(seeds)]))
        doc["metadata"]["name"] = f"b{i}-{doc['metadata']['name']}"[:20].rstrip("-")
        docs.append(doc)
    return yaml.safe_dump_all(docs, sort_keys=False)


def run(n: int) -> dict[str, float | int]:
    text = corpus(n)
    config = embedded_cluster_config()
    lookup = OfflineLookup.from_bodies(d for t in TOPOLOGIES for d in yaml.safe_load_all(t.read_text()))
    start = time.perf_counter()
    docs = list(parse_stream(text, "<bench>"))
    reports = [validate_object(d.body, config=config, lookup=lookup) for d in docs]
    seconds = time.perf_counter() - start
    bad = [f"{r.ref}: {e}" for r in reports for e in r.result.errors]
    if bad:
        raise SystemExit("benchmark corpus did not validate:\n" + "\n".join(bad[:10]))
    return {"objects": len(reports), "seconds": round(seconds, 4), "per_object_ms": round(1000 * seconds / n, 4)}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
