"""Untrusted YAML: an alias bomb is refused at once, ordinary anchors still load, duplicate keys and
bad bytes are reported with their place (never a hang, never an exception other than YAMLInputError)."""

from __future__ import annotations

import time

import pytest

from grove.api.bounded_yaml import YAMLInputError, allowed_alias_ratio, decode_utf8, load_documents


def alias_bomb(levels: int = 9, fan: int = 9) -> str:
    """The "billion laughs" document: ``fan`` aliases per level, ``levels`` levels (~650 bytes)."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fan) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_in_milliseconds() -> None:
    text = alias_bomb()
    assert len(text) < 700
    started = time.process_time()
    with pytest.raises(YAMLInputError, match="excessive aliasing") as err:
        load_documents(text)
    assert time.process_time() - started < 0.5
    assert "from aliases" in str(err.value)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(YAMLInputError, match="recursive alias"):
        load_documents("a: &x [1, *x]\n")


def test_ordinary_anchors_and_merge_keys_load() -> None:
    text = "base: &b {cpu: 1, memory: 1Gi}\nx: *b\ny: {<<: *b, cpu: 2}\n"
    (doc,) = load_documents(text)
    assert doc.body == {"base": {"cpu": 1, "memory": "1Gi"}, "x": {"cpu": 1, "memory": "1Gi"},
                        "y": {"cpu": 2, "memory": "1Gi"}}
    assert doc.duplicates == []  # a merge key overridden by an explicit key is not a duplicate


def test_a_large_document_with_some_aliases_loads() -> None:
    # 3 levels x 9 aliases: 9^3 leaves (under go-yaml's thresholds), as a real manifest's anchors are.
    assert load_documents(alias_bomb(levels=2))[0].body["a2"][0][0] == ["lol"] * 9


def test_alias_ratio_follows_go_yaml() -> None:
    assert allowed_alias_ratio(1_000) == 0.99
    assert allowed_alias_ratio(4_000_000) == 0.10
    assert 0.10 < allowed_alias_ratio(2_000_000) < 0.99


def test_duplicate_keys_are_noted_per_document_with_their_line() -> None:
    docs = load_documents("a: 1\nb: {c: 1, c: 2}\na: 3\n---\nx: 1\n")
    assert docs[0].body == {"a": 3, "b": {"c": 2}}
    assert [str(d) for d in docs[0].duplicates] == ['line 2: duplicate key "c" (the last value wins)',
                                                    'line 3: duplicate key "a" (the last value wins)']
    assert docs[1].duplicates == []


@pytest.mark.parametrize("text", ["a: [unclosed\n", "[" * 5000 + "]" * 5000, "a: !!python/object:os.system x\n",
                                  "{a: 1}: 2\n", "\t- tab\n"])
def test_bad_yaml_is_one_clear_error(text: str) -> None:
    with pytest.raises(YAMLInputError, match="invalid YAML"):
        load_documents(text)


def test_non_utf8_names_the_byte() -> None:
    with pytest.raises(YAMLInputError, match=r"not UTF-8 text: invalid byte 0xff at offset 3"):
        decode_utf8(b"a: \xff\n")
    assert decode_utf8("\ufeffa: 1".encode()) == "a: 1"
