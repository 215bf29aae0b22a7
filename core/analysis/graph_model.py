"""The graph as indexed adjacency: data edges (with ports) apart from control edges."""


def parse_input(text):
    """Splits a NodeDef input into (node name, port, is_control)."""
    if text.startswith("^"):
        return text[1:], -1, True
    colon = text.rfind(":")
    if colon > 0:
        port = text[colon + 1:]
        if port.isdigit():
            return text[:colon], int(port), False
    return text, 0, False


class GraphModel(object):
    """Index-based view of a GraphDef for linear-time analyses.

    Nodes are numbered in graph order. ``data_in[i]`` lists (source index, port),
    ``control_in[i]`` source indexes, ``data_out``/``control_out`` the reverse.
    Plain lists, not networkx: docs/architecture.md gives the measurement (bench/bench_reachability.py).
    """

    def __init__(self, graph_def):
        self.graph_def = graph_def
        nodes = graph_def.node
        self.names = names = [n.name for n in nodes]
        self.ops = [n.op for n in nodes]
        self.position = position = dict(zip(names, range(len(names))))
        count = len(names)
        self.data_in = data_in = [[] for _ in range(count)]
        self.control_in = control_in = [[] for _ in range(count)]
        self.data_out = data_out = [[] for _ in range(count)]
        self.control_out = control_out = [[] for _ in range(count)]
        get = position.get
        for i, node in enumerate(nodes):
            inputs = node.input
            if not inputs:
                continue
            for text in inputs:
                source = get(text)
                if source is not None:
                    data_in[i].append((source, 0))
                    data_out[source].append(i)
                    continue
                name, port, control = parse_input(text)
                source = get(name)
                if source is None:
                    continue
                if control:
                    control_in[i].append(source)
                    control_out[source].append(i)
                else:
                    data_in[i].append((source, port))
                    data_out[source].append(i)

    def __len__(self):
        return len(self.names)

    def __contains__(self, name):
        return name in self.position

    def nodes(self):
        """Node names in graph order."""
        return list(self.names)

    def node(self, name):
        """The NodeDef (core.formats.protos) of ``name``."""
        return self.graph_def.node[self.position[name]]

    def index(self, name):
        """The position of ``name`` in graph order."""
        return self.position[name]

    def op(self, name):
        """The op type of ``name``."""
        return self.ops[self.position[name]]

    def data_inputs(self, name):
        """(source name, output port) of each data input, in input order."""
        return [(self.names[s], p) for s, p in self.data_in[self.position[name]]]

    def control_inputs(self, name):
        """Names of the control inputs (`^name`), in input order."""
        return [self.names[s] for s in self.control_in[self.position[name]]]

    def consumers(self, name):
        """(consumer, "data"/"control") pairs, each consumer once per kind, in graph order."""
        i = self.position[name]
        result = [(self.names[d], "data") for d in sorted(set(self.data_out[i]))]
        result += [(self.names[d], "control") for d in sorted(set(self.control_out[i]))]
        return result

    def ancestor_indexes(self, roots, include_control=True):
        """Indexes of the given node indexes and of everything they depend on."""
        seen = set(roots)
        stack = list(seen)
        while stack:
            i = stack.pop()
            sources = [s for s, _ in self.data_in[i]]
            if include_control:
                sources += self.control_in[i]
            for s in sources:
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return seen

    def reach_masks(self, sources, blocked, stop_ops=()):
        """Bit masks of which sources reach each node over data edges (blocked nodes stop it; nodes whose op
        is in ``stop_ops`` get the mask but pass it on to nothing)."""
        masks = {}
        for bit, source in enumerate(sources):
            flag = 1 << bit
            stack = [source]
            while stack:
                i = stack.pop()
                current = masks.get(i, 0)
                if current & flag:
                    continue
                masks[i] = current | flag
                if stop_ops and self.ops[i] in stop_ops and i != source:
                    continue
                for d in self.data_out[i]:
                    if d not in blocked and not masks.get(d, 0) & flag:
                        stack.append(d)
        return masks

    def ancestors(self, names, include_control=True):
        """Names of every node the given nodes depend on (the nodes included)."""
        seen = self.ancestor_indexes([self.position[n] for n in names], include_control)
        return set(self.names[i] for i in seen)
