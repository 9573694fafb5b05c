"""Refuse to start a gang scheduler that would answer for a ``spec.schedulerName`` another scheduler holds.

Two schedulers answering for one name both bind the same pods (the usual NVIDIA Dynamo cluster runs KAI,
so ``grove scheduler --scheduler-name kai-scheduler`` there double-binds). At start-up ``grove scheduler``
looks for the other schedulers it knows, in the two shapes they take on a cluster:

- a **Deployment** of the scheduler, as their own installers create it. KAI's operator names it
  ``<schedulerName>-<shard>`` (``kai-scheduler-default``) in KAI's namespace, labels it
  ``app.kubernetes.io/managed-by: kai-operator`` and passes ``--scheduler-conf`` and
  ``--scheduler-name=<name>``; its image is ``.../kai-scheduler/scheduler``. Volcano's chart names it
  ``<release>-scheduler``, labels it and its pods ``app: volcano-scheduler``, runs image ``vc-scheduler``
  and passes ``--scheduler-name`` (repeatable, default ``volcano``). A Deployment scaled to 0 or being
  deleted runs nothing.
- a **held leader Lease**: both leader-elect on a Lease named after the scheduler name (KAI:
  ``<schedulerName>`` in KAI's namespace, with ``--leader-elect``, i.e. more than one replica; Volcano:
  ``volcano`` in ``volcano-system`` or its release namespace, on by default); kube-scheduler, which
  answers for ``default-scheduler``, holds ``kube-system/kube-scheduler``. Held means a non-empty
  ``holderIdentity`` and ``renewTime + leaseDurationSeconds`` still ahead of our clock (a one-shot look,
  so clock skew between nodes counts); this catches a scheduler run without a Deployment we recognise.

:func:`find_conflicts` decides from plain data; :func:`check_scheduler_conflicts` lists (cluster-wide:
Deployments, and Leases by ``metadata.name``) and raises :class:`PreflightError` with
:data:`EXIT_SCHEDULER_CONFLICT`. A list it may not make (RBAC) or that fails leaves that source unknown:
a warning, never a crash, so a chart without the rule still starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from grove.api import constants as c
from grove.kube.client import KubeClient
from grove.kube.clock import parse_rfc3339
from grove.kube.errors import ApiError, NotFound
from grove.operator.preflight import PreflightError

log = logging.getLogger("grove.operator")

EXIT_SCHEDULER_CONFLICT = 8

DEPLOYMENT_API, LEASE_API = "apps/v1", "coordination.k8s.io/v1"
KAI_MANAGED_BY = ("app.kubernetes.io/managed-by", "kai-operator")
VOLCANO_APP_LABEL = ("app", "volcano-scheduler")
VOLCANO_IMAGE = "vc-scheduler"
KAI_IMAGE_REPO, KAI_IMAGE = "kai-scheduler", "scheduler"

Obj = dict[str, Any]


@dataclass(frozen=True)
class Holder:
    """Another scheduler seen on the cluster: what it is, the names it answers for, where it was seen."""

    product: str
    names: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class Conflict:
    scheduler_name: str
    holder: Holder

    @property
    def reason(self) -> str:
        return f"{self.scheduler_name}: {self.holder.product} answers for it ({self.holder.evidence})"


def _containers(dep: Obj) -> list[Obj]:
    spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [ctr for ctr in spec.get("containers") or [] if isinstance(ctr, dict)]


def _argv(ctr: Obj) -> list[str]:
    return [str(a) for a in [*(ctr.get("command") or []), *(ctr.get("args") or [])]]


def flag_values(argv: Sequence[str], flag: str) -> list[str]:
    """Every value of ``--flag=v`` / ``--flag v`` (pflag spellings) in ``argv``."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg.startswith(f"{flag}="):
            out.append(arg.partition("=")[2])
        elif arg == flag and i + 1 < len(argv):
            out.append(argv[i + 1])
    return out


def _image_parts(image: str) -> tuple[str, str]:
    """(repository path without the name, image name) with tag and digest removed."""
    ref = image.split("@", 1)[0]
    path, _, last = ref.rpartition("/")
    name = last.split(":", 1)[0]
    return path, name


def _running(dep: Obj) -> bool:
    meta = dep.get("metadata") or {}
    replicas = (dep.get("spec") or {}).get("replicas", 1)
    return not meta.get("deletionTimestamp") and (replicas is None or replicas != 0)


def deployment_holder(dep: Obj) -> Holder | None:
    """The KAI or Volcano scheduler this Deployment runs, or None (not one we know, or scaled to 0)."""
    if not _running(dep):
        return None
    meta = dep.get("metadata") or {}
    labels = {**(((dep.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels", {}),
              **(meta.get("labels") or {})}
    where = f"Deployment {meta.get('namespace', '')}/{meta.get('name', '')}"
    for ctr in _containers(dep):
        argv = _argv(ctr)
        repo, image = _image_parts(str(ctr.get("image") or ""))
        names = tuple(dict.fromkeys(flag_values(argv, "--scheduler-name")))
        kai = (labels.get(KAI_MANAGED_BY[0]) == KAI_MANAGED_BY[1] and bool(flag_values(argv, "--scheduler-conf"))) \
            or (image == KAI_IMAGE and repo.rsplit("/", 1)[-1] == KAI_IMAGE_REPO)
        if kai:
            return Holder("KAI scheduler", names or (c.SCHEDULER_KAI,), where)
        if labels.get(VOLCANO_APP_LABEL[0]) == VOLCANO_APP_LABEL[1] or image == VOLCANO_IMAGE:
            return Holder("Volcano scheduler", names or (c.SCHEDULER_VOLCANO,), where)
    return None


def lease_expiry(lease: Obj) -> float | None:
    """When a held Lease expires (epoch seconds), or None if nobody holds it or it cannot be read."""
    spec = lease.get("spec") or {}
    renewed = spec.get("renewTime") or spec.get("acquireTime")
    duration = spec.get("leaseDurationSeconds")
    if not spec.get("holderIdentity") or not isinstance(renewed, str) or not isinstance(duration, int):
        return None
    try:
        return parse_rfc3339(renewed) + duration
    except ValueError:
        return None


KUBE_SCHEDULER_LEASE = "kube-scheduler"


def lease_names_for(scheduler_name: str) -> list[str]:
    """The Lease a scheduler answering for ``scheduler_name`` leader-elects on."""
    return [KUBE_SCHEDULER_LEASE] if scheduler_name == c.SCHEDULER_DEFAULT else [scheduler_name]


def _product_for_lease(name: str) -> tuple[str, tuple[str, ...]]:
    if name == KUBE_SCHEDULER_LEASE:
        return "kube-scheduler", (c.SCHEDULER_DEFAULT,)
    if name.startswith(c.SCHEDULER_KAI):
        return "KAI scheduler", (name,)
    if name == c.SCHEDULER_VOLCANO:
        return "Volcano scheduler", (name,)
    return "a leader-elected scheduler", (name,)


def lease_holder(lease: Obj, now: float) -> Holder | None:
    """The scheduler holding this Lease, if it is held and unexpired (any Lease: the caller lists only those
    named like a scheduler, see :func:`lease_names_for`)."""
    expiry = lease_expiry(lease)
    if expiry is None or expiry <= now:
        return None
    meta = lease.get("metadata") or {}
    name = str(meta.get("name", ""))
    spec = lease["spec"]
    evidence = (f"Lease {meta.get('namespace', '')}/{name} held by {spec['holderIdentity']}, "
                f"renewed {spec.get('renewTime') or spec.get('acquireTime')}, "
                f"expires in {expiry - now:.0f}s")
    product, names = _product_for_lease(name)
    return Holder(product, names, evidence)


def find_conflicts(answering: Iterable[str], deployments: Iterable[Obj], leases: Iterable[Obj], now: float,
                   own_lease: tuple[str, str] | None = None) -> list[Conflict]:
    """Every (name we would answer for, other scheduler holding it); ``own_lease`` (namespace, name) is ours."""
    holders = [h for h in map(deployment_holder, deployments) if h is not None]
    for lease in leases:
        meta = lease.get("metadata") or {}
        if own_lease is not None and (meta.get("namespace"), meta.get("name")) == own_lease:
            continue
        holder = lease_holder(lease, now)
        if holder is not None:
            holders.append(holder)
    return [Conflict(name, h) for name in dict.fromkeys(answering) for h in holders if name in h.names]


def conflict_message(conflicts: Sequence[Conflict]) -> str:
    names = ", ".join(dict.fromkeys(x.scheduler_name for x in conflicts))
    reasons = "; ".join(x.reason for x in conflicts)
    return (f"refusing to answer for scheduler name(s) {names}: another scheduler holds them, and two schedulers "
            f"would bind the same pods ({reasons}). Leave those pods to it: run grove scheduler without "
            f"--scheduler-name {conflicts[0].scheduler_name} (the default answers only for {c.SCHEDULER_GROVE})")


@dataclass
class Observation:
    deployments: list[Obj]
    leases: list[Obj]
    unknown: list[str]


async def observe(client: KubeClient, names: Iterable[str]) -> Observation:
    """Deployments cluster-wide and the Leases named like ``names``; a source that cannot be read is unknown."""
    obs = Observation([], [], [])
    try:
        obs.deployments = (await client.list(DEPLOYMENT_API, "Deployment")).items
    except NotFound:
        pass
    except ApiError as exc:
        obs.unknown.append(f"cannot list deployments.apps cluster-wide ({exc.reason}: {exc})")
    for name in dict.fromkeys(n for scheduler_name in names for n in lease_names_for(scheduler_name)):
        try:
            obs.leases += (await client.list(LEASE_API, "Lease", field_selector=f"metadata.name={name}")).items
        except NotFound:
            pass
        except ApiError as exc:
            obs.unknown.append(f"cannot list leases.coordination.k8s.io named {name} ({exc.reason}: {exc})")
            break
    return obs


async def check_scheduler_conflicts(client: KubeClient, names: Sequence[str], now: float,
                                    own_lease: tuple[str, str] | None = None) -> None:
    """Raise PreflightError(EXIT_SCHEDULER_CONFLICT) when another scheduler holds one of ``names``."""
    obs = await observe(client, names)
    for problem in obs.unknown:
        log.warning("scheduler-name conflict check incomplete: %s; another scheduler (KAI, Volcano) answering for "
                    "%s would go unnoticed: grant the scheduler list on deployments (apps) and leases "
                    "(coordination.k8s.io)", problem, ", ".join(names))
    conflicts = find_conflicts(names, obs.deployments, obs.leases, now, own_lease)
    if conflicts:
        raise PreflightError(EXIT_SCHEDULER_CONFLICT, conflict_message(conflicts))
    log.info("no other scheduler answers for %s (checked %d deployments, %d leases%s)", ", ".join(names),
             len(obs.deployments), len(obs.leases), "; incomplete" if obs.unknown else "")
