"""The per-PodCliqueSet access objects: ServiceAccount, Role, RoleBinding and the init-container token
Secret (spec §5.1, G1).

The startup waiter (``grove-initc``) watches pods of its PodGang with the token of ``<pcs>-ic-sat``; the
Role grants exactly ``get/list/watch`` on ``pods`` and ``pods/status`` in the PCS namespace. All four
objects carry the default labels, their component and ``name`` (Role/RoleBinding: ``grove.io-pcs-<pcs>``
since colons are not label-safe) and a controller reference to the PCS.
"""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodCliqueSet
from grove.controllers.common.ownership import component_labels, object_meta, owner_reference

RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
SA_TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"


def pcs_owner_reference(pcs: PodCliqueSet) -> dict[str, Any]:
    return owner_reference(c.API_VERSION, c.KIND_PCS, pcs.metadata.name or "", pcs.metadata.uid or "")


def pcs_namespace(pcs: PodCliqueSet) -> str:
    return pcs.metadata.namespace or "default"


def plan_service_account(pcs: PodCliqueSet) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    sa = names.service_account_name(pcs_name)
    labels = component_labels(pcs_name, c.COMPONENT_POD_SERVICE_ACCOUNT, sa)
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(sa, pcs_namespace(pcs), labels, pcs_owner_reference(pcs)),
        "automountServiceAccountToken": True,
    }


def plan_role(pcs: PodCliqueSet) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    labels = component_labels(pcs_name, c.COMPONENT_POD_ROLE, names.role_label_name(pcs_name))
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "Role",
        "metadata": object_meta(
            names.role_name(pcs_name), pcs_namespace(pcs), labels, pcs_owner_reference(pcs)
        ),
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/status"], "verbs": ["get", "list", "watch"]}
        ],
    }


def plan_role_binding(pcs: PodCliqueSet) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    labels = component_labels(pcs_name, c.COMPONENT_POD_ROLE_BINDING, names.role_label_name(pcs_name))
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "RoleBinding",
        "metadata": object_meta(
            names.role_name(pcs_name), pcs_namespace(pcs), labels, pcs_owner_reference(pcs)
        ),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": names.role_name(pcs_name),
        },
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": names.service_account_name(pcs_name),
                "namespace": pcs_namespace(pcs),
            }
        ],
    }


def plan_token_secret(pcs: PodCliqueSet) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    secret = names.initc_token_secret_name(pcs_name)
    labels = component_labels(pcs_name, c.COMPONENT_POD_SA_TOKEN_SECRET, secret)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": object_meta(
            secret,
            pcs_namespace(pcs),
            labels,
            pcs_owner_reference(pcs),
            annotations={SA_NAME_ANNOTATION: names.service_account_name(pcs_name)},
        ),
        "type": SA_TOKEN_SECRET_TYPE,
    }
