"""PodGangs become placement gangs: pod keys, minReplicas and translated pack constraints."""

from __future__ import annotations

from grove.scheduler.gangs import Coupling, Pack, gang_from_podgang


def test_gang_from_podgang_wire_dict() -> None:
    podgang = {
        "apiVersion": "scheduler.grove.io/v1alpha1",
        "kind": "PodGang",
        "metadata": {"name": "pcs-0", "namespace": "ns"},
        "spec": {
            "topologyConstraint": {"packConstraint": {"required": "kubernetes.io/zone"}},
            "podgroups": [
                {
                    "name": "pcs-0-a",
                    "minReplicas": 2,
                    "podReferences": [
                        {"namespace": "ns", "name": "pcs-0-a-0"},
                        {"namespace": "ns", "name": "pcs-0-a-1"},
                    ],
                    "topologyConstraint": {"packConstraint": {"preferred": "kubernetes.io/rack"}},
                },
                {"name": "pcs-0-sg-0-b", "minReplicas": 1, "topologyConstraint": {"packConstraint": {}}},
            ],
            "topologyConstraintGroupConfigs": [
                {
                    "name": "pcs-0-sg-0",
                    "podGroupNames": ["pcs-0-sg-0-b"],
                    "topologyConstraint": {"packConstraint": {"required": "kubernetes.io/block"}},
                }
            ],
        },
    }
    coupling = Coupling("ns/pcs-0", "kubernetes.io/zone")
    gang = gang_from_podgang(podgang, same_domain_as=coupling)
    assert gang.name == "ns/pcs-0"
    assert gang.pack == Pack(required="kubernetes.io/zone")
    assert gang.groups[0].pods == ("ns/pcs-0-a-0", "ns/pcs-0-a-1")
    assert gang.groups[0].min_replicas == 2 and gang.groups[0].pack == Pack(preferred="kubernetes.io/rack")
    assert gang.groups[1].pods == () and gang.groups[1].pack is None
    assert gang.group_configs[0].group_names == ("pcs-0-sg-0-b",)
    assert gang.group_configs[0].pack == Pack(required="kubernetes.io/block")
    assert gang.same_domain_as == coupling
