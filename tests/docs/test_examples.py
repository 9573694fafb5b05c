"""Every YAML example in the docs passes ``grove validate --strict``; every ``$ grove`` command in a console
block prints what the page says it prints (conventions: tests/docs/blocks.py)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docs.blocks import Block, blocks, example_blocks, pages

STEP_KINDS = {"apply", "scale", "patch", "delete", "cordon", "uncordon", "failNode", "deletePod", "killPod",
              "advance", "wait", "snapshot"}
YAML_BLOCKS = example_blocks("yaml")
CONSOLE_BLOCKS = example_blocks("console")


def _grove(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """stdout and stderr on one pipe, in the order a terminal shows them."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([sys.executable, "-m", "grove", *args], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=240, env=env)


def test_there_are_examples() -> None:
    assert len(YAML_BLOCKS) >= 5 and len(CONSOLE_BLOCKS) >= 3


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=[b.where for b in YAML_BLOCKS])
def test_yaml_example_is_valid(block: Block, tmp_path: Path) -> None:
    title = block.title or ""
    if title.startswith("fragment:"):
        pytest.skip(f"{block.where} is marked as a fragment: {title.removeprefix('fragment:').strip()}")
    if title.endswith("steps.yaml"):
        steps = yaml.safe_load(block.text)
        assert isinstance(steps, list) and steps, f"{block.where}: a steps file is a non-empty YAML list"
        for step in steps:
            assert isinstance(step, dict) and len(step) == 1 and set(step) <= STEP_KINDS, (block.where, step)
        return
    path = tmp_path / (title or "example.yaml")
    path.write_text(block.text, encoding="utf-8")
    proc = _grove(["validate", "--strict", "-f", str(path)], tmp_path)
    assert proc.returncode == 0, f"{block.where}:\n{proc.stdout}"
    assert " 0 invalid" in proc.stdout, proc.stdout


def _expected_matches(expected: list[str], actual: list[str]) -> bool:
    """``...`` in ``expected`` matches any run of lines (including none); other lines match exactly."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(_expected_matches(rest, actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and actual[0] == head and _expected_matches(rest, actual[1:])


def _commands(block: Block) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line.rstrip())
        elif line.strip():
            raise AssertionError(f"{block.where}: console block must start with a '$ ' command")
    return out


def _page_files(page: str, into: Path) -> None:
    for b in blocks(Path(__file__).resolve().parents[2] / "docs" / page):
        if b.lang == "yaml" and b.title and not b.title.startswith("fragment:"):
            (into / b.title).write_text(b.text, encoding="utf-8")


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=[b.where for b in CONSOLE_BLOCKS])
def test_console_block_prints_what_the_page_says(block: Block, tmp_path: Path) -> None:
    _page_files(block.page, tmp_path)
    for command, expected in _commands(block):
        command, _, note = command.partition("  # exit ")
        want_rc = int(note) if note else 0
        argv = shlex.split(command)
        assert argv[0] == "grove", f"{block.where}: only grove commands are run: {command}"
        proc = _grove(argv[1:], tmp_path)
        while expected and not expected[-1]:
            expected.pop()
        actual = [ln.rstrip() for ln in proc.stdout.splitlines()]
        while actual and not actual[-1]:
            actual.pop()
        assert proc.returncode == want_rc, f"{block.where}: `{command}` exited {proc.returncode}:\n{proc.stdout}"
        assert _expected_matches(expected, actual), (
            f"{block.where}: `{command}` (exit {proc.returncode}) printed:\n" + "\n".join(actual)
            + "\n\nthe page says:\n" + "\n".join(expected))


def test_every_page_is_read() -> None:
    assert any(re.search(r"tutorials/", p.as_posix()) for p in pages())
