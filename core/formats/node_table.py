"""A graph's nodes as plain Python lists, read from the GraphDef once and shared by every pass over it.

Reading a field of a protobuf message costs far more than reading a list; a freeze of a 10^6-node
graph made a dozen passes, each reading every node's name, op or inputs again. The GraphDef of a
loaded model is never changed after loading, so its table is built once and kept.
"""

import array
import collections
import itertools

_CACHE = collections.OrderedDict()  # id(graph_def) -> (graph_def, NodeTable); the graph keeps the id valid
_CACHE_SIZE = 2


class NodeTable(object):
    """Names and ops of a GraphDef's nodes, by position, plus name -> position and -> NodeDef.

    Attributes:
        names, ops: lists in graph order (one string object per distinct op); the inputs are held
            too, as one flat list (``inputs(position)``: a search of the graph reads no NodeDef).
        index: name -> position (the last node of a repeated name; graph_io refuses repeats).
        dangling: the input strings that name no node of the graph (graph_io refuses them).
        nodes: name -> NodeDef, a mapping that fetches the message from the GraphDef when asked
            (protobuf's Python objects for 10^6 nodes would take more memory than the table).
    """

    def __init__(self, graph_def):
        self.graph_def = graph_def
        names, ops, distinct, inputs, ends = [], [], {}, [], array.array("l")
        for node in graph_def.node:  # one walk: each node's Python object is made once
            names.append(node.name)
            op = node.op
            ops.append(distinct.setdefault(op, op))
            inputs.extend(node.input)
            ends.append(len(inputs))
        self.names, self.ops = names, ops
        self._inputs, self._ends = inputs, ends
        self.index = index = dict(zip(names, range(len(names))))
        self.nodes = Nodes(graph_def.node, index)
        # Inputs that are not a bare node name (most are: the filter keeps none of them, no set of them all).
        others = set(itertools.filterfalse(index.__contains__, inputs))
        self.dangling = set(r for r in others
                            if (r[1:] if r.startswith("^") else r.split(":", 1)[0]) not in index)

    def __len__(self):
        return len(self.names)

    def op(self, name):
        """The op of node ``name`` (KeyError when there is none)."""
        return self.ops[self.index[name]]

    def named(self, ops):
        """Names of the nodes whose op is in ``ops`` (a set), in graph order."""
        return [name for name, op in zip(self.names, self.ops) if op in ops]

    def of_ops(self, ops):
        """The NodeDefs whose op is in ``ops`` (a set), in graph order: the ops are read from the table,
        only the (few) nodes found are fetched from the GraphDef."""
        messages = self.graph_def.node
        return [messages[position] for position, op in enumerate(self.ops) if op in ops]

    def kept(self, keep):
        """(position, name, NodeDef) of the nodes named in ``keep``, in graph order: one walk of the
        GraphDef when most nodes are kept, else positions sorted and fetched one by one."""
        messages = self.graph_def.node
        if 4 * len(keep) > len(self.names):
            return ((position, name, node) for position, (name, node) in enumerate(zip(self.names, messages))
                    if name in keep)
        positions = sorted(self.index[n] for n in keep if n in self.index)
        return ((position, self.names[position], messages[position]) for position in positions)

    def inputs(self, position):
        """The inputs of the node at ``position``, as a new list of its input strings."""
        return self._inputs[self._ends[position - 1] if position else 0:self._ends[position]]


class Nodes(object):
    """A read-only name -> NodeDef mapping over a GraphDef's repeated ``node`` field, with edits on top.

    Args:
        messages: the repeated field; index: name -> position; overlay: name -> NodeDef that wins.
    """

    def __init__(self, messages, index, overlay=None):
        self._messages = messages
        self._index = index
        self._overlay = overlay or {}

    def with_overlay(self, overlay):
        """The same mapping with ``overlay`` (added and replaced nodes) winning over the source."""
        return Nodes(self._messages, self._index, overlay)

    def get(self, name, default=None):
        found = self._overlay.get(name)
        if found is not None:
            return found
        position = self._index.get(name)
        return default if position is None else self._messages[position]

    def __getitem__(self, name):
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name):
        return name in self._overlay or name in self._index

    def __len__(self):
        return len(set(self._index) | set(self._overlay))


def node_table(graph_def):
    """The NodeTable of ``graph_def``, built on first use and cached for the few graphs last used."""
    key = id(graph_def)
    found = _CACHE.get(key)
    if found is not None and found[0] is graph_def:
        _CACHE.move_to_end(key)
        return found[1]
    table = NodeTable(graph_def)
    _CACHE[key] = (graph_def, table)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return table
