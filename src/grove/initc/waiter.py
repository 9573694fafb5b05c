"""The core of the startup waiter: list + watch the pods of one PodGang until the parents are Ready.

:func:`wait_for_parents` talks only to a :class:`~grove.kube.client.KubeClient` and an injected clock,
so the same code runs in a real init container (HTTP client, real clock) and in the embedded cluster
(in-process client, virtual clock). It only ever calls ``list`` and ``watch`` on ``v1`` Pods of one
namespace, filtered by ``grove.io/podgang=<podgang>`` — exactly what the per-PodCliqueSet Role grants.

A pod belongs to a parent as follows (spec §6, with the ambiguity of §13.6 resolved):

1. if the pod carries ``grove.io/podclique`` (every pod Grove creates does), it belongs to the parent
   of exactly that name, or to none — so pods of clique ``a-b`` never count for parent ``a``;
2. otherwise, to the *longest* parent FQN that, followed by ``-``, prefixes the pod name.

A pod counts when its ``Ready`` condition is ``True`` and it is not being deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from grove.api.constants import LABEL_PODCLIQUE, LABEL_PODGANG
from grove.kube.client import KubeClient
from grove.kube.clock import Clock
from grove.kube.errors import ApiError, Gone

Log = Callable[[str], None]
Pod = Mapping[str, Any]

RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 30.0
MAX_CONSECUTIVE_FAILURES = 10


def parent_of(pod: Pod, parents: Iterable[str]) -> str | None:
    """The parent clique ``pod`` belongs to, or None (see the module docstring for the rule)."""
    md = pod.get("metadata") or {}
    names = set(parents)
    clique = (md.get("labels") or {}).get(LABEL_PODCLIQUE)
    if clique:
        return clique if clique in names else None
    pod_name = str(md.get("name") or "")
    matches = [p for p in names if pod_name.startswith(p + "-")]
    return max(matches, key=len) if matches else None


def is_ready(pod: Pod) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def ready_counts(pods: Iterable[Pod], parents: Mapping[str, int]) -> dict[str, int]:
    """Ready pods per parent (every parent present, possibly 0)."""
    counts = dict.fromkeys(parents, 0)
    for pod in pods:
        parent = parent_of(pod, parents)
        if parent is not None and is_ready(pod):
            counts[parent] += 1
    return counts


def satisfied(counts: Mapping[str, int], parents: Mapping[str, int]) -> bool:
    return all(counts.get(name, 0) >= want for name, want in parents.items())


def describe(counts: Mapping[str, int], parents: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {counts.get(name, 0)}/{want}" for name, want in sorted(parents.items()))


def _transient(err: ApiError) -> bool:
    """Worth a retry: the server is unreachable, overloaded or timed out (Gone is handled separately)."""
    return err.code >= 500 or err.code == 429


def _key(pod: Pod) -> str:
    md = pod.get("metadata") or {}
    return str(md.get("uid") or md.get("name") or "")


async def wait_for_parents(client: KubeClient, namespace: str, podgang: str, parents: Mapping[str, int],
                           clock: Clock, *, log: Log | None = None, watch_timeout: float | None = None,
                           retry_delay: float = RETRY_DELAY,
                           max_failures: int = MAX_CONSECUTIVE_FAILURES) -> None:
    """Return once every parent has at least its count of Ready pods in ``podgang``; never times out.

    Lists the PodGang's pods, then watches from the list's resourceVersion; a watch that ends is resumed
    from the last seen resourceVersion, a 410 Gone relists. Unreachable/5xx/429 answers are retried with
    exponential backoff on ``clock`` (``max_failures`` in a row re-raise); any other ApiError propagates.
    Cancellation (SIGTERM in the CLI, pod deletion in the embedded kubelet) propagates too.
    """
    emit = log or (lambda _msg: None)
    if not parents:
        emit("no parent cliques to wait for")
        return
    selector = f"{LABEL_PODGANG}={podgang}"
    failures = 0
    last = ""
    emit(f"waiting in namespace {namespace}, podgang {podgang} for: {describe({}, parents)}")
    while True:
        try:
            listed = await client.list("v1", "Pod", namespace, label_selector=selector)
            pods = {_key(p): p for p in listed.items}
            rv = listed.resource_version
            failures = 0
            while True:
                counts = ready_counts(pods.values(), parents)
                line = describe(counts, parents)
                if line != last:
                    emit(f"ready: {line}")
                    last = line
                if satisfied(counts, parents):
                    emit("all parent cliques are ready")
                    return
                async for event in client.watch("v1", "Pod", namespace, resource_version=rv,
                                                label_selector=selector, timeout_seconds=watch_timeout):
                    obj = event["object"]
                    rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                    if event["type"] in ("ADDED", "MODIFIED"):
                        pods[_key(obj)] = obj
                    elif event["type"] == "DELETED":
                        pods.pop(_key(obj), None)
                    else:
                        continue
                    counts = ready_counts(pods.values(), parents)
                    if satisfied(counts, parents):
                        break
                    line = describe(counts, parents)
                    if line != last:
                        emit(f"ready: {line}")
                        last = line
        except Gone:
            emit("watch expired (410 Gone); relisting")
        except ApiError as err:
            if not _transient(err):
                raise
            failures += 1
            if failures >= max_failures:
                raise
            delay = min(MAX_RETRY_DELAY, retry_delay * 2 ** (failures - 1))
            emit(f"API error ({err.reason}: {err.message}); retry {failures}/{max_failures - 1} in {delay:g}s")
            await clock.sleep(delay)
