"""Runtime + embedded store at 10,000 pods: create, observe through an informer, garbage-collect.

Phases (wall seconds each, on a VirtualClock so nothing sleeps):

1. ``create``: 10,000 pods, each controller-owned by one Deployment, created through the KubeClient;
2. ``observe``: until the pod informer's cache holds all 10,000 (counted from the end of ``create``:
   the informer consumes the watch concurrently while pods are being created);
3. ``gc``: delete the owner (background propagation) and wait until the informer cache is empty.

Also reports the process RSS (``VmRSS``) with the store and the informer cache both holding 10,000
pods, and the peak (``VmHWM``). Targets (issue): total < 5 s, RSS < 300 MB. Prints one JSON object.

    .venv/bin/python bench/bench_runtime_gc.py [--pods 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

from grove.cluster import EmbeddedCluster
from grove.kube.clock import VirtualClock
from grove.runtime.manager import Manager

TOTAL_TARGET_S = 5.0
RSS_TARGET_MB = 300.0


def _status_mb(field: str) -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def pod(i: int, owner: dict[str, Any]) -> dict[str, Any]:
    md = owner["metadata"]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"worker-{i:05d}", "namespace": "default",
                     "labels": {"app": "bench", "app.kubernetes.io/part-of": "bench", "shard": str(i % 16)},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": md["name"],
                                          "uid": md["uid"], "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"schedulerName": "grove-scheduler", "terminationGracePeriodSeconds": 30,
                 "containers": [{"name": "main", "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.4.0",
                                 "args": ["--model", "Qwen/Qwen3-0.6B"],
                                 "env": [{"name": "GROVE_PCS_NAME", "value": "bench"}],
                                 "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]},
    }


async def _until(pred: Any, mgr: Manager) -> None:
    while not pred():
        await asyncio.sleep(0)
    await mgr.wait_idle()


async def run(pods: int) -> dict[str, Any]:
    clock = VirtualClock()
    cluster = EmbeddedCluster(clock=clock, seed=0, watch_history=max(10_000, 3 * pods))
    client = cluster.client
    mgr = Manager(client, clock)
    informer = mgr.informer("v1", "Pod", "default")
    await mgr.start()
    owner = await client.create({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench", "namespace": "default"},
        "spec": {"replicas": pods, "selector": {"matchLabels": {"app": "bench"}},
                 "template": {"metadata": {"labels": {"app": "bench"}},
                              "spec": {"containers": [{"name": "main", "image": "x"}]}}}})

    t0 = time.perf_counter()
    for i in range(pods):
        await client.create(pod(i, owner))
        if i % 256 == 255:
            await asyncio.sleep(0)  # let the informer drain the watch as a real process would
    t1 = time.perf_counter()
    await _until(lambda: len(informer.cache) >= pods, mgr)
    t2 = time.perf_counter()
    cached = len(informer.cache)
    by_owner = len(informer.cache.by_controller_uid(owner["metadata"]["uid"]))
    rss_full = _status_mb("VmRSS")

    await client.delete("apps/v1", "Deployment", "bench", "default", propagation_policy="Background")
    await _until(lambda: len(informer.cache) == 0, mgr)
    t3 = time.perf_counter()
    left_in_store = len((await client.list("v1", "Pod", "default")).items)
    await mgr.stop()
    cluster.close()

    total = t3 - t0
    return {
        "bench": "runtime_gc",
        "pods": pods,
        "seconds": {"create": round(t1 - t0, 3), "observe": round(t2 - t1, 3), "gc": round(t3 - t2, 3),
                    "total": round(total, 3)},
        "cached_after_create": cached,
        "cached_by_owner_index": by_owner,
        "left_after_gc": {"informer": len(informer.cache), "store": left_in_store},
        "rss_mb_with_pods": round(rss_full, 1),
        "peak_rss_mb": round(_status_mb("VmHWM"), 1),
        "targets": {"total_seconds": TOTAL_TARGET_S, "rss_mb": RSS_TARGET_MB},
        "meets_targets": total < TOTAL_TARGET_S and rss_full < RSS_TARGET_MB,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.pods))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
