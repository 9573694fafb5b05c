"""Startup ordering (spec §6): which PodCliques a PodClique waits for, as FQNs.

A PodClique's ``startsAfter`` is always recomputed from the PodCliqueSet template, never trusted from the
object: AnyOrder ⇒ no dependencies; InOrder ⇒ the clique at template index n waits for index n-1;
Explicit ⇒ the template's ``startsAfter``. Each dependency D then maps to FQNs. For standalone PodCliques
and members of base PCSG replicas (j < minAvailable): D standalone ⇒ ``<pcs>-<i>-<D>``; D in group G ⇒
``<pcs>-<i>-<G>-<j'>-<D>`` for every base replica j' of G. Members of a scaled replica keep only
dependencies inside their own group, as ``<pcsgFQN>-<j>-<D>``: ordering is enforced within one PodGang.
"""

from __future__ import annotations

from grove.api import names
from grove.api.models.core import PodCliqueScalingGroupConfig, PodCliqueSet, PodCliqueTemplateSpec

ANY_ORDER = "CliqueStartupTypeAnyOrder"
IN_ORDER = "CliqueStartupTypeInOrder"
EXPLICIT = "CliqueStartupTypeExplicit"


def group_of(pcs: PodCliqueSet, clique_name: str) -> PodCliqueScalingGroupConfig | None:
    """The scaling-group config that contains ``clique_name``, if any."""
    for group in pcs.spec.template.pod_clique_scaling_groups or []:
        if clique_name in group.clique_names:
            return group
    return None


def group_min_available(group: PodCliqueScalingGroupConfig) -> int:
    return 1 if group.min_available is None else group.min_available


def template_dependencies(pcs: PodCliqueSet, clique_name: str) -> list[str]:
    """The clique names ``clique_name`` starts after, per the startup type."""
    tmpl = pcs.spec.template
    startup = tmpl.clique_startup_type or ANY_ORDER
    if startup == IN_ORDER:
        order = [cl.name for cl in tmpl.cliques]
        idx = order.index(clique_name)
        return [order[idx - 1]] if idx > 0 else []
    if startup == EXPLICIT:
        for cl in tmpl.cliques:
            if cl.name == clique_name:
                return list(cl.spec.starts_after or [])
        raise KeyError(clique_name)
    return []


def starts_after_fqns(
    pcs: PodCliqueSet, pcs_replica: int, clique_name: str, pcsg_replica: int | None = None
) -> list[str]:
    """The rewritten ``startsAfter`` of the PodClique for ``clique_name`` in PCS replica ``pcs_replica``.

    ``pcsg_replica`` is j for a PCSG member (required then), None for a standalone clique.
    """
    pcs_name = pcs.metadata.name or ""
    deps = template_dependencies(pcs, clique_name)
    own_group = group_of(pcs, clique_name)
    if own_group is not None:
        if pcsg_replica is None:
            raise ValueError(f"clique {clique_name} is in group {own_group.name}: pcsg_replica is required")
        if pcsg_replica >= group_min_available(own_group):
            pcsg_fqn = names.pcsg_name(pcs_name, pcs_replica, own_group.name)
            return [
                names.pcsg_member_pclq_name(pcsg_fqn, pcsg_replica, d)
                for d in deps
                if d in own_group.clique_names
            ]
    out: list[str] = []
    for dep in deps:
        dep_group = group_of(pcs, dep)
        if dep_group is None:
            out.append(names.pclq_name(pcs_name, pcs_replica, dep))
            continue
        dep_fqn = names.pcsg_name(pcs_name, pcs_replica, dep_group.name)
        out.extend(
            names.pcsg_member_pclq_name(dep_fqn, j, dep) for j in range(group_min_available(dep_group))
        )
    return out


def template_for_pclq(pcs: PodCliqueSet, pclq_fqn: str) -> PodCliqueTemplateSpec | None:
    """The clique template a PodClique FQN was made from.

    Upstream takes the first clique in template order whose name is a suffix of the FQN, which picks
    ``worker`` for ``…-prefill-worker`` when ``worker`` is listed first (spec §13.6). We take the longest
    clique name that ends the FQN after a ``-``, which agrees whenever upstream is unambiguous.
    """
    best: PodCliqueTemplateSpec | None = None
    for clique in pcs.spec.template.cliques:
        if pclq_fqn.endswith("-" + clique.name) and (best is None or len(clique.name) > len(best.name)):
            best = clique
    return best
