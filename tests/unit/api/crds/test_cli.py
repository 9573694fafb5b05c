"""``grove crds``: what a user pipes into ``kubectl apply``.

Run in-process through typer's CliRunner (one real subprocess run checks the registration in
``COMMAND_MODULES``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from typer.testing import CliRunner

import grove.cli.crds  # noqa: F401  (registers `crds` on the app)
from grove.api.crds import crd_for, generate_crds, to_yaml
from grove.cli.main import app

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, ["crds", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_bare_crds_prints_all_five_as_multi_document_yaml() -> None:
    out = run()
    assert out == to_yaml(generate_crds())
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out)] == [
        "podcliquesets.grove.io", "podcliques.grove.io", "podcliquescalinggroups.grove.io",
        "clustertopologybindings.grove.io", "podgangs.scheduler.grove.io",
    ]


def test_print_subcommand_is_the_same_as_bare_crds() -> None:
    assert run("print") == run()
    assert run("print", "-o", "json", "--kind", "pcs") == run("-o", "json", "--kind", "pcs")


def test_json_output_is_a_list() -> None:
    body = json.loads(run("-o", "json"))
    assert (body["apiVersion"], body["kind"]) == ("v1", "List")
    assert body["items"] == generate_crds()


def test_one_kind() -> None:
    assert list(yaml.safe_load_all(run("--kind", "pcs"))) == [crd_for("pcs")]
    assert json.loads(run("-o", "json", "--kind", "ClusterTopologyBinding")) == crd_for("ct")
    assert json.loads(run("-o", "json", "-k", "pg", "-k", "pclq"))["items"] == [crd_for("pg"), crd_for("pclq")]


def test_unknown_kind_is_a_usage_error_naming_the_known_ones() -> None:
    result = runner.invoke(app, ["crds", "--kind", "deploy"])
    assert result.exit_code == 2
    assert "unknown Grove kind 'deploy'" in result.output and "pcs" in result.output


def test_registered_in_the_grove_command() -> None:
    out = subprocess.run([sys.executable, "-m", "grove", "crds", "-k", "pg"], capture_output=True, text=True,
                         check=True)
    assert yaml.safe_load(out.stdout)["spec"]["names"]["kind"] == "PodGang"
