"""What a freeze keeps: the breadth-first search from the outputs over data and control inputs."""

import array
import collections

from core.errors import ModelError, quote
from core.freeze.graph_checks import reads_back_edge
from core.freeze.node_rewrites import INPUT_REWRITING_OPS, effective_inputs
from core.names import node_name


class _Sources(object):
    """Kept node name -> the names of the nodes it reads in the frozen graph, computed when asked
    (held for every node of a 10^6-node chain, the lists took more memory than the plan)."""

    def __init__(self, nodes, edits, table, path):
        self._nodes, self._edits, self._table, self._path = nodes, edits, table, path
        self._index = table.index if table is not None and not edits.rewired else {}

    def __getitem__(self, name):
        position = self._index.get(name)
        edits, table = self._edits, self._table
        if position is not None and name not in edits.replaced and table.ops[position] not in INPUT_REWRITING_OPS:
            inputs = table.inputs(position)
        else:
            node = self._nodes.get(name)
            if node is None:
                raise ModelError("node %s is needed but not in the graph" % quote(name), self._path)
            inputs = effective_inputs(node, edits)
        return [node_name(inp) for inp in inputs]


def reachable(outputs, nodes, edits, path, table=None):
    """Kept node names, the node that led to each, each kept node's source nodes (a _Sources), and
    whether every kept node reads only nodes before it in the source (then there is no cycle: see
    graph_checks.in_source_order, which this search spares a second walk).

    An unedited node whose op keeps its inputs has them read from ``table`` (core.formats.node_table).
    """
    keep = set(outputs)
    names_at = table.names if table is not None else None
    parent = _Parents(table)
    at, elsewhere = parent.at, parent.elsewhere
    sources = _Sources(nodes, edits, table, path)
    queue = collections.deque(outputs)
    index = table.index if table is not None else {}
    in_order = table is not None
    # An unedited node whose op keeps its inputs has them read from the table, inline: a 10^6-node graph
    # is searched without a call per node (``sources`` reads every other node). An input that is a bare
    # node name is there as that node's position.
    fast = table is not None and not edits.rewired
    ops, replaced, refs_at = (table.ops, edits.replaced, table.input_refs) if fast else (None, None, None)
    get, take, add, put = index.get, queue.popleft, keep.add, queue.append
    while queue:
        name = take()
        position = get(name)
        raw = False  # whether ``names`` are the node's input refs (else the names of the nodes they read)
        if position is None:
            in_order = False
            names = sources[name]
        elif fast and ops[position] not in INPUT_REWRITING_OPS and name not in replaced:
            names, raw = refs_at(position), True
        else:
            names = sources[name]
        for source in names:
            if raw:
                if source.__class__ is int:
                    before, source = source, names_at[source]
                else:  # a control input, a port, or a name the graph lacks
                    source = node_name(source)
                    before = get(source)
            else:
                before = get(source)
            if in_order and (before is None or (before >= position and not reads_back_edge(nodes, name, source))):
                in_order = False
            if source not in keep:
                add(source)
                if before is not None and position is not None:
                    at[before] = position
                else:
                    elsewhere[source] = name
                put(source)
    return keep, parent, sources, in_order


class _Parents(object):
    """Kept node name -> the kept node that led the search to it: for the source's nodes, the position of
    that node in an array by position (10^6 entries of a dict took 40 MB), else in a dict."""

    def __init__(self, table):
        self._table = table
        self.at = array.array("l", [-1]) * len(table) if table is not None else None
        self.elsewhere = {}

    def get(self, name, default=None):
        table = self._table
        position = table.index.get(name) if table is not None else None
        if position is not None and self.at[position] >= 0:
            return table.names[self.at[position]]
        return self.elsewhere.get(name, default)

    def __contains__(self, name):
        return self.get(name) is not None

    def __getitem__(self, name):
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found
