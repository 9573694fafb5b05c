"""Every YAML example in the docs passes ``grove validate --strict``; every ``$ grove`` command in a console
block prints what the page says it prints (conventions: tests/docs/blocks.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docs import console
from tests.docs.blocks import Block, example_blocks, pages

STEP_KINDS = {"apply", "scale", "patch", "delete", "cordon", "uncordon", "failNode", "deletePod", "killPod",
              "advance", "wait", "snapshot"}
YAML_BLOCKS = example_blocks("yaml")
CONSOLE_BLOCKS = example_blocks("console")


def _grove(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grove", *args], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=240, env=console.env())


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


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=[b.where for b in CONSOLE_BLOCKS])
def test_console_block_prints_what_the_page_says(block: Block, tmp_path: Path) -> None:
    console.write_page_files(block.page, tmp_path)
    for command in console.commands(block):
        rc, actual = console.run(command, tmp_path)
        printed = "\n".join(actual)
        assert rc == command.exit_code, f"{block.where}: `{command.line}` exited {rc}:\n{printed}"
        assert console.matches(command.expected, actual), (
            f"{block.where}: `{command.line}` printed:\n{printed}\n\nthe page says:\n" + "\n".join(command.expected)
            + "\n\n(python -m tests.docs.console docs/PAGE.md rewrites the outputs)")


def test_every_page_is_read() -> None:
    assert any(re.search(r"tutorials/", p.as_posix()) for p in pages())
