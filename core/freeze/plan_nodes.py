"""The nodes of a freeze plan, and where the bytes of those copied from the source are in its file."""

from core.formats.graph_io import VIEW_ABOVE


class NodePlan(object):
    """One node of the frozen graph (one per kept node: slots keep a 10^6-node plan small).

    Attributes:
        name: node name.
        kind: "copy" (source bytes as they are), "edit" (source bytes with edits),
            "const" (a variable turned into a Const) or "new" (built by an edit).
        data: serialized NodeDef for copy/edit/new; None for const. A node copied from the source
            holds no bytes: ``data`` reads them from the source graph when asked (10^6 bytes objects
            cost 90 MB).
        variable: VariableValue for const.
        reason: why the node differs from its source (empty for copy).
        types: the import check's memo of (input dtypes, output dtypes), False for an op it does not
            know, None before it ran (a slot, not a dict beside the plan: 10^6 entries cost 40 MB).
    """

    __slots__ = ("name", "kind", "_data", "variable", "reason", "device", "types", "source")

    def __init__(self, name, kind, data=None, variable=None, reason="", device="", source=None):
        self.name = name
        self.kind = kind
        self._data = data
        self.variable = variable
        self.reason = reason
        self.device = device
        self.types = None
        self.source = source  # a SourceNodes that holds the bytes when ``data`` is not given

    @property
    def data(self):
        data = self._data
        if data is None and self.source is not None:
            return self.source.data(self.name)
        return data

    @data.setter
    def data(self, value):
        self._data = value
        self.source = None

    def source_span(self):
        """(buffer, start, end): where the bytes of a node copied from the source are in its file's bytes;
        None for any other node (or a source graph read from text)."""
        if self._data is None and self.source is not None:
            return self.source.span(self.name)
        return None

    @property
    def nbytes(self):
        """len(data), without reading the bytes of a node copied from the source."""
        data = self._data
        if data is None and self.source is not None:
            return self.source.length(self.name)
        return len(data)


class SourceNodes(object):
    """The source graph's serialized nodes by name, read from its file's bytes when asked."""

    __slots__ = ("_graph", "_index", "_buffer", "_view", "_starts", "_ends")

    def __init__(self, graph, index):
        self._graph, self._index = graph, index
        spans = graph.node_spans()
        self._buffer = graph.data
        self._view = memoryview(graph.data) if spans is not None else None
        self._starts, self._ends = spans if spans is not None else (None, None)

    def data(self, name):
        position = self._index[name]
        if self._starts is None:
            return self._graph.node_data(position)
        start, end = self._starts[position], self._ends[position]
        return self._buffer[start:end] if end - start < VIEW_ABOVE else self._view[start:end]

    def span(self, name):
        if self._starts is None:
            return None
        position = self._index[name]
        return self._buffer, self._starts[position], self._ends[position]

    def length(self, name):
        position = self._index[name]
        if self._starts is None:
            return self._graph.node_length(position)
        return self._ends[position] - self._starts[position]


class SourceSlice(object):
    """Nodes copied from the source that follow each other in its file, each under the header the writer
    gives it: together they are one slice of the file's bytes (``data``, a memoryview), written as it is.

    Attributes:
        data: the bytes (headers included); name: the last node's name (for progress reports).
    """

    __slots__ = ("data", "name")

    def __init__(self, data, name):
        self.data, self.name = data, name


class SourceRun(object):
    """Gathers consecutive copied nodes into SourceSlices.

    Args:
        cached_head, make_head: the writer's GraphDef node field header of a length (a cache's get, and
            the function that makes one).
    """

    __slots__ = ("buffer", "start", "end", "name", "_cached_head", "_make_head")

    def __init__(self, cached_head, make_head):
        self.buffer, self.start, self.end, self.name = None, 0, 0, None
        self._cached_head, self._make_head = cached_head, make_head

    def take(self, plan, pieces):
        """Adds a node copied from the source when the bytes before it in the file are the header the writer
        gives it (then the node with its header is buffer[start - len(header):end]); False for any other
        node. A node that does not follow the run closes it into ``pieces`` and starts the next."""
        source = plan.source  # (this module's own classes: their slots are read here, no call per node)
        if source is None or plan._data is not None or source._starts is None:
            return False
        position = source._index[plan.name]
        buffer, start, end = source._buffer, source._starts[position], source._ends[position]
        head = self._cached_head(end - start) or self._make_head(end - start)
        begin = start - len(head)
        if begin < 0 or not buffer.startswith(head, begin):
            return False
        if buffer is not self.buffer or begin != self.end:
            self.close(pieces)
            self.buffer, self.start = buffer, begin
        self.end = end
        self.name = plan.name
        return True

    def close(self, pieces):
        """Appends the run's SourceSlice to ``pieces`` and starts an empty run."""
        if self.buffer is not None:
            pieces.append(SourceSlice(memoryview(self.buffer)[self.start:self.end], self.name))
            self.buffer = None
