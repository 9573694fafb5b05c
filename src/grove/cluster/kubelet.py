"""A fake kubelet (KWOK-like) for the embedded cluster, driven by the injected clock.

It talks to the API only through a KubeClient, as a real node agent does. For every bound pod it:
runs init containers in order (each may be an in-process async *program* registered by container name
or image, returning an exit code; non-zero restarts it with exponential backoff, or fails the pod under
``restartPolicy: Never``), then marks containers started (phase Running, not ready) after
``start_delay``, then Ready after ``ready_delay`` when a container has a readiness or startup probe,
else after ``unprobed_ready_delay`` (default: the same; 0 is what a real kubelet does: a container
without probes is ready once it runs). ``kill_pod`` makes the containers exit 1 (restartCount
+1, lastState.terminated, not ready) and come back ready after ``ready_delay``. A deleted pod is removed
(delete with grace 0) once ``deletionGracePeriodSeconds`` have passed on the clock.

``fail_node`` marks a Node NotReady, taints it ``node.kubernetes.io/unreachable:NoExecute`` and, like the
taint manager, deletes its pods after their toleration (300 s by default, as the DefaultTolerationSeconds
admission plugin gives every pod) unless they tolerate the taint forever. Unlike a dead real kubelet,
this one still confirms those deletions, so replacement pods can be created.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from grove.kube.client import KubeClient, Obj
from grove.kube.clock import Clock, rfc3339
from grove.kube.errors import ApiError, Conflict, NotFound
from grove.kube.objects import set_condition

Program = Callable[[Obj, KubeClient], Awaitable[int]]
UNREACHABLE = "node.kubernetes.io/unreachable"


def _container_status(c: dict[str, Any], *, ready: bool, running_since: str | None, restarts: int = 0,
                      last_exit: int | None = None, waiting: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = ({"running": {"startedAt": running_since}} if running_since
                             else {"waiting": {"reason": waiting or "ContainerCreating"}})
    out: dict[str, Any] = {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": ready,
                           "restartCount": restarts, "started": bool(running_since), "state": state}
    if last_exit is not None:
        out["lastState"] = {"terminated": {"exitCode": last_exit, "reason": "Error"}}
    return out


def toleration_seconds(pod: Obj, key: str = UNREACHABLE, default: float = 300.0) -> float | None:
    """How long ``pod`` stays on a node tainted ``key:NoExecute``; None means forever."""
    for tol in (pod.get("spec") or {}).get("tolerations") or []:
        if tol.get("effect") not in (None, "", "NoExecute"):
            continue
        if (tol.get("operator") == "Exists" and not tol.get("key")) or tol.get("key") == key:
            secs = tol.get("tolerationSeconds")
            return None if secs is None else float(secs)
    return default


class FakeKubelet:
    def __init__(self, client: KubeClient, clock: Clock, *, start_delay: float = 1.0, ready_delay: float = 1.0,
                 unprobed_ready_delay: float | None = None, backoff: float = 10.0, max_backoff: float = 300.0) -> None:
        self.client, self.clock = client, clock
        self.start_delay, self.ready_delay = start_delay, ready_delay
        self.unprobed_ready_delay = ready_delay if unprobed_ready_delay is None else unprobed_ready_delay
        self.backoff, self.max_backoff = backoff, max_backoff
        self.programs: dict[str, Program] = {}
        self.failed_nodes: set[str] = set()
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._kills: dict[tuple[str, str], asyncio.Event] = {}
        self._terminating: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._evictions: set[asyncio.Task[None]] = set()

    def register_program(self, name_or_image: str, program: Program) -> None:
        self.programs[name_or_image] = program

    def start(self) -> None:
        self._runner = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._runner, *self._tasks.values(), *self._terminating.values(), *self._evictions)
                 if t]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    def kill_pod(self, name: str, namespace: str = "default") -> None:
        """Make the pod's containers exit with code 1 (they restart and become ready again)."""
        self._kills.setdefault((namespace, name), asyncio.Event()).set()

    async def _run(self) -> None:
        while True:
            listed = await self.client.list("v1", "Pod")
            for pod in listed.items:
                self._observe(pod)
            try:
                async for ev in self.client.watch("v1", "Pod", resource_version=listed.resource_version):
                    if ev["type"] in ("ADDED", "MODIFIED"):
                        self._observe(ev["object"])
                    elif ev["type"] == "DELETED":
                        self._forget((ev["object"]["metadata"]["namespace"], ev["object"]["metadata"]["name"]))
            except ApiError:
                continue

    def _observe(self, pod: Obj) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if not (pod.get("spec") or {}).get("nodeName"):
            return
        loop = asyncio.get_running_loop()
        if pod["metadata"].get("deletionTimestamp"):
            if key not in self._terminating:
                task = self._tasks.pop(key, None)
                if task is not None:
                    task.cancel()
                self._terminating[key] = loop.create_task(self._terminate(pod))
            return
        if key not in self._tasks and (pod.get("status") or {}).get("phase") in (None, "", "Pending"):
            self._tasks[key] = loop.create_task(self._lifecycle(pod))

    def _forget(self, key: tuple[str, str]) -> None:
        for tasks in (self._tasks, self._terminating):
            task = tasks.pop(key, None)
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._kills.pop(key, None)

    async def _terminate(self, pod: Obj) -> None:
        md = pod["metadata"]
        await self.clock.sleep(float(md.get("deletionGracePeriodSeconds") or 0))
        with contextlib.suppress(NotFound, Conflict):
            await self.client.delete("v1", "Pod", md["name"], md["namespace"], grace_period_seconds=0,
                                     preconditions={"uid": md["uid"]})

    async def _patch_status(self, pod: Obj, status: dict[str, Any]) -> None:
        md = pod["metadata"]
        await self.client.patch("v1", "Pod", md["name"], {"status": status}, namespace=md["namespace"],
                                subresource="status")

    def _program_for(self, container: dict[str, Any]) -> Program | None:
        return self.programs.get(container["name"]) or self.programs.get(str(container.get("image", "")))

    async def _run_init(self, pod: Obj, status: dict[str, Any]) -> bool:
        """Run init containers in order; False if the pod failed (restartPolicy Never)."""
        inits = (pod.get("spec") or {}).get("initContainers") or []
        never = (pod.get("spec") or {}).get("restartPolicy") == "Never"
        done: list[dict[str, Any]] = []
        for i, c in enumerate(inits):
            restarts, last_exit = 0, None
            while True:
                now = rfc3339(self.clock.now())
                running = _container_status(c, ready=False, running_since=now, restarts=restarts, last_exit=last_exit)
                status["initContainerStatuses"] = [*done, running, *[_container_status(x, ready=False,
                                                   running_since=None, waiting="PodInitializing")
                                                   for x in inits[i + 1:]]]
                await self._patch_status(pod, status)
                program = self._program_for(c)
                code = await program(pod, self.client) if program is not None else 0
                if code == 0:
                    finished = {**running, "started": False, "state": {"terminated": {
                        "exitCode": 0, "reason": "Completed", "finishedAt": rfc3339(self.clock.now())}}}
                    done.append(finished)
                    break
                if never:
                    status["phase"] = "Failed"
                    status["initContainerStatuses"] = [*done, {**running, "state": {"terminated": {
                        "exitCode": code, "reason": "Error"}}}]
                    await self._patch_status(pod, status)
                    return False
                restarts, last_exit = restarts + 1, code
                backing_off = _container_status(c, ready=False, running_since=None, restarts=restarts,
                                                last_exit=code, waiting="CrashLoopBackOff")
                status["initContainerStatuses"] = [*done, backing_off, *status["initContainerStatuses"][i + 1:]]
                await self._patch_status(pod, status)
                await self.clock.sleep(min(self.max_backoff, self.backoff * 2 ** (restarts - 1)))
        if inits:
            status["initContainerStatuses"] = done
        return True

    async def _lifecycle(self, pod: Obj) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        node = pod["spec"]["nodeName"]
        containers = (pod.get("spec") or {}).get("containers") or []
        probed = any(c.get("readinessProbe") or c.get("startupProbe") for c in containers)
        first_ready_delay = self.ready_delay if probed else self.unprobed_ready_delay
        status: dict[str, Any] = {"phase": "Pending", "hostIP": "10.0.0.1", "podIP": "10.1.0.1",
                                  "startTime": rfc3339(self.clock.now()),
                                  "conditions": list((pod.get("status") or {}).get("conditions") or [])}
        try:
            now = rfc3339(self.clock.now())
            set_condition(status_holder := {"status": status}, "Initialized", "False", now=now)
            set_condition(status_holder, "Ready", "False", now=now, reason="ContainersNotReady")
            set_condition(status_holder, "ContainersReady", "False", now=now, reason="ContainersNotReady")
            status["containerStatuses"] = [_container_status(c, ready=False, running_since=None) for c in containers]
            if not await self._run_init(pod, status):
                return
            set_condition(status_holder, "Initialized", "True", now=rfc3339(self.clock.now()))
            await self._patch_status(pod, status)
            await self.clock.sleep(self.start_delay)
            started = rfc3339(self.clock.now())
            restarts, last_exit = 0, None
            status["phase"] = "Running"
            kill = self._kills.setdefault(key, asyncio.Event())
            while True:
                status["containerStatuses"] = [_container_status(c, ready=False, running_since=started,
                                               restarts=restarts, last_exit=last_exit) for c in containers]
                for cond in ("Ready", "ContainersReady"):
                    set_condition(status_holder, cond, "False", now=rfc3339(self.clock.now()),
                                  reason="ContainersNotReady")
                await self._patch_status(pod, status)
                await self.clock.sleep(self.ready_delay if restarts else first_ready_delay)
                while node in self.failed_nodes:
                    await self.clock.sleep(self.ready_delay)
                if not kill.is_set():
                    for cs in status["containerStatuses"]:
                        cs["ready"] = True
                    for cond in ("Ready", "ContainersReady"):
                        set_condition(status_holder, cond, "True", now=rfc3339(self.clock.now()))
                    await self._patch_status(pod, status)
                    await kill.wait()
                kill.clear()
                restarts, last_exit, started = restarts + 1, 1, rfc3339(self.clock.now())
        except (NotFound, Conflict):
            return

    async def fail_node(self, name: str) -> None:
        """Node NotReady + unreachable NoExecute taint; its pods go unready and are evicted after toleration."""
        self.failed_nodes.add(name)
        node = await self.client.get("v1", "Node", name)
        now = rfc3339(self.clock.now())
        set_condition(node, "Ready", "False", now=now, reason="NodeStatusUnknown",
                      message="Kubelet stopped posting node status.")
        await self.client.patch("v1", "Node", name, {"status": {"conditions": node["status"]["conditions"]}},
                                subresource="status")
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("key") != UNREACHABLE]
        taints.append({"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": now})
        await self.client.patch("v1", "Node", name, {"spec": {"taints": taints}})
        pods = await self.client.list("v1", "Pod", field_selector=f"spec.nodeName={name}")
        loop = asyncio.get_running_loop()
        for pod in pods.items:
            with contextlib.suppress(NotFound):
                conds = {"status": {"conditions": list((pod.get("status") or {}).get("conditions") or [])}}
                for cond in ("Ready", "ContainersReady"):
                    set_condition(conds, cond, "False", now=now, reason="NodeLost")
                await self._patch_status(pod, conds["status"])
            wait = toleration_seconds(pod)
            if wait is not None:
                task = loop.create_task(self._evict_later(pod, wait))
                self._evictions.add(task)
                task.add_done_callback(self._evictions.discard)

    async def _evict_later(self, pod: Obj, wait: float) -> None:
        await self.clock.sleep(wait)
        md = pod["metadata"]
        with contextlib.suppress(NotFound, Conflict):
            await self.client.delete("v1", "Pod", md["name"], md["namespace"], preconditions={"uid": md["uid"]})
