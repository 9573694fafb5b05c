"""YAML for untrusted input: bounded alias expansion, duplicate keys reported, clear errors.

PyYAML resolves an alias to the *same* Python object, so a "billion laughs" document (9 levels of 9
aliases in ~650 bytes) loads at once as a small graph, and then every walk over it (depth checks,
pydantic, deep copies, JSON output) expands it to 9^9 nodes. Like go-yaml, which sigs.k8s.io/yaml and
so kubectl use ("document contains excessive aliasing"), each document's node graph is measured before
it is turned into Python objects: how many nodes it stands for once every alias is expanded, and how
many of those come from aliases. Small documents may be 99% aliases; from 400,000 expanded nodes the
allowed share falls to 10% at 4,000,000 (go-yaml's ``allowedAliasRatio``). Measuring is linear in the
size of the text (each node's expansion is computed once).

Duplicate mapping keys are last-wins in YAML loaders; kubectl's strict decoding calls them an error.
Here they are collected per document (:class:`DuplicateKey`, ``line N: duplicate key "k"``) so the caller
decides (a warning by default, an error with ``--strict``). libyaml bounds nesting depth itself (ScannerError).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

# libyaml's parser when present: ~6x faster than the pure-Python one, same safe subset.
_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ALIAS_RATIO_LOW = 400_000
ALIAS_RATIO_HIGH = 4_000_000
MIN_ALIASED_NODES = 100
"""Below this many alias-expanded nodes (and 1,000 in all) aliasing is never excessive (as go-yaml)."""


class YAMLInputError(ValueError):
    """Text that is not acceptable YAML (syntax, excessive aliasing); the message says why and where."""


def allowed_alias_ratio(expanded: int) -> float:
    """go-yaml's rule: the share of a document's expanded nodes that may come from aliases."""
    if expanded <= ALIAS_RATIO_LOW:
        return 0.99
    if expanded >= ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (expanded - ALIAS_RATIO_LOW) / (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW)


def expansion(root: Node) -> tuple[int, int]:
    """(expanded node count, distinct node count) of a composed document; iterative, memoised.

    Raises YAMLInputError for a recursive alias (``&a [*a]``), whose expansion is infinite."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        kids = _children(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(k)] for k in kids)
            continue
        if key in sizes or key in open_nodes:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for kid in kids:
            if id(kid) in open_nodes:
                line = kid.start_mark.line + 1 if kid.start_mark is not None else 0
                raise YAMLInputError(f"line {line}: an alias refers to a node that contains it (recursive alias)")
            if id(kid) not in sizes:
                stack.append((kid, False))
    return sizes[id(root)], len(sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_aliasing(node: Node) -> None:
    expanded, distinct = expansion(node)
    aliased = expanded - distinct
    if aliased > MIN_ALIASED_NODES and expanded > 1000 and aliased / expanded > allowed_alias_ratio(expanded):
        line = node.start_mark.line + 1 if node.start_mark is not None else 0
        raise YAMLInputError(f"document at line {line} contains excessive aliasing: its aliases expand it to "
                             f"{expanded:,} nodes ({aliased:,} from aliases; allowed: "
                             f"{allowed_alias_ratio(expanded):.0%} of the expanded size)")


@dataclass(frozen=True)
class DuplicateKey:
    line: int
    key: str

    def __str__(self) -> str:
        return f'line {self.line}: duplicate key "{self.key}" (the last value wins)'


class _Loader(_BASE):  # type: ignore[misc,valid-type]
    """The safe loader that notes duplicate keys instead of silently keeping the last one."""

    duplicates: list[DuplicateKey]

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                try:
                    key = self.construct_object(key_node, deep=True)
                    hash(key)
                except TypeError:
                    continue  # an unhashable key: the base constructor reports it
                if key in seen:
                    line = key_node.start_mark.line + 1 if key_node.start_mark is not None else 0
                    self.duplicates.append(DuplicateKey(line, str(key)))
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass
class LoadedDocument:
    body: Any
    line: int
    duplicates: list[DuplicateKey] = field(default_factory=list)


def load_documents(text: str) -> list[LoadedDocument]:
    """Every document of a (multi-document) YAML or JSON text; raises YAMLInputError."""
    loader = _Loader(text)
    loader.duplicates = []
    out: list[LoadedDocument] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            check_aliasing(node)
            loader.duplicates = []
            body = loader.construct_document(node)
            dups = sorted(loader.duplicates, key=lambda d: d.line)
            out.append(LoadedDocument(body, (node.start_mark.line + 1) if node.start_mark else 0, dups))
    except yaml.YAMLError as exc:
        raise YAMLInputError(f"invalid YAML: {exc}") from exc
    except RecursionError as exc:
        raise YAMLInputError("invalid YAML: nested too deeply") from exc
    finally:
        loader.dispose()
    return out


def load_one(text: str) -> LoadedDocument | None:
    """The single document of ``text`` (None when it has none); raises YAMLInputError for more than one."""
    docs = load_documents(text)
    if len(docs) > 1:
        raise YAMLInputError(f"expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def decode_utf8(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped), or YAMLInputError naming the first bad byte's offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YAMLInputError(f"not UTF-8 text: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}") from exc
