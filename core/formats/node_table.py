"""A graph's nodes as plain Python lists, read from the GraphDef once and shared by every pass over it.

Reading a field of a protobuf message costs far more than reading a list; a freeze of a 10^6-node
graph made a dozen passes, each reading every node's name, op or inputs again. The GraphDef of a
loaded model is never changed after loading, so its table is built once and kept.
"""

import array
import bisect
import collections
import itertools
import operator

_CACHE = collections.OrderedDict()  # id(graph_def) -> (graph_def, NodeTable); the graph keeps the id valid
_CACHE_SIZE = 2


class NodeTable(object):
    """Names and ops of a GraphDef's nodes, by position, plus name -> position and -> NodeDef.

    Attributes:
        names, ops: lists in graph order (one string object per distinct op); the inputs are held
            too, as one flat list (``inputs(position)``, ``input_refs(position)``: a search of the graph
            reads no NodeDef).
        plain_names: no node name holds ":" or "^".
        index: name -> position (the last node of a repeated name; graph_io refuses repeats).
        dangling: the input strings that name no node of the graph (graph_io refuses them).
        nodes: name -> NodeDef, a mapping that fetches the message from the GraphDef when asked
            (protobuf's Python objects for 10^6 nodes would take more memory than the table).
    """

    def __init__(self, graph_def):
        self.graph_def = graph_def
        names, ops, distinct = [], [], {}
        add_name, add_op, one_op = names.append, ops.append, distinct.setdefault
        for node in graph_def.node:  # each walk makes each node's Python object once
            add_name(node.name)
            op = node.op
            add_op(one_op(op, op))
        self.names, self.ops = names, ops
        self.index = index = dict(zip(names, range(len(names))))
        self.nodes = Nodes(graph_def.node, index, ops=ops)
        joined = "".join(names)
        # No name holds ":" or "^": an input string that is a node's name then refers to that node (else
        # "a:1" could be a node's name and also mean port 1 of node "a").
        self.plain_names = ":" not in joined and "^" not in joined
        del joined
        # The inputs in a walk of their own: their strings, made one after another, are freed together
        # below (a bare node name is held as its position), and leave no holes between the names.
        inputs, ends = [], array.array("l")
        add_inputs, add_end = inputs.extend, ends.append
        for node in graph_def.node:
            add_inputs(node.input)
            add_end(len(inputs))
        # Inputs that are not a bare node name (most are: no set of them all), found by C loops.
        if self.plain_names:
            inputs = list(map(index.get, inputs, inputs))
            others = set(itertools.compress(inputs, map(operator.is_, map(type, inputs), itertools.repeat(str))))
        else:
            others = set(itertools.filterfalse(index.__contains__, inputs))
        self.dangling = set(r for r in others
                            if (r[1:] if r.startswith("^") else r.split(":", 1)[0]) not in index)
        self._inputs, self._ends = inputs, ends

    def __len__(self):
        return len(self.names)

    def op(self, name):
        """The op of node ``name`` (KeyError when there is none)."""
        return self.ops[self.index[name]]

    def named(self, ops):
        """Names of the nodes whose op is in ``ops`` (a set), in graph order (a C loop over the table)."""
        return list(itertools.compress(self.names, map(ops.__contains__, self.ops)))

    def positions(self, ops):
        """Positions of the nodes whose op is in ``ops`` (a set), in graph order."""
        return list(itertools.compress(range(len(self.ops)), map(ops.__contains__, self.ops)))

    def of_ops(self, ops):
        """The NodeDefs whose op is in ``ops`` (a set), in graph order: the ops are read from the table,
        only the (few) nodes found are fetched from the GraphDef."""
        messages = self.graph_def.node
        return [messages[position] for position in self.positions(ops)]

    def kept(self, keep):
        """(position, name, NodeDef) of the nodes named in ``keep``, in graph order: one walk of the
        GraphDef when most nodes are kept, else positions sorted and fetched one by one."""
        messages = self.graph_def.node
        if 4 * len(keep) > len(self.names):
            return ((position, name, node) for position, (name, node) in enumerate(zip(self.names, messages))
                    if name in keep)
        positions = sorted(self.index[n] for n in keep if n in self.index)
        return ((position, self.names[position], messages[position]) for position in positions)

    def kept_positions(self, keep):
        """The positions of the nodes named in ``keep``, in graph order (an iterator)."""
        if 4 * len(keep) > len(self.names):
            return (position for position, name in enumerate(self.names) if name in keep)
        index = self.index
        return iter(sorted(index[n] for n in keep if n in index))

    def port0_readers(self, names):
        """Positions of the nodes with a data input reading output 0 of one of ``names``, in graph order
        (C loops over the flat input list: a 10^6-node graph costs no Python work per node)."""
        index = self.index
        wanted = set(n + ":0" for n in names)
        if self.plain_names:  # a bare name is held as its node's position
            wanted.update(index[n] for n in names if n in index)
        else:
            wanted.update(names)
        inputs, ends = self._inputs, self._ends
        hits = itertools.compress(range(len(inputs)), map(wanted.__contains__, inputs))
        return sorted(set(bisect.bisect_right(ends, i) for i in hits))

    def inputs(self, position):
        """The inputs of the node at ``position``, as a new list of its input strings."""
        refs = self.input_refs(position)
        if not self.plain_names:
            return refs
        names = self.names
        return [names[ref] if ref.__class__ is int else ref for ref in refs]

    def input_refs(self, position):
        """The inputs of the node at ``position`` as a new list: the position of the node an input names
        when it is a bare node name (only in a graph of plain_names), else the input string."""
        ends = self._ends
        return self._inputs[ends[position - 1] if position else 0:ends[position]]


class Nodes(object):
    """A read-only name -> NodeDef mapping over a GraphDef's repeated ``node`` field, with edits on top.

    Args:
        messages: the repeated field; index: name -> position; overlay: name -> NodeDef that wins;
        ops: the source nodes' ops by position (op_sources gives them: an op read without a NodeDef).
    """

    def __init__(self, messages, index, overlay=None, ops=None):
        self._messages = messages
        self._index = index
        self._overlay = overlay or {}
        self._ops = ops
        self._last = (None, None)

    def with_overlay(self, overlay):
        """The same mapping with ``overlay`` (added and replaced nodes) winning over the source."""
        return Nodes(self._messages, self._index, overlay, self._ops)

    def op_sources(self):
        """(overlay, index, ops): the op of node ``name`` is overlay[name].op, else ops[index[name]]."""
        if self._ops is None:
            return self._overlay, {}, []
        return self._overlay, self._index, self._ops

    def get(self, name, default=None):
        last = self._last  # one tuple, replaced whole: threads sharing the table see a consistent pair
        if last[0] == name:  # passes over a graph ask again for the node they just read
            return last[1]
        found = self._overlay.get(name)
        if found is not None:
            return found
        position = self._index.get(name)
        if position is None:
            return default
        found = self._messages[position]  # protobuf's random access: far slower than a dict's
        self._last = (name, found)
        return found

    def __getitem__(self, name):
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name):
        return name in self._overlay or name in self._index

    def __len__(self):
        overlay = self._overlay
        return len(self._index) + (sum(1 for name in overlay if name not in self._index) if overlay else 0)


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
