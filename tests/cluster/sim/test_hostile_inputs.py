"""Hostile input through ``grove validate`` and ``grove sim run`` as separate processes: never a
traceback, never a hang, never a memory blow-up; exit 1 with a message naming the field or the limit.

Cases run in forked children of one pre-imported server (:mod:`tests.cluster.sim.cli_forks`), so each
is its own process (exit code, peak RSS, wall time) at the cost of its work only. Two cases also run
as plain ``python -m grove`` subprocesses, interpreter start included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cluster.sim.cli_forks import CliForks, CliResult
from tests.unit.api.test_bounded_yaml import alias_bomb

PCS_HEAD = "apiVersion: grove.io/v1alpha1\nkind: PodCliqueSet\nmetadata: {name: x}\n"


def pcs_text(replicas: int = 1, extra: str = "") -> str:
    return (PCS_HEAD + "spec:\n  replicas: 1\n  template:\n    cliques:\n    - name: a\n      spec:\n        roleName: a\n"
            f"        replicas: {replicas}\n        podSpec: {{containers: [{{name: c, image: i}}]}}\n" + extra)


BOMB = PCS_HEAD.replace("name: x", "name: bomb") + "x:\n" + "".join(
    f"  {line}\n" for line in alias_bomb().splitlines()) + "spec: {template: {cliques: []}}\n"


@pytest.fixture(scope="module")
def cli() -> Iterator[CliForks]:
    forks = CliForks()
    yield forks
    forks.close()


def run_both(cli: CliForks, tmp_path: Path, text: str | bytes, *extra: str) -> list[tuple[str, CliResult]]:
    data = text.encode() if isinstance(text, str) else text
    f = tmp_path / "input.yaml"
    f.write_bytes(data)
    out = []
    for command in (["validate"], ["sim", "run"]):
        out.append((" ".join(command), cli.run([*command, "-f", str(f), *extra])))
        out.append((" ".join(command) + " (stdin)", cli.run([*command, "-f", "-", *extra], stdin=data)))
    return out


def assert_clear_failure(results: list[tuple[str, CliResult]], *needles: str) -> None:
    for command, r in results:
        assert not r.timed_out, f"{command}: still running after 5 s"
        assert "Traceback" not in r.stderr, f"{command}:\n{r.stderr}"
        assert r.rc == 1, f"{command}: exit {r.rc}\n{r.stderr}"
        assert all(n in r.stderr for n in needles), f"{command}: {needles} not in:\n{r.stderr}"
        assert r.maxrss_mb < 300, f"{command}: {r.maxrss_mb:.0f} MB"


@pytest.mark.parametrize(("text", "needle"), [
    ("42\n", "must be a Kubernetes object"),
    ("- a\n- b\n", "must be a Kubernetes object"),
    ('[{"apiVersion": "v1"}, 2]\n', "must be a Kubernetes object"),
    ("apiVersion: v1\nkind: List\nitems: [1, x]\n", "items[0]: must be an object"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: Bad NS}\n", "metadata.namespace"),
    (b"apiVersion: v1\nkind: \xff\xfe\n", "not UTF-8 text: invalid byte 0xff at offset 21"),
    ("", "no objects passed"),
    ("# just a comment\n---\n", "no objects passed"),
])
def test_former_tracebacks_are_clear_errors(cli: CliForks, tmp_path: Path, text: str | bytes, needle: str) -> None:
    assert_clear_failure(run_both(cli, tmp_path, text), needle)


def test_apply_step_naming_a_missing_file(cli: CliForks, tmp_path: Path) -> None:
    steps = tmp_path / "steps.yaml"
    steps.write_text(yaml.safe_dump([{"apply": str(tmp_path / "missing.yaml")}]))
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    r = cli.run(["sim", "run", "-f", str(tmp_path / "cm.yaml"), "--steps", str(steps)])
    assert_clear_failure([("sim run", r)], "step 0 (apply)", "missing.yaml: no such file or directory")


def test_alias_bomb_and_int32_replicas_stop_at_once(cli: CliForks, tmp_path: Path) -> None:
    bomb = run_both(cli, tmp_path, BOMB)
    assert_clear_failure(bomb, "excessive aliasing")
    huge = run_both(cli, tmp_path, pcs_text(replicas=2**31 - 1))
    assert_clear_failure(huge, "spec.template.cliques[0].spec.replicas", "limit of 10000 pods per PodCliqueSet")
    for command, r in bomb + huge:
        assert r.seconds < 2 and r.maxrss_mb < 150, (command, r.seconds, r.maxrss_mb)


PEAK_RSS = """
import atexit, os, runpy, sys
def report():
    with open('/proc/self/status') as fh:
        peak = next(line.split()[1] for line in fh if line.startswith('VmHWM:'))
    with open(os.environ['GROVE_TEST_PEAK_RSS'], 'w') as out:
        out.write(peak)
atexit.register(report)
sys.argv = ['grove', *sys.argv[1:]]
runpy.run_module('grove', run_name='__main__')
"""
"""``python -m grove`` that writes its own peak RSS (VmHWM, kB) at exit: the kernel's rusage maxrss of a
child also counts the parent's pages it was forked with (a large pytest process), VmHWM only its own."""


@pytest.mark.parametrize("case", ["bomb", "replicas"])
def test_whole_process_within_budget(tmp_path: Path, case: str) -> None:
    """Interpreter start included: CPU time under 2 s and peak RSS under 150 MB (wall time is printed;
    it also counts waiting for a CPU on a loaded machine)."""
    f = tmp_path / "input.yaml"
    f.write_text(BOMB if case == "bomb" else pcs_text(replicas=2**31 - 1))
    peak_file = tmp_path / "peak"
    for command in (["validate"], ["sim", "run"]):
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", PEAK_RSS, *command, "-f", str(f)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "GROVE_TEST_PEAK_RSS": str(peak_file)})
        assert proc.stderr is not None
        stderr = proc.stderr.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        cpu, rss_mb = usage.ru_utime + usage.ru_stime, int(peak_file.read_text()) / 1024
        print(f"{case}: grove {' '.join(command)}: exit {proc.returncode}, wall {wall:.2f} s, cpu {cpu:.2f} s, "
              f"peak RSS {rss_mb:.0f} MB")
        assert proc.returncode == 1 and "Traceback" not in stderr, stderr
        assert cpu < 2.0 and rss_mb < 150


TYPOS = pcs_text().replace("spec:\n  replicas: 1\n", "spec:\n  replicaz: 2\n").replace(
    "        replicas: 1\n", "        replicas: 1\n        replicas: 1\n        minAvalable: 1\n").replace(
    "{name: c, image: i}", "{name: c, image: i, imagee: j}")
TYPO_WARNINGS = ['unknown field "spec.replicaz" (did you mean "replicas"?)',
                 'unknown field "spec.template.cliques[0].spec.minAvalable" (did you mean "minAvailable"?)',
                 'unknown field "spec.template.cliques[0].spec.podSpec.containers[0].imagee" (did you mean "image"?)',
                 'line 12: duplicate key "replicas" (the last value wins)']


def test_unknown_fields_and_duplicate_keys_warn_by_default_and_fail_with_strict(cli: CliForks,
                                                                                 tmp_path: Path) -> None:
    f = tmp_path / "typos.yaml"
    f.write_text(TYPOS)
    for command in (["validate"], ["sim", "run"]):
        lenient = cli.run([*command, "-f", str(f)])
        assert lenient.rc == 0, lenient.stderr
        assert all(w in lenient.stderr for w in TYPO_WARNINGS), lenient.stderr
        strict = cli.run([*command, "-f", str(f), "--strict"])
        assert_clear_failure([(" ".join(command) + " --strict", strict)], "spec.replicaz", "minAvalable",
                             "containers[0].imagee", "line 12")
    validate_strict = cli.run(["validate", "-f", str(f), "--strict"])
    assert 'spec.replicaz: Unsupported value: "replicaz": supported values: "replicas", "template", ' \
           '"updateStrategy"' in validate_strict.stderr


def test_operator_config_with_a_typo_or_of_another_kind_is_refused(cli: CliForks, tmp_path: Path) -> None:
    f = tmp_path / "pcs.yaml"
    f.write_text(pcs_text())
    typo = tmp_path / "typo.yaml"
    typo.write_text("apiVersion: operator.config.grove.io/v1alpha1\nkind: OperatorConfiguration\n"
                    "topologyAwareSchedulng: {enabled: true}\n")
    other = tmp_path / "other.yaml"
    other.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    out = cli.run(["validate", "-f", str(f), "--config", str(typo)])
    assert out.rc == 2 and 'unknown field "topologyAwareSchedulng"' in out.stderr, out.stderr
    out = cli.run(["validate", "-f", str(f), "--config", str(other)])
    assert out.rc == 2 and "expected apiVersion operator.config.grove.io/v1alpha1" in out.stderr, out.stderr


NODE_WITHOUT_CONDITIONS = ("apiVersion: v1\nkind: NodeList\nitems:\n" + "".join(
    f"- metadata: {{name: bare-{i}}}\n  status:\n    capacity: {{cpu: '8', memory: 32Gi, pods: '110'}}\n"
    f"    allocatable: {{cpu: '8', memory: 32Gi, pods: '110'}}\n" for i in range(2)))


def test_nodes_without_conditions_are_ready_with_one_notice(cli: CliForks, tmp_path: Path) -> None:
    (tmp_path / "nodes.yaml").write_text(NODE_WITHOUT_CONDITIONS)
    (tmp_path / "pcs.yaml").write_text(pcs_text(replicas=2))
    out = cli.run(["sim", "run", "-f", str(tmp_path / "nodes.yaml"), "-f", str(tmp_path / "pcs.yaml"),
                   "--until", "ready", "--fail-unready", "-o", "json"])
    assert out.rc == 0, out.stderr
    notices = [line for line in out.stderr.splitlines() if line.startswith("notice:")]
    assert notices == ["notice: 2 Node(s) without status.conditions taken as Ready, as KWOK does: bare-0, bare-1"]
    assert out.stdout.count('"nodeName": "bare-') == 2


def test_a_wait_that_times_out_says_so_and_fail_unready_exits_1(cli: CliForks, tmp_path: Path) -> None:
    (tmp_path / "pcs.yaml").write_text(pcs_text(replicas=3).replace("{name: c, image: i}",
                                       "{name: c, image: i, resources: {requests: {nvidia.com/gpu: '8'}}}"))
    steps = tmp_path / "steps.yaml"
    steps.write_text("- wait: {until: ready, timeout: 30s}\n")
    args = ["sim", "run", "--nodes", "2", "-f", str(tmp_path / "pcs.yaml"), "--until", "ready", "--timeout", "1m"]
    out = cli.run([*args, "--steps", str(steps)])
    assert out.rc == 0, out.stderr
    assert ("error: --until ready: timed out after 60s of virtual time waiting for every PodCliqueSet to be "
            "available; not available: x (0/1 available); 3 pod(s) not scheduled") in out.stderr, out.stderr
    assert "error: step 0 (wait): timed out after 30s" in out.stderr
    failed = cli.run([*args, "--fail-unready"])
    assert failed.rc == 1 and "timed out after 60s" in failed.stderr and "PodCliqueSet x" in failed.stdout


KAI_QUEUES = """apiVersion: scheduling.run.ai/v2
kind: Queue
metadata: {name: default-parent-queue}
spec: {resources: {cpu: {limit: -1, overQuotaWeight: 1, quota: 0}, gpu: {limit: -1, overQuotaWeight: 1, quota: 0}}}
---
apiVersion: scheduling.run.ai/v2
kind: Queue
metadata: {name: default-queue}
spec: {parentQueue: default-parent-queue}
---
apiVersion: scheduling.volcano.sh/v1beta1
kind: Queue
metadata: {name: closed}
spec: {weight: 1}
status: {state: Closed}
"""


def test_typed_node_list_and_scheduler_queues_are_accepted(cli: CliForks, tmp_path: Path) -> None:
    (tmp_path / "nodes.yaml").write_text(NODE_WITHOUT_CONDITIONS.replace("- metadata:", "- kind: Node\n  metadata:", 1))
    (tmp_path / "queues.yaml").write_text(KAI_QUEUES)
    (tmp_path / "pcs.yaml").write_text(pcs_text().replace("metadata: {name: x}",
                                       "metadata: {name: x, labels: {kai.scheduler/queue: default-queue}}"))
    out = cli.run(["sim", "run", "-f", str(tmp_path / "nodes.yaml"), "-f", str(tmp_path / "queues.yaml"),
                   "-f", str(tmp_path / "pcs.yaml"), "--until", "ready", "--fail-unready", "-o", "json"])
    assert out.rc == 0, out.stderr
    doc = yaml.safe_load(out.stdout)
    queues = sorted((o["apiVersion"], o["metadata"]["name"]) for o in doc["objects"] if o["kind"] == "Queue")
    assert queues == [("scheduling.run.ai/v2", "default-parent-queue"), ("scheduling.run.ai/v2", "default-queue"),
                      ("scheduling.volcano.sh/v1beta1", "closed")]
    assert sorted(o["metadata"]["name"] for o in doc["objects"] if o["kind"] == "Node") == ["bare-0", "bare-1"]
    # A Volcano Queue given as input answers the webhook's queue check, as on a cluster with Volcano.
    volcano = pcs_text().replace("metadata: {name: x}", "metadata: {name: v, annotations: "
                                 "{scheduling.grove.io/volcano-queue: closed}}").replace(
        "podSpec: {containers", "podSpec: {schedulerName: volcano, containers")
    (tmp_path / "volcano.yaml").write_text(volcano)
    out = cli.run(["sim", "run", "-f", str(tmp_path / "queues.yaml"), "-f", str(tmp_path / "volcano.yaml")])
    assert_clear_failure([("sim run", out)], "PodCliqueSet/v rejected", "closed")
