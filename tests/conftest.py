"""Fixtures shared across test folders.

``e2e_cluster`` is one real control plane per test session: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and KWOK built from Go modules (hack/build-control-plane.sh),
with 30 fake nodes shaped like the upstream e2e cluster. It lives here, not in tests/e2e, because the
KubeClient contract suite (tests/contract, ``http`` backend) shares the same session cluster. It starts
only when a selected test asks for it, so ``-m "not e2e"`` or embedded-only runs never start it.

If the binaries are missing the fixture builds them (30-50 min cold on 2 cores, logged to a file);
a failed build fails the session with the reason. It never skips silently. Teardown asserts that no
process of the cluster is left.

Tests named ``test_zz_*`` stop the session cluster (``grove dev-cluster down``), so collection moves
them to the very end of the session, after every other test that may still need the cluster.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from grove.devcluster import (
    BinariesMissing,
    ControlPlaneBinaries,
    DevCluster,
    DevClusterError,
    DevClusterOptions,
)
from tests.e2e.harness import E2E_NODES, E2ECluster, cluster_options_from_env

# Property tests explore new random examples on developers' machines; CI replays a fixed, derandomized
# sequence so a green run means the same thing every time (example counts are set per test).
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def _ensure_binaries(tmp_root: Path) -> ControlPlaneBinaries:
    bins = ControlPlaneBinaries.default()
    missing = bins.missing()
    if not missing:
        return bins
    log = tmp_root / "build-control-plane.log"
    print(f"\n[e2e] control-plane binaries missing ({', '.join(missing)}); building into {bins.root} "
          f"(30-50 min cold), log: {log}", file=sys.stderr, flush=True)
    start = time.monotonic()
    try:
        bins.build(log=log)
    except BinariesMissing as err:
        tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
        pytest.fail(f"building the control plane failed: {err}\n" + "\n".join(tail), pytrace=False)
    print(f"[e2e] control plane built in {time.monotonic() - start:.0f}s", file=sys.stderr, flush=True)
    return bins


@pytest.fixture(scope="session")
def e2e_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2ECluster]:
    root = tmp_path_factory.mktemp("e2e")
    bins = _ensure_binaries(root)
    cluster = DevCluster(
        DevClusterOptions(name="e2e", nodes=E2E_NODES, state_dir=root / "dev-cluster", binaries=bins,
                          **cluster_options_from_env())
    )
    start = time.monotonic()
    try:
        cluster.up(progress=lambda msg: print(f"[e2e] {msg}", file=sys.stderr, flush=True))
    except DevClusterError as err:
        pytest.fail(f"dev cluster did not come up: {err}", pytrace=False)
    print(f"[e2e] cluster up in {time.monotonic() - start:.1f}s", file=sys.stderr, flush=True)
    groups = list(cluster.process_groups().values())
    try:
        yield E2ECluster(cluster=cluster, kubeconfig=cluster.kubeconfig, nodes=E2E_NODES)
    finally:
        cluster.down()
        left = DevCluster.survivors(groups)
        assert left == [], f"dev cluster teardown left processes behind: {left}"


def _is_conformance_run(item: pytest.Item) -> bool:
    return "tests/conformance/" in item.nodeid and "conformance_runs" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run upstream's suite (tests/conformance, which started in the background) after everything else,
    and cluster-stopping ``test_zz_*`` tests last in the whole session (stable for the rest)."""
    items.sort(key=lambda item: (item.name.startswith("test_zz_"), _is_conformance_run(item)))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start upstream's suite now if any of its groups was selected, so it runs beside the rest."""
    if session.config.option.collectonly:
        return
    if any(_is_conformance_run(item) for item in session.items):
        from tests.conformance import background
        from tests.conformance.conftest import CHUNK_SIZE, GROVE_STACKS, KAI_STACKS

        background.start(GROVE_STACKS, KAI_STACKS, CHUNK_SIZE)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop upstream's suite's stacks if the session ends before its tests ran (``-x``, interrupt)."""
    from tests.conformance import background

    bg = background.started()
    if bg is not None:
        bg.thread.join(background.START_TIMEOUT_SECONDS)
        bg.cleanup(keep=True)
