"""Grove's gang scheduler. Pure planning lives here; I/O (the binder) stays thin.

``snapshot`` (wire dicts → immutable cluster picture), ``feasibility`` (node filters and
kube-scheduler reasons), ``gangs`` (PodGang → placement input), ``domains`` + ``state`` (topology
domains, free-capacity indexes), ``placement`` (``plan_placement(snapshot, gangs) -> Plan``).
"""
