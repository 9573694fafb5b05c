"""Label and field selectors: parse the wire string once, match many objects.

Shared by the embedded cluster (list/watch filtering), informers (local indexes) and the HTTP backend
(which only formats them). Grammar follows ``k8s.io/apimachinery/pkg/labels``: comma-separated
requirements ``k``, ``!k``, ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k>n``,
``k<n``. Invariant: a parsed selector is immutable and matching never raises; malformed input raises
:class:`~grove.kube.errors.BadRequest` at parse time, as the API server answers 400.

Field selectors support ``=``, ``==`` and ``!=`` over dotted paths (``metadata.name``, ``spec.nodeName``,
``status.phase`` or any other path); a missing field compares as the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from grove.kube.errors import BadRequest

Operator = Literal["=", "!=", "in", "notin", "exists", "!", "gt", "lt"]

_KEY_RE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$")
_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op == "=":
            return present and labels[self.key] == self.values[0]
        if self.op == "!=":
            return not present or labels[self.key] != self.values[0]
        if self.op == "in":
            return present and labels[self.key] in self.values
        if self.op == "notin":
            return not present or labels[self.key] not in self.values
        if not present:
            return False
        try:
            have, want = int(labels[self.key]), int(self.values[0])
        except ValueError:
            return False
        return have > want if self.op == "gt" else have < want

    def __str__(self) -> str:
        if self.op == "exists":
            return self.key
        if self.op == "!":
            return f"!{self.key}"
        if self.op in ("in", "notin"):
            return f"{self.key} {self.op} ({','.join(sorted(self.values))})"
        sym = {"gt": ">", "lt": "<"}.get(self.op, self.op)
        return f"{self.key}{sym}{self.values[0]}"


@dataclass(frozen=True)
class LabelSelector:
    """A conjunction of requirements; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        lab = labels or {}
        return all(r.matches(lab) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise BadRequest(f"unable to parse requirement: unbalanced ')' in {text!r}")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise BadRequest(f"unable to parse requirement: unbalanced '(' in {text!r}")
    parts.append(text[start:])
    return parts


def _check_key(key: str, text: str) -> str:
    if not key or not _KEY_RE.match(key) or key.count("/") > 1:
        raise BadRequest(f"unable to parse requirement: invalid label key {key!r} in {text!r}")
    return key


def _check_value(value: str, text: str) -> str:
    if len(value) > 63 or not _VALUE_RE.match(value):
        raise BadRequest(f"unable to parse requirement: invalid label value {value!r} in {text!r}")
    return value


_SET_RE = re.compile(r"^(?P<key>[^\s!=<>()]+)\s+(?P<op>in|notin)\s*\((?P<vals>[^()]*)\)$")
_CMP_RE = re.compile(r"^(?P<key>[^\s!=<>()]+)\s*(?P<op>==|=|!=|>|<)\s*(?P<val>[^\s!=<>()]*)$")


def _parse_requirement(part: str, text: str) -> Requirement:
    if m := _SET_RE.match(part):
        vals = tuple(_check_value(v.strip(), text) for v in m["vals"].split(","))
        op: Operator = "in" if m["op"] == "in" else "notin"
        return Requirement(_check_key(m["key"], text), op, vals)
    if m := _CMP_RE.match(part):
        sym = m["op"]
        if sym in (">", "<"):
            if not re.fullmatch(r"-?\d+", m["val"]):
                raise BadRequest(f"unable to parse requirement: {m['val']!r} is not an integer in {text!r}")
            return Requirement(_check_key(m["key"], text), "gt" if sym == ">" else "lt", (m["val"],))
        cmp_op: Operator = "!=" if sym == "!=" else "="
        return Requirement(_check_key(m["key"], text), cmp_op, (_check_value(m["val"], text),))
    if part.startswith("!"):
        return Requirement(_check_key(part[1:].strip(), text), "!")
    return Requirement(_check_key(part, text), "exists")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse ``app=x,tier in (a,b),!canary``; None or blank gives the match-everything selector."""
    if text is None or not text.strip():
        return LabelSelector()
    reqs = []
    for raw in _split_top_level(text):
        part = raw.strip()
        if not part:
            raise BadRequest(f"unable to parse requirement: empty requirement in {text!r}")
        reqs.append(_parse_requirement(part, text))
    return LabelSelector(tuple(reqs))


def selector_from_dict(sel: Mapping[str, Any] | None) -> LabelSelector:
    """A ``metav1.LabelSelector`` (matchLabels + matchExpressions) as a :class:`LabelSelector`.

    None matches everything here; callers that need "nil selects nothing" check for None themselves.
    """
    if not sel:
        return LabelSelector()
    reqs: list[Requirement] = [Requirement(str(k), "=", (str(v),))
                               for k, v in sorted((sel.get("matchLabels") or {}).items())]
    ops: dict[str, Operator] = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in sel.get("matchExpressions") or []:
        op = ops.get(str(expr.get("operator")))
        if op is None:
            raise BadRequest(f"invalid label selector operator {expr.get('operator')!r}")
        reqs.append(Requirement(str(expr["key"]), op, tuple(str(v) for v in expr.get("values") or ())))
    return LabelSelector(tuple(reqs))


def format_label_selector(sel: Mapping[str, Any] | None) -> str:
    """The wire string of a ``metav1.LabelSelector`` dict (as ``Scale.status.selector`` carries it)."""
    return str(selector_from_dict(sel))


def lookup_path(obj: Mapping[str, Any], path: str) -> Any:
    """Value at a dotted path (a leading ``.`` is allowed); None when any step is missing."""
    cur: Any = obj
    for step in path.lstrip(".").split("."):
        if not isinstance(cur, Mapping) or step not in cur:
            return None
        cur = cur[step]
    return cur


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string a field selector compares: booleans as ``true``/``false``, missing as ``""``."""
    value = lookup_path(obj, path)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class FieldRequirement:
    path: str
    negate: bool
    value: str

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return (field_value(obj, self.path) == self.value) != self.negate

    def __str__(self) -> str:
        return f"{self.path}{'!=' if self.negate else '='}{self.value}"


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


_FIELD_RE = re.compile(r"^(?P<path>[A-Za-z0-9_.\-]+)\s*(?P<op>==|=|!=)\s*(?P<val>.*)$")


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse ``metadata.name=x,spec.nodeName!=``; None or blank matches everything."""
    if text is None or not text.strip():
        return FieldSelector()
    reqs = []
    for raw in text.split(","):
        m = _FIELD_RE.match(raw.strip())
        if not m:
            raise BadRequest(f"invalid field selector {raw!r} in {text!r}")
        reqs.append(FieldRequirement(m["path"], m["op"] == "!=", m["val"].strip()))
    return FieldSelector(tuple(reqs))
