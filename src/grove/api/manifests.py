"""Reading manifests: files, directories (``*.yaml``, ``*.yml``, ``*.json``, sorted) or ``-`` for stdin,
multi-document YAML and ``kind: *List``. Each document keeps where it came from so errors can point at it.

Input is untrusted: bytes must be UTF-8, YAML goes through :mod:`grove.api.bounded_yaml` (bounded alias
expansion, duplicate keys noted per document), and every failure is a :class:`ManifestError` naming the
file, never another exception. Non-object documents are kept (as kubectl, the caller reports them with
their place) except inside a List, whose ``items`` must be objects.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grove.api.bounded_yaml import DuplicateKey, YAMLInputError, decode_utf8
from grove.api.bounded_yaml import load_documents as load_yaml

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"


class ManifestError(ValueError):
    """A file that cannot be read or parsed; the message names the file."""


@dataclass(frozen=True)
class Document:
    source: str
    index: int
    body: Any
    duplicates: tuple[DuplicateKey, ...] = field(default=(), compare=False)
    """Duplicate keys in the text (a lenient reader keeps the last value)."""

    @property
    def warnings(self) -> tuple[str, ...]:
        """Problems of the text a lenient reader lets pass, one line each (``line N: ...``)."""
        return tuple(str(d) for d in self.duplicates)

    @property
    def where(self) -> str:
        return f"{self.source}#{self.index}"

    def describe(self) -> str:
        if isinstance(self.body, dict):
            kind = self.body.get("kind") or "<no kind>"
            meta = self.body.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else None
            return f"{kind}/{name or '<no name>'}"
        return "<not an object>"


def expand_paths(paths: Iterable[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if p == STDIN:
            out.append(p)
            continue
        path = Path(p)
        if path.is_dir():
            out.extend(str(f) for f in sorted(path.rglob("*")) if f.suffix in MANIFEST_SUFFIXES and f.is_file())
        elif path.exists():
            out.append(str(path))
        else:
            raise ManifestError(f"{p}: no such file or directory")
    return out


def is_list_kind(body: Any) -> bool:
    """``v1 List`` and any typed ``*List`` (``NodeList``, ``PodCliqueSetList``) with ``items``."""
    kind = body.get("kind") if isinstance(body, dict) else None
    return isinstance(kind, str) and (kind == "List" or (kind.endswith("List") and "items" in body))


def parse_stream(text: str, source: str) -> Iterator[Document]:
    try:
        docs = load_yaml(text)
    except YAMLInputError as exc:
        raise ManifestError(f"{source}: {exc}") from exc
    index = 0
    for doc in docs:
        if doc.body is None:
            continue
        dups = tuple(doc.duplicates)
        if is_list_kind(doc.body):
            items = doc.body.get("items")
            if items is None:
                continue
            if not isinstance(items, list):
                raise ManifestError(f"{source}: line {doc.line}: {doc.body['kind']} items: must be an array")
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    raise ManifestError(f"{source}: line {doc.line}: {doc.body['kind']} items[{i}]: must be an "
                                        f"object with apiVersion and kind, not {type(item).__name__}")
                yield Document(source, index, _typed_item(doc.body, item), dups)
                dups = ()
                index += 1
            continue
        yield Document(source, index, doc.body, dups)
        index += 1


def _typed_item(listing: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """Items of a typed list (``NodeList``) may omit apiVersion/kind, as ``kubectl get -o yaml`` can print."""
    kind = listing["kind"]
    if kind == "List" or ("kind" in item and "apiVersion" in item):
        return item
    return {"apiVersion": item.get("apiVersion", listing.get("apiVersion")), "kind": item.get("kind", kind[:-4]),
            **{k: v for k, v in item.items() if k not in ("apiVersion", "kind")}}


def read_text(path: str) -> str:
    """A manifest file's (or stdin's, for ``-``) text; ManifestError when unreadable or not UTF-8."""
    source = "<stdin>" if path == STDIN else path
    try:
        data = sys.stdin.buffer.read() if path == STDIN else Path(path).read_bytes()
    except OSError as exc:
        raise ManifestError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    try:
        return decode_utf8(data)
    except YAMLInputError as exc:
        raise ManifestError(f"{source}: {exc}") from exc


def source_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def read_documents(paths: Iterable[str]) -> tuple[list[Document], list[str]]:
    """All documents that could be read, and one message per file that could not (others still load).

    An input that holds no object at all is an error too (as ``kubectl apply``)."""
    paths = list(paths)
    docs: list[Document] = []
    errors: list[str] = []
    for p in paths:
        try:
            files = expand_paths([p])
        except ManifestError as exc:
            errors.append(str(exc))
            continue
        for f in files:
            try:
                docs.extend(parse_stream(read_text(f), source_name(f)))
            except ManifestError as exc:
                errors.append(str(exc))
    if not docs and not errors:
        errors.append(no_objects_message(paths))
    return docs, errors


def load_documents(paths: Iterable[str]) -> list[Document]:
    """Every document of every path; the first unreadable file, or no object at all, raises ManifestError."""
    paths = list(paths)
    docs: list[Document] = []
    for p in expand_paths(paths):
        docs.extend(parse_stream(read_text(p), source_name(p)))
    if not docs:
        raise ManifestError(no_objects_message(paths))
    return docs


def no_objects_message(paths: Iterable[str]) -> str:
    """kubectl's wording for an input without a single object (empty, comments only, ``---`` only)."""
    return f"no objects passed: {', '.join(source_name(p) for p in paths)} hold no Kubernetes objects"
