"""Regenerate deploy/helm/grove/crds/ from the wire models: ``.venv/bin/python deploy/helm/sync_crds.py``.

tests/unit/test_helm_chart.py fails when the files differ from ``generate_crds()``, so they never drift.
"""

from __future__ import annotations

from pathlib import Path

from grove.api.crds import generate_crds, to_yaml

CRD_DIR = Path(__file__).parent / "grove" / "crds"


def expected() -> dict[str, str]:
    return {f"{crd['metadata']['name']}.yaml": to_yaml([crd]) for crd in generate_crds()}


def main() -> None:
    CRD_DIR.mkdir(parents=True, exist_ok=True)
    want = expected()
    for stale in CRD_DIR.glob("*.yaml"):
        if stale.name not in want:
            stale.unlink()
    for name, text in want.items():
        (CRD_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(want)} CRDs to {CRD_DIR}")


if __name__ == "__main__":
    main()
