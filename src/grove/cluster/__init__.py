"""The embedded cluster: an in-process Kubernetes API (store, watch, admission, GC) plus a fake kubelet.

``EmbeddedCluster(clock=VirtualClock()).client`` is a :class:`~grove.kube.client.KubeClient`.
"""

from grove.cluster.admission import AdmissionRequest, UserInfo
from grove.cluster.cluster import EmbeddedCluster
from grove.cluster.kubelet import FakeKubelet

__all__ = ["AdmissionRequest", "EmbeddedCluster", "FakeKubelet", "UserInfo"]
