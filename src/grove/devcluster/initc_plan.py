"""What the init runner does for one pod, as pure functions: which pods to run, the files of the volumes the
``grove-initc`` container mounts, its environment and arguments, and the status a kubelet would write.

The runner (:mod:`grove.devcluster.initc_runner`) does the I/O: it fetches the Secrets, ConfigMaps and
tokens these functions ask for, writes the files, starts the process and sends the patches built here.

Mount paths cannot be bind-mounted for a local process, so each mount gets a directory of its own and the
two places the waiter reads are pointed there by environment (``GROVE_POD_INFO_DIR`` for the downward-API
pod info, ``GROVE_SERVICE_ACCOUNT_DIR`` for the service-account token and CA); an argument naming a path
under a mount is rewritten the same way.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grove.api.constants import INITC_CONTAINER_NAME, INITC_POD_INFO_MOUNT, INITC_SA_TOKEN_MOUNT
from grove.initc.args import POD_INFO_ENV
from grove.kube.kubeconfig import SERVICE_ACCOUNT_DIR_ENV

Obj = dict[str, Any]

MOUNT_ENV = {INITC_POD_INFO_MOUNT: POD_INFO_ENV, INITC_SA_TOKEN_MOUNT: SERVICE_ACCOUNT_DIR_ENV}
"""Mount path → the environment variable that tells the waiter where that directory is instead."""
DEFAULT_TOKEN_SECONDS = 3607  # what kubelet asks for a projected token (1 h + 7 s)


class Unsupported(ValueError):
    """The pod asks for something the runner cannot resolve (the message says what)."""


# -- which pods ------------------------------------------------------------------------------------


def initc_container(pod: Obj, name: str = INITC_CONTAINER_NAME) -> Obj | None:
    for c in (pod.get("spec") or {}).get("initContainers") or []:
        if c.get("name") == name:
            return dict(c)
    return None


def initc_status(pod: Obj, name: str = INITC_CONTAINER_NAME) -> Obj:
    for s in (pod.get("status") or {}).get("initContainerStatuses") or []:
        if s.get("name") == name:
            return dict(s)
    return {}


def is_deleting(pod: Obj) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def completed(pod: Obj) -> bool:
    return ((initc_status(pod).get("state") or {}).get("terminated") or {}).get("reason") == "Completed"


def wants_run(pod: Obj) -> bool:
    """A bound pod KWOK has started (it has a pod IP) whose ``grove-initc`` has not completed yet."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    return (initc_container(pod) is not None and bool(spec.get("nodeName")) and not is_deleting(pod)
            and status.get("phase") == "Pending" and bool(status.get("podIP")) and not completed(pod))


# -- downward API, Secrets, ConfigMaps -------------------------------------------------------------

_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['([^']*)'\]$")


def _map_text(values: Mapping[str, str]) -> str:
    return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))


def field_value(pod: Obj, path: str) -> str:
    """The value kubelet gives a downward-API ``fieldRef`` (file or env)."""
    md, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    m = _SUBSCRIPT.match(path)
    if m:
        return str((md.get(m.group(1)) or {}).get(m.group(2), ""))
    simple: dict[str, Callable[[], Any]] = {
        "metadata.name": lambda: md.get("name"), "metadata.namespace": lambda: md.get("namespace"),
        "metadata.uid": lambda: md.get("uid"), "metadata.labels": lambda: _map_text(md.get("labels") or {}),
        "metadata.annotations": lambda: _map_text(md.get("annotations") or {}),
        "spec.nodeName": lambda: spec.get("nodeName"),
        "spec.serviceAccountName": lambda: spec.get("serviceAccountName") or "default",
        "status.hostIP": lambda: status.get("hostIP"), "status.podIP": lambda: status.get("podIP"),
        "status.podIPs": lambda: ",".join(i.get("ip", "") for i in status.get("podIPs") or []),
        "status.hostIPs": lambda: ",".join(i.get("ip", "") for i in status.get("hostIPs") or []),
    }
    if path not in simple:
        raise Unsupported(f"downward-API fieldPath {path!r} is not supported by the dev-cluster init runner")
    return str(simple[path]() or "")


def downward_files(pod: Obj, items: list[Obj]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for item in items:
        if "fieldRef" not in item:
            raise Unsupported(f"downward-API item {item.get('path')!r}: only fieldRef is supported")
        out[str(item["path"])] = field_value(pod, str(item["fieldRef"].get("fieldPath", ""))).encode()
    return out


def keyed_files(data: Mapping[str, bytes], items: list[Obj] | None, what: str) -> dict[str, bytes]:
    """Secret/ConfigMap keys as files: every key, or only ``items`` (key → path); a missing listed key
    is an error, as kubelet reports it."""
    if not items:
        return dict(data)
    out: dict[str, bytes] = {}
    for item in items:
        key = str(item.get("key"))
        if key not in data:
            raise Unsupported(f"{what} has no key {key!r}")
        out[str(item.get("path") or key)] = data[key]
    return out


def secret_data(secret: Obj) -> dict[str, bytes]:
    out = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    out.update({k: str(v).encode() for k, v in (secret.get("stringData") or {}).items()})
    return out


def configmap_data(cm: Obj) -> dict[str, bytes]:
    out = {k: str(v).encode() for k, v in (cm.get("data") or {}).items()}
    out.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return out


def token_request(pod: Obj, source: Obj) -> Obj:
    """The TokenRequest kubelet sends for a projected ``serviceAccountToken``: bound to the pod."""
    md = pod.get("metadata") or {}
    spec: Obj = {"expirationSeconds": int(source.get("expirationSeconds") or DEFAULT_TOKEN_SECONDS),
                 "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": md.get("name"), "uid": md.get("uid")}}
    if source.get("audience"):
        spec["audiences"] = [str(source["audience"])]
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}


def service_account(pod: Obj) -> str:
    return str((pod.get("spec") or {}).get("serviceAccountName") or "default")


# -- env, args, mounts -----------------------------------------------------------------------------

_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubelet's ``$(VAR)`` expansion: defined names are replaced, ``$$`` is a literal ``$``, unknown
    references stay as written."""
    def repl(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)
    return _VAR_REF.sub(repl, text)


Lookup = Callable[[str, str], "Mapping[str, str] | None"]
"""``lookup(kind, name)`` → the object's data as text (None if it does not exist); kind Secret/ConfigMap."""


def resolve_env(pod: Obj, container: Obj, lookup: Lookup) -> dict[str, str]:
    """``envFrom`` then ``env`` in order, each value expanded against what came before (kubelet order)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(key)
            if ref is None:
                continue
            values = lookup(kind, str(ref.get("name")))
            if values is None and not ref.get("optional"):
                raise Unsupported(f"envFrom {kind} {ref.get('name')!r} not found")
            env.update({prefix + k: v for k, v in (values or {}).items()})
    for var in container.get("env") or []:
        name = str(var["name"])
        if "valueFrom" not in var:
            env[name] = expand(str(var.get("value", "")), env)
            continue
        src = var["valueFrom"]
        if "fieldRef" in src:
            env[name] = field_value(pod, str(src["fieldRef"].get("fieldPath", "")))
        elif "secretKeyRef" in src or "configMapKeyRef" in src:
            kind, ref = ("Secret", src["secretKeyRef"]) if "secretKeyRef" in src else ("ConfigMap", src["configMapKeyRef"])
            value = (lookup(kind, str(ref.get("name"))) or {}).get(str(ref.get("key")))
            if value is None:
                if ref.get("optional"):
                    continue
                raise Unsupported(f"env {name}: {kind} {ref.get('name')!r} key {ref.get('key')!r} not found")
            env[name] = value
        else:
            raise Unsupported(f"env {name}: only value, fieldRef, secretKeyRef and configMapKeyRef are supported")
    return env


def env_refs(container: Obj) -> set[tuple[str, str]]:
    """(kind, name) of every Secret/ConfigMap the container's env reads (to fetch before resolving)."""
    refs: set[tuple[str, str]] = set()
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            refs.add(("ConfigMap", str(source["configMapRef"].get("name"))))
        if "secretRef" in source:
            refs.add(("Secret", str(source["secretRef"].get("name"))))
    for var in container.get("env") or []:
        src = var.get("valueFrom") or {}
        if "secretKeyRef" in src:
            refs.add(("Secret", str(src["secretKeyRef"].get("name"))))
        if "configMapKeyRef" in src:
            refs.add(("ConfigMap", str(src["configMapKeyRef"].get("name"))))
    return refs


@dataclass(frozen=True)
class Mount:
    path: str
    volume: str
    sub_path: str = ""


def mounts(pod: Obj, container: Obj) -> list[Mount]:
    """The container's mounts, each checked against a volume of the pod."""
    volumes = {v.get("name") for v in (pod.get("spec") or {}).get("volumes") or []}
    out = []
    for m in container.get("volumeMounts") or []:
        if m.get("name") not in volumes:
            raise Unsupported(f"volumeMount {m.get('mountPath')!r} names no volume {m.get('name')!r}")
        out.append(Mount(str(m["mountPath"]).rstrip("/") or "/", str(m["name"]), str(m.get("subPath") or "")))
    return out


def rewrite_path(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` (or the value of a ``--flag=value`` argument) with a leading mount path, longest first,
    replaced by that mount's local directory."""
    head, sep, tail = text.partition("=") if text.startswith("-") else ("", "", text)
    for mount_path in sorted(mapping, key=len, reverse=True):
        if tail == mount_path or tail.startswith(mount_path + "/"):
            return head + sep + mapping[mount_path] + tail[len(mount_path):]
    return text


@dataclass(frozen=True)
class ProcessPlan:
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)


def process_plan(pod: Obj, container: Obj, container_env: Mapping[str, str], local_dirs: Mapping[str, str],
                 api_host: str, api_port: int) -> ProcessPlan:
    """Arguments (``$(VAR)`` expanded, mount paths rewritten) and the whole environment of the process:
    the container's env, the service host/port of the local API server, ``HOSTNAME`` and the overrides
    that point the waiter at the local copies of its mounts. Nothing of the runner's own env leaks in
    except what the caller adds (PATH)."""
    args = [rewrite_path(expand(str(a), container_env), local_dirs) for a in container.get("args") or []]
    env = dict(container_env)
    env.update({"KUBERNETES_SERVICE_HOST": api_host, "KUBERNETES_SERVICE_PORT": str(api_port),
                "HOSTNAME": str((pod.get("metadata") or {}).get("name") or "")})
    for mount_path, var in MOUNT_ENV.items():
        if mount_path in local_dirs:
            env[var] = local_dirs[mount_path]
    return ProcessPlan(args=args, env=env)


# -- status ----------------------------------------------------------------------------------------


def backoff(restarts: int, base: float, cap: float) -> float:
    """Kubelet's crash-loop back-off: ``base`` doubled per restart, at most ``cap``."""
    return float(min(cap, base * 2 ** max(0, restarts)))


def init_statuses(pod: Obj, initc_state: Obj, *, restart_count: int, last_state: Obj | None = None,
                  done: bool = False) -> list[Obj]:
    """Every init container's status: ``grove-initc`` gets ``initc_state``; the others run instantly
    (KWOK's way): sidecars (restartPolicy Always) running, the rest before it Completed, after it waiting
    until it is ``done``."""
    out: list[Obj] = []
    seen = False
    for c in (pod.get("spec") or {}).get("initContainers") or []:
        st: Obj = {"name": c.get("name"), "image": c.get("image"), "imageID": "", "restartCount": 0}
        if c.get("name") == INITC_CONTAINER_NAME:
            seen = True
            st.update(restartCount=restart_count, state=initc_state,
                      ready=done, started=bool(initc_state.get("running")))
            if last_state:
                st["lastState"] = last_state
        elif c.get("restartPolicy") == "Always":
            st.update(state={"running": {"startedAt": _first_time(initc_state)}}, ready=True, started=True)
        elif not seen or done:
            t = _first_time(initc_state)
            st.update(state={"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}},
                      ready=True, started=False)
        else:
            st.update(state={"waiting": {"reason": "PodInitializing"}}, ready=False, started=False)
        out.append(st)
    return out


def _first_time(state: Obj) -> str | None:
    for value in state.values():
        if isinstance(value, dict):
            t = value.get("startedAt") or value.get("finishedAt")
            if t:
                return str(t)
    return None


def running_patch(pod: Obj, started_at: str, restart_count: int, last_state: Obj | None) -> Obj:
    state = {"running": {"startedAt": started_at}}
    return _patch(pod, init_statuses(pod, state, restart_count=restart_count, last_state=last_state), None)


def terminated_state(exit_code: int, started_at: str, finished_at: str, message: str = "") -> Obj:
    term: Obj = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                 "startedAt": started_at, "finishedAt": finished_at}
    if message:
        term["message"] = message
    return {"terminated": term}


def terminated_patch(pod: Obj, state: Obj, restart_count: int, last_state: Obj | None, now: str) -> Obj:
    """After the waiter exited: its terminated state; exit 0 also marks the pod Initialized (KWOK's
    ready stage takes it from there); a failure under ``restartPolicy: Never`` fails the pod."""
    ok = state["terminated"]["exitCode"] == 0
    statuses = init_statuses(pod, state, restart_count=restart_count, last_state=last_state, done=ok)
    cond: Obj = {"type": "Initialized", "status": "True" if ok else "False", "lastTransitionTime": now}
    if not ok:
        cond.update(reason="ContainersNotInitialized",
                    message=f"containers with incomplete status: [{INITC_CONTAINER_NAME}]")
    phase = "Failed" if not ok and (pod.get("spec") or {}).get("restartPolicy") == "Never" else None
    return _patch(pod, statuses, cond, phase)


def _patch(pod: Obj, statuses: list[Obj], condition: Obj | None, phase: str | None = None) -> Obj:
    status: Obj = {"initContainerStatuses": statuses}
    if condition is not None:
        status["conditions"] = [condition]
    if phase:
        status["phase"] = phase
    return {"metadata": {"uid": (pod.get("metadata") or {}).get("uid")}, "status": status}
