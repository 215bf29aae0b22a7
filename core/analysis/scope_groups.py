"""Name scopes drawn as one box each (TensorBoard's grouping), opened one scope at a time."""

import collections

from core.analysis.subgraph import GROUP_PREFIX, Edge, Subgraph


class ScopeGroup(collections.namedtuple("ScopeGroup", "id scope names")):
    """A closed name scope: ``names`` are the drawn nodes inside ``scope`` ("model/dense")."""

    @property
    def label(self):
        return "%s/  (%d)" % (self.scope.rpartition("/")[2], len(self.names))


def group_id(scope):
    return GROUP_PREFIX + scope


def _group_of(name, opened):
    """The outermost scope of ``name`` that is not open, or None when every scope above it is open."""
    end = name.find("/")
    while end > 0:
        scope = name[:end]
        if scope not in opened:
            return scope
        end = name.find("/", end + 1)
    return None


def group_scopes(subgraph, opened=()):
    """``subgraph`` with each closed name scope drawn as one box.

    A scope is closed unless it is in ``opened``; marked nodes (outputs, cuts, the centre) and
    scopes holding one drawn node stay as they are. Edges between two boxes are drawn once.

    Args:
        subgraph: core.analysis.subgraph.Subgraph.
        opened: scope paths shown open (their direct contents are nodes or further boxes).
    Returns:
        Subgraph with ``groups`` filled.
    """
    opened = frozenset(opened)
    members = collections.OrderedDict()
    for name in subgraph.nodes:
        scope = None if name in subgraph.marks else _group_of(name, opened)
        if scope is not None:
            members.setdefault(scope, []).append(name)
    owner = {}
    groups = {}
    for scope, names in members.items():
        if len(names) > 1:
            gid = group_id(scope)
            groups[gid] = ScopeGroup(gid, scope, names)
            owner.update((n, gid) for n in names)
    nodes = [n for n in subgraph.nodes if n not in owner]
    edges, seen = [], set()
    for edge in subgraph.edges:
        source, target = owner.get(edge.source, edge.source), owner.get(edge.target, edge.target)
        if source == target:
            continue
        grouped = source != edge.source or target != edge.target
        key = (source, target, edge.kind) if grouped else edge
        if key in seen:
            continue
        seen.add(key)
        edges.append(Edge(source, target, edge.kind, edge.port if not grouped else -1) if grouped else edge)
    return Subgraph(nodes, edges, dict(subgraph.collapsed), dict(subgraph.marks), subgraph.truncated, groups)
