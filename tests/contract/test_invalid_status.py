"""The 422 Invalid both worlds send: the same causes (``reason`` FieldValue..., field path, message) and
the same ``Kind "name" is invalid: ...`` message for the same bad object. The embedded side is built by
:func:`grove.api.validation.status.invalid_status` (which the webhook server sends too); the real side
is kube-apiserver's own core validation of a Pod, so this pins our encoding to the API server's."""

from __future__ import annotations

import pytest

from grove.kube.client import KubeClient
from grove.kube.errors import Invalid, NotFound


def bad_pod(ns: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": ns},
            "spec": {"containers": [
                {"name": "Bad Name", "image": "registry.example/app:1"},
                {"name": "ok", "image": "", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}},
                {"name": "neg", "image": "i", "resources": {"requests": {"memory": "-1"}}}]}}


async def test_invalid_pod_gets_the_api_servers_causes(kube: KubeClient, ns: str) -> None:
    with pytest.raises(Invalid) as err:
        await kube.create(bad_pod(ns))
    causes = {(c.field, c.reason): c.message for c in err.value.causes}
    assert causes[("spec.containers[0].name", "FieldValueInvalid")].startswith(
        'Invalid value: "Bad Name": a lowercase RFC 1123 label must consist of lower case alphanumeric')
    assert causes[("spec.containers[1].image", "FieldValueRequired")] == "Required value"
    assert causes[("spec.containers[1].resources.requests", "FieldValueInvalid")] == \
        'Invalid value: "2": must be less than or equal to cpu limit of 1'
    assert causes[("spec.containers[2].resources.requests[memory]", "FieldValueInvalid")] == \
        'Invalid value: "-1": must be greater than or equal to 0'
    assert err.value.message.startswith('Pod "bad" is invalid: [')
    assert err.value.details.get("kind") == "Pod" and err.value.details.get("name") == "bad"
    with pytest.raises(NotFound):
        await kube.get("v1", "Pod", "bad", ns)
