"""``grove crds``: print Grove's five CustomResourceDefinitions, generated from the wire models.

``crds`` is a sub-app so cluster-facing verbs (``grove crds apply``) can join it later. Bare
``grove crds`` prints, the same as ``grove crds print``: the everyday use is
``grove crds | kubectl apply --server-side -f -``. YAML (default) is multi-document in the fixed
order PodCliqueSet, PodClique, PodCliqueScalingGroup, ClusterTopologyBinding, PodGang; ``-o json``
is a ``v1 List``, or the bare object when exactly one ``--kind`` is asked for.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import typer

from grove.api.crds import crd_for, generate_crds, to_json, to_yaml
from grove.cli.main import app

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
