"""``grove dev-cluster up|down|status``: a local real control plane with KWOK fake nodes.

``up`` prints the kubeconfig path on stdout (and the ``export KUBECONFIG=...`` line), so
``eval "$(grove dev-cluster up | tail -1)"`` works; progress goes to stderr. When the binaries are not
built yet, ``up --build`` (the default) runs ``hack/build-control-plane.sh`` first, and ``--no-build``
prints the exact command instead. ``up --kai`` also runs the real KAI scheduler (its CRDs, a ``default``
and a ``test`` queue, five components as local processes; binaries from ``hack/build-kai.sh``), which
``down`` stops first. Pods' ``grove-initc`` init containers really run (``--no-run-init-containers``
turns that off) and ``--pod-start-delay`` gives pods a start-up time like a real node's.
"""

from __future__ import annotations

from pathlib import Path

import typer

from grove.cli.main import app
from grove.devcluster import BinariesMissing, DevCluster, DevClusterError, DevClusterOptions, NodeShape
from grove.devcluster.kai import KaiComponents, KaiError
from grove.devcluster.stages import parse_duration

dev_cluster = typer.Typer(help="A local Kubernetes control plane (etcd, apiserver, KCM, KWOK).", no_args_is_help=True)
app.add_typer(dev_cluster, name="dev-cluster")

_NAME = typer.Option("grove", "--name", help="Cluster name (state dir ~/.cache/grove/dev-cluster/NAME).")
_STATE = typer.Option(None, "--state-dir", help="Override the state directory.")


def _cluster(options: DevClusterOptions) -> DevCluster:
    try:
        return DevCluster(options)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


@dev_cluster.command("up")
def up(
    name: str = _NAME,
    nodes: int = typer.Option(30, "--nodes", min=0, help="Number of KWOK fake nodes (kwok-node-0..N-1)."),
    node_cpu: str = typer.Option("4", "--node-cpu", help="CPU capacity of each node."),
    node_memory: str = typer.Option("150Mi", "--node-memory", help="Memory of each node (150Mi: one e2e pod)."),
    node_pods: str = typer.Option("110", "--node-pods", help="Max pods per node."),
    node_gpus: int = typer.Option(0, "--node-gpus", min=0, help="nvidia.com/gpu capacity per node."),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler", help="Also run kube-scheduler."),
    build: bool = typer.Option(True, "--build/--no-build", help="Build missing binaries first."),
    crds: list[Path] = typer.Option(
        [], "--crds", exists=True, help="CRD file or directory to install before the GC starts (repeatable)."
    ),
    kai: bool = typer.Option(False, "--kai/--no-kai", help="Also run the real KAI scheduler (hack/build-kai.sh)."),
    run_init_containers: bool = typer.Option(
        True, "--run-init-containers/--no-run-init-containers",
        help="Run pods' grove-initc init containers for real (local processes); off: KWOK completes them at once."),
    pod_start_delay: str = typer.Option(
        "0s", "--pod-start-delay", help="Time from a pod's binding to its start, e.g. 6s (default 0: instant)."),
    pod_start_jitter: str = typer.Option(
        "0s", "--pod-start-jitter", help="Random extra start time in [0, JITTER) on top of --pod-start-delay."),
    state_dir: Path | None = _STATE,
) -> None:
    """Start the dev cluster and print its kubeconfig."""
    extra = {"nvidia.com/gpu": str(node_gpus)} if node_gpus else {}
    shape = NodeShape(cpu=node_cpu, memory=node_memory, pods=node_pods, extra=extra)
    try:
        delay, jitter = parse_duration(pod_start_delay), parse_duration(pod_start_jitter)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    cluster = _cluster(
        DevClusterOptions(
            name=name, state_dir=state_dir, nodes=nodes, shape=shape, scheduler=scheduler, crd_paths=tuple(crds),
            initc_runner=run_init_containers, pod_start_delay=delay, pod_start_jitter=jitter,
        )
    )
    missing = cluster.bins.missing()
    if missing:
        if not build:
            _err(f"missing: {', '.join(missing)}\n{cluster.bins.build_hint()}")
            raise typer.Exit(2)
        _err(f"control-plane binaries missing ({', '.join(missing)}); building them (30-50 min cold)...")
        try:
            cluster.bins.build()
        except BinariesMissing as err:
            _err(str(err))
            raise typer.Exit(2) from None
    try:
        cluster.up(progress=_err)
    except (BinariesMissing, DevClusterError, ValueError, TimeoutError) as err:
        _err(f"dev-cluster up failed: {err}")
        raise typer.Exit(1) from None
    if kai:
        _up_kai(cluster, build)
    typer.echo(str(cluster.kubeconfig))
    typer.echo(f"export KUBECONFIG={cluster.kubeconfig}")


def _up_kai(cluster: DevCluster, build: bool) -> None:
    comps = KaiComponents(cluster.state_dir, cluster.kubeconfig)
    missing = comps.bins.missing()
    try:
        if missing and not build:
            _err(f"KAI binaries missing: {', '.join(missing)}\n{comps.bins.build_hint()}")
            raise typer.Exit(2)
        if missing:
            _err(f"KAI binaries missing ({', '.join(missing)}); building them...")
            comps.bins.build()
        comps.up(cluster.rest(), progress=_err)
    except (BinariesMissing, KaiError, TimeoutError) as err:
        _err(f"KAI did not start: {err}\n(the cluster itself is up; `grove dev-cluster down` stops it)")
        raise typer.Exit(1) from None


@dev_cluster.command("down")
def down(name: str = _NAME, state_dir: Path | None = _STATE) -> None:
    """Stop every process of the dev cluster."""
    cluster = _cluster(DevClusterOptions(name=name, state_dir=state_dir))
    kai = KaiComponents(cluster.state_dir, cluster.kubeconfig)
    groups = cluster.process_groups()
    kai_groups = kai.pgids()
    stopped = kai.down() + cluster.down()
    left = DevCluster.survivors([*groups.values(), *kai_groups])
    if stopped:
        _err(f"stopped: {', '.join(stopped)}")
    else:
        _err(f"dev cluster {name!r} was not running")
    if left:
        _err(f"processes still alive: {left}")
        raise typer.Exit(1)


@dev_cluster.command("status")
def status(name: str = _NAME, state_dir: Path | None = _STATE) -> None:
    """Show the components and whether the API server is ready (exit 1 when not running)."""
    cluster = _cluster(DevClusterOptions(name=name, state_dir=state_dir))
    st = cluster.status()
    typer.echo(f"name:       {st.name}")
    typer.echo(f"state dir:  {st.state_dir}")
    typer.echo(f"server:     {st.server or '-'}")
    typer.echo(f"kubeconfig: {st.kubeconfig if st.kubeconfig.exists() else '-'}")
    kai = KaiComponents(st.state_dir, st.kubeconfig).processes()
    for proc, alive in {**st.processes, **kai}.items():
        typer.echo(f"  {proc:<24} {'running' if alive else 'DEAD'}")
    typer.echo(f"api:        {'ready' if st.api_ready else 'not ready: ' + st.api_reason}")
    if not st.running:
        raise typer.Exit(1)
