"""Registers the Grove controllers with a manager (spec §5): the one entry point the operator binary and
the embedded simulation share, so both run exactly the same reconcilers.

PodGang status (``Initialized``) is written by the PodCliqueSet controller; the PodGang controller only
runs the scheduler backends' ``SyncPodGang`` (KAI/Volcano PodGroups; nothing for the embedded scheduler).
The ClusterTopologyBinding controller runs only when a profile keeping a topology object of its own
(``kai-scheduler``) is enabled, whatever ``topologyAwareScheduling.enabled`` says (spec §9.1).
"""

from __future__ import annotations

from grove.api.models.config import OperatorConfiguration
from grove.controllers.clustertopology.planner import topology_sync_enabled
from grove.controllers.clustertopology.reconciler import ClusterTopologyReconciler
from grove.controllers.common.reconciler_support import ControllerSettings
from grove.controllers.podclique.reconciler import PodCliqueReconciler
from grove.controllers.podcliquescalinggroup.reconciler import PodCliqueScalingGroupReconciler
from grove.controllers.podcliqueset.reconciler import PodCliqueSetReconciler
from grove.controllers.podgang.reconciler import PodGangReconciler
from grove.runtime.manager import Manager


def setup_controllers(manager: Manager, *, config: OperatorConfiguration, initc_image: str,
                      wait_for_sa_token: bool = False) -> ControllerSettings:
    """Build and register the PodCliqueSet, PodCliqueScalingGroup, PodClique and PodGang controllers, and
    the ClusterTopologyBinding controller when a topology-keeping profile is enabled.

    ``wait_for_sa_token``: hold PodCliques and PodGangs until the init-container token Secret has a
    token (on for a real cluster, which has a token controller; off for the embedded one).
    """
    settings = ControllerSettings(config=config, initc_image=initc_image, wait_for_sa_token=wait_for_sa_token)
    PodCliqueSetReconciler(manager, settings).setup(manager)
    PodCliqueScalingGroupReconciler(manager, settings).setup(manager)
    PodCliqueReconciler(manager, settings).setup(manager)
    PodGangReconciler(manager, settings).setup(manager)
    if topology_sync_enabled(config.scheduler.enabled_names()):
        ClusterTopologyReconciler(manager, settings).setup(manager)
    return settings
