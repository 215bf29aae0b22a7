"""The frozen graph a FreezePlan describes, as NodeDefs without weights: what the graph view draws."""

import collections

from core.formats import protos
from core.freeze.node_defs import const_node
from core.names import node_name


class KeptGraph(object):
    """The part of a planned frozen graph nearest its outputs, ready to index and draw.

    Attributes:
        graph_def: protos.GraphDef of the drawn nodes, in the plan's order; a variable turned into a
            Const carries its dtype and shape but no values.
        total: the number of nodes the frozen graph has (drawn or not).
        hidden: dict drawn node name -> names of its inputs in the frozen graph that are not drawn.
        outputs: the plan's output node names.
        kinds: dict drawn node name -> how the plan writes it ("copy", "edit", "const", "new").
    """

    def __init__(self, graph_def, total, hidden, outputs, kinds):
        self.graph_def = graph_def
        self.total = total
        self.hidden = hidden
        self.outputs = outputs
        self.kinds = kinds


def _node_def(node_plan):
    if node_plan.kind == "const":  # a variable's Const: its dtype and shape, no values (nothing draws them)
        variable = node_plan.variable
        return const_node(node_plan.name, variable.dtype, [], shape=variable.shape)
    node = protos.NodeDef()
    node.ParseFromString(node_plan.data)
    return node


def _walk(node, order, queue, chosen, hidden, cap):
    """Breadth-first over the inputs from ``queue`` until ``cap`` nodes are chosen; inputs left out past the
    cap are noted in ``hidden``."""
    while queue:
        name = queue.popleft()
        for text in node(name).input:
            source = node_name(text)
            if source not in order or source in chosen:
                continue
            if len(chosen) < cap:
                chosen.add(source)
                queue.append(source)
            else:
                hidden.setdefault(name, []).append(source)


def kept_graph(freeze_plan, max_nodes=None):
    """The frozen graph of ``freeze_plan``, or its ``max_nodes`` nodes nearest the outputs.

    Nodes are taken breadth-first from the outputs (then from the other nodes nothing consumes, such
    as a table initializer) over data and control inputs, as the freeze itself took them.

    Args:
        freeze_plan: core.freeze.plan.FreezePlan.
        max_nodes: cap on the nodes returned (None: all).
    Returns:
        KeptGraph.
    """
    plans = freeze_plan.nodes
    order = dict((p.name, i) for i, p in enumerate(plans))
    parsed = {}

    def node(name):
        if name not in parsed:
            parsed[name] = _node_def(plans[order[name]])
        return parsed[name]

    cap = len(plans) if max_nodes is None else max(1, max_nodes)
    chosen = set()
    hidden = {}
    outputs = [n for n in freeze_plan.outputs if n in order]
    # The outputs together first (each is drawn), then whatever nothing reached (a table initializer).
    for starts in [outputs] + [[p.name] for p in plans]:
        starts = [n for n in starts if n not in chosen][:max(0, cap - len(chosen))]
        if not starts:
            continue
        chosen.update(starts)
        _walk(node, order, collections.deque(starts), chosen, hidden, cap)
    graph_def = protos.GraphDef()
    for name in sorted(chosen, key=order.get):
        graph_def.node.add().CopyFrom(node(name))
    hidden = dict((name, sorted(set(n for n in rest if n not in chosen), key=order.get))
                  for name, rest in hidden.items())
    kinds = dict((name, plans[order[name]].kind) for name in chosen)
    return KeptGraph(graph_def, len(plans), dict((k, v) for k, v in hidden.items() if v),
                     list(freeze_plan.outputs), kinds)
