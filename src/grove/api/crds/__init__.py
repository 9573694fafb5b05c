"""CustomResourceDefinitions for Grove's kinds, generated from the pydantic wire models.

``generate_crds()`` gives all five (stable order), ``crd_for("pcs")`` one; ``to_yaml``/``to_json``
render them. The schemas are structural OpenAPI v3 (see :mod:`grove.api.crds.structural`).
"""

from __future__ import annotations

from grove.api.crds.generate import crd_for, crd_name, generate_crds, openapi_schema
from grove.api.crds.render import to_json, to_yaml
from grove.api.crds.structural import SchemaError

__all__ = ["SchemaError", "crd_for", "crd_name", "generate_crds", "openapi_schema", "to_json", "to_yaml"]
