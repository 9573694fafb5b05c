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
    return (PCS_HEAD + "spec:\n  template:\n    cliques:\n    - name: a\n      spec:\n        roleName: a\n"
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


@pytest.mark.parametrize("case", ["bomb", "replicas"])
def test_whole_process_within_budget(tmp_path: Path, case: str) -> None:
    """Interpreter start included: CPU time under 2 s and peak RSS under 150 MB (wall time is printed;
    it also counts waiting for a CPU on a loaded machine)."""
    f = tmp_path / "input.yaml"
    f.write_text(BOMB if case == "bomb" else pcs_text(replicas=2**31 - 1))
    for command in (["validate"], ["sim", "run"]):
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "grove", *command, "-f", str(f)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        stderr = proc.stderr.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        cpu, rss_mb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
        print(f"{case}: grove {' '.join(command)}: exit {proc.returncode}, wall {wall:.2f} s, cpu {cpu:.2f} s, "
              f"peak RSS {rss_mb:.0f} MB")
        assert proc.returncode == 1 and "Traceback" not in stderr, stderr
        assert cpu < 2.0 and rss_mb < 150
