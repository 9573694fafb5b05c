"""The generated CRDs equal the reviewed golden files in tests/data/crds/.

A model change that alters a CRD must show up as a diff of those files in review. Regenerate after
an intended change with:

    GROVE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/api/crds/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from grove.api.crds import crd_for, crd_name, generate_crds, to_json, to_yaml
from grove.api.kinds import CRD_KINDS

GOLDEN = Path(__file__).resolve().parents[3] / "data" / "crds"
UPDATE = os.environ.get("GROVE_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("kind", CRD_KINDS, ids=lambda k: k.kind)
def test_crd_matches_golden_file(kind) -> None:  # type: ignore[no-untyped-def]
    path = GOLDEN / f"{crd_name(kind)}.yaml"
    text = to_yaml([crd_for(kind.kind)])
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with GROVE_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(), f"{path.name} differs: review, then regenerate with GROVE_UPDATE_GOLDEN=1"


def test_golden_dir_has_no_stale_files() -> None:
    expected = {f"{crd_name(k)}.yaml" for k in CRD_KINDS}
    assert {p.name for p in GOLDEN.glob("*.yaml")} == expected


def test_all_crds_render_in_stable_order_and_parse_back() -> None:
    text = to_yaml(generate_crds())
    assert text == to_yaml(generate_crds()), "generation must be deterministic"
    docs = list(yaml.safe_load_all(text))
    assert [d["spec"]["names"]["kind"] for d in docs] == [
        "PodCliqueSet", "PodClique", "PodCliqueScalingGroup", "ClusterTopologyBinding", "PodGang",
    ]
    assert docs == generate_crds()
    assert "&id" not in text and "*id" not in text, "no YAML anchors: every node is written out"


def test_json_is_a_v1_list_of_the_same_crds() -> None:
    body = json.loads(to_json(generate_crds()))
    assert body["apiVersion"] == "v1" and body["kind"] == "List"
    assert body["items"] == generate_crds()
