"""Upstream Grove's own Go e2e suite as compiled test binaries (hack/build-upstream-e2e.sh), and its results.

The binaries are ``go test -c`` builds of upstream's ``operator/e2e/tests`` and ``.../tests/update``
packages. A run is one binary with ``-test.v -test.run <pattern>``, from the package's source folder
(its tests read ``../yaml/...`` and ``../../yaml/...``), ``KUBECONFIG`` pointing at our cluster and
``GROVE_E2E_NO_DOCKER`` set (hack/upstream-e2e/no-docker.patch). :func:`parse_go_test` turns the verbose
output into one :class:`TestResult` per test and subtest, with the lines each one logged.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "hack" / "build-upstream-e2e.sh"

PACKAGES = {"grove-e2e-tests": "e2e/tests", "grove-e2e-update": "e2e/tests/update"}
"""Test binary -> its package folder under upstream's ``operator/``."""

GROUPS: dict[str, tuple[str, str]] = {
    "GS": ("grove-e2e-tests", r"^Test_GS\d+_"),
    "GT": ("grove-e2e-tests", r"^Test_GT\d+_"),
    "SO": ("grove-e2e-tests", r"^Test_SO\d+_"),
    "TAS": ("grove-e2e-tests", r"^Test_TAS\d+_"),
    "CD": ("grove-e2e-tests", r"^Test_CascadeDelete"),
    "RS": ("grove-e2e-tests", r"^Test_RS\d+_"),
    "RU": ("grove-e2e-update", r"^Test_RU\d+_"),
    "OD": ("grove-e2e-update", r"^Test_OD\d+_"),
}
"""The groups the local control plane supports: binary and ``-test.run`` pattern (names as upstream's)."""

NOT_RUN: dict[str, str] = {
    "Test_CM1_CertManagementRoundTrip": "installs cert-manager from its remote Helm repository (jetstack); "
                                        "no download site is reachable here",
    "Test_CRD_Installer_AllCRDsExist": "helm-upgrades upstream's own chart (its crd-installer image) over the "
                                       "installed release; we test our chart, and no image can be pulled here",
    "Test_CRD_Installer_Idempotent": "as Test_CRD_Installer_AllCRDsExist",
    "Test_CRD_Installer_InitContainerCompleted": "as Test_CRD_Installer_AllCRDsExist",
    "auto-mnnvl/*": "a separate package needing clusters with and without the GPU operator's ComputeDomain "
                    "CRDs and the operator restarted per case (upstream's mnnvl-test profile)",
    "scale/*": "1,000-pod performance runs that port-forward to the operator Pod's pprof and Pyroscope; "
               "the operator is a local process here, not a Pod",
    "upgrade/*": "downloads upstream's latest release from GitHub",
    "Test_RU13, RU14, RU15, RU17, RU21": "commented out upstream at this commit (/* This test is flaky ... */)",
}
"""Upstream tests outside :data:`GROUPS`, with why they cannot run on this machine."""


@dataclass
class TestResult:
    name: str
    status: str = "RUN"  # PASS, FAIL, SKIP, or RUN when the binary stopped before reporting it
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)

    @property
    def parent(self) -> str:
        return self.name.split("/", 1)[0]


_RUN = re.compile(r"^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)")
_DONE = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (\S+) \((\d+(?:\.\d+)?)s\)")
_MESSAGE = re.compile(r"^\s+(\w+\.go:\d+: .*)$")


def parse_go_test(output: str) -> dict[str, TestResult]:
    """Every test and subtest of verbose ``go test`` output, with the ``file.go:N:`` lines it logged."""
    results: dict[str, TestResult] = {}
    current: str | None = None
    for line in output.splitlines():
        if m := _RUN.match(line):
            current = m.group(1)
            results.setdefault(current, TestResult(current))
        elif m := _DONE.match(line):
            res = results.setdefault(m.group(2), TestResult(m.group(2)))
            res.status, res.seconds = m.group(1), float(m.group(3))
        elif (m := _MESSAGE.match(line)) and current is not None:
            results[current].messages.append(m.group(1))
    return results


def declared_tests(source: Path, package: str, pattern: str) -> list[str]:
    """The top-level ``Test_*`` functions of ``package`` (upstream's source) whose names match ``pattern``."""
    names: set[str] = set()
    for path in sorted((source / package).glob("*_test.go")):
        # upstream comments flaky tests out with /* ... */ (RU13-15, RU17, RU21 at this commit)
        code = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        names.update(re.findall(r"^func (Test\w+)\(t \*testing\.T\)", code, flags=re.M))
    return sorted(n for n in names if re.search(pattern, n))


@dataclass(frozen=True)
class UpstreamSuite:
    root: Path

    @classmethod
    def default(cls) -> UpstreamSuite:
        out = subprocess.run([str(BUILD_SCRIPT), "--print-dir"], capture_output=True, text=True, check=True)
        return cls(Path(out.stdout.strip()))

    @property
    def operator_source(self) -> Path:
        return self.root / "src" / "grove" / "operator"

    def binary(self, name: str) -> Path:
        return self.root / "bin" / name

    def missing(self) -> list[str]:
        return [n for n in PACKAGES if not self.binary(n).is_file()]

    def expected(self, group: str) -> list[str]:
        binary, pattern = GROUPS[group]
        return declared_tests(self.operator_source, PACKAGES[binary], pattern)

    def run_pattern(self, binary: str, pattern: str, kubeconfig: Path, log: Path, *, timeout: float,
                    extra_env: dict[str, str] | None = None,
                    running: list[subprocess.Popen[bytes]] | None = None) -> tuple[dict[str, TestResult], float, int]:
        """Run the tests of ``binary`` matching ``pattern``; returns their results, wall seconds and the
        binary's exit code. Output goes to ``log``; the process sits in ``running`` while it runs (so a
        caller tearing its cluster down can kill it)."""
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "GROVE_E2E_NO_DOCKER": "1", **(extra_env or {})}
        args = [str(self.binary(binary)), "-test.v", "-test.run", pattern, "-test.count=1",
                f"-test.timeout={int(timeout)}s"]
        log.parent.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        with log.open("w") as fh:
            proc = subprocess.Popen(args, cwd=self.operator_source / PACKAGES[binary], env=env, stdout=fh,
                                    stderr=subprocess.STDOUT)
            if running is not None:
                running.append(proc)
            try:
                rc = proc.wait(timeout + 60)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
            finally:
                if running is not None:
                    running.remove(proc)
        took = time.monotonic() - start
        return parse_go_test(log.read_text(errors="replace")), took, rc


def summary_rows(group: str, expected: Iterable[str], results: dict[str, TestResult]) -> list[str]:
    """``group test status seconds`` lines, top-level tests only, for the run's report."""
    return [f"{group:4} {name:70} {results[name].status if name in results else 'NOT RUN':7} "
            f"{results[name].seconds if name in results else 0:7.1f}" for name in expected]


WRONG_PATH = "spec.schedulerTopologyReferences"
"""TAS21 expects the ClusterTopologyBinding webhook's errors under this path, which does not exist: the JSON
field is ``spec.schedulerTopologyBindings`` (docs/divergences.md). Ours report the real path."""
RIGHT_PATH = "spec.schedulerTopologyBindings"


def tas21_expectations(source: Path) -> dict[str, list[str]]:
    """TAS21's webhook cases as upstream's test declares them: subtest name -> the substrings it asserts."""
    return tas21_cases((source / "e2e" / "tests" / "topology_test.go").read_text())


def tas21_cases(text: str) -> dict[str, list[str]]:
    body = text[text.index("func Test_TAS21_"):]
    end = body.find("\nfunc ", 1)
    body = body if end < 0 else body[:end]
    cases: dict[str, list[str]] = {}
    for name, wanted in re.findall(r'\bname:\s+"([^"]+)",.*?errContains:\s+\[\]string\{([^}]*)\}', body, flags=re.S):
        cases[name.replace(" ", "_")] = re.findall(r'"((?:[^"\\]|\\.)*)"', wanted)
    return cases


_EXPECTED_CONTAINING = re.compile(r'Expected validation error containing "((?:[^"\\]|\\.)*)", got: (.*)$')


def only_wrong_path(result: TestResult, wanted: list[str]) -> str | None:
    """None if ``result`` failed only because it looked for :data:`WRONG_PATH`: its one failure names a
    wanted substring with that path, and with our path put back the error it got holds every wanted
    substring. Otherwise, why not."""
    if len(result.messages) != 1:
        return f"{result.name}: {len(result.messages)} failure lines: {result.messages}"
    m = _EXPECTED_CONTAINING.search(result.messages[0])
    if m is None:
        return f"{result.name}: not a missing-substring failure: {result.messages[0]}"
    missing, got = m.group(1), m.group(2)
    if WRONG_PATH not in missing:
        return f"{result.name}: missing {missing!r}, which is not the wrong path"
    fixed = got.replace(RIGHT_PATH, WRONG_PATH)
    absent = [w for w in wanted if w not in fixed]
    if absent:
        return f"{result.name}: with the path put back, the error still lacks {absent}: {got}"
    return None


def group_failures(group: str, expected: list[str], results: dict[str, TestResult], source: Path) -> list[str]:
    """What is wrong with one group's run: tests that did not pass (TAS21 may fail only on the wrong path)."""
    problems: list[str] = []
    tas21 = tas21_expectations(source) if group == "TAS" else {}
    for name in expected:
        res = results.get(name)
        if res is None:
            problems.append(f"{name}: never ran (the binary stopped before it)")
        elif name.startswith("Test_TAS21_") and res.status == "FAIL":
            subs = {r.name.split("/", 1)[1]: r for r in results.values() if r.parent == name and "/" in r.name}
            if res.messages:
                problems.append(f"{name}: failed outside its webhook cases: {res.messages}")
            for case, wanted in tas21.items():
                sub = subs.get(case)
                if sub is None:
                    problems.append(f"{name}/{case}: never ran")
                elif sub.status == "FAIL" and WRONG_PATH in " ".join(wanted):
                    why = only_wrong_path(sub, wanted)
                    if why:
                        problems.append(why)
                elif sub.status != "PASS":
                    problems.append(f"{name}/{case}: {sub.status}: {sub.messages}")
        elif res.status != "PASS":
            problems.append(f"{name}: {res.status} after {res.seconds:.1f}s: " + " | ".join(res.messages[-5:]))
    return problems
