"""``grove operator --config FILE``: the Grove operator process against a real API server.

Controllers (leader only), admission webhooks over TLS and health/metrics endpoints (every replica).
Exit codes per spec §10.3: 0 ok, 1 CLI, 2 config, 3 topology sync, 4 manager init, 5 scheduler backend
init, 6 start, 7 MNNVL prerequisites. Ports, bind host and the certificate directory can be overridden
so several replicas run on one host from the same chart-rendered configuration file.
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
    webhook_port: int | None = typer.Option(None, "--webhook-port", min=0, max=65535,
                                            help="Override server.webhooks.port (0: any free port)."),
    health_port: int | None = typer.Option(None, "--health-port", min=0, max=65535,
                                           help="Override server.healthProbes.port (0: any free port)."),
    metrics_port: int | None = typer.Option(None, "--metrics-port", min=0, max=65535,
                                            help="Override server.metrics.port (0: any free port)."),
    cert_dir: str | None = typer.Option(None, "--cert-dir", help="Override server.webhooks.serverCertDir."),
    bind_address: str | None = typer.Option(None, "--bind-address", help="Override the host of the webhook, "
                                            "probe and metrics bindAddress (e.g. 127.0.0.1)."),
) -> None:
    """Run the Grove operator (controllers, webhooks, probes, metrics)."""
    if print_version_or_require_config(config, version):
        return
    from grove.operator.main import RunOptions, run_operator

    assert config is not None
    raise typer.Exit(run_operator(RunOptions(config_path=config, kubeconfig=kubeconfig, namespace=namespace,
                                             webhook_port=webhook_port, health_port=health_port,
                                             metrics_port=metrics_port, cert_dir=cert_dir,
                                             bind_address=bind_address)))
