"""RBAC as kube-apiserver evaluates it: does a request pass a set of PolicyRules, and do rules *cover*
other rules (the escalation check on Role/ClusterRole writes and on bindings without ``bind``).

Why: an operator that creates Roles must itself hold every permission it grants, or the API server
refuses ("attempting to grant RBAC permissions not currently held"). Checking that against the chart in a
test needs the server's own semantics, so this module mirrors, function by function, upstream's
``component-helpers/auth/rbac/validation/policy_comparator.go`` (``Covers``, ``BreakdownRule``),
``plugin/pkg/auth/authorizer/rbac/rbac.go`` (``RuleAllows``), ``pkg/registry/rbac/validation``
(``CompactRules``) and ``pkg/apis/rbac/v1/evaluation_helpers.go`` (``CompactString``). Deliberate
consequences kept: a creator allowed to ``escalate`` on roles/clusterroles skips the check altogether
(``RoleEscalationAuthorized``, see :func:`grant_refusal`); ``*`` on the servant side is covered only by a literal ``*``; ``pods/*`` is not a
wildcard for the authorizer; ``resourceNames`` never match a request without a name (create, list);
a rule with no apiGroups or no resources grants (and requires) nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALL = "*"


@dataclass(frozen=True)
class PolicyRule:
    verbs: tuple[str, ...] = ()
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> PolicyRule:
        """From the wire form (``{"apiGroups": [...], "resources": [...], "verbs": [...]}``)."""

        def strings(key: str) -> tuple[str, ...]:
            value = body.get(key) or ()
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"PolicyRule.{key}: must be a list of strings, got {value!r}")
            return tuple(value)

        return cls(strings("verbs"), strings("apiGroups"), strings("resources"), strings("resourceNames"),
                   strings("nonResourceURLs"))

    def to_dict(self) -> dict[str, list[str]]:
        out = {"apiGroups": self.api_groups, "resources": self.resources, "resourceNames": self.resource_names,
               "nonResourceURLs": self.non_resource_urls, "verbs": self.verbs}
        return {k: list(v) for k, v in out.items() if v}

    def __str__(self) -> str:
        return compact_string(self)


def rules_of(bodies: Iterable[Mapping[str, Any]]) -> list[PolicyRule]:
    return [PolicyRule.of(b) for b in bodies]


# -- the escalation check: policy_comparator.go --------------------------------------------------------


def breakdown(rule: PolicyRule) -> list[PolicyRule]:
    """One rule per (group, resource, verb[, resourceName]) and per (nonResourceURL, verb)."""
    out: list[PolicyRule] = []
    for group in rule.api_groups:
        for resource in rule.resources:
            for verb in rule.verbs:
                if rule.resource_names:
                    out.extend(PolicyRule((verb,), (group,), (resource,), (name,)) for name in rule.resource_names)
                else:
                    out.append(PolicyRule((verb,), (group,), (resource,)))
    for url in rule.non_resource_urls:
        out.extend(PolicyRule((verb,), non_resource_urls=(url,)) for verb in rule.verbs)
    return out


def _resource_covers_all(owner: Sequence[str], servant: Sequence[str]) -> bool:
    if ALL in owner or set(servant) <= set(owner):
        return True
    for path in servant:
        if path in owner:
            continue
        if "/" not in path:
            return False
        if "*/" + path.split("/", 1)[1] not in owner:
            return False
    return True


def _non_resource_url_covers(owner: str, sub: str) -> bool:
    return owner == sub or (owner.endswith("*") and sub.startswith(owner.rstrip("*")))


def _non_resource_urls_cover_all(owner: Sequence[str], servant: Sequence[str]) -> bool:
    return all(any(_non_resource_url_covers(o, s) for o in owner) for s in servant)


def rule_covers(owner: PolicyRule, sub: PolicyRule) -> bool:
    """``ruleCovers``: ``sub`` is one broken-down rule (at most one verb, resource and resourceName)."""
    verbs = ALL in owner.verbs or set(sub.verbs) <= set(owner.verbs)
    groups = ALL in owner.api_groups or set(sub.api_groups) <= set(owner.api_groups)
    resources = _resource_covers_all(owner.resources, sub.resources)
    urls = _non_resource_urls_cover_all(owner.non_resource_urls, sub.non_resource_urls)
    if not sub.resource_names:
        names = not owner.resource_names
    else:
        names = not owner.resource_names or set(sub.resource_names) <= set(owner.resource_names)
    return verbs and groups and resources and names and urls


def uncovered(owner: Sequence[PolicyRule], servant: Iterable[PolicyRule]) -> list[PolicyRule]:
    """The broken-down servant rules no owner rule covers (``Covers``); empty means covered."""
    return [sub for rule in servant for sub in breakdown(rule) if not any(rule_covers(o, sub) for o in owner)]


def covers(owner: Sequence[PolicyRule], servant: Iterable[PolicyRule]) -> bool:
    return not uncovered(owner, servant)


def compact(rules: Iterable[PolicyRule]) -> list[PolicyRule]:
    """``CompactRules``: merge single-group, single-resource rules that differ only by verb."""
    simple: dict[tuple[str, str, tuple[str, ...]], PolicyRule] = {}
    out: list[PolicyRule] = []
    for rule in rules:
        if (len(rule.resource_names) > 1 or rule.non_resource_urls or len(rule.api_groups) != 1
                or len(rule.resources) != 1):
            out.append(rule)
            continue
        key = (rule.api_groups[0], rule.resources[0], rule.resource_names)
        seen = simple.get(key)
        simple[key] = rule if seen is None else PolicyRule(seen.verbs + rule.verbs, seen.api_groups, seen.resources,
                                                           seen.resource_names)
    out.extend(simple.values())
    return out


def _quoted(values: Sequence[str]) -> str:
    """Go's ``%q`` of a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join(json.dumps(v) for v in values) + "]"


def compact_string(rule: PolicyRule) -> str:
    """``CompactString``: ``{APIGroups:[""], Resources:["pods/status"], Verbs:["get" "list"]}``."""
    parts = [(label, values) for label, values in (
        ("APIGroups", rule.api_groups), ("Resources", rule.resources), ("NonResourceURLs", rule.non_resource_urls),
        ("ResourceNames", rule.resource_names), ("Verbs", rule.verbs)) if values]
    return "{" + ", ".join(f"{label}:{_quoted(values)}" for label, values in parts) + "}"


def missing_descriptions(owner: Sequence[PolicyRule], servant: Iterable[PolicyRule]) -> list[str]:
    """The lines kube-apiserver prints after "attempting to grant RBAC permissions not currently held:"
    (compacted, de-duplicated, sorted)."""
    return sorted({compact_string(r) for r in compact(uncovered(owner, servant))})


RBAC_GROUP = "rbac.authorization.k8s.io"


def grant_refusal(owner: Sequence[PolicyRule], servant: Iterable[PolicyRule], *, resource: str = "roles",
                  namespace: str = "", name: str = "") -> list[str]:
    """What the Role (``resource="roles"``) or ClusterRole storage refuses on a write by a creator holding
    ``owner``: nothing if it may ``escalate`` on that resource, else :func:`missing_descriptions`. (Members
    of system:masters skip the check too; that is an identity, not a rule.)"""
    if allows(owner, Request("escalate", RBAC_GROUP, resource, name=name, namespace=namespace)):
        return []
    return missing_descriptions(owner, servant)


# -- the authorizer: rbac.go RuleAllows ------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """The attributes RBAC authorizes: a resource request (``resource`` set) or a non-resource one
    (``path``). ``name`` is empty for create, list, watch and deletecollection unless the list/watch had a
    ``metadata.name=`` field selector (the server's RequestInfo rule)."""

    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""
    path: str = ""

    @property
    def is_resource_request(self) -> bool:
        return bool(self.resource)

    @property
    def combined_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def __str__(self) -> str:
        if not self.is_resource_request:
            return f"{self.verb} {self.path}"
        group = self.api_group or "core"
        where = f" in namespace {self.namespace}" if self.namespace else " (cluster scope)"
        named = f" {self.name!r}" if self.name else ""
        return f"{self.verb} {self.combined_resource}.{group}{named}{where}"


def _resource_matches(rule: PolicyRule, combined: str, subresource: str) -> bool:
    for res in rule.resources:
        if res in (ALL, combined):
            return True
        if subresource and len(res) == len(subresource) + 2 and res.startswith("*/") and res.endswith(subresource):
            return True
    return False


def _non_resource_url_matches(rule: PolicyRule, path: str) -> bool:
    return any(url in (ALL, path) or (url.endswith("*") and path.startswith(url.rstrip("*")))
               for url in rule.non_resource_urls)


def rule_allows(rule: PolicyRule, req: Request) -> bool:
    verb = ALL in rule.verbs or req.verb in rule.verbs
    if not req.is_resource_request:
        return verb and _non_resource_url_matches(rule, req.path)
    group = ALL in rule.api_groups or req.api_group in rule.api_groups
    names = not rule.resource_names or req.name in rule.resource_names
    return verb and group and names and _resource_matches(rule, req.combined_resource, req.subresource)


def allows(rules: Iterable[PolicyRule], req: Request) -> bool:
    return any(rule_allows(r, req) for r in rules)
