"""docs/reference/cli.md is `grove COMMAND --help` for every command: regenerate it with
`python -m tests.docs.cli_reference` when a command or option changes."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.docs import cli_reference as ref


def test_page_matches_the_help_of_every_command() -> None:
    # rendered in a fresh interpreter: rich keeps the terminal width of the first console a process made,
    # so after other in-process CLI tests the padding could differ
    code = "import sys; from tests.docs import cli_reference as r; sys.stdout.write(r.render())"
    rendered = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                              check=True, env={**os.environ, **ref.HELP_ENV}).stdout
    assert ref.PAGE.read_text(encoding="utf-8") == rendered, "docs/reference/cli.md is stale"


def test_every_command_has_a_section() -> None:
    page = ref.PAGE.read_text(encoding="utf-8")
    paths = [p for p, _ in ref.commands(ref.root())]
    assert {"grove sim run", "grove validate", "grove demo", "grove operator"} <= set(paths)
    for path in paths:
        assert f"## `{path}`" in page, path


def test_page_is_what_the_installed_command_prints() -> None:
    """The in-process help the page is made from is what `grove … --help` prints in a terminal."""
    env = {**os.environ, **ref.HELP_ENV}
    out = subprocess.run([sys.executable, "-m", "grove.cli.main", "sim", "run", "--help"], capture_output=True,
                         text=True, timeout=120, env=env, check=True).stdout
    printed = ref.tidy(out).replace("Usage: python -m grove.cli.main sim run", "Usage: grove sim run")
    assert printed in ref.PAGE.read_text(encoding="utf-8")
