"""``grove scheduler --config FILE``: the gang scheduler process, with its own leader election Lease
(``grove-scheduler-leader-election``). Health and metrics ports can be overridden so it can share the
operator's configuration file on one host."""

from __future__ import annotations

import typer

from grove.cli.main import app, print_version_or_require_config


@app.command("scheduler")
def scheduler(
    config: str | None = typer.Option(None, "--config", help="OperatorConfiguration file."),
    version: bool = typer.Option(False, "--version", "-v", help="Print the version and exit."),
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="Kubeconfig (default: $KUBECONFIG, "
                                          "in-cluster, ~/.kube/config)."),
    namespace: str | None = typer.Option(None, "--namespace", help="Namespace of the Lease (default: the "
                                         "pod's namespace or default)."),
    scheduler_name: list[str] = typer.Option([], "--scheduler-name", help="spec.schedulerName to answer for "
                                             "(repeatable; default grove-scheduler and the enabled "
                                             "non-default profiles)."),
    health_port: int | None = typer.Option(None, "--health-port", help="Override server.healthProbes.port."),
    metrics_port: int | None = typer.Option(None, "--metrics-port", help="Override server.metrics.port."),
) -> None:
    """Run the Grove gang scheduler."""
    if print_version_or_require_config(config, version):
        return
    from grove.operator.main import RunOptions, run_scheduler

    assert config is not None
    raise typer.Exit(run_scheduler(RunOptions(config_path=config, kubeconfig=kubeconfig, namespace=namespace,
                                              health_port=health_port, metrics_port=metrics_port),
                                   scheduler_name or None))
