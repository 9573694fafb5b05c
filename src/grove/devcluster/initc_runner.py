"""The dev cluster's init runner: the real ``grove-initc`` waiter for pods on KWOK nodes, as local processes.

KWOK has no container runtime, so by itself it marks every init container Completed at once. With the
runner on, the pod Stages (:mod:`grove.devcluster.stages`) leave a pod with a ``grove-initc`` init
container Pending; this process then does what a kubelet would:

- mounts the container's volumes as local directories (downward-API files, the Secret / ConfigMap keys
  read with the admin credentials, a TokenRequest token bound to the pod for a projected
  ``serviceAccountToken``);
- resolves its env (values, fieldRefs, Secret/ConfigMap keys, ``$(VAR)``) and args;
- runs ``<python> -m grove.initc ARGS`` with ``KUBERNETES_SERVICE_HOST``/``PORT`` of the local API
  server, so the waiter authenticates with the pod's service-account token and is authorised by the
  per-PodCliqueSet Role and RoleBinding, exactly as in a cluster;
- writes the init container's state: ``running``, then ``terminated`` with the real exit code. Exit 0
  marks the pod Initialized and KWOK's ready stage makes it Ready; any other exit is retried after a
  crash-loop back-off (``restartPolicy: Never`` fails the pod), so a late-fixed RBAC recovers.

Invariants: at most one worker (and one process) per pod UID, whatever the storm of pod updates: events
only refresh the latest copy of the pod; a pod being deleted has its process killed (SIGTERM, then
SIGKILL) and its status left alone; a worker whose pod completed never runs again. The runner itself
is stateless: after a restart it relists and runs what has not completed. Per-pod output goes to
``<state>/logs/initc/<namespace>_<pod>_<uid8>.log``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from grove.devcluster import initc_plan as plan
from grove.devcluster.components import Layout
from grove.kube.errors import ApiError, Gone, NotFound
from grove.kube.http import HttpKubeClient
from grove.kube.kubeconfig import load_config

Obj = dict[str, Any]
WATCH_SECONDS = 240
KILL_GRACE = 3.0
START_HOLD = 2.0  # a process counts against the start limit for this long (its import burst)


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class RunnerOptions:
    state_dir: Path
    python: str = sys.executable
    backoff_base: float = 2.0
    backoff_max: float = 30.0
    max_starting: int = 8
    """Waiters starting at once (interpreter start-up is CPU-heavy); running ones are not limited."""


class InitcRunner:
    def __init__(self, client: HttpKubeClient, options: RunnerOptions, api_host: str, api_port: int) -> None:
        self.client = client
        self.options = options
        self.api_host, self.api_port = api_host, api_port
        self.layout = Layout(options.state_dir)
        self.log_dir = options.state_dir / "logs" / "initc"
        self.work_dir = options.state_dir / "initc"
        self.latest: dict[str, Obj] = {}
        self.workers: dict[str, asyncio.Task[None]] = {}
        self.done: set[str] = set()
        self._starting = asyncio.Semaphore(options.max_starting)

    # -- the pod stream ----------------------------------------------------------------------------

    async def run(self) -> None:
        first = True
        while True:
            try:
                listed = await self.client.list("v1", "Pod", field_selector="spec.nodeName!=")
                self._resync(listed.items)
                if first:
                    self.layout.initc_runner_ready.write_text(f"{os.getpid()}\n")
                    log(f"watching pods bound to nodes ({len(listed.items)} now)")
                    first = False
                rv = listed.resource_version
                async for event in self.client.watch("v1", "Pod", resource_version=rv,
                                                     field_selector="spec.nodeName!=",
                                                     timeout_seconds=WATCH_SECONDS):
                    obj = event["object"]
                    rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                    if event["type"] == "DELETED":
                        self.forget(str(obj["metadata"].get("uid")))
                    elif event["type"] in ("ADDED", "MODIFIED"):
                        self.observe(obj)
            except Gone:
                continue
            except ApiError as err:
                log(f"pod watch failed ({err.reason}: {err.message}); relisting in 1s")
                await asyncio.sleep(1.0)

    def _resync(self, pods: list[Obj]) -> None:
        uids = {str(p["metadata"].get("uid")) for p in pods}
        for uid in [u for u in self.latest if u not in uids]:
            self.forget(uid)
        for pod in pods:
            self.observe(pod)

    def observe(self, pod: Obj) -> None:
        """Record the latest copy; start a worker the first time the pod wants a run; kill it on delete."""
        if plan.initc_container(pod) is None:
            return
        uid = str(pod["metadata"].get("uid"))
        self.latest[uid] = pod
        if plan.is_deleting(pod):
            self._cancel(uid)
            return
        if uid in self.workers or uid in self.done:
            return
        if plan.completed(pod):
            self.done.add(uid)
        elif plan.wants_run(pod):
            self.workers[uid] = asyncio.create_task(self._work(uid), name=f"initc-{uid}")

    def forget(self, uid: str) -> None:
        self._cancel(uid)
        self.latest.pop(uid, None)
        self.done.discard(uid)
        shutil.rmtree(self.work_dir / uid, ignore_errors=True)

    def _cancel(self, uid: str) -> None:
        task = self.workers.pop(uid, None)
        if task is not None:
            task.cancel()

    # -- one pod -----------------------------------------------------------------------------------

    def _log_path(self, pod: Obj) -> Path:
        md = pod["metadata"]
        return self.log_dir / f"{md.get('namespace')}_{md.get('name')}_{str(md.get('uid'))[:8]}.log"

    async def _work(self, uid: str) -> None:
        pod = self.latest[uid]
        logfile = self._log_path(pod)
        logfile.parent.mkdir(parents=True, exist_ok=True)
        status = plan.initc_status(pod)
        restarts = int(status.get("restartCount") or 0)
        last_state: Obj | None = status.get("lastState") or None
        if (status.get("state") or {}).get("terminated"):  # the runner restarted during a back-off
            last_state, restarts = status["state"], restarts + 1
        try:
            while True:
                code = await self._attempt(uid, logfile, restarts, last_state)
                if code is None:
                    return
                if code[0] == 0:
                    self.done.add(uid)
                    return
                pod = self.latest.get(uid, pod)
                if (pod.get("spec") or {}).get("restartPolicy") == "Never":
                    return
                delay = plan.backoff(restarts, self.options.backoff_base, self.options.backoff_max)
                _append(logfile, f"--- {now_rfc3339()} exit code {code[0]}; restarting in {delay:g}s")
                await asyncio.sleep(delay)
                last_state, restarts = code[1], restarts + 1
        except asyncio.CancelledError:
            _append(logfile, f"--- {now_rfc3339()} pod deleted; stopped")
            raise
        except Exception as err:  # never lose the reason: it goes to the pod's log and ours
            _append(logfile, f"--- {now_rfc3339()} runner error: {type(err).__name__}: {err}")
            log(f"{logfile.name}: {type(err).__name__}: {err}")
        finally:
            if self.workers.get(uid) is asyncio.current_task():
                del self.workers[uid]

    async def _attempt(self, uid: str, logfile: Path, restarts: int,
                       last_state: Obj | None) -> tuple[int, Obj] | None:
        """One run of the waiter; (exit code, its terminated state), or None when the pod went away."""
        pod = self.latest[uid]
        container = plan.initc_container(pod) or {}
        try:  # what a kubelet reports as a mount failure or CreateContainerConfigError: exit 1 with the reason
            local_dirs = await self._mount_volumes(uid, pod, container, logfile)
            lookups = await self._fetch_env_refs(pod, container)
            env = plan.resolve_env(pod, container, lambda kind, name: lookups.get((kind, name)))
        except plan.Unsupported as err:
            return await self._finish(uid, logfile, 1, now_rfc3339(), restarts, last_state, str(err))
        proc_plan = plan.process_plan(pod, container, env, local_dirs, self.api_host, self.api_port)
        env_all = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1", **proc_plan.env}
        argv = [self.options.python, "-m", "grove.initc", *proc_plan.args]
        async with self._starting:
            started = now_rfc3339()
            _append(logfile, f"--- {started} start (restart {restarts}): {' '.join(argv[1:])}")
            with logfile.open("ab") as out:
                proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                                                            stderr=asyncio.subprocess.STDOUT, env=env_all,
                                                            cwd=str(self.work_dir / uid))
            try:
                await self._patch(pod, plan.running_patch(pod, started, restarts, last_state))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(proc.wait()), START_HOLD)
            except BaseException:
                await _kill(proc)
                raise
        try:
            code = await proc.wait()
        except BaseException:
            await _kill(proc)
            raise
        if code < 0:  # killed by a signal: report it as a container runtime does (128 + signal)
            code = 128 - code
        return await self._finish(uid, logfile, code, started, restarts, last_state)

    async def _finish(self, uid: str, logfile: Path, code: int, started: str, restarts: int,
                      last_state: Obj | None, message: str = "") -> tuple[int, Obj] | None:
        finished = now_rfc3339()
        if message:
            _append(logfile, f"--- {finished} cannot start: {message}")
        _append(logfile, f"--- {finished} exited with code {code}")
        pod = self.latest.get(uid)
        if pod is None or plan.is_deleting(pod):
            return None
        state = plan.terminated_state(code, started, finished, message)
        await self._patch(pod, plan.terminated_patch(pod, state, restarts, last_state, finished))
        return code, state

    async def _patch(self, pod: Obj, patch: Obj) -> None:
        md = pod["metadata"]
        with contextlib.suppress(NotFound):
            await self.client.patch("v1", "Pod", md["name"], patch, namespace=md["namespace"],
                                    patch_type="strategic", subresource="status")

    # -- volumes and env (what kubelet reads from the API) ----------------------------------------

    async def _mount_volumes(self, uid: str, pod: Obj, container: Obj, logfile: Path) -> dict[str, str]:
        """Write every mounted volume under ``<state>/initc/<uid>/``; waits (like a kubelet's mount
        retry) while a Secret or ConfigMap it needs does not exist yet."""
        base = self.work_dir / uid
        volumes = {v["name"]: v for v in (pod.get("spec") or {}).get("volumes") or []}
        local: dict[str, str] = {}
        for mount in plan.mounts(pod, container):
            target = base / "volumes" / mount.volume
            while True:
                try:
                    files = await self._volume_files(pod, volumes[mount.volume])
                    break
                except NotFound as err:
                    _append(logfile, f"--- {now_rfc3339()} waiting to mount {mount.volume}: {err.message}")
                    await asyncio.sleep(1.0)
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True, exist_ok=True)
            for rel, data in files.items():
                path = target / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                path.chmod(0o600)
            local[mount.path] = str(target / mount.sub_path) if mount.sub_path else str(target)
        base.mkdir(parents=True, exist_ok=True)
        return local

    async def _volume_files(self, pod: Obj, volume: Obj) -> dict[str, bytes]:
        ns = pod["metadata"]["namespace"]
        if "downwardAPI" in volume:
            return plan.downward_files(pod, volume["downwardAPI"].get("items") or [])
        if "secret" in volume:
            src = volume["secret"]
            return await self._keyed("Secret", ns, src.get("secretName"), src)
        if "configMap" in volume:
            src = volume["configMap"]
            return await self._keyed("ConfigMap", ns, src.get("name"), src)
        if "emptyDir" in volume:
            return {}
        if "projected" in volume:
            files: dict[str, bytes] = {}
            for source in volume["projected"].get("sources") or []:
                if "serviceAccountToken" in source:
                    sat = source["serviceAccountToken"]
                    answer = await self.client._request(  # TokenRequest is a subresource KubeClient lacks
                        "POST", f"/api/v1/namespaces/{ns}/serviceaccounts/{plan.service_account(pod)}/token",
                        body=plan.token_request(pod, sat))
                    files[str(sat.get("path") or "token")] = str(answer["status"]["token"]).encode()
                elif "secret" in source:
                    files.update(await self._keyed("Secret", ns, source["secret"].get("name"), source["secret"]))
                elif "configMap" in source:
                    files.update(await self._keyed("ConfigMap", ns, source["configMap"].get("name"),
                                                   source["configMap"]))
                elif "downwardAPI" in source:
                    files.update(plan.downward_files(pod, source["downwardAPI"].get("items") or []))
            return files
        raise plan.Unsupported(f"volume {volume.get('name')!r}: only downwardAPI, secret, configMap, "
                               "projected and emptyDir are supported")

    async def _keyed(self, kind: str, ns: str, name: Any, src: Obj) -> dict[str, bytes]:
        try:
            obj = await self.client.get("v1", kind, str(name), ns)
        except NotFound:
            if src.get("optional"):
                return {}
            raise
        data = plan.secret_data(obj) if kind == "Secret" else plan.configmap_data(obj)
        return plan.keyed_files(data, src.get("items"), f"{kind} {ns}/{name}")

    async def _fetch_env_refs(self, pod: Obj, container: Obj) -> dict[tuple[str, str], dict[str, str]]:
        out: dict[tuple[str, str], dict[str, str]] = {}
        for kind, name in plan.env_refs(container):
            try:
                obj = await self.client.get("v1", kind, name, pod["metadata"]["namespace"])
            except NotFound:
                continue
            data = plan.secret_data(obj) if kind == "Secret" else plan.configmap_data(obj)
            out[(kind, name)] = {k: v.decode(errors="replace") for k, v in data.items()}
        return out


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), KILL_GRACE)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _append(path: Path, line: str) -> None:
    with path.open("a") as fh:
        fh.write(line + "\n")


def log(message: str) -> None:
    print(f"{now_rfc3339()} initc-runner: {message}", file=sys.stderr, flush=True)


def api_endpoint(state_dir: Path) -> tuple[str, int]:
    """Host and port of the cluster's API server, from ``cluster.json``."""
    server = json.loads(Layout(state_dir).info.read_text())["server"]
    parts = urlsplit(server)
    return parts.hostname or "127.0.0.1", int(parts.port or 443)


async def _main(options: RunnerOptions) -> None:
    host, port = api_endpoint(options.state_dir)
    config = load_config(str(Layout(options.state_dir).kubeconfig))
    async with HttpKubeClient(config, qps=50.0, burst=100, user_agent="grove-devcluster-initc-runner") as client:
        runner = InitcRunner(client, options, host, port)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        main = asyncio.create_task(runner.run())
        await asyncio.wait([main, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        main.cancel()
        workers = list(runner.workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(main, *workers, return_exceptions=True)
        failure = main.exception() if main.done() and not main.cancelled() else None
        if failure is not None:
            raise failure


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grove.devcluster.initc_runner",
                                     description="Run pods' grove-initc init containers for a dev cluster.")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--backoff-base", type=float, default=RunnerOptions.backoff_base)
    parser.add_argument("--backoff-max", type=float, default=RunnerOptions.backoff_max)
    parser.add_argument("--max-starting", type=int, default=RunnerOptions.max_starting)
    ns = parser.parse_args(argv)
    options = RunnerOptions(state_dir=ns.state_dir, backoff_base=ns.backoff_base, backoff_max=ns.backoff_max,
                            max_starting=ns.max_starting)
    Layout(options.state_dir).initc_runner_ready.unlink(missing_ok=True)
    asyncio.run(_main(options))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
