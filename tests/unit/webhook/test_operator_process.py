"""``grove operator`` plumbing without a cluster: §10.3 config validation and exit codes, bind addresses,
Prometheus rendering, and the process lifecycle (probes, readiness after webhooks, SIGTERM-like stop)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from grove.api.models.config import OperatorConfiguration
from grove.operator.config import ConfigError, load_operator_config, validate_operator_config
from grove.operator.main import scheduler_names_for
from grove.operator.metrics import Histogram, Metrics
from grove.operator.process import GroveProcess, ProcessSpec, bind_host
from grove.runtime.controller import Result
from grove.runtime.manager import Manager
from tests.unit.webhook.fakes import FakeKube


def _write(tmp_path: Path, body: Any) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(yaml.safe_dump(body))
    return p


@pytest.mark.parametrize(("body", "expected"), [
    ({"logLevel": "loud"}, "logLevel: Unsupported value"),
    ({"logFormat": "xml"}, "logFormat: Unsupported value"),
    ({"scheduler": {"profiles": [{"name": "kai-scheduler"}, {"name": "kai-scheduler"}]}},
     "scheduler.profiles[1].name: Duplicate value"),
    ({"scheduler": {"profiles": [{"name": "bogus"}]}}, "scheduler.profiles[0].name: Unsupported value"),
    ({"scheduler": {"defaultProfileName": "kai-scheduler"}}, "defaultProfileName: Invalid value"),
    ({"controllers": {"podClique": {"concurrentSyncs": 0}}}, "controllers.podClique.concurrentSyncs"),
    ({"runtimeClientConnection": {"burst": -1}}, "runtimeClientConnection.burst"),
    ({"leaderElection": {"enabled": True, "leaseDuration": "5s", "renewDeadline": "10s"}},
     "leaseDuration: Invalid value: must be greater than renewDeadline"),
    ({"leaderElection": {"enabled": True, "retryPeriod": "soon"}}, "leaderElection.retryPeriod: Invalid value"),
    ({"leaderElection": {"enabled": True, "resourceName": ""}}, "leaderElection.resourceName: Required value"),
    ({"kind": "Deployment"}, "expected apiVersion"),
    ({"apiVersion": "apps/v1", "kind": "OperatorConfiguration"}, "got apiVersion 'apps/v1'"),
    ({"server": {"webhooks": {"port": "x"}}}, "server.webhooks.port"),
    ({"topologyAwareSchedulng": {"enabled": True}},
     'unknown field "topologyAwareSchedulng" (did you mean "topologyAwareScheduling"?)'),
    ({"leaderElection": {"enabled": True, "leaseDurration": "20s"}}, 'unknown field "leaderElection.leaseDurration"'),
])
def test_bad_configs_are_named(tmp_path: Path, body: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_operator_config(_write(tmp_path, body))
    assert expected in str(err.value)


def test_duplicate_keys_and_non_yaml_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("logLevel: info\nlogLevel: debug\n")
    with pytest.raises(ConfigError, match='line 2: duplicate key "logLevel"'):
        load_operator_config(p)
    p.write_bytes(b"logLevel: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_operator_config(p)


def test_leader_election_rules_apply_only_when_enabled() -> None:
    cfg = OperatorConfiguration.model_validate({"leaderElection": {"leaseDuration": "1s", "renewDeadline": "9s"}})
    assert validate_operator_config(cfg) == []


def test_empty_file_is_the_go_defaults(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("")
    cfg = load_operator_config(p)
    assert cfg.server.webhooks.port == 2750 and cfg.scheduler.default_profile_name == "default-scheduler"


def test_cli_exit_codes(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "grove", *args], capture_output=True, text=True, timeout=60)

    assert run("operator").returncode == 1
    assert run("operator", "--version").stdout.strip()
    bad = run("operator", "--config", str(_write(tmp_path, {"logLevel": "loud"})))
    assert bad.returncode == 2 and "logLevel" in bad.stderr
    assert run("scheduler", "--config", str(tmp_path / "missing.yaml")).returncode == 2
    good = _write(tmp_path, {})
    nokube = run("operator", "--config", str(good), "--kubeconfig", str(tmp_path / "nope"))
    assert nokube.returncode == 4 and "kubeconfig" in nokube.stderr


def test_bind_host() -> None:
    assert bind_host("") == ("127.0.0.1", None)
    assert bind_host("0.0.0.0") == ("0.0.0.0", None)
    assert bind_host(":8080") == ("127.0.0.1", 8080)
    assert bind_host("[::1]:9443") == ("::1", 9443)


def test_scheduler_names_default_is_grove_scheduler_only() -> None:
    # the enabled profiles (kai-scheduler here) are left to their own schedulers unless opted in
    assert scheduler_names_for(None) == scheduler_names_for([]) == ["grove-scheduler"]
    assert scheduler_names_for(["grove-scheduler", "kai-scheduler", "kai-scheduler"]) == [
        "grove-scheduler", "kai-scheduler"]


def test_histogram_is_cumulative() -> None:
    h = Histogram()
    for v in (0.001, 0.02, 0.02, 100.0):
        h.observe(v)
    lines = list(h.lines("x", 'c="a"'))
    assert 'x_bucket{c="a",le="0.005"} 1' in lines
    assert 'x_bucket{c="a",le="0.025"} 3' in lines
    assert 'x_bucket{c="a",le="60"} 3' in lines
    assert 'x_bucket{c="a",le="+Inf"} 4' in lines
    assert 'x_count{c="a"} 4' in lines


async def test_metrics_count_reconciles_and_errors() -> None:
    manager = Manager(FakeKube())
    calls = 0

    async def reconcile(_: Any) -> Result:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("boom")
        return Result()

    ctrl = manager.new_controller("demo", reconcile)
    metrics = Metrics()
    metrics.instrument(manager)
    metrics.instrument(manager)  # idempotent: one timing wrapper
    for _ in range(3):
        await ctrl._reconcile_one("k")  # type: ignore[arg-type]
    text = metrics.render([manager], leader={"lease": True})
    assert 'controller_runtime_reconcile_total{controller="demo",result="success"} 2' in text
    assert 'controller_runtime_reconcile_total{controller="demo",result="error"} 1' in text
    assert 'controller_runtime_reconcile_errors_total{controller="demo"} 1' in text
    assert 'controller_runtime_reconcile_time_seconds_count{controller="demo"} 3' in text
    assert 'leader_election_master_status{name="lease"} 1' in text
    assert "# TYPE workqueue_depth gauge" in text


async def test_process_probes_ready_and_stop() -> None:
    started: list[str] = []
    spec = ProcessSpec(name="test", lease_name="l", setup=lambda m: started.append("setup"), webhooks=False,
                       health_port=0, metrics_port=0)
    cfg = OperatorConfiguration()
    proc = GroveProcess(spec, cfg, FakeKube(), namespace="ns", identity="me")
    task = asyncio.create_task(proc.run())
    for _ in range(100):
        if proc.state.ready and started:
            break
        await asyncio.sleep(0.02)
    assert proc.state.ready and started == ["setup"] and proc.state.leader
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{proc.state.health_port}/readyz") as r:
            assert r.status == 200
        async with s.get(f"http://127.0.0.1:{proc.state.metrics_port}/metrics") as r:
            assert r.status == 200 and 'leader_election_master_status{name="l"} 1' in await r.text()
    proc.stop_event.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert not proc.state.ready
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectionError):
            await s.get(f"http://127.0.0.1:{proc.state.health_port}/healthz")
