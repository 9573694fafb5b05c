"""What the init runner does for one pod: which pods it runs, the files a kubelet would mount, the env and
args of the waiter, and the status it writes (the exit code where ``kubectl describe`` shows it)."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import pytest

from grove.api.constants import INITC_POD_INFO_MOUNT, INITC_SA_TOKEN_MOUNT
from grove.devcluster import initc_plan as plan
from grove.kube.kubeconfig import load_config

Obj = dict[str, Any]


def grove_pod(**status: Any) -> Obj:
    """A pod as our operator writes it for a clique with startsAfter (plan_pods.add_init_container)."""
    pod: Obj = {
        "metadata": {"name": "w-0-b-x1", "namespace": "ns1", "uid": "u-1",
                     "labels": {"grove.io/podgang": "w-0", "grove.io/podclique": "w-0-b"}},
        "spec": {
            "nodeName": "kwok-node-3", "serviceAccountName": "w", "restartPolicy": "Always",
            "initContainers": [{
                "name": "grove-initc", "image": "grove-initc:1",
                "args": ["--podcliques=w-0-a:2"],
                "env": [{"name": "GROVE_PCS_NAME", "value": "w"},
                        {"name": "GROVE_PCLQ_POD_INDEX",
                         "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['grove.io/podclique']"}}}],
                "volumeMounts": [{"name": "pod-info-vol", "mountPath": INITC_POD_INFO_MOUNT, "readOnly": True},
                                 {"name": "sa-token-secret-vol", "mountPath": INITC_SA_TOKEN_MOUNT, "readOnly": True}],
            }],
            "containers": [{"name": "main", "image": "busybox"}],
            "volumes": [
                {"name": "sa-token-secret-vol", "secret": {"secretName": "w-ic-sat", "defaultMode": 420}},
                {"name": "pod-info-vol", "downwardAPI": {"items": [
                    {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}},
                    {"path": "podgangname", "fieldRef": {"fieldPath": "metadata.labels['grove.io/podgang']"}}]}},
            ],
        },
        "status": {"phase": "Pending", "podIP": "10.244.0.7",
                   "initContainerStatuses": [{"name": "grove-initc", "state": {"waiting": {"reason": "PodInitializing"}}}]},
    }
    pod["status"].update(status)
    return pod


def test_wants_run_only_started_unfinished_live_initc_pods() -> None:
    assert plan.wants_run(grove_pod())
    assert not plan.wants_run(grove_pod(podIP=None)), "not started by KWOK yet (start-up delay)"
    done = grove_pod(initContainerStatuses=[{"name": "grove-initc", "state": {"terminated": {"reason": "Completed"}}}])
    assert not plan.wants_run(done) and plan.completed(done)
    failed = grove_pod(initContainerStatuses=[{"name": "grove-initc", "state": {"terminated": {"reason": "Error"}}}])
    assert plan.wants_run(failed), "a failed waiter is restarted (after a runner restart too)"
    deleting = grove_pod()
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert not plan.wants_run(deleting)
    plain = grove_pod()
    del plain["spec"]["initContainers"]
    assert not plan.wants_run(plain)
    assert not plan.wants_run(grove_pod(phase="Running"))


def test_downward_api_files_are_what_kubelet_writes() -> None:
    pod = grove_pod()
    (info,) = [v for v in pod["spec"]["volumes"] if v["name"] == "pod-info-vol"]
    assert plan.downward_files(pod, info["downwardAPI"]["items"]) == {"namespace": b"ns1", "podgangname": b"w-0"}
    assert plan.field_value(pod, "metadata.labels") == 'grove.io/podclique="w-0-b"\ngrove.io/podgang="w-0"'
    assert plan.field_value(pod, "metadata.annotations['missing']") == ""
    assert plan.field_value(pod, "spec.serviceAccountName") == "w"
    with pytest.raises(plan.Unsupported, match=r"status\.phase"):
        plan.field_value(pod, "status.phase")


def test_secret_and_configmap_keys_as_files() -> None:
    secret = {"data": {"token": base64.b64encode(b"tok").decode(), "ca.crt": base64.b64encode(b"CA").decode(),
                       "namespace": base64.b64encode(b"ns1").decode()}}
    data = plan.secret_data(secret)
    assert plan.keyed_files(data, None, "s") == {"token": b"tok", "ca.crt": b"CA", "namespace": b"ns1"}
    assert plan.keyed_files(data, [{"key": "token", "path": "t/x"}], "s") == {"t/x": b"tok"}
    with pytest.raises(plan.Unsupported, match="no key 'nope'"):
        plan.keyed_files(data, [{"key": "nope", "path": "x"}], "Secret ns1/s")
    assert plan.configmap_data({"data": {"a": "1"}, "binaryData": {"b": base64.b64encode(b"\x00").decode()}}) == \
        {"a": b"1", "b": b"\x00"}


def test_token_request_is_bound_to_the_pod() -> None:
    req = plan.token_request(grove_pod(), {"audience": "api", "expirationSeconds": 600, "path": "token"})
    assert req["spec"] == {"expirationSeconds": 600, "audiences": ["api"],
                           "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "w-0-b-x1", "uid": "u-1"}}
    assert plan.token_request(grove_pod(), {})["spec"]["expirationSeconds"] == plan.DEFAULT_TOKEN_SECONDS


def test_env_in_kubelet_order_with_expansion_and_refs() -> None:
    pod = grove_pod()
    container = {
        "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "CM_"}, {"secretRef": {"name": "gone", "optional": True}}],
        "env": [{"name": "A", "value": "a"}, {"name": "B", "value": "$(A)-$(CM_X)-$(NOPE)-$$(A)"},
                {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "S", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "k"}}},
                {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "absent", "optional": True}}}],
    }
    objects = {("ConfigMap", "cm"): {"X": "x"}, ("Secret", "sec"): {"k": "secret-value"}}
    env = plan.resolve_env(pod, container, lambda kind, name: objects.get((kind, name)))
    assert env == {"CM_X": "x", "A": "a", "B": "a-x-$(NOPE)-$(A)", "NS": "ns1", "S": "secret-value"}
    assert plan.env_refs(container) == {("ConfigMap", "cm"), ("Secret", "gone"), ("Secret", "sec")}
    with pytest.raises(plan.Unsupported, match="key 'k' not found"):
        plan.resolve_env(pod, {"env": [container["env"][3]]}, lambda kind, name: None)


def test_process_plan_points_the_waiter_at_local_copies_of_its_mounts() -> None:
    pod = grove_pod()
    container = copy.deepcopy(pod["spec"]["initContainers"][0])
    container["args"] += [f"--pod-info-dir={INITC_POD_INFO_MOUNT}", f"{INITC_SA_TOKEN_MOUNT}/token", "--x=$(GROVE_PCS_NAME)"]
    local = {INITC_POD_INFO_MOUNT: "/tmp/s/pod-info", INITC_SA_TOKEN_MOUNT: "/tmp/s/sa"}
    env = plan.resolve_env(pod, container, lambda kind, name: None)
    p = plan.process_plan(pod, container, env, local, "127.0.0.1", 6443)
    assert p.args == ["--podcliques=w-0-a:2", "--pod-info-dir=/tmp/s/pod-info", "/tmp/s/sa/token", "--x=w"]
    assert p.env["GROVE_POD_INFO_DIR"] == "/tmp/s/pod-info"
    assert p.env["GROVE_SERVICE_ACCOUNT_DIR"] == "/tmp/s/sa"
    assert (p.env["KUBERNETES_SERVICE_HOST"], p.env["KUBERNETES_SERVICE_PORT"]) == ("127.0.0.1", "6443")
    assert p.env["GROVE_PCLQ_POD_INDEX"] == "w-0-b" and p.env["HOSTNAME"] == "w-0-b-x1"
    assert "KUBECONFIG" not in p.env


def test_mounts_must_name_a_volume() -> None:
    pod = grove_pod()
    container = {"volumeMounts": [{"name": "nope", "mountPath": "/x"}]}
    with pytest.raises(plan.Unsupported, match="names no volume"):
        plan.mounts(pod, container)
    assert [m.path for m in plan.mounts(pod, pod["spec"]["initContainers"][0])] == [INITC_POD_INFO_MOUNT,
                                                                                    INITC_SA_TOKEN_MOUNT]


def test_backoff_doubles_to_a_cap() -> None:
    assert [plan.backoff(n, 2, 30) for n in range(6)] == [2, 4, 8, 16, 30, 30]


def test_status_patches_carry_the_real_exit_code() -> None:
    pod = grove_pod()
    pod["spec"]["initContainers"].insert(0, {"name": "user-init", "image": "u"})
    pod["spec"]["initContainers"].append({"name": "sidecar", "image": "s", "restartPolicy": "Always"})
    running = plan.running_patch(pod, "t0", 0, None)
    states = {s["name"]: s["state"] for s in running["status"]["initContainerStatuses"]}
    assert states == {"user-init": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "t0",
                                                   "finishedAt": "t0"}},
                      "grove-initc": {"running": {"startedAt": "t0"}},
                      "sidecar": {"running": {"startedAt": "t0"}}}
    assert running["metadata"] == {"uid": "u-1"}, "a patch must never land on a same-named newer pod"

    failed_state = plan.terminated_state(1, "t0", "t1")
    failed = plan.terminated_patch(pod, failed_state, 0, None, "t1")
    (initc,) = [s for s in failed["status"]["initContainerStatuses"] if s["name"] == "grove-initc"]
    assert initc["state"]["terminated"] == {"exitCode": 1, "reason": "Error", "startedAt": "t0", "finishedAt": "t1"}
    assert initc["ready"] is False
    assert failed["status"]["conditions"][0]["status"] == "False"
    assert "phase" not in failed["status"], "restartPolicy Always: the pod stays Pending and is retried"

    retry = plan.running_patch(pod, "t2", 1, failed_state)
    (initc,) = [s for s in retry["status"]["initContainerStatuses"] if s["name"] == "grove-initc"]
    assert (initc["restartCount"], initc["lastState"]["terminated"]["exitCode"]) == (1, 1)

    ok = plan.terminated_patch(pod, plan.terminated_state(0, "t2", "t3"), 1, failed_state, "t3")
    (initc,) = [s for s in ok["status"]["initContainerStatuses"] if s["name"] == "grove-initc"]
    assert initc["state"]["terminated"]["reason"] == "Completed" and initc["ready"] is True
    assert ok["status"]["conditions"] == [{"type": "Initialized", "status": "True", "lastTransitionTime": "t3"}]

    never = copy.deepcopy(pod)
    never["spec"]["restartPolicy"] = "Never"
    assert plan.terminated_patch(never, failed_state, 0, None, "t1")["status"]["phase"] == "Failed"


def test_the_waiters_in_cluster_loader_reads_the_overridden_service_account_dir(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("tok\n")
    (tmp_path / "namespace").write_text("ns1")
    (tmp_path / "ca.crt").write_bytes(b"CA")
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443",
           "GROVE_SERVICE_ACCOUNT_DIR": str(tmp_path)}
    cfg = load_config(env=env, home=tmp_path / "home")
    assert (cfg.server, cfg.bearer_token(), cfg.namespace, cfg.ca_data) == ("https://127.0.0.1:6443", "tok", "ns1", b"CA")
