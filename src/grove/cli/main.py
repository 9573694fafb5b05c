"""The ``grove`` command (also installed as ``kubectl-grove``).

Each sub-command lives in its own module under ``grove.cli`` and registers itself on :data:`app`
when imported; :data:`COMMAND_MODULES` lists them. Data goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import importlib

import typer

from grove import __version__

app = typer.Typer(
    name="grove",
    help="Grove: gang-scheduled, topology-aware Kubernetes workloads for AI inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that define sub-commands on `app`. Add yours here.
COMMAND_MODULES: list[str] = ["grove.cli.devcluster", "grove.cli.validate", "grove.cli.demo", "grove.cli.crds",
                              "grove.cli.operator", "grove.cli.scheduler", "grove.cli.sim",
                              "grove.cli.initc"]  # grove.cli.initc: the startup waiter (spec §6)


@app.callback()
def _root() -> None:
    """Grove: gang-scheduled, topology-aware Kubernetes workloads for AI inference."""


@app.command("version")
def version() -> None:
    """Print the Grove version."""
    typer.echo(__version__)


def print_version_or_require_config(config: str | None, version: bool) -> bool:
    """The process commands take exactly one of ``--config FILE`` or ``--version`` (spec §10.3; exit 1
    otherwise). Returns True when the version was printed and the command is done."""
    if version == (config is not None):
        typer.echo("error: pass exactly one of --config FILE or --version", err=True)
        raise typer.Exit(1)
    if version:
        typer.echo(__version__)
        return True
    return False


def main() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    app()


if __name__ == "__main__":
    # Run as ``python -m grove.cli.main``: sub-command modules register on the importable module's app,
    # not on this ``__main__`` copy, so hand over to it.
    from grove.cli import main as cli

    cli.main()
