"""``grove scheduler --config FILE``: the gang scheduler process, with its own leader election Lease
(``grove-scheduler-leader-election``).

It answers only for ``spec.schedulerName: grove-scheduler`` unless ``--scheduler-name`` says otherwise
(repeatable: ``--scheduler-name grove-scheduler --scheduler-name kai-scheduler`` on a cluster without
KAI). At start-up it refuses (exit 8) to answer for a name another running scheduler holds (a KAI or
Volcano scheduler Deployment, or their held leader Lease). Ports and bind host can be overridden so
replicas share the operator's chart-rendered configuration file on one host.
"""

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
                                             "(repeatable; default only grove-scheduler: add kai-scheduler "
                                             "or volcano only where that scheduler does not run; refused, "
                                             "exit 8, when another scheduler holds the name)."),
    health_port: int | None = typer.Option(None, "--health-port", min=0, max=65535,
                                           help="Override server.healthProbes.port (0: any free port)."),
    metrics_port: int | None = typer.Option(None, "--metrics-port", min=0, max=65535,
                                            help="Override server.metrics.port (0: any free port)."),
    bind_address: str | None = typer.Option(None, "--bind-address", help="Override the host of "
                                            "server.healthProbes/metrics.bindAddress (e.g. 127.0.0.1)."),
) -> None:
    """Run the Grove gang scheduler."""
    if print_version_or_require_config(config, version):
        return
    from grove.operator.main import RunOptions, run_scheduler

    assert config is not None
    raise typer.Exit(run_scheduler(RunOptions(config_path=config, kubeconfig=kubeconfig, namespace=namespace,
                                              health_port=health_port, metrics_port=metrics_port,
                                              bind_address=bind_address),
                                   scheduler_name or None))
