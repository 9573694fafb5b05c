"""The init runner against a fake API and a fake waiter (a shell script in place of the interpreter): one
process per pod however many updates arrive, the pod's volumes and env really handed to the process, the
real exit code in the status, a retry after a failure, and the process killed when the pod is deleted."""

from __future__ import annotations

import asyncio
import base64
import copy
import os
from pathlib import Path
from typing import Any

import pytest

from grove.devcluster.initc_runner import InitcRunner, RunnerOptions
from grove.kube.errors import NotFound
from tests.unit.devcluster.test_initc_plan import grove_pod

Obj = dict[str, Any]

FAKE_WAITER = """#!/bin/sh
echo "args: $*"
echo "ns=$(cat "$GROVE_POD_INFO_DIR/namespace") gang=$(cat "$GROVE_POD_INFO_DIR/podgangname")"
echo "token=$(cat "$GROVE_SERVICE_ACCOUNT_DIR/token") server=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
echo "kubeconfig=${KUBECONFIG:-unset}"
echo $$ >> "$RUNS"
n=$(wc -l < "$RUNS")
code=$(sed -n "${n}p" "$CODES")
if [ -n "$SLEEP" ]; then
  trap 'kill $child; exit 143' TERM
  sleep "$SLEEP" & child=$!
  wait $child
fi
exit ${code:-0}
"""


class FakeApi:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.patches: list[Obj] = []

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        try:
            return copy.deepcopy(self.objects[(kind, namespace or "", name)])
        except KeyError:
            raise NotFound(f'{kind.lower()}s "{name}" not found') from None

    async def patch(self, api_version: str, kind: str, name: str, patch: Any, **kw: Any) -> Obj:
        assert (kw.get("patch_type"), kw.get("subresource")) == ("strategic", "status")
        self.patches.append(patch)
        return {}

    def initc_states(self) -> list[Obj]:
        return [next(s for s in p["status"]["initContainerStatuses"] if s["name"] == "grove-initc")
                for p in self.patches]


@pytest.fixture
def world(tmp_path: Path) -> tuple[FakeApi, InitcRunner, Path]:
    script = tmp_path / "fake-python"
    script.write_text(FAKE_WAITER)
    script.chmod(0o755)
    api = FakeApi()
    api.objects[("Secret", "ns1", "w-ic-sat")] = {"data": {"token": base64.b64encode(b"sa-token-1").decode()}}
    runner = InitcRunner(api, RunnerOptions(state_dir=tmp_path / "state", python=str(script),  # type: ignore[arg-type]
                                            backoff_base=0.05, backoff_max=0.2), "127.0.0.1", 6443)
    return api, runner, tmp_path


def _pod(tmp: Path, codes: list[int], sleep: str = "") -> Obj:
    (tmp / "codes").write_text("".join(f"{c}\n" for c in codes))
    pod = grove_pod()
    pod["spec"]["initContainers"][0]["env"] += [{"name": "RUNS", "value": str(tmp / "runs")},
                                                {"name": "CODES", "value": str(tmp / "codes")},
                                                {"name": "SLEEP", "value": sleep}]
    return pod


def _runs(tmp: Path) -> list[int]:
    path = tmp / "runs"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


async def _until(what: str, cond: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_one_process_per_pod_through_an_update_storm_with_its_volumes_and_env(world: Any) -> None:
    api, runner, tmp = world
    pod = _pod(tmp, [0], sleep="0.3")
    for rv in range(50):  # the operator, the scheduler and KWOK all update the pod while it starts
        update = copy.deepcopy(pod)
        update["metadata"]["resourceVersion"] = str(rv)
        runner.observe(update)
    await _until("the waiter to finish", lambda: "u-1" in runner.done)
    for rv in range(50, 60):
        runner.observe(copy.deepcopy(pod) | {"metadata": {**pod["metadata"], "resourceVersion": str(rv)}})
    await asyncio.sleep(0.2)
    assert len(_runs(tmp)) == 1, "exactly one process for the pod"
    assert [list(s["state"]) for s in api.initc_states()] == [["running"], ["terminated"]]
    assert api.initc_states()[-1]["state"]["terminated"]["exitCode"] == 0
    assert api.patches[-1]["status"]["conditions"][0] == {"type": "Initialized", "status": "True",
                                                         "lastTransitionTime": api.patches[-1]["status"]["conditions"][0]["lastTransitionTime"]}
    (log,) = (runner.options.state_dir / "logs" / "initc").iterdir()
    text = log.read_text()
    assert log.name == "ns1_w-0-b-x1_u-1.log"
    assert "args: -m grove.initc --podcliques=w-0-a:2" in text
    assert "ns=ns1 gang=w-0" in text
    assert "token=sa-token-1 server=127.0.0.1:6443" in text
    assert "kubeconfig=unset" in text, "the waiter must not see the runner's admin kubeconfig"
    assert "exited with code 0" in text


async def test_failure_shows_the_exit_code_then_a_backoff_retry_recovers(world: Any) -> None:
    api, runner, tmp = world
    runner.observe(_pod(tmp, [3, 3, 0]))
    await _until("the third run to complete", lambda: "u-1" in runner.done)
    assert len(_runs(tmp)) == 3
    states = api.initc_states()
    assert [(list(s["state"]), s["restartCount"]) for s in states] == [
        (["running"], 0), (["terminated"], 0), (["running"], 1), (["terminated"], 1), (["running"], 2),
        (["terminated"], 2)]
    assert states[1]["state"]["terminated"]["exitCode"] == 3 and states[1]["state"]["terminated"]["reason"] == "Error"
    assert states[2]["lastState"]["terminated"]["exitCode"] == 3
    assert states[-1]["state"]["terminated"]["reason"] == "Completed"


async def test_deleting_the_pod_kills_its_waiter_and_leaves_the_status_alone(world: Any) -> None:
    api, runner, tmp = world
    pod = _pod(tmp, [0], sleep="30")
    runner.observe(pod)
    await _until("the waiter to start", lambda: _runs(tmp))
    (pid,) = _runs(tmp)
    deleting = copy.deepcopy(pod)
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    runner.observe(deleting)
    await _until("the waiter to be killed", lambda: not _alive(pid))
    await asyncio.sleep(0.1)
    assert [list(s["state"]) for s in api.initc_states()] == [["running"]], "no status for a deleted pod"
    assert not runner.workers
    runner.observe(deleting)
    await asyncio.sleep(0.1)
    assert len(_runs(tmp)) == 1, "a deleting pod is never started again"


async def test_waits_for_the_token_secret_like_a_kubelet_mount(world: Any) -> None:
    api, runner, tmp = world
    del api.objects[("Secret", "ns1", "w-ic-sat")]
    runner.observe(_pod(tmp, [0]))
    await asyncio.sleep(0.3)
    assert _runs(tmp) == [] and api.patches == []
    api.objects[("Secret", "ns1", "w-ic-sat")] = {"data": {"token": base64.b64encode(b"late").decode()}}
    await _until("the waiter to finish", lambda: "u-1" in runner.done)
    assert len(_runs(tmp)) == 1


async def test_unsupported_volume_is_reported_as_a_failed_start(world: Any) -> None:
    api, runner, tmp = world
    pod = _pod(tmp, [0])
    pod["spec"]["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
    pod["spec"]["initContainers"][0]["volumeMounts"].append({"name": "host", "mountPath": "/host"})
    pod["spec"]["restartPolicy"] = "Never"
    runner.observe(pod)
    await _until("the failure to be written", lambda: api.patches)
    await asyncio.sleep(0.1)
    term = api.initc_states()[-1]["state"]["terminated"]
    assert term["exitCode"] == 1 and "hostPath" not in term["message"] and "only downwardAPI" in term["message"]
    assert api.patches[-1]["status"]["phase"] == "Failed"
    assert _runs(tmp) == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"
