"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902) over plain wire dicts.

Both functions are pure: they never mutate their inputs and return a new document. A malformed patch
document raises :class:`BadRequest` (HTTP 400); a well-formed patch that cannot apply (missing path, failed
``test``) raises :class:`Invalid` (HTTP 422), as the API server answers.
"""

from __future__ import annotations

import copy
from typing import Any

from grove.kube.errors import BadRequest, Invalid, StatusCause
from grove.kube.objects import deep_copy


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _tokens(pointer: Any, op: dict[str, Any]) -> list[str]:
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise BadRequest(f"invalid JSON pointer {pointer!r} in operation {op!r}")
    return [_unescape(t) for t in pointer.split("/")[1:]] if pointer else []


def _fail(pointer: str, message: str) -> Invalid:
    return Invalid(f"the server rejected our request due to an error in our request: {message}",
                   causes=[StatusCause(field=pointer, message=message)])


def _index(container: list[Any], token: str, pointer: str, *, for_insert: bool) -> int:
    if token == "-" and for_insert:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise _fail(pointer, f"invalid array index {token!r}")
    idx = int(token)
    limit = len(container) if for_insert else len(container) - 1
    if idx > limit:
        raise _fail(pointer, f"array index {idx} out of bounds")
    return idx


def _parent(doc: Any, tokens: list[str], pointer: str) -> Any:
    cur = doc
    for tok in tokens[:-1]:
        if isinstance(cur, dict):
            if tok not in cur:
                raise _fail(pointer, f"doc is missing path: {pointer}")
            cur = cur[tok]
        elif isinstance(cur, list):
            cur = cur[_index(cur, tok, pointer, for_insert=False)]
        else:
            raise _fail(pointer, f"doc is missing path: {pointer}")
    return cur


def _get(doc: Any, tokens: list[str], pointer: str) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _fail(pointer, f"doc is missing path: {pointer}")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, pointer, for_insert=False)]
    raise _fail(pointer, f"doc is missing path: {pointer}")


def _remove(doc: Any, tokens: list[str], pointer: str) -> Any:
    if not tokens:
        raise _fail(pointer, "cannot remove the whole document")
    parent = _parent(doc, tokens, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _fail(pointer, f"unable to remove nonexistent key: {last}")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, pointer, for_insert=False))
    raise _fail(pointer, f"doc is missing path: {pointer}")


def _add(doc: Any, tokens: list[str], value: Any, pointer: str, *, replace: bool) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _fail(pointer, f"replace operation does not apply: doc is missing key: {pointer}")
        parent[last] = value
    elif isinstance(parent, list):
        if replace:
            parent[_index(parent, last, pointer, for_insert=False)] = value
        else:
            parent.insert(_index(parent, last, pointer, for_insert=True), value)
    else:
        raise _fail(pointer, f"doc is missing path: {pointer}")
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902: apply ``add``/``remove``/``replace``/``move``/``copy``/``test`` in order, atomically."""
    if not isinstance(operations, list):
        raise BadRequest("a JSON patch must be a list of operations")
    doc = deep_copy(target)  # JSON-shaped: much faster than copy.deepcopy
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise BadRequest(f"invalid JSON patch operation {op!r}")
        kind = op["op"]
        pointer = op["path"]
        tokens = _tokens(pointer, op)
        if kind in ("add", "replace", "test") and "value" not in op:
            raise BadRequest(f"operation {kind!r} needs a value: {op!r}")
        if kind == "add":
            doc = _add(doc, tokens, copy.deepcopy(op["value"]), pointer, replace=False)
        elif kind == "replace":
            doc = _add(doc, tokens, copy.deepcopy(op["value"]), pointer, replace=True)
        elif kind == "remove":
            _remove(doc, tokens, pointer)
        elif kind in ("move", "copy"):
            src = op.get("from")
            src_tokens = _tokens(src, op)
            if kind == "move":
                if src_tokens != tokens and tokens[: len(src_tokens)] == src_tokens:
                    raise _fail(pointer, "cannot move a value into one of its children")
                value = _remove(doc, src_tokens, str(src))
            else:
                value = copy.deepcopy(_get(doc, src_tokens, str(src)))
            doc = _add(doc, tokens, value, pointer, replace=False)
        elif kind == "test":
            if _get(doc, tokens, pointer) != op["value"]:
                raise _fail(pointer, f"testing value {pointer} failed: test failed")
        else:
            raise BadRequest(f"unknown JSON patch operation {kind!r}")
    return doc
