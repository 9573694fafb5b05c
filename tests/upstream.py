"""Where upstream's manifests are: ``../shared/upstream`` beside the checkout (``GROVE_SHARED`` overrides
``../shared``). Tests that need them fail loudly when they are missing rather than skip."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GROVE_SHARED") or REPO.parent / "shared")
UPSTREAM = SHARED / "upstream"
SAMPLES = UPSTREAM / "samples"
E2E = UPSTREAM / "e2e"
