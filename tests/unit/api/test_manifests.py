"""Reading manifests: typed lists, non-object list items, empty input, stdin bytes; every failure is a
ManifestError naming the file."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from grove.api.manifests import ManifestError, load_documents, parse_stream, read_documents


def test_typed_node_list_items_get_their_kind() -> None:
    text = "apiVersion: v1\nkind: NodeList\nitems:\n- metadata: {name: n1}\n- kind: Node\n  metadata: {name: n2}\n"
    docs = list(parse_stream(text, "nodes.yaml"))
    assert [(d.body["apiVersion"], d.body["kind"], d.body["metadata"]["name"]) for d in docs] == [
        ("v1", "Node", "n1"), ("v1", "Node", "n2")]
    assert [d.where for d in docs] == ["nodes.yaml#0", "nodes.yaml#1"]


@pytest.mark.parametrize(("text", "message"), [
    ("apiVersion: v1\nkind: List\nitems: [1, x]\n", r"f.yaml: line 1: List items\[0\]: must be an object"),
    ("apiVersion: v1\nkind: PodList\nitems: 5\n", "PodList items: must be an array"),
])
def test_bad_list_items_name_the_item(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        list(parse_stream(text, "f.yaml"))


def test_duplicate_keys_travel_with_the_document() -> None:
    (doc,) = parse_stream("kind: Node\nkind: Pod\n", "f.yaml")
    assert doc.warnings == ('line 2: duplicate key "kind" (the last value wins)',)


@pytest.mark.parametrize("content", ["", "# only a comment\n", "---\n---\n"])
def test_empty_input_is_an_error(tmp_path: Path, content: str) -> None:
    f = tmp_path / "empty.yaml"
    f.write_text(content)
    with pytest.raises(ManifestError, match="no objects passed"):
        load_documents([str(f)])
    assert read_documents([str(f)]) == ([], [f"no objects passed: {f} hold no Kubernetes objects"])


def test_non_utf8_stdin_is_a_manifest_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"kind: \xfe\n")))
    assert read_documents(["-"]) == ([], ["<stdin>: not UTF-8 text: invalid byte 0xfe at offset 6"])
