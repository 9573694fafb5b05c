"""Upstream sample PodCliqueSets, loaded and defaulted as the API server would store them."""

from __future__ import annotations

from grove.api.defaults import default_podcliqueset
from grove.api.manifests import load_documents
from grove.api.models import PodCliqueSet
from tests.upstream import UPSTREAM

SAMPLES = UPSTREAM / "samples"


def _load_all() -> dict[str, PodCliqueSet]:
    out: dict[str, PodCliqueSet] = {}
    for doc in load_documents([str(SAMPLES), str(UPSTREAM / "e2e")]):
        if isinstance(doc.body, dict) and doc.body.get("kind") == "PodCliqueSet":
            pcs = PodCliqueSet.from_wire(doc.body)
            out.setdefault(pcs.metadata.name or "", pcs)
    return out


_ALL = _load_all()
SAMPLE_NAMES = sorted(
    PodCliqueSet.from_wire(d.body).metadata.name or ""
    for d in load_documents([str(SAMPLES)])
    if d.body.get("kind") == "PodCliqueSet"
)


def sample(name: str, uid: str = "uid-pcs") -> PodCliqueSet:
    """The defaulted sample named ``name`` (metadata.name), with a uid as if read from the API."""
    pcs = default_podcliqueset(_ALL[name])
    pcs.metadata.uid = uid
    pcs.api_version = pcs.api_version or "grove.io/v1alpha1"
    pcs.kind = pcs.kind or "PodCliqueSet"
    return pcs
