"""``grove initc``: the startup waiter (spec §6) under the ``grove`` CLI.

All arguments go unchanged to :func:`grove.initc.main.main` (argparse, so ``grove initc --help`` shows the
waiter's own help). The container image runs ``python -m grove.initc`` directly, which skips typer and
the rest of the CLI; this entry exists for parity and local use.
"""

from __future__ import annotations

import typer

from grove.cli.main import app


@app.command("initc", add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                               "allow_interspersed_args": False})
def initc(ctx: typer.Context) -> None:
    """Wait until parent PodCliques have enough Ready pods (the grove-initc init container)."""
    from grove.initc.main import main as initc_main

    raise typer.Exit(initc_main(list(ctx.args), prog="grove initc"))
