"""Upstream Grove's GS and TAS e2e groups with the real KAI scheduler (hack/build-kai.sh) placing the pods
instead of ``grove scheduler``: the same binaries, the same operator install, KAI's five components
answering for ``kai-scheduler``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.stacks import kai_stack, run_and_check
from tests.conformance.upstream_suite import UpstreamSuite
from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import Operator

pytestmark = pytest.mark.e2e

GROUP_TIMEOUT = 1500.0


@pytest.fixture(scope="module")
def kai_operator(conformance_cluster: E2ECluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    with kai_stack(conformance_cluster, tmp_path_factory.mktemp("kai-stack")) as op:
        yield op


@pytest.mark.timeout(GROUP_TIMEOUT + 120)
@pytest.mark.parametrize("group", ["GS", "TAS"])
def test_upstream_group_with_real_kai(group: str, upstream_suite: UpstreamSuite, conformance_cluster: E2ECluster,
                                      kai_operator: Operator, tmp_path: Path) -> None:
    run_and_check(upstream_suite, conformance_cluster, kai_operator, group, "real KAI", tmp_path, GROUP_TIMEOUT)
