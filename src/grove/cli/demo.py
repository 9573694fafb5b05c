"""``grove demo``: a disaggregated serving system comes up on simulated GPU nodes, in one command.

The embedded cluster (``grove.sim``) runs the bundled ``disaggregated-serving.yaml`` — a frontend plus
prefill and decode scaling groups, each replica a leader+workers gang of 8-GPU pods — on a small GPU
cluster, on virtual time, and prints the hierarchy. Then it asks for one more prefill replica than the
cluster has GPUs for, and shows what a user would see: the gang stays Pending as a whole, with the
scheduler's reason. ``--all-examples`` runs every bundled example instead and prints a line for each.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

import typer
from rich.console import Console

from grove.api.manifests import Document, parse_stream
from grove.cli.main import app
from grove.sim import render
from grove.sim.runner import add_default_nodes, apply_manifests
from grove.sim.simulation import Simulation

DEMO_EXAMPLE = "disaggregated-serving.yaml"
DEMO_PCSG = "llm-serving-0-prefill"


def bundled_examples() -> list[Document]:
    docs: list[Document] = []
    folder = resources.files("grove.examples")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            docs.extend(parse_stream(entry.read_text(encoding="utf-8"), f"examples/{entry.name}"))
    return docs


def _count(objs: list[dict[str, Any]], kind: str) -> int:
    return sum(1 for o in objs if o.get("kind") == kind)


def _running(objs: list[dict[str, Any]]) -> int:
    return sum(1 for o in objs if o.get("kind") == "Pod" and (o.get("status") or {}).get("phase") == "Running")


async def _serving_demo(console: Console, nodes: int) -> None:
    docs = [d.body for d in bundled_examples() if d.source.endswith(DEMO_EXAMPLE)]
    sim = Simulation()
    await sim.start()
    await add_default_nodes(sim, nodes)
    await apply_manifests(sim, docs)
    await sim.run_until("ready", timeout=600)
    objs = sim.objects()
    console.print(f"[bold]1. llm-serving on {nodes} simulated nodes (64 CPU, 512Gi, 8 GPUs each)[/]")
    console.print(render.build_tree(objs))
    console.print(f"   {_running(objs)}/{_count(objs, 'Pod')} pods Running, {_count(objs, 'PodGang')} PodGangs, "
                  f"ready after {sim.clock.now() - sim.options.start_time:g}s of virtual time\n")

    await sim.client.update_scale("grove.io/v1alpha1", "PodCliqueScalingGroup", DEMO_PCSG, 3, "default")
    await sim.run_until("settled", timeout=120)
    objs = sim.objects()
    pending = [o for o in objs if o["kind"] == "Pod" and o["status"].get("phase") != "Running"]
    console.print(f"[bold]2. kubectl scale pcsg {DEMO_PCSG} --replicas=3[/] (2 more 8-GPU pods; every GPU is taken)")
    console.print(f"   {_running(objs)} pods Running, {len(pending)} Pending as one gang:")
    reasons = {str(e.get("message")) for e in sim.events()
               if e.get("reason") == "Unschedulable" and e["involvedObject"]["name"] in
               {p["metadata"]["name"] for p in pending}}
    for reason in sorted(reasons):
        console.print(f"   [yellow]Unschedulable[/]: {reason}", highlight=False)
    await sim.stop()


async def _all_examples(console: Console, nodes: int) -> int:
    failures = 0
    for doc in bundled_examples():
        if not isinstance(doc.body, dict) or doc.body.get("kind") != "PodCliqueSet":
            continue
        sim = Simulation()
        await sim.start()
        await add_default_nodes(sim, nodes)
        try:
            await apply_manifests(sim, [doc.body])
        except ValueError as exc:
            console.print(f"[red]{doc.where}: {exc}[/]", highlight=False)
            failures += 1
            await sim.stop()
            continue
        ready = await sim.run_until("ready", timeout=600)
        objs = sim.objects()
        console.print(f"{'ready  ' if ready else 'PENDING'} {doc.where}: {_count(objs, 'PodClique')} PodCliques, "
                      f"{_count(objs, 'PodCliqueScalingGroup')} scaling groups, {_count(objs, 'PodGang')} PodGangs, "
                      f"{_running(objs)}/{_count(objs, 'Pod')} pods Running", highlight=False)
        failures += 0 if ready else 1
        await sim.stop()
    return failures


@app.command("demo")
def demo(
    nodes: int = typer.Option(8, "--nodes", min=1, help="Uniform GPU nodes in the simulated cluster."),
    all_examples: bool = typer.Option(False, "--all-examples", help="Run every bundled example instead."),
) -> None:
    """Run a disaggregated serving system on the embedded cluster and show what Grove built."""
    console = Console()
    if all_examples:
        failures = asyncio.run(_all_examples(console, nodes))
        if failures:
            raise typer.Exit(1)
        return
    asyncio.run(_serving_demo(console, nodes))
