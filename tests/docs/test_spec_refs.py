"""Every "§N.M" the code, chart, tests and docs cite names a section that exists in the behaviour spec
(docs/spec/grove-spec.md) or in the scenarios (docs/spec/scenarios.md), whichever the citation names."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.blocks import DOCS, REPO

SPEC = DOCS / "spec" / "grove-spec.md"
SCENARIOS = DOCS / "spec" / "scenarios.md"
SEARCHED = ["src", "tests", "deploy", "docs", "hack", "scripts", "bench", "README.md", "mkdocs.yml"]
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".tpl", ".txt", ".sh", ".toml", ""}
CITE = re.compile(r"§\s?(\d+(?:\.\d+)*)")
# The last document named before a citation decides which one it cites; none named means the spec (or, inside
# the scenarios, the scenarios).
NAMED = re.compile(r"scenarios\.md|real-control-plane\.md|grove-spec\.md|\bspec\b")
LOOKBACK = 400


def sections(doc: Path) -> set[str]:
    """Numbered headings ("## 7.", "### 7.4") and numbered items inside a section ("§12.9" = item 9 of §12)."""
    found: set[str] = set()
    current: str | None = None
    for line in doc.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#+\s+(\d+(?:\.\d+)*)\.?\s", line)
        if heading:
            current = heading.group(1)
            parts = current.split(".")
            found.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
            continue
        if current is not None and "." not in current:
            found.update(f"{current}.{item}" for item in re.findall(r"(?:^|\s)(\d+)\.\s", line))
    return found


def citations() -> list[tuple[str, int, str, str]]:
    """(file, line, target document, section) of every citation."""
    out: list[tuple[str, int, str, str]] = []
    for root in SEARCHED:
        base = REPO / root
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            rel = path.relative_to(REPO).as_posix()
            if path.suffix not in SUFFIXES or "__pycache__" in rel:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for m in CITE.finditer(text):
                named = NAMED.findall(text[max(0, m.start() - LOOKBACK):m.start()])
                own = "scenarios.md" if path == SCENARIOS else "spec"  # a bare "§" in a document cites itself
                target = {"scenarios.md": "scenarios", "real-control-plane.md": "reference"}.get(
                    named[-1] if named else own, "spec")
                out.append((rel, text.count("\n", 0, m.start()) + 1, target, m.group(1)))
    return out


def test_spec_and_scenarios_have_sections() -> None:
    assert {"1.2", "7.4", "12.9", "13.11"} <= sections(SPEC)
    assert {"1.2", "2.1", "4"} <= sections(SCENARIOS)


def test_every_cited_section_exists() -> None:
    known = {"spec": sections(SPEC), "scenarios": sections(SCENARIOS)}
    cited = citations()
    checked = [c for c in cited if c[2] in known]
    assert len(checked) > 200, f"only {len(checked)} citations found: is the scan broken?"
    missing = [f"{f}:{line}: §{sec} not in docs/spec/{'grove-spec' if t == 'spec' else t}.md"
               for f, line, t, sec in checked if sec not in known[t]]
    assert not missing, "\n".join(missing)
    # Citations of shared/reference/real-control-plane.md point outside the repository and are not checked.
    assert all(c[2] == "reference" for c in cited if c[2] not in known)
