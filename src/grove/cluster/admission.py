"""The admission chain: mutating plugins, then validating plugins, before anything is committed.

Plugins are async callables (our webhooks called in process). A mutating plugin returns the object to
continue with (or None for "unchanged"); a validating plugin returns nothing or raises (Invalid,
Forbidden, ...). Each plugin gets its own deep copy, so a plugin that rejects cannot have changed the
store. For the ``scale`` subresource ``object`` is the autoscaling/v1 Scale (as for a real webhook that
registers ``<resource>/scale``); ``api_version``/``kind`` always name the resource being written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from grove.kube.client import Obj
from grove.kube.objects import deep_copy

Operation = Literal["CREATE", "UPDATE", "DELETE"]


@dataclass(frozen=True)
class UserInfo:
    username: str = "system:admin"
    groups: tuple[str, ...] = ("system:masters", "system:authenticated")


@dataclass
class AdmissionRequest:
    operation: Operation
    api_version: str
    kind: str
    name: str
    namespace: str | None
    object: Obj | None
    old_object: Obj | None
    subresource: str | None = None
    user: UserInfo = field(default_factory=UserInfo)
    dry_run: bool = False


MutatingPlugin = Callable[[AdmissionRequest], Awaitable[Obj | None]]
ValidatingPlugin = Callable[[AdmissionRequest], Awaitable[Any]]
Matcher = Callable[[AdmissionRequest], bool]


class Scoped:
    """A plugin with a cheap ``match`` predicate (like a webhook's ``rules``): requests it does not match
    skip it entirely, including the defensive deep copy, which matters for pod status churn."""

    def __init__(self, plugin: Callable[[AdmissionRequest], Awaitable[Any]], match: Matcher) -> None:
        self.plugin, self.match = plugin, match

    def __call__(self, request: AdmissionRequest) -> Awaitable[Any]:
        return self.plugin(request)


def _applies(plugin: object, request: AdmissionRequest) -> bool:
    return not isinstance(plugin, Scoped) or plugin.match(request)


class AdmissionChain:
    def __init__(self) -> None:
        self.mutating: list[MutatingPlugin] = []
        self.validating: list[ValidatingPlugin] = []

    def __bool__(self) -> bool:
        return bool(self.mutating or self.validating)

    async def admit(self, request: AdmissionRequest) -> Obj | None:
        """Run the chain; returns the (possibly mutated) object, or raises what a plugin raised."""
        obj = request.object
        for plugin in self.mutating:
            if not _applies(plugin, request):
                continue
            request.object = deep_copy(obj) if obj is not None else None
            result = await plugin(request)
            if result is not None and request.operation != "DELETE":
                obj = result
            elif request.object is not None and request.operation != "DELETE":
                obj = request.object
        for plugin in self.validating:
            if not _applies(plugin, request):
                continue
            request.object = deep_copy(obj) if obj is not None else None
            await plugin(request)
        request.object = obj
        return obj
