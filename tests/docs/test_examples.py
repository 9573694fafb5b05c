"""Every YAML example in the docs passes ``grove validate --strict``; every ``$ grove`` command in a console
block prints what the page says it prints (conventions: tests/docs/blocks.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docs import console
from tests.docs.blocks import DOCS, Block, blocks, example_blocks, pages

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
    if block.helm_values:
        pytest.skip(f"{block.where} is Helm values, rendered by tests/docs/test_helm_values.py")
    if title.endswith("steps.yaml"):
        steps = yaml.safe_load(block.text)
        assert isinstance(steps, list) and steps, f"{block.where}: a steps file is a non-empty YAML list"
        for step in steps:
            assert isinstance(step, dict) and len(step) == 1 and set(step) <= STEP_KINDS, (block.where, step)
        return
    path = tmp_path / (block.filename or "example.yaml")
    path.write_text(block.text, encoding="utf-8")
    # Admission looks up ClusterTopologyBindings: the page's own bindings are the cluster's.
    context: list[str] = []
    for other in blocks(DOCS / block.page):
        if other.lang == "yaml" and other.filename and other != block and not other.invalid \
                and "kind: ClusterTopologyBinding" in other.text:
            (tmp_path / other.filename).write_text(other.text, encoding="utf-8")
            context += ["-f", str(tmp_path / other.filename)]
    proc = _grove(["validate", "--strict", "-f", str(path), *context], tmp_path)
    if block.invalid:
        assert proc.returncode == 1 and " 1 invalid" in proc.stdout, f"{block.where} should be rejected:\n{proc.stdout}"
        return
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


def test_every_tutorial_runs_in_the_embedded_cluster() -> None:
    """A tutorial's outcome is asserted: each has at least one `grove sim run` whose output the page shows."""
    tutorials = [p for p in pages() if p.parent.name == "tutorials"]
    assert len(tutorials) >= 4
    for page in tutorials:
        rel = page.relative_to(DOCS).as_posix()
        runs = [c for b in CONSOLE_BLOCKS if b.page == rel for c in console.commands(b)
                if c.argv[:3] == ["grove", "sim", "run"] and c.expected]
        assert runs, f"{rel} runs nothing in the embedded cluster"


def test_every_bundled_example_is_listed() -> None:
    page = (DOCS / "examples.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in (DOCS.parent / "src" / "grove" / "examples").glob("*.yaml"))
    assert files
    missing = [f for f in files if f"`{f}`" not in page]
    assert not missing, f"docs/examples.md does not list {missing}"
