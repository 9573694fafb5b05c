"""CRDs as text: multi-document YAML or a JSON ``List``, byte-for-byte stable.

Keys are sorted at every level (as controller-gen writes them) and lines are never folded, so the
output diffs cleanly and golden files compare exactly.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


def to_yaml(crds: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(crds, sort_keys=True, default_flow_style=False, width=10_000, explicit_start=True)


def to_json(crds: list[dict[str, Any]]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": crds}, indent=2, sort_keys=True) + "\n"
