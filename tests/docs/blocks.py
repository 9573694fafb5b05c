"""Fenced code blocks of the documentation pages, as the doc tests read them.

Conventions the tests enforce (docs/index.md "About these pages" states them for writers):

- A ```yaml block is a whole manifest and is checked with ``grove validate --strict``. Its ``title="NAME"``
  names the file the page's commands use. A block titled ``fragment: REASON`` is skipped, and the reason
  is shown above the block on the rendered page; a block titled ``… steps.yaml`` is a ``grove sim run
  --steps`` list, checked by running it; a block titled ``invalid: NAME`` shows a mistake and must be
  *rejected* by ``grove validate`` (its file is ``NAME``); a block titled ``helm-values: NAME`` is a values
  file for the chart and must render with ``helm template`` (tests/docs/test_helm_values.py).
- A ```console block holds ``$ grove …`` commands, each followed by its expected output (stdout and stderr
  together). A line ``...`` matches any number of lines. The test runs every command in a scratch directory
  holding the page's titled yaml blocks and compares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
# The behaviour spec and scenarios are reference text, not examples.
NOT_EXAMPLES = ("spec/",)

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>[^\n`]*)$")
_TITLE = re.compile(r'title="([^"]*)"')


@dataclass(frozen=True)
class Block:
    page: str  # relative to docs/
    line: int  # 1-based line of the opening fence
    lang: str
    title: str | None
    text: str

    @property
    def filename(self) -> str | None:
        """The file the page's commands know this block as."""
        if self.title is None or self.title.startswith("fragment:"):
            return None
        return self.title.removeprefix("invalid:").removeprefix("helm-values:").strip()

    @property
    def invalid(self) -> bool:
        return bool(self.title and self.title.startswith("invalid:"))

    @property
    def helm_values(self) -> bool:
        return bool(self.title and self.title.startswith("helm-values:"))

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md"))


def blocks(page: Path) -> list[Block]:
    rel = page.relative_to(DOCS).as_posix()
    out: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], len(m["indent"])
        info = m["info"].strip()
        lang = info.split()[0] if info else ""
        t = _TITLE.search(info)
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        out.append(Block(rel, i + 1, lang, t.group(1) if t else None, "\n".join(body) + "\n"))
        i = j + 1
    return out


def example_blocks(lang: str) -> list[Block]:
    return [b for p in pages() if not p.relative_to(DOCS).as_posix().startswith(NOT_EXAMPLES)
            for b in blocks(p) if b.lang == lang]
