"""Placement throughput: 10,000 pods in 1,000 gangs on 1,000 nodes with zone/block/rack/host levels.

Only ``plan_placement`` is timed (building the snapshot is the binder's cost, measured apart). The
workload is deterministic (seeded): gangs of 2-20 pods in one or two PodGroups, some with
``minReplicas`` below the pod count, a mix of required (host, rack, block) and preferred (rack) packs,
and a few GPU gangs. Prints one JSON object so runs can be compared:
``{"pods": ..., "gangs": ..., "nodes": ..., "seconds": ..., "pods_per_second": ...}``.

    .venv/bin/python bench/bench_placement.py [--nodes 1000] [--gangs 1000] [--pods 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from grove.scheduler.gangs import GangSpec, GroupSpec, Pack
from grove.scheduler.placement import plan_placement
from grove.scheduler.snapshot import build_snapshot

ZONE, BLOCK, RACK, HOST = "topology/zone", "topology/block", "topology/rack", "kubernetes.io/hostname"
LEVELS = (ZONE, BLOCK, RACK, HOST)


def make_nodes(count: int) -> list[dict[str, Any]]:
    """Nodes of 16 cpu, 64Gi, 4 GPUs: 10 per rack, 5 racks per block, 5 blocks per zone."""
    return [
        {
            "metadata": {
                "name": f"node-{i:04d}",
                "labels": {
                    ZONE: f"z{i // 250}",
                    BLOCK: f"b{i // 50}",
                    RACK: f"r{i // 10}",
                    HOST: f"node-{i:04d}",
                },
            },
            "spec": {},
            "status": {
                "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110", "nvidia.com/gpu": "4"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
        for i in range(count)
    ]


def _pod(name: str, cpu: str, memory: str, gpu: int) -> dict[str, Any]:
    requests: dict[str, str] = {"cpu": cpu, "memory": memory}
    if gpu:
        requests["nvidia.com/gpu"] = str(gpu)
    return {
        "metadata": {"name": name, "namespace": "bench"},
        "spec": {"containers": [{"name": "main", "resources": {"requests": requests}}]},
    }


def make_workload(gangs: int, pods: int, seed: int = 0) -> tuple[list[dict[str, Any]], list[GangSpec]]:
    """``gangs`` gangs holding ``pods`` pods in total (sizes 2-20, mean pods/gangs), packs mixed."""
    rng = random.Random(seed)
    sizes = [pods // gangs] * gangs
    for i in range(pods - sum(sizes)):
        sizes[i % gangs] += 1
    for _ in range(gangs):  # move pods between gangs to mix sizes, keeping the total
        a, b = rng.randrange(gangs), rng.randrange(gangs)
        shift = rng.randint(0, max(0, min(sizes[a] - 2, 20 - sizes[b])))
        sizes[a] -= shift
        sizes[b] += shift
    manifests: list[dict[str, Any]] = []
    specs: list[GangSpec] = []
    for g, size in enumerate(sizes):
        kind = rng.random()
        gpu = 1 if kind < 0.2 else 0
        cpu, memory = rng.choice([("500m", "2Gi"), ("1", "4Gi"), ("2", "8Gi")])
        pack: Pack | None = None
        roll = rng.random()
        if roll < 0.1 and size <= 8:
            pack = Pack(required=HOST)
            cpu, memory = "1", "2Gi"
        elif roll < 0.3:
            pack = Pack(required=RACK)
        elif roll < 0.4:
            pack = Pack(required=BLOCK, preferred=RACK)
        elif roll < 0.6:
            pack = Pack(preferred=RACK)
        split = [size] if size < 4 or rng.random() < 0.5 else [size // 2, size - size // 2]
        groups = []
        for k, count in enumerate(split):
            names = [f"gang-{g}-g{k}-{i}" for i in range(count)]
            manifests += [_pod(n, cpu, memory, gpu) for n in names]
            minimum = count if rng.random() < 0.7 else max(1, count - 2)
            groups.append(GroupSpec(f"gang-{g}-g{k}", tuple(f"bench/{n}" for n in names), minimum))
        specs.append(GangSpec(f"bench/gang-{g}", tuple(groups), pack))
    return manifests, specs


def run(nodes: int = 1000, gangs: int = 1000, pods: int = 10000, seed: int = 0) -> dict[str, Any]:
    pod_manifests, specs = make_workload(gangs, pods, seed)
    snapshot = build_snapshot(make_nodes(nodes), pod_manifests, LEVELS)
    start = time.perf_counter()
    plan = plan_placement(snapshot, specs)
    seconds = time.perf_counter() - start
    return {
        "pods": pods,
        "gangs": gangs,
        "nodes": nodes,
        "seconds": round(seconds, 4),
        "pods_per_second": round(pods / seconds, 1) if seconds > 0 else None,
        "bound": len(plan.bindings),
        "unschedulable": len(plan.unschedulable),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--gangs", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.nodes, args.gangs, args.pods, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
