"""The Grove controllers: pure planners (no I/O) and, on top of them, thin reconcilers.

Planners take objects as read from an informer cache (Grove kinds as models, built-in kinds as wire dicts)
and return desired wire dicts or small decision values; they never mutate their inputs.

- ``common``: hashing (§8.1), ownership/labels (§3.2), startup ordering (§6), topology (§9), conditions.
- ``podcliqueset``: children (SA, Role, RoleBinding, token Secret, Services, HPAs, PodCliques, PCSGs),
  PodGangs (§7.1) and status (§5.1).
- ``podcliquescalinggroup``: member PodCliques and status (§5.2).
- ``podclique``: pod construction (§4), index allocation, scale-in victims (§5.3), gate removal (§7.2),
  status (§1.3, §7.3).
"""
