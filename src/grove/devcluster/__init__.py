"""A local dev cluster on a real Kubernetes control plane built from Go modules.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK run as local processes on
loopback ports, with fake nodes shaped like the upstream e2e cluster. The binaries come from
``hack/build-control-plane.sh`` (a versioned cache folder outside the repository). Used by
``grove dev-cluster`` and by the e2e tests (``tests/e2e``).
"""

from grove.devcluster.binaries import BinariesMissing, ControlPlaneBinaries
from grove.devcluster.cluster import ClusterStatus, DevCluster, DevClusterError, DevClusterOptions
from grove.devcluster.nodes import E2E_SHAPE, NodeShape, kwok_node, kwok_nodes

__all__ = [
    "E2E_SHAPE",
    "BinariesMissing",
    "ClusterStatus",
    "ControlPlaneBinaries",
    "DevCluster",
    "DevClusterError",
    "DevClusterOptions",
    "NodeShape",
    "kwok_node",
    "kwok_nodes",
]
