"""``grove operator --config FILE``: the Grove operator process against a real API server.

Controllers (leader only), admission webhooks over TLS and health/metrics endpoints (every replica).
Exit codes per spec §10.3: 0 ok, 1 CLI, 2 config, 3 topology sync, 4 manager init, 5 scheduler backend
init, 6 start, 7 MNNVL prerequisites.
"""

from __future__ import annotations

import typer

from grove.cli.main import app, print_version_or_require_config


@app.command("operator")
def operator(
    config: str | None = typer.Option(None, "--config", help="OperatorConfiguration file."),
    version: bool = typer.Option(False, "--version", "-v", help="Print the version and exit."),
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="Kubeconfig (default: $KUBECONFIG, "
                                          "in-cluster, ~/.kube/config)."),
    namespace: str | None = typer.Option(None, "--namespace", help="Operator namespace (default: "
                                         "$GROVE_OPERATOR_NAMESPACE, the pod's namespace, or default)."),
) -> None:
    """Run the Grove operator (controllers, webhooks, probes, metrics)."""
    if print_version_or_require_config(config, version):
        return
    from grove.operator.main import RunOptions, run_operator

    assert config is not None
    raise typer.Exit(run_operator(RunOptions(config_path=config, kubeconfig=kubeconfig, namespace=namespace)))
