"""Generated object names (spec §3.1). Every controller derives names only through these functions."""

from __future__ import annotations

import re


def pclq_name(pcs: str, replica: int, clique: str) -> str:
    """Standalone PodClique ``<pcs>-<i>-<clique>``."""
    return f"{pcs}-{replica}-{clique}"


def pcsg_name(pcs: str, replica: int, group: str) -> str:
    """PodCliqueScalingGroup ``<pcs>-<i>-<group>``."""
    return f"{pcs}-{replica}-{group}"


def pcsg_member_pclq_name(pcsg_fqn: str, pcsg_replica: int, clique: str) -> str:
    """PodClique inside a scaling group ``<pcsgFQN>-<j>-<clique>``."""
    return f"{pcsg_fqn}-{pcsg_replica}-{clique}"


def pod_generate_name(pclq_fqn: str) -> str:
    return f"{pclq_fqn}-"


def pod_hostname(pclq_fqn: str, pod_index: int) -> str:
    return f"{pclq_fqn}-{pod_index}"


def headless_service_name(pcs: str, replica: int) -> str:
    return f"{pcs}-{replica}"


def headless_service_fqdn(pcs: str, replica: int, namespace: str) -> str:
    return f"{headless_service_name(pcs, replica)}.{namespace}.svc.cluster.local"


def pod_fqdn(pclq_fqn: str, pod_index: int, pcs: str, replica: int, namespace: str) -> str:
    return f"{pod_hostname(pclq_fqn, pod_index)}.{headless_service_fqdn(pcs, replica, namespace)}"


def base_podgang_name(pcs: str, replica: int) -> str:
    return f"{pcs}-{replica}"


def scaled_podgang_name(pcsg_fqn: str, pcsg_replica: int, min_available: int) -> str:
    """Scaled PodGang ``<pcsgFQN>-<j - minAvailable>`` for PCSG replica ``j >= minAvailable``."""
    return f"{pcsg_fqn}-{pcsg_replica - min_available}"


def podgang_group_config_name(pcsg_fqn: str, pcsg_replica: int) -> str:
    return f"{pcsg_fqn}-{pcsg_replica}"


def hpa_name(target_fqn: str) -> str:
    return target_fqn


def service_account_name(pcs: str) -> str:
    return pcs


def role_name(pcs: str) -> str:
    """Role and RoleBinding share ``grove.io:pcs:<pcs>``."""
    return f"grove.io:pcs:{pcs}"


def role_label_name(pcs: str) -> str:
    """The ``app.kubernetes.io/name`` label of the Role/RoleBinding (colons are not label-safe)."""
    return f"grove.io-pcs-{pcs}"


def initc_token_secret_name(pcs: str) -> str:
    return f"{pcs}-ic-sat"


def legacy_initc_token_secret_name(pcs: str) -> str:
    return f"{pcs}-initc-sa-token-secret"


def resource_claim_all_name(owner: str, template: str) -> str:
    return f"{owner}-all-{template}"


def resource_claim_indexed_name(owner: str, index: int, template: str) -> str:
    return f"{owner}-{index}-{template}"


def compute_domain_name(pcs: str, replica: int, group: str) -> str:
    return f"{pcs}-{replica}-{group}"


_REPLICA_INDEX = re.compile(r"^(\d+)-")


def pcs_replica_index_of(pcs: str, pclq_fqn: str) -> int | None:
    """The PCS replica index of a PodClique: the integer between ``<pcs>-`` and the next ``-``."""
    prefix = f"{pcs}-"
    if not pclq_fqn.startswith(prefix):
        return None
    m = _REPLICA_INDEX.match(pclq_fqn[len(prefix):])
    return int(m.group(1)) if m else None


def pod_index_of_hostname(hostname: str) -> int | None:
    """The trailing ``-<n>`` of a pod hostname, or None."""
    head, sep, tail = hostname.rpartition("-")
    return int(tail) if sep and head and tail.isdigit() else None
