"""Does upstream's suite notice a broken startup waiter? A check to rerun by hand (about 6 minutes):

    .venv/bin/python -m tests.conformance.check_broken_waiter

It brings up one conformance stack (dev cluster with the init-container runner and the 6 s pod start
delay, the chart-installed operator, ``grove scheduler``), strips the rules of every per-PodCliqueSet
Role the operator creates for the waiter's ServiceAccount (``grove.io:pcs:<name>``; the operator creates
it once and never rewrites it), then runs upstream's SO1. Expected: every waiter exits 1 with
``Forbidden (403)``, the dependent pods never become Ready, and SO1 FAILS. Exit code 0 when it did.
Not in CI: it spends SO1's whole 5-minute wait on purpose.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

from grove.devcluster import DevCluster, DevClusterOptions
from grove.devcluster.binaries import ControlPlaneBinaries
from tests.conformance.pool import POD_START_DELAY
from tests.conformance.stacks import grove_scheduler_stack
from tests.conformance.upstream_suite import UpstreamSuite
from tests.e2e.harness import E2E_NODES, E2ECluster

WAITER_ROLE_PREFIX = "grove.io:pcs:"


def strip_waiter_roles(c: E2ECluster, stop: threading.Event, stripped: set[tuple[str, str]]) -> None:
    while not stop.is_set():
        out = c.kubectl("get", "roles", "-A", "-o", "json", check=False)
        if out.returncode == 0:
            for role in json.loads(out.stdout)["items"]:
                meta = role["metadata"]
                key = (meta["namespace"], meta["name"])
                if meta["name"].startswith(WAITER_ROLE_PREFIX) and role.get("rules") and key not in stripped:
                    c.kubectl("patch", "role", meta["name"], "-n", meta["namespace"], "--type=json",
                              "-p", '[{"op": "replace", "path": "/rules", "value": []}]', check=False)
                    stripped.add(key)
                    print(f"stripped the rules of Role {key[0]}/{key[1]}", flush=True)
        time.sleep(0.3)


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="grove-broken-waiter-"))
    cluster = DevCluster(DevClusterOptions(name="broken-waiter", nodes=E2E_NODES, state_dir=root / "dev-cluster",
                                           binaries=ControlPlaneBinaries.default(), pod_start_delay=POD_START_DELAY))
    cluster.up()
    c = E2ECluster(cluster=cluster, kubeconfig=cluster.kubeconfig, nodes=E2E_NODES)
    stop, stripped = threading.Event(), set[tuple[str, str]]()
    try:
        (root / "stack").mkdir()
        with grove_scheduler_stack(c, root / "stack"):
            threading.Thread(target=strip_waiter_roles, args=(c, stop, stripped), daemon=True).start()
            results, took, rc = UpstreamSuite.default().run_pattern(
                "grove-e2e-tests", r"^Test_SO1_", c.kubeconfig, root / "so1.log", timeout=900)
            stop.set()
    finally:
        stop.set()
        cluster.down()
    so1 = results.get("Test_SO1_InorderStartupOrderWithFullReplicas")
    forbidden = sum("Forbidden (403)" in p.read_text() for p in (root / "dev-cluster").rglob("initc/*.log"))
    print(f"SO1: {so1.status if so1 else 'did not run'} after {took:.0f}s (exit {rc}); "
          f"{so1.messages[-1:] if so1 else ''}; waiter logs with Forbidden (403): {forbidden}; logs in {root}")
    return 0 if so1 is not None and so1.status == "FAIL" and stripped and forbidden else 1


if __name__ == "__main__":
    sys.exit(main())
