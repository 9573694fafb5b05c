"""Pod construction for a PodClique (spec §4, §6, §10.2).

A pod is a copy of the PodClique's ``podSpec`` plus what Grove owns: metadata (default labels < PodClique
labels < pod identity labels: podclique, replica index, podgang, pod index), ``generateName`` and an owner
reference to the PodClique; the scheduling gate ``grove.io/podgang-pending-creation`` *replacing* any user
gates (the PodGang decides when the pod may be scheduled); the scheduler backend's ``PreparePod`` marks;
five GROVE_* env vars prepended to every container and init container (same-named user vars dropped);
hostname ``<pclqFQN>-<k>`` under subdomain ``<pcs>-<i>`` (the headless Service); the shared
ResourceClaims of spec §11.1 on the pod and every container; and, when the PodClique
starts after others, the ``grove-initc`` waiter with its two volumes. The input PodClique is never mutated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodClique, PodCliqueSet
from grove.controllers.common.ownership import default_labels, merge_labels, owner_reference
from grove.controllers.common.podutil import json_copy
from grove.controllers.common.resource_claims import PodPlace, inject_claims, pod_claim_names
from grove.controllers.common.startup import template_for_pclq

POD_ENV_NAMES = (
    c.ENV_PCS_NAME,
    c.ENV_PCS_INDEX,
    c.ENV_PCLQ_NAME,
    c.ENV_HEADLESS_SERVICE,
    c.ENV_PCLQ_POD_INDEX,
)


@dataclass(frozen=True)
class PodSettings:
    """Operator-level inputs of pod construction."""

    initc_image: str = "grove-initc"
    version: str = "0.1.0"
    default_profile: str = c.SCHEDULER_DEFAULT


def initc_image_ref(image: str, version: str) -> str:
    """The waiter's image: ``image`` as given when it carries a tag (``:`` after the last ``/``) or a digest
    (``@``); a bare repository gets ``:<operator version>`` so the waiter matches the operator."""
    if "@" in image or ":" in image.rpartition("/")[2]:
        return image
    return f"{image}:{version}"


# --- scheduler backends: PreparePod -----------------------------------------------------------------

PreparePod = Callable[[dict[str, Any], str, str], None]
"""(pod, podgang name, PodClique FQN) → mutate the pod in place."""


def _set_scheduler(name: str) -> PreparePod:
    def prepare(pod: dict[str, Any], podgang: str, pclq_fqn: str) -> None:
        pod["spec"]["schedulerName"] = name

    return prepare


def _prepare_kai(pod: dict[str, Any], podgang: str, pclq_fqn: str) -> None:
    pod["spec"]["schedulerName"] = c.SCHEDULER_KAI
    md = pod["metadata"]
    md.setdefault("annotations", {}).update({c.KAI_SKIP_PODGROUPER: "true", c.KAI_POD_GROUP_NAME: podgang})
    md["labels"][c.KAI_SUBGROUP_NAME] = pclq_fqn


def _prepare_volcano(pod: dict[str, Any], podgang: str, pclq_fqn: str) -> None:
    pod["spec"]["schedulerName"] = c.SCHEDULER_VOLCANO
    pod["metadata"].setdefault("annotations", {}).update(
        {c.VOLCANO_GROUP_NAME_K8S: podgang, c.VOLCANO_GROUP_NAME: podgang}
    )


BACKENDS: dict[str, PreparePod] = {
    c.SCHEDULER_DEFAULT: _set_scheduler(c.SCHEDULER_DEFAULT),
    c.SCHEDULER_GROVE: _set_scheduler(c.SCHEDULER_GROVE),
    c.SCHEDULER_LPX: _set_scheduler(c.SCHEDULER_LPX),
    c.SCHEDULER_KAI: _prepare_kai,
    c.SCHEDULER_VOLCANO: _prepare_volcano,
}


def prepare_pod(pod: dict[str, Any], backend: str, podgang: str, pclq_fqn: str) -> None:
    try:
        BACKENDS[backend](pod, podgang, pclq_fqn)
    except KeyError:
        raise ValueError(f"unknown scheduler backend {backend!r}") from None


# --- env vars and the init container ----------------------------------------------------------------


def grove_pod_env(pcs_name: str, pcs_replica: int, pclq_fqn: str, namespace: str) -> list[dict[str, Any]]:
    return [
        {"name": c.ENV_PCS_NAME, "value": pcs_name},
        {"name": c.ENV_PCS_INDEX, "value": str(pcs_replica)},
        {"name": c.ENV_PCLQ_NAME, "value": pclq_fqn},
        {
            "name": c.ENV_HEADLESS_SERVICE,
            "value": names.headless_service_fqdn(pcs_name, pcs_replica, namespace),
        },
        {
            "name": c.ENV_PCLQ_POD_INDEX,
            "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{c.LABEL_POD_INDEX}']"}},
        },
    ]


def prepend_env(pod_spec: dict[str, Any], env: list[dict[str, Any]]) -> None:
    """Prepend ``env`` to every container and init container, dropping user vars of the same names."""
    grove = {e["name"] for e in env}
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key) or []:
            user = [e for e in container.get("env") or [] if e.get("name") not in grove]
            container["env"] = [dict(e) for e in env] + user


def initc_args(pcs: PodCliqueSet, starts_after: list[str]) -> list[str]:
    """``--podcliques=<parentFQN>:<parent template minAvailable>`` per dependency."""
    args: list[str] = []
    for parent in starts_after:
        tmpl = template_for_pclq(pcs, parent)
        if tmpl is None:
            raise ValueError(f"startsAfter names {parent}, which matches no clique of {pcs.metadata.name}")
        min_available = tmpl.spec.min_available if tmpl.spec.min_available is not None else tmpl.spec.replicas
        args.append(f"--podcliques={parent}:{min_available}")
    return args


def add_init_container(
    pod_spec: dict[str, Any], pcs: PodCliqueSet, starts_after: list[str], settings: PodSettings
) -> None:
    pcs_name = pcs.metadata.name or ""
    pod_spec.setdefault("initContainers", []).append(
        {
            "name": c.INITC_CONTAINER_NAME,
            "image": initc_image_ref(settings.initc_image, settings.version),
            "args": initc_args(pcs, starts_after),
            "volumeMounts": [
                {"name": c.INITC_VOLUME_POD_INFO, "mountPath": c.INITC_POD_INFO_MOUNT, "readOnly": True},
                {"name": c.INITC_VOLUME_SA_TOKEN, "mountPath": c.INITC_SA_TOKEN_MOUNT, "readOnly": True},
            ],
        }
    )
    pod_spec.setdefault("volumes", []).extend(
        [
            {
                "name": c.INITC_VOLUME_SA_TOKEN,
                "secret": {"secretName": names.initc_token_secret_name(pcs_name), "defaultMode": 420},
            },
            {
                "name": c.INITC_VOLUME_POD_INFO,
                "downwardAPI": {
                    "items": [
                        {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}},
                        {
                            "path": "podgangname",
                            "fieldRef": {"fieldPath": f"metadata.labels['{c.LABEL_PODGANG}']"},
                        },
                    ]
                },
            },
        ]
    )


# --- the pod -----------------------------------------------------------------------------------------


def pclq_pcs_replica(pcs: PodCliqueSet, pclq: PodClique) -> int:
    raw = (pclq.metadata.labels or {}).get(c.LABEL_PCS_REPLICA_INDEX)
    if raw is not None and raw.isdigit():
        return int(raw)
    idx = names.pcs_replica_index_of(pcs.metadata.name or "", pclq.metadata.name or "")
    if idx is None:
        raise ValueError(f"cannot tell the PodCliqueSet replica of {pclq.metadata.name}")
    return idx


def pod_place(pcs: PodCliqueSet, pclq: PodClique, pod_index: int) -> PodPlace | None:
    """Where the pod sits for ResourceClaim injection (None if the PodClique matches no clique)."""
    fqn = pclq.metadata.name or ""
    tmpl = template_for_pclq(pcs, fqn)
    if tmpl is None:
        return None
    i = pclq_pcs_replica(pcs, pclq)
    labels = pclq.metadata.labels or {}
    pcsg_fqn = labels.get(c.LABEL_PCSG)
    raw_j = labels.get(c.LABEL_PCSG_REPLICA_INDEX)
    prefix = f"{pcs.metadata.name}-{i}-"
    if pcsg_fqn and pcsg_fqn.startswith(prefix) and raw_j is not None and raw_j.isdigit():
        return PodPlace(i, tmpl.name, fqn, pod_index, pcsg_fqn[len(prefix):], pcsg_fqn, int(raw_j))
    return PodPlace(i, tmpl.name, fqn, pod_index)


def build_pod(
    pcs: PodCliqueSet, pclq: PodClique, pod_index: int, settings: PodSettings | None = None
) -> dict[str, Any]:
    """The pod with index ``pod_index`` of ``pclq`` (to create; the name comes from ``generateName``)."""
    settings = settings or PodSettings()
    pcs_name = pcs.metadata.name or ""
    fqn = pclq.metadata.name or ""
    namespace = pclq.metadata.namespace or pcs.metadata.namespace or "default"
    i = pclq_pcs_replica(pcs, pclq)
    pclq_labels = pclq.metadata.labels or {}
    podgang = pclq_labels.get(c.LABEL_PODGANG) or names.base_podgang_name(pcs_name, i)
    labels = merge_labels(
        default_labels(pcs_name),
        pclq_labels,
        {
            c.LABEL_PODCLIQUE: fqn,
            c.LABEL_PCS_REPLICA_INDEX: str(i),
            c.LABEL_PODGANG: podgang,
            c.LABEL_POD_INDEX: str(pod_index),
        },
    )
    metadata: dict[str, Any] = {
        "generateName": names.pod_generate_name(fqn),
        "namespace": namespace,
        "labels": labels,
    }
    if pclq.metadata.annotations:
        metadata["annotations"] = dict(pclq.metadata.annotations)
    metadata["ownerReferences"] = [owner_reference(c.API_VERSION, c.KIND_PCLQ, fqn, pclq.metadata.uid or "")]
    spec: dict[str, Any] = json_copy(pclq.spec.pod_spec)
    spec["schedulingGates"] = [{"name": c.SCHEDULING_GATE_PODGANG_PENDING}]
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    prepare_pod(pod, str(spec.get("schedulerName") or settings.default_profile), podgang, fqn)
    prepend_env(spec, grove_pod_env(pcs_name, i, fqn, namespace))
    spec["hostname"] = names.pod_hostname(fqn, pod_index)
    spec["subdomain"] = names.headless_service_name(pcs_name, i)
    place = pod_place(pcs, pclq, pod_index)
    if place is not None:
        inject_claims(spec, pod_claim_names(pcs, place))
    if pclq.spec.starts_after:
        add_init_container(spec, pcs, list(pclq.spec.starts_after), settings)
    return pod
