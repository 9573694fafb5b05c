"""``grove initc`` delegates to the argparse waiter unchanged."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from grove.cli.main import COMMAND_MODULES, app


def _load() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module)


def test_help_is_the_waiters_own() -> None:
    _load()
    out = CliRunner().invoke(app, ["initc", "--help"])
    assert out.exit_code == 0
    assert "usage: grove initc" in out.output
    assert "--podcliques NAME:COUNT" in out.output


def test_arguments_pass_through_and_errors_exit_1(tmp_path: Path) -> None:
    _load()
    out = CliRunner().invoke(app, ["initc", "--podcliques=x-0-a:1", "--pod-info-dir", str(tmp_path)])
    assert out.exit_code == 1
    assert f"cannot read pod info {tmp_path / 'namespace'}" in out.output
    usage = CliRunner().invoke(app, ["initc", "-p", "x-0-a:zero"])
    assert usage.exit_code == 1
    assert "is not an integer" in usage.output


def test_in_process_main_restores_the_callers_signal_handlers(tmp_path: Path) -> None:
    import signal

    from grove.initc.main import main

    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    assert main(["-p", "x-0-a:1", "--pod-info-dir", str(tmp_path)]) == 1
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
