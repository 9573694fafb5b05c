"""The table test: >= 100 crafted hostile inputs (:mod:`tests.cluster.sim.hostile_cases`) through
``grove validate`` and ``grove sim run``, each in its own process (forked from one pre-imported server,
see :mod:`tests.cluster.sim.cli_forks`): exit code 1, no traceback, the field, line or limit named in
the message, within 5 s, peak RSS under 300 MB. Nothing is stored: validate has no store, and each sim
run is a fresh in-process cluster that ends with its process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.sim.cli_forks import CliForks
from tests.cluster.sim.hostile_cases import CASES, Case

COMMANDS = {"validate": ["validate"], "sim": ["sim", "run"]}


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def cli() -> Iterator[CliForks]:
    forks = CliForks()
    yield forks
    forks.close()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_a_clear_error(cli: CliForks, tmp_path: Path, case: Case) -> None:
    data = case.text.encode() if isinstance(case.text, str) else case.text
    f = tmp_path / "input.yaml"
    f.write_bytes(data)
    for command in case.commands:
        r = cli.run([*COMMANDS[command], "-f", str(f), *case.args], timeout=5.0)
        where = f"grove {' '.join(COMMANDS[command])} ({case.id})"
        assert not r.timed_out, f"{where}: still running after 5 s"
        assert "Traceback" not in r.stderr, f"{where}:\n{r.stderr}"
        assert r.rc == 1, f"{where}: exit {r.rc}\n{r.stderr}"
        assert all(n in r.stderr for n in case.needles), f"{where}: {case.needles} not in:\n{r.stderr}"
        assert r.maxrss_mb < 300, f"{where}: peak RSS {r.maxrss_mb:.0f} MB"
