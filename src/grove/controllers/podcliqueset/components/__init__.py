"""The PodCliqueSet controller's components, one child kind (or tight family of kinds) per module.

Each ``sync_*`` function moves one component one safe step toward its plan and writes only when the live
object differs; the reconciler runs them in the ordered groups of spec §5.1 (G1 → G2 → G3).
"""
