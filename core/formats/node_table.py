"""A graph's nodes as plain Python lists, read from the GraphDef once and shared by every pass over it.

Reading a field of a protobuf message costs far more than reading a list; a freeze of a 10^6-node
graph made a dozen passes, each reading every node's name, op or inputs again. The GraphDef of a
loaded model is never changed after loading, so its table is built once and kept.
"""

import collections

_CACHE = collections.OrderedDict()  # id(graph_def) -> (graph_def, NodeTable); the graph keeps the id valid
_CACHE_SIZE = 2


class NodeTable(object):
    """Names, ops and inputs of a GraphDef's nodes, by position, plus name -> position and -> NodeDef.

    Attributes:
        names, ops: lists in graph order; inputs: list of tuples of input strings.
        index: name -> position (the last node of a repeated name; graph_io refuses repeats).
        nodes: name -> NodeDef (the protobuf messages, for the few fields a pass still needs).
    """

    def __init__(self, graph_def):
        messages = list(graph_def.node)
        self.names = [node.name for node in messages]
        self.ops = [node.op for node in messages]
        self.inputs = [tuple(node.input) for node in messages]
        self.index = dict(zip(self.names, range(len(self.names))))
        self.nodes = dict(zip(self.names, messages))

    def __len__(self):
        return len(self.names)

    def op(self, name):
        """The op of node ``name`` (KeyError when there is none)."""
        return self.ops[self.index[name]]

    def named(self, ops):
        """Names of the nodes whose op is in ``ops`` (a set), in graph order."""
        return [name for name, op in zip(self.names, self.ops) if op in ops]


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
