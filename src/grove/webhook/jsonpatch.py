"""RFC 6902 JSON patch generation: the operations that turn one wire object into another.

A mutating webhook answers with a patch, not the mutated object; this computes it as the diff between
what the API server sent and what defaulting produced. Objects are diffed key by key (recursively);
lists of equal length element by element; anything else is replaced whole, which is always correct
(``json_patch(a, diff(a, b)) == b``) and keeps the patch small for the defaulting case, where only
scalar fields inside cliques appear.
"""

from __future__ import annotations

from typing import Any

Op = dict[str, Any]


def escape(token: str) -> str:
    """RFC 6901 reference token escaping: ``~`` → ``~0``, ``/`` → ``~1``."""
    return token.replace("~", "~0").replace("/", "~1")


def same(a: Any, b: Any) -> bool:
    """JSON equality: like ``==`` but ``True`` is not ``1`` (Python conflates them, JSON does not)."""
    if type(a) is not type(b):
        return isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool) \
            and not isinstance(b, bool) and a == b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def diff(source: Any, target: Any, path: str = "") -> list[Op]:
    """The operations that turn ``source`` into ``target`` (empty when they are equal)."""
    if same(source, target):
        return []
    if isinstance(source, dict) and isinstance(target, dict):
        ops: list[Op] = []
        for key in source:
            if key not in target:
                ops.append({"op": "remove", "path": f"{path}/{escape(key)}"})
        for key, value in target.items():
            child = f"{path}/{escape(key)}"
            if key not in source:
                ops.append({"op": "add", "path": child, "value": value})
            else:
                ops.extend(diff(source[key], value, child))
        return ops
    if isinstance(source, list) and isinstance(target, list) and len(source) == len(target):
        return [op for i, (a, b) in enumerate(zip(source, target, strict=True)) for op in diff(a, b, f"{path}/{i}")]
    if path == "":
        # The whole document differs in shape; replacing the root is allowed by RFC 6902.
        return [{"op": "replace", "path": "", "value": target}]
    return [{"op": "replace", "path": path, "value": target}]
