"""``grove demo``: what Grove makes of the bundled examples, with no cluster needed.

Until the embedded cluster runs them, the demo validates every example in ``grove/examples`` (as
``grove validate`` would, against the embedded cluster's configuration) and shows each PodCliqueSet as
a tree: its cliques and scaling groups (replicas / minAvailable), then the PodCliques and PodGangs
its names imply (spec §3.1, §7.1): per PCS replica i a base gang ``<pcs>-i`` holding the standalone
cliques and scaling-group replicas j < minAvailable, and one scaled gang per replica j >= minAvailable.
"""

from __future__ import annotations

from importlib import resources

import typer
from rich.console import Console
from rich.tree import Tree

from grove.api import names
from grove.api.manifests import Document, parse_stream
from grove.api.models.config import embedded_cluster_config
from grove.api.models.core import PodCliqueSet
from grove.api.validation import OfflineLookup, validate_object
from grove.cli.main import app

SHOWN_REPLICAS = 2


def bundled_examples() -> list[Document]:
    docs: list[Document] = []
    folder = resources.files("grove.examples")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            docs.extend(parse_stream(entry.read_text(encoding="utf-8"), f"examples/{entry.name}"))
    return docs


def implied_objects(pcs: PodCliqueSet, replica: int) -> tuple[list[str], dict[str, list[str]]]:
    """(PodClique names, PodGang name → its PodCliques) for one PCS replica."""
    name = pcs.metadata.name or ""
    tmpl = pcs.spec.template
    groups = tmpl.pod_clique_scaling_groups or []
    members = {c for g in groups for c in g.clique_names}
    base = names.base_podgang_name(name, replica)
    gangs: dict[str, list[str]] = {base: []}
    pclqs: list[str] = []
    for clique in tmpl.cliques:
        if clique.name not in members:
            fqn = names.pclq_name(name, replica, clique.name)
            pclqs.append(fqn)
            gangs[base].append(fqn)
    for group in groups:
        fqn = names.pcsg_name(name, replica, group.name)
        min_available = group.min_available or 1
        for j in range(group.replicas or 1):
            member_names = [names.pcsg_member_pclq_name(fqn, j, c) for c in group.clique_names]
            pclqs.extend(member_names)
            gang = base if j < min_available else names.scaled_podgang_name(fqn, j, min_available)
            gangs.setdefault(gang, []).extend(member_names)
    return pclqs, gangs


def pcs_tree(pcs: PodCliqueSet) -> Tree:
    tmpl = pcs.spec.template
    tree = Tree(f"[bold]PodCliqueSet {pcs.metadata.name}[/] replicas={pcs.spec.replicas} "
                f"startup={(tmpl.clique_startup_type or '').removeprefix('CliqueStartupType')}")
    members = {c for g in tmpl.pod_clique_scaling_groups or [] for c in g.clique_names}
    spec_node = tree.add("template")
    for clique in tmpl.cliques:
        if clique.name in members:
            continue
        spec_node.add(_clique_label(pcs, clique.name))
    for group in tmpl.pod_clique_scaling_groups or []:
        g = spec_node.add(f"[magenta]scaling group {group.name}[/] replicas={group.replicas} "
                          f"minAvailable={group.min_available}")
        for member in group.clique_names:
            g.add(_clique_label(pcs, member))
    replicas = pcs.spec.replicas or 0
    if replicas == 0:
        tree.add("[dim]0 replicas: no PodCliques or PodGangs yet (scale up to create them)[/]")
    for i in range(min(replicas, SHOWN_REPLICAS)):
        _, gangs = implied_objects(pcs, i)
        r = tree.add(f"replica {i}")
        for gang, pclqs in gangs.items():
            node = r.add(f"[green]PodGang {gang}[/]")
            for pclq in pclqs:
                node.add(f"PodClique {pclq}")
    if replicas > SHOWN_REPLICAS:
        tree.add(f"[dim]... and {replicas - SHOWN_REPLICAS} more replica(s)[/]")
    return tree


def _clique_label(pcs: PodCliqueSet, clique_name: str) -> str:
    clique = next(c for c in pcs.spec.template.cliques if c.name == clique_name)
    after = f" startsAfter={clique.spec.starts_after}" if clique.spec.starts_after else ""
    return (f"[cyan]clique {clique.name}[/] role={clique.spec.role_name} replicas={clique.spec.replicas} "
            f"minAvailable={clique.spec.min_available}{after}")


@app.command("demo")
def demo() -> None:
    """Validate the bundled examples and show the objects Grove would create for each."""
    console = Console()
    docs = bundled_examples()
    config = embedded_cluster_config()
    lookup = OfflineLookup.from_bodies(d.body for d in docs)
    valid, pclq_total, gang_total, failed = 0, 0, 0, 0
    for doc in docs:
        report = validate_object(doc.body, config=config, lookup=lookup)
        if not report.ok:
            failed += 1
            for error in report.result.errors:
                console.print(f"[red]{doc.where}: {report.ref}: {error}[/]", highlight=False)
            continue
        if not isinstance(report.obj, PodCliqueSet):
            continue
        valid += 1
        console.print(f"[dim]{doc.where}[/]")
        console.print(pcs_tree(report.obj))
        for i in range(report.obj.spec.replicas or 0):
            pclqs, gangs = implied_objects(report.obj, i)
            pclq_total += len(pclqs)
            gang_total += len(gangs)
    console.print(f"[bold]{valid} example PodCliqueSets valid[/], {failed} invalid: they imply {pclq_total} "
                  f"PodCliques and {gang_total} PodGangs. (Running them needs the embedded cluster.)")
    if failed:
        raise typer.Exit(1)
