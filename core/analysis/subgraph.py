"""Small pieces of a graph to draw: the neighbourhood of a node, or a whole (planned frozen) graph."""

import collections


MORE_PREFIX = "+"  # TensorFlow node names never contain "+" or "#": these ids cannot clash
GROUP_PREFIX = "#"
DEFAULT_MAX_NODES = 160
DEFAULT_FANOUT = 8
UP, DOWN = "up", "down"
CENTER, OUTPUT, CUT, FIXED = "center", "output", "cut", "fixed"


class Edge(collections.namedtuple("Edge", "source target kind port")):
    """An edge to draw: kind "data" (with the source's output ``port``), "control" or "more"."""


class Collapsed(collections.namedtuple("Collapsed", "id anchor direction names")):
    """A "+k more" placeholder: ``names`` hidden inputs (UP) or consumers (DOWN) of ``anchor``."""

    @property
    def label(self):
        return "+%d more" % len(self.names)


def collapsed_id(anchor, direction):
    """The placeholder id of the hidden neighbours of ``anchor`` in ``direction``."""
    return "%s%s:%s" % (MORE_PREFIX, direction, anchor)


class Subgraph(object):
    """Nodes and edges to draw.

    Attributes:
        nodes: real node names, in graph order.
        collapsed: dict placeholder id -> Collapsed (ids start with MORE_PREFIX).
        groups: dict group id -> core.analysis.scope_groups.ScopeGroup: a name scope drawn as one box
            (ids start with GROUP_PREFIX).
        edges: list of Edge between nodes, placeholders and groups.
        marks: dict node name -> CENTER, OUTPUT, CUT or FIXED.
        truncated: True when the node cap hid part of the requested neighbourhood.
    """

    def __init__(self, nodes, edges, collapsed=None, marks=None, truncated=False, groups=None):
        self.nodes = nodes
        self.edges = edges
        self.collapsed = collapsed or {}
        self.groups = groups or {}
        self.marks = marks or {}
        self.truncated = truncated

    def ids(self):
        """Every drawable id: node names, then placeholder ids, then group ids."""
        return list(self.nodes) + sorted(self.collapsed) + sorted(self.groups)

    def __len__(self):
        return len(self.nodes) + len(self.collapsed) + len(self.groups)


def _unique(indexes):
    seen = set()
    result = []
    for i in indexes:
        if i not in seen:
            seen.add(i)
            result.append(i)
    return result


def _neighbours(model, i, direction):
    """Inputs (UP) or consumers (DOWN) of node ``i``, data before control, each once."""
    if direction == UP:
        return _unique([s for s, _ in model.data_in[i]] + list(model.control_in[i]))
    return _unique(sorted(set(model.data_out[i])) + sorted(set(model.control_out[i])))


def _grow(model, start, direction, hops, chosen, limits, hidden):
    """Breadth-first ``hops`` levels from ``start`` in one direction; fills ``chosen`` and ``hidden``."""
    max_nodes, fanout, expanded = limits
    frontier = [start]
    for _ in range(hops):
        following = []
        for i in frontier:
            new = [j for j in _neighbours(model, i, direction) if j not in chosen]
            if not new:
                continue
            limit = len(new) if (model.names[i], direction) in expanded else fanout
            if len(new) > limit:
                limit = max(1, limit - 1)  # the placeholder takes the last slot
            take = new[:max(0, min(limit, max_nodes - len(chosen)))]
            if len(take) < len(new):
                hidden[(i, direction)] = new[len(take):]
            chosen.update(take)
            following.extend(take)
        frontier = following


def _induced_edges(model, chosen):
    names = model.names
    edges = []
    for i in sorted(chosen):
        seen = set()
        for s, port in model.data_in[i]:
            if s in chosen and (s, port) not in seen:
                seen.add((s, port))
                edges.append(Edge(names[s], names[i], "data", port))
        for s in _unique(model.control_in[i]):
            if s in chosen:
                edges.append(Edge(names[s], names[i], "control", -1))
    return edges


def neighbourhood(model, center, hops=2, max_nodes=DEFAULT_MAX_NODES, fanout=DEFAULT_FANOUT, expanded=()):
    """The nodes within ``hops`` inputs above and ``hops`` consumers below ``center``.

    Inputs are followed upward only and consumers downward only (no sideways steps), over
    data and control edges. A node with more than ``fanout`` new neighbours in a direction
    shows ``fanout - 1`` of them and a "+k more" placeholder, unless (name, direction) is in
    ``expanded``; past ``max_nodes`` nodes every further neighbour is collapsed.

    Args:
        model: core.analysis.graph_model.GraphModel.
        center: node name.
        hops: levels in each direction (>= 0).
        max_nodes: cap on the real nodes drawn.
        fanout: neighbours shown per node and direction before collapsing.
        expanded: (node name, UP/DOWN) pairs whose neighbours are all shown (within ``max_nodes``).
    Returns:
        Subgraph.
    Raises:
        KeyError: no such node.
    """
    start = model.index(center)
    chosen = {start}
    hidden = {}
    limits = (max(1, max_nodes), max(1, fanout), frozenset(expanded))
    _grow(model, start, UP, hops, chosen, limits, hidden)
    _grow(model, start, DOWN, hops, chosen, limits, hidden)
    names = model.names
    edges = _induced_edges(model, chosen)
    collapsed = {}
    for (i, direction), rest in sorted(hidden.items()):
        rest = [names[j] for j in rest if j not in chosen]
        if not rest:
            continue
        anchor = names[i]
        pid = collapsed_id(anchor, direction)
        collapsed[pid] = Collapsed(pid, anchor, direction, rest)
        edges.append(Edge(pid, anchor, "more", 0) if direction == UP else Edge(anchor, pid, "more", 0))
    truncated = len(chosen) >= limits[0] and bool(collapsed)
    return Subgraph([names[i] for i in sorted(chosen)], edges, collapsed, {center: CENTER}, truncated)


def whole_subgraph(model, hidden=None, marks=None):
    """Every node of ``model`` (a graph that is itself the part to draw, such as a planned frozen graph).

    Args:
        model: core.analysis.graph_model.GraphModel.
        hidden: dict node name -> names of its inputs left out of ``model``: drawn as "+k more".
        marks: dict node name -> OUTPUT, CUT or FIXED.
    Returns:
        Subgraph.
    """
    names = model.names
    edges = _induced_edges(model, set(range(len(names))))
    collapsed = {}
    for anchor, rest in sorted((hidden or {}).items()):
        if anchor in model.position and rest:
            pid = collapsed_id(anchor, UP)
            collapsed[pid] = Collapsed(pid, anchor, UP, list(rest))
            edges.append(Edge(pid, anchor, "more", 0))
    return Subgraph(list(names), edges, collapsed, dict(marks or {}), truncated=bool(collapsed))


def port_shape(model, name, port):
    """The shape text ("[?,10]") of output ``port`` of node ``name``, or "" when unknown."""
    from core.analysis.candidates import output_shapes
    from core.analysis.node_details import shape_text
    node = model.node(name)
    shapes = output_shapes(node)
    if port < len(shapes):
        return shape_text(shapes[port])
    if port == 0 and node.op == "Const" and "value" in node.attr:
        return shape_text([int(d.size) for d in node.attr["value"].tensor.tensor_shape.dim])
    if port == 0 and "shape" in node.attr and not node.attr["shape"].shape.unknown_rank:
        return shape_text([int(d.size) for d in node.attr["shape"].shape.dim])
    return ""


def edge_labels(model, subgraph):
    """dict (source, port) -> shape text for every data edge of ``subgraph`` with a known shape."""
    labels = {}
    for edge in subgraph.edges:
        key = (edge.source, edge.port)
        if edge.kind == "data" and key not in labels and edge.source in model.position:
            text = port_shape(model, edge.source, edge.port)
            if text:
                labels[key] = text
    return labels
