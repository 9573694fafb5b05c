"""``grove validate``: default and validate manifests offline, exactly as admission would.

Every document of every file is run through :func:`grove.api.validation.validate_object` (schema,
defaulting, webhook rules). ClusterTopologyBindings and Volcano Queues found among the inputs stand in
for cluster state. Without ``--config`` the operator configuration is the embedded cluster's
(:func:`embedded_cluster_config`: every scheduler profile enabled, grove-scheduler the default,
topology-aware scheduling on), which admits upstream's samples and e2e manifests; pass ``--config``
to check against a real deployment's OperatorConfiguration (e.g. the Helm chart's, where TAS is off), as
a file or as the chart's ConfigMap; the configuration used is named in one line on stderr.

Exit codes: 0 all valid, 1 some object or file invalid, 2 bad ``--config`` or output format.
Status lines go to stdout (to stderr when ``-o`` prints objects), errors and warnings to stderr.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import typer
import yaml

from grove.api.manifests import Document, ManifestError, read_documents
from grove.api.models.config import OperatorConfiguration
from grove.api.validation import ObjectReport, OfflineLookup, validate_document
from grove.cli.main import app
from grove.cli.offline_config import describe, load_offline_config
from grove.operator.config import ConfigError


@dataclass
class Run:
    reports: list[tuple[Document, ObjectReport]] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(r.ok for _, r in self.reports)


def load_config(path: str | None) -> OperatorConfiguration:
    """The operator configuration to validate against; raises ManifestError naming the problem."""
    return load_config_and_source(path)[0]


def load_config_and_source(path: str | None) -> tuple[OperatorConfiguration, str]:
    """As the operator loads it (OperatorConfiguration or the chart's ConfigMap, see offline_config)."""
    try:
        return load_offline_config(path)
    except ConfigError as exc:
        raise ManifestError(str(exc)) from exc


def validate_documents(docs: list[Document], config: OperatorConfiguration, strict: bool = False) -> Run:
    lookup = OfflineLookup.from_bodies(d.body for d in docs)
    run = Run()
    for doc in docs:
        run.reports.append((doc, validate_document(doc.body, doc.duplicates, config=config, lookup=lookup,
                                                   strict=strict)))
    return run


def render_objects(run: Run, fmt: str) -> str:
    items: list[Any] = [r.wire for _, r in run.reports]
    if fmt == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump_all(items, sort_keys=False, allow_unicode=True, explicit_start=True)


def _group_warnings(warnings: list[str]) -> dict[str, list[str]]:
    """``path: message`` warnings grouped by message, so one rule hit on every clique prints once."""
    grouped: dict[str, list[str]] = {}
    for w in warnings:
        path, sep, message = w.partition(": ")
        if sep and path and " " not in path:
            grouped.setdefault(message, []).append(path)
        else:
            grouped.setdefault(w, [])
    return grouped


def _report(run: Run, status_stream: Any) -> None:
    for message in run.file_errors:
        typer.echo(f"error: {message}", err=True)
    counts = {"valid": 0, "invalid": 0, "passthrough": 0}
    for doc, rep in run.reports:
        for message, paths in _group_warnings(rep.result.warnings).items():
            where = f" ({', '.join(paths)})" if paths else ""
            typer.echo(f"warning: {doc.where}: {rep.ref}: {message}{where}", err=True)
        if not rep.ok:
            counts["invalid"] += 1
            for error in rep.result.errors:
                typer.echo(f"{doc.where}: {rep.ref}: {error}", err=True)
        elif rep.status == "passthrough":
            counts["passthrough"] += 1
            typer.echo(f"{rep.ref} passed through (not a Grove kind, not validated)", file=status_stream)
        else:
            counts["valid"] += 1
            typer.echo(f"{rep.ref} valid", file=status_stream)
    typer.echo(f"{len(run.reports)} object(s): {counts['valid']} valid, {counts['invalid']} invalid, "
               f"{counts['passthrough']} not validated; {len(run.file_errors)} unreadable file(s)", err=True)


@app.command("validate")
def validate(
    filenames: list[str] = typer.Option(..., "-f", "--filename", help="File, directory or - (stdin); repeatable."),
    output: str | None = typer.Option(None, "-o", "--output", help="Print the defaulted objects: yaml or json."),
    config: str | None = typer.Option(None, "--config", help="OperatorConfiguration to validate against, or the "
                                      "chart's ConfigMap (kubectl get cm grove-operator-config -o yaml); "
                                      "default: the embedded cluster's: all profiles, TAS on."),
    strict: bool = typer.Option(False, "--strict", help="Unknown fields and duplicate keys are errors, not "
                                "warnings (as kubectl --validate=strict)."),
) -> None:
    """Default and validate Grove manifests offline, as the admission webhooks would."""
    if output not in (None, "yaml", "json"):
        typer.echo(f"error: --output must be yaml or json, not {output!r}", err=True)
        raise typer.Exit(2)
    try:
        operator_config, source = load_config_and_source(config)
    except ManifestError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(describe(operator_config, source), err=True)
    try:
        docs, file_errors = read_documents(filenames)
        run = validate_documents(docs, operator_config, strict)
        run.file_errors = file_errors
    except Exception as exc:  # last resort: a bug must still not print a traceback
        typer.echo(f"error: internal error while validating: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(3) from None
    _report(run, sys.stderr if output else sys.stdout)
    if not run.ok:
        raise typer.Exit(1)
    if output:
        sys.stdout.write(render_objects(run, output))
