"""``grove crds``: print Grove's five CustomResourceDefinitions, generated from the wire models.

``crds`` is a sub-app; ``grove crds apply`` server-side applies them to a cluster and waits until they
are Established (what ``helm install`` or a manual ``kubectl apply --server-side`` would do). Bare
``grove crds`` prints, the same as ``grove crds print``: the everyday use is
``grove crds | kubectl apply --server-side -f -``. YAML (default) is multi-document in the fixed
order PodCliqueSet, PodClique, PodCliqueScalingGroup, ClusterTopologyBinding, PodGang; ``-o json``
is a ``v1 List``, or the bare object when exactly one ``--kind`` is asked for.
"""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from typing import Any

import typer

from grove.api.crds import crd_for, generate_crds, to_json, to_yaml
from grove.cli.main import app
from grove.kube.errors import ApiError
from grove.kube.http import HttpKubeClient
from grove.kube.kubeconfig import ConfigError, load_config

crds_app = typer.Typer(
    help="Grove's CustomResourceDefinitions (bare `grove crds` prints them as YAML).",
    invoke_without_command=True,
)
app.add_typer(crds_app, name="crds")


class Output(StrEnum):
    yaml = "yaml"
    json = "json"


_OUTPUT = typer.Option(Output.yaml, "-o", "--output", help="Output format.")
_KIND = typer.Option(
    None, "--kind", "-k", help="Only this kind (kind, plural or short name: pcs, pclq, pcsg, ct, pg). Repeatable."
)


def render(output: Output, kinds: list[str] | None) -> str:
    """The text `grove crds` prints; raises ``typer.BadParameter`` for an unknown kind."""
    if kinds:
        try:
            selected: list[dict[str, Any]] = [crd_for(k) for k in kinds]
        except KeyError as err:
            raise typer.BadParameter(str(err.args[0]), param_hint="--kind") from None
    else:
        selected = generate_crds()
    if output is Output.yaml:
        return to_yaml(selected)
    if kinds and len(selected) == 1:
        return json.dumps(selected[0], indent=2, sort_keys=True) + "\n"
    return to_json(selected)


@crds_app.callback()
def crds(ctx: typer.Context, output: Output = _OUTPUT, kind: list[str] | None = _KIND) -> None:
    """Print the CRDs (the same as `grove crds print`)."""
    if ctx.invoked_subcommand is None:
        typer.echo(render(output, kind), nl=False)


@crds_app.command("print")
def print_crds(output: Output = _OUTPUT, kind: list[str] | None = _KIND) -> None:
    """Print the CRDs as multi-document YAML or a JSON List."""
    typer.echo(render(output, kind), nl=False)


# -- grove crds apply ------------------------------------------------------------------------------

FIELD_MANAGER = "grove-crd-installer"
_CRD_API = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")


def _established(crd: dict[str, Any]) -> bool:
    return any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


async def apply_crds(client: HttpKubeClient, crds: list[dict[str, Any]], *, timeout: float = 60.0) -> list[str]:
    """Server-side apply every CRD (field manager ``grove-crd-installer``, force), then wait until each is
    Established. Returns the CRD names. Idempotent: applying unchanged CRDs changes nothing."""
    names = []
    for crd in crds:
        out = await client.apply(crd, field_manager=FIELD_MANAGER, force=True)
        names.append(str(out["metadata"]["name"]))
        typer.echo(f"customresourcedefinition.apiextensions.k8s.io/{names[-1]} serverside-applied")
    deadline = asyncio.get_running_loop().time() + timeout
    for name in names:
        while not _established(await client.get(*_CRD_API, name)):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"CRD {name} not Established after {timeout:.0f}s")
            await asyncio.sleep(0.2)
    typer.echo(f"established: {', '.join(names)}", err=True)
    return names


@crds_app.command("apply")
def apply_cmd(
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="Kubeconfig (default: $KUBECONFIG, "
                                          "in-cluster, ~/.kube/config)."),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context (default: current)."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for every CRD to be Established."),
) -> None:
    """Server-side apply the five CRDs to a cluster and wait until they are Established."""

    async def run() -> None:
        async with HttpKubeClient(load_config(kubeconfig, context)) as client:
            await apply_crds(client, generate_crds(), timeout=timeout)

    try:
        asyncio.run(run())
    except (ConfigError, ApiError, TimeoutError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
