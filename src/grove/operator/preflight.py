"""Start-up checks the operator makes before it serves anything (spec §10.3 exit codes, §10.2, §11.3).

Upstream's order, kept here: MNNVL prerequisites (exit 7), scheduler-backend initialisation (exit 5), then
the backend topologies of every ClusterTopologyBinding (spec §5.4 "at start-up all CTBs are synced before
controllers start", exit 3).
A failed check is a misconfigured cluster, not a transient error: the process exits with the code and a
message saying what to install or which setting to turn off, so ``kubectl logs`` of a CrashLoopBackOff
pod tells the operator's user what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.controllers.clustertopology.sync import TopologySyncError, sync_all_topologies
from grove.controllers.common import mnnvl
from grove.controllers.podgang.backends import VOLCANO_API_VERSION
from grove.kube.client import KubeClient
from grove.kube.clock import RealClock
from grove.kube.errors import ApiError, NotFound
from grove.runtime.events import EventRecorder

log = logging.getLogger("grove.operator")

EXIT_TOPOLOGY_SYNC, EXIT_BACKEND_INIT, EXIT_MNNVL = 3, 5, 7

COMPUTE_DOMAIN_API, COMPUTE_DOMAIN_KIND = mnnvl.API_VERSION, mnnvl.KIND
_VOLCANO_GROUP, _, VOLCANO_VERSION = VOLCANO_API_VERSION.partition("/")
VOLCANO_PODGROUP_CRD = f"podgroups.{_VOLCANO_GROUP}"
CRD_API = "apiextensions.k8s.io/v1"
# matches nothing: a served kind answers with an empty list, an unserved one with NotFound
_PROBE_SELECTOR = "grove.io/preflight-probe=never"


class PreflightError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


async def kind_served(client: KubeClient, api_version: str, kind: str) -> bool:
    try:
        await client.list(api_version, kind, label_selector=_PROBE_SELECTOR)
    except NotFound:
        return False
    return True


async def check_mnnvl(client: KubeClient, config: OperatorConfiguration) -> None:
    """With ``network.autoMNNVLEnabled`` the ComputeDomain kind must be served (NVIDIA's DRA driver)."""
    if not config.network.auto_mnnvl_enabled:
        return
    try:
        served = await kind_served(client, COMPUTE_DOMAIN_API, COMPUTE_DOMAIN_KIND)
    except ApiError as exc:
        raise PreflightError(EXIT_MNNVL, f"network.autoMNNVLEnabled: cannot check for {COMPUTE_DOMAIN_KIND} "
                                         f"({COMPUTE_DOMAIN_API}): {exc}") from exc
    if not served:
        raise PreflightError(EXIT_MNNVL, f"network.autoMNNVLEnabled is true but the cluster does not serve "
                                         f"computedomains in {COMPUTE_DOMAIN_API}: install the NVIDIA DRA driver "
                                         "for GPUs (ComputeDomain CRD) or set network.autoMNNVLEnabled: false")
    log.info("MNNVL prerequisites met: %s %s is served", COMPUTE_DOMAIN_KIND, COMPUTE_DOMAIN_API)


def podgroup_crd_has_subgroup_policy(crd: dict[str, Any]) -> bool:
    """Volcano >= 1.14: the served v1beta1 schema of PodGroup has ``spec.subGroupPolicy``."""
    for version in (crd.get("spec") or {}).get("versions") or []:
        if version.get("name") != VOLCANO_VERSION or not version.get("served"):
            continue
        schema = ((version.get("schema") or {}).get("openAPIV3Schema") or {})
        spec = (schema.get("properties") or {}).get("spec") or {}
        return "subGroupPolicy" in (spec.get("properties") or {})
    return False


async def init_scheduler_backends(client: KubeClient, config: OperatorConfiguration,
                                  recorder: EventRecorder | None = None) -> None:
    """Backend ``Init`` (spec §10.2): only Volcano checks anything, the capability Grove relies on."""
    if c.SCHEDULER_VOLCANO not in config.scheduler.enabled_names():
        return
    need = (f"the volcano scheduler profile needs Volcano 1.14 or newer "
            f"({VOLCANO_VERSION} PodGroup with spec.subGroupPolicy)")
    crd: dict[str, Any] = {"apiVersion": CRD_API, "kind": "CustomResourceDefinition",
                           "metadata": {"name": VOLCANO_PODGROUP_CRD}}
    try:
        crd = await client.get(CRD_API, "CustomResourceDefinition", VOLCANO_PODGROUP_CRD)
        problem = None if podgroup_crd_has_subgroup_policy(crd) else f"CRD {VOLCANO_PODGROUP_CRD} lacks it"
    except ApiError as exc:
        problem = f"cannot get CRD {VOLCANO_PODGROUP_CRD}: {exc}"
    if problem is None:
        log.info("scheduler backend volcano initialised: %s has spec.subGroupPolicy", VOLCANO_PODGROUP_CRD)
        return
    message = f"{need}: {problem}; install it or remove the volcano profile"
    recorder = recorder or EventRecorder(client, RealClock(), "grove-operator")
    await recorder.event(crd, "Warning", "VolcanoCapabilityUnavailable", message)
    raise PreflightError(EXIT_BACKEND_INIT, message)


async def sync_topologies(client: KubeClient, config: OperatorConfiguration) -> None:
    try:
        await sync_all_topologies(client, config)
    except TopologySyncError as exc:
        raise PreflightError(EXIT_TOPOLOGY_SYNC, str(exc)) from exc


async def run_preflight(client: KubeClient, config: OperatorConfiguration) -> None:
    """Every start-up check, in upstream's order; raises PreflightError with the exit code."""
    await check_mnnvl(client, config)
    await init_scheduler_backends(client, config)
    await sync_topologies(client, config)
