"""``grove sim run``: manifests and a cluster in, the final (and snapshotted) objects out.

Contract (kept stable; other tools depend on it): see ``grove sim run --help`` and docs/sim.md.
Exit 0 when the run completed (object states are data, not failures); 1 with a clear message on bad
input, an unknown step, or a manifest that admission rejects.
"""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum

import typer

from grove.api.duration import DurationError, parse_duration
from grove.api.models.config import OperatorConfiguration
from grove.cli.main import app
from grove.cli.offline_config import describe, load_offline_config
from grove.operator.config import ConfigError
from grove.sim import render
from grove.sim.errors import RunError
from grove.sim.inputs import read_inputs
from grove.sim.runner import RunResult, add_default_nodes, apply_manifests, run_step, wait_for
from grove.sim.simulation import KubeletTimings, SimOptions, Simulation
from grove.sim.steps import StepError, load_steps

sim_app = typer.Typer(help="The embedded cluster: run Grove on simulated nodes, on virtual time.",
                      no_args_is_help=True)
app.add_typer(sim_app, name="sim")

DEFAULT_NODES = 8


class Until(StrEnum):
    settled = "settled"
    ready = "ready"


class Output(StrEnum):
    json = "json"
    yaml = "yaml"
    tree = "tree"


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _seconds(text: str, flag: str) -> float:
    try:
        value = parse_duration(text)
    except DurationError as exc:
        _fail(f"{flag}: {exc}")
        raise
    if value < 0:
        _fail(f"{flag}: must not be negative")
    return value


async def run_simulation(files: list[str], *, nodes: int | None, steps_file: str | None, until: str,
                         timeout: float, seed: int, timings: KubeletTimings,
                         config: OperatorConfiguration | None = None,
                         strict: bool = False) -> tuple[Simulation, RunResult]:
    inputs = read_inputs(files, strict=strict)
    docs = inputs.bodies
    steps = []
    if steps_file:
        try:
            steps = load_steps(steps_file)
        except StepError as exc:
            raise RunError(str(exc)) from exc
    sim = Simulation(SimOptions(seed=seed, kubelet=timings, config=config))
    await sim.start()
    result = RunResult(warnings=list(inputs.warnings), notices=list(inputs.notices))
    has_nodes = any(isinstance(d, dict) and d.get("kind") == "Node" for d in docs)
    if nodes is not None:
        await add_default_nodes(sim, nodes)
    elif not has_nodes:
        await add_default_nodes(sim, DEFAULT_NODES)
    await apply_manifests(sim, docs)
    await wait_for(sim, until, timeout, result, f"--until {until}")
    for step in steps:
        await run_step(sim, step, result)
    result.warnings += sim.admission.warnings
    return sim, result


@sim_app.command("run")
def run(
    files: list[str] = typer.Option(..., "-f", "--filename", help="Manifest file or directory (repeatable, - for stdin)."),
    nodes: int | None = typer.Option(None, "--nodes", min=0,
                                     help=f"Add N uniform GPU nodes (default {DEFAULT_NODES} when no Node is given)."),
    steps: str | None = typer.Option(None, "--steps", help="YAML list of steps to run after settling."),
    until: Until = typer.Option(Until.settled, "--until", help="What to wait for before the steps."),
    timeout: str = typer.Option("10m", "--timeout", help="Virtual-time limit of each wait (Go duration)."),
    output: Output = typer.Option(Output.tree, "-o", "--output", help="json, yaml or tree."),
    seed: int = typer.Option(0, "--seed", help="Seed for generated names and uids."),
    running_delay: str = typer.Option("1s", "--running-delay", help="Fake kubelet: binding to Running."),
    ready_delay: str | None = typer.Option(None, "--ready-delay", help="Fake kubelet: Running to Ready for every "
                                           "pod (default: 1s with a readiness or startup probe, else at once, "
                                           "as kubelet)."),
    config: str | None = typer.Option(None, "--config", help="OperatorConfiguration to simulate with, or the "
                                      "chart's ConfigMap (kubectl get cm grove-operator-config -o yaml); "
                                      "default: all profiles, grove-scheduler the default, TAS on."),
    strict: bool = typer.Option(False, "--strict", help="Unknown fields and duplicate keys are errors, not "
                                "warnings (as kubectl --validate=strict)."),
    fail_unready: bool = typer.Option(False, "--fail-unready", help="Exit 1 when --until or a wait step "
                                      "timed out before its goal."),
) -> None:
    """Apply manifests to an embedded cluster, wait, run steps, print every object."""
    try:
        operator_config, source = load_offline_config(config)
    except ConfigError as exc:
        _fail(str(exc))
        return
    typer.echo(f"{describe(operator_config, source)}; the simulated gang scheduler places pods of every "
               "profile", err=True)
    running = _seconds(running_delay, "--running-delay")
    if ready_delay is None:
        timings = KubeletTimings(running_delay=running)
    else:
        ready = _seconds(ready_delay, "--ready-delay")
        timings = KubeletTimings(running_delay=running, ready_delay=ready, unprobed_ready_delay=ready)
    wait_timeout = _seconds(timeout, "--timeout")

    async def main() -> tuple[Simulation, RunResult]:
        sim, result = await run_simulation(files, nodes=nodes, steps_file=steps, until=until.value,
                                           timeout=wait_timeout, seed=seed, timings=timings,
                                           config=operator_config, strict=strict)
        await sim.stop()
        return sim, result

    try:
        sim, result = asyncio.run(main())
    except RunError as exc:
        _fail(str(exc))
        return
    except Exception as exc:  # last resort: a bug must still not print a traceback
        typer.echo(f"error: internal error while simulating: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(3) from None
    render.report(result)
    elapsed = sim.clock.now() - sim.options.start_time
    if output is Output.tree:
        sys.stdout.write(render.render_tree(sim.objects()))
        typer.echo(f"virtual time: {elapsed:g}s", err=True)
    else:
        doc = render.document(sim.objects(), sim.events(), result.snapshots, elapsed)
        sys.stdout.write(render.to_json(doc) + "\n" if output is Output.json else render.to_yaml(doc))
    if fail_unready and not result.goal_met:
        raise typer.Exit(1)
