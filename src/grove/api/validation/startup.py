"""``startsAfter`` rules for ``CliqueStartupTypeExplicit`` (spec §2.2, §6).

Under AnyOrder/InOrder the field is ignored, so it is not checked, but a warning says so (a user who
wrote it meant something). Under Explicit every entry must
name another clique once, and the dependency graph must be acyclic: each strongly connected
component with more than one clique is reported once, at its first clique, naming all members.
"""

from __future__ import annotations

from grove.api.validation.context import PCSContext
from grove.api.validation.errors import ErrorList, duplicate, invalid, not_found, required


def starts_after_warnings(ctx: PCSContext) -> list[str]:
    """One warning per clique whose ``startsAfter`` the startup type makes meaningless."""
    startup = ctx.pcs.spec.template.clique_startup_type
    if startup == "CliqueStartupTypeExplicit":
        return []
    return [f"{path.child('spec', 'startsAfter')}: ignored: cliqueStartupType is {startup or 'unset'}; "
            "startsAfter only applies with CliqueStartupTypeExplicit"
            for path, clique in ctx.cliques() if clique.spec.starts_after]


def validate_starts_after(ctx: PCSContext) -> ErrorList:
    if ctx.pcs.spec.template.clique_startup_type != "CliqueStartupTypeExplicit":
        return []
    errs: ErrorList = []
    graph: dict[str, list[str]] = {}
    for path, clique in ctx.cliques():
        deps_path = path.child("spec", "startsAfter")
        seen: set[str] = set()
        edges = graph.setdefault(clique.name, [])
        for k, dep in enumerate(clique.spec.starts_after or []):
            dep_path = deps_path.at(k)
            if not dep:
                errs.append(required(dep_path, "clique dependency must not be empty"))
                continue
            if dep == clique.name:
                errs.append(invalid(dep_path, dep, "a clique cannot start after itself"))
            elif dep in seen:
                errs.append(duplicate(dep_path, dep, "clique dependencies must be unique"))
            elif dep not in ctx.clique_index:
                errs.append(not_found(dep_path, dep, "no clique with this name in spec.template.cliques"))
            else:
                edges.append(dep)
            seen.add(dep)
    for component in strongly_connected_components(graph):
        if len(component) > 1:
            first = min(component, key=lambda n: ctx.clique_index.get(n, 0))
            path = ctx.cliques()[ctx.clique_index[first]][0].child("spec", "startsAfter")
            errs.append(invalid(path, sorted(component, key=lambda n: ctx.clique_index.get(n, 0)),
                                "cliques must not have circular startup dependencies"))
    return errs


def strongly_connected_components(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on long dependency chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, edge_i = work.pop()
            if edge_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = graph.get(node, [])
            if edge_i < len(edges):
                work.append((node, edge_i + 1))
                nxt = edges[edge_i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
