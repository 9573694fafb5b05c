"""Upstream Grove's GS and TAS e2e groups with the real KAI scheduler (hack/build-kai.sh) placing the pods
instead of ``grove scheduler``: the same binaries, the same operator install, KAI's five components
answering for ``kai-scheduler``."""

from __future__ import annotations

import pytest

from tests.conformance.background import GROUP_TIMEOUT, Runs
from tests.conformance.stacks import KAI_GROUPS, check_group
from tests.conformance.upstream_suite import UpstreamSuite

pytestmark = pytest.mark.e2e

STACK = "real KAI"


@pytest.mark.timeout(4 * GROUP_TIMEOUT)
@pytest.mark.parametrize("group", KAI_GROUPS)
def test_upstream_group_with_real_kai(group: str, upstream_suite: UpstreamSuite, conformance_runs: Runs) -> None:
    runs = [f.result() for f in conformance_runs.futures[(STACK, group)]]
    check_group(runs, upstream_suite, group, STACK, conformance_runs.pools[STACK].operator_logs)
