"""The documentation site builds with ``mkdocs build --strict``: every page in the nav, every page linked,
no broken link or anchor (mkdocs.yml turns each of those into a warning, --strict into an error)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.docs.blocks import REPO


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
                          capture_output=True, text=True, timeout=240, cwd=config.parent,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def test_site_builds_strict(tmp_path: Path) -> None:
    proc = _build(REPO / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    html = (tmp_path / "site" / "reference" / "api.html").read_text(encoding="utf-8")
    assert "spec.template.cliques[].spec.minAvailable" in html
    # Offline: no page pulls fonts or scripts from elsewhere.
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "unpkg.com" not in text, page


def test_broken_anchor_fails_the_build(tmp_path: Path) -> None:
    """The link check is live: a link to a missing heading on an existing page breaks the strict build."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [the concepts](other.md#no-such-heading).\n", encoding="utf-8")
    (docs / "other.md").write_text("# Other\n\n## A heading\n", encoding="utf-8")
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n")[0]
    (tmp_path / "mkdocs.yml").write_text(config + "\nnav:\n  - index.md\n  - other.md\n", encoding="utf-8")
    proc = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    assert "no-such-heading" in proc.stderr


def test_mkdocs_is_installed() -> None:
    assert shutil.which("mkdocs", path=str(Path(sys.executable).parent)), "mkdocs missing from the dev dependencies"
