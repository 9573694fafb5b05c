"""Model conventions shared by every Grove kind.

camelCase on the wire, snake_case in Python; unknown fields are kept (``extra="allow"``) so a
load-then-dump round trip gives back the same JSON and fields from a newer server survive. Embedded
Kubernetes types (PodSpec, HPA metrics, ResourceClaimTemplateSpec) are plain dicts, passed through.
Serialise with :func:`to_wire`, which omits fields that were never set.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1, strict=True)]
"""An int32 as the API server stores it; JSON floats and strings are rejected like a structural schema."""

KubeDict = dict[str, Any]
"""An embedded Kubernetes object kept verbatim (x-kubernetes-preserve-unknown-fields)."""


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        strict=False,
    )

    def to_wire(self) -> dict[str, Any]:
        """JSON-ready dict with only the fields that were set (never drops user input)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @classmethod
    def from_wire(cls, data: Any) -> Self:
        return cls.model_validate(data)


class ObjectMeta(WireModel):
    """metav1.ObjectMeta: the fields Grove reads; everything else is kept as extra."""

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    deletion_grace_period_seconds: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    finalizers: list[str] | None = None
    owner_references: list[KubeDict] | None = None
    managed_fields: list[KubeDict] | None = None


class Condition(WireModel):
    """metav1.Condition."""

    type: str
    status: str
    observed_generation: int | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class LastError(WireModel):
    code: str | None = None
    description: str | None = None
    observed_at: str | None = None


class TypedObject(WireModel):
    """A top-level Kubernetes object: apiVersion, kind, metadata."""

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
