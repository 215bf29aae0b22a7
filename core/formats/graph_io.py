"""Loading MetaGraphDefs and GraphDefs (binary or text) and checking they hang together."""

import array
import bisect
import logging
import os

from google.protobuf import text_format

from core.formats import protos
from core.formats.files import read_regular
from core.formats.node_table import node_table
from core.errors import ModelError, quote
from core.formats.wire import iter_fields, message_spans, read_varint

log = logging.getLogger(__name__)

_GRAPH_DEF_IN_META = 2
_NODE_IN_GRAPH = 1
# No token of a text proto TensorFlow writes is this long outside a quoted string; a file
# that holds one is refused before the parser copies it around (and into its error).
MAX_BARE_TOKEN = 1 << 20
_SEPARATORS = b" \t\r\n\v\f\\\"'{}:<>[],;#"


class LoadedGraph(object):
    """A graph as read from disk.

    Attributes:
        path: the file it came from.
        graph_def: protos.GraphDef.
        meta_graph: protos.MetaGraphDef, or None for a bare GraphDef.
        data: the file's bytes when it is binary (the freezer copies nodes from them), else None.
        graph_span: (start, end) of the serialized GraphDef inside ``data``.
    """

    def __init__(self, path, graph_def, meta_graph=None, data=None, graph_span=None):
        self.path = path
        self.graph_def = graph_def
        self.meta_graph = meta_graph
        self.data = data
        self.graph_span = graph_span

    def _scan(self):
        """One pass over the GraphDef's fields: node spans (two arrays of offsets) and the raw tail fields."""
        if getattr(self, "_scanned", None) is None:
            start, end = self.graph_span
            try:
                starts, ends, tail = _graph_fields(self.data, start, end)
            except ValueError as exc:
                raise ModelError("not a valid GraphDef (%s; truncated or corrupt?)" % quote(exc), self.path)
            if len(starts) != len(self.graph_def.node):
                raise ModelError("node count mismatch while copying nodes (corrupt file?)", self.path)
            self._scanned = (starts, ends, b"".join(b"".join(tail[n]) for n in (2, 3, 4)))
        return self._scanned

    def node_data(self, position):
        """The serialized bytes of the node at ``position``, exactly as in the file (a large node, a Const of
        weights in a .pb, as a memoryview: never copied)."""
        if self.data is None:
            return self.graph_def.node[position].SerializeToString()
        starts, ends, _ = self._scan()
        start, end = starts[position], ends[position]
        if end - start < _VIEW_ABOVE:
            return self.data[start:end]
        return memoryview(self.data)[start:end]

    def node_spans(self):
        """(starts, ends): arrays of each node's offsets in ``data`` (None for a text graph)."""
        if self.data is None:
            return None
        starts, ends, _ = self._scan()
        return starts, ends

    def nodes_holding(self, needles):
        """The positions of the nodes whose bytes hold one of ``needles`` (byte strings), sorted; None for a text
        graph. One search of the file's bytes per needle, a step per node found (the search goes on after it):
        the nodes of a 10^6-node graph that hold none are never looked at."""
        if self.data is None:
            return None
        starts, ends, _ = self._scan()
        data = self.data
        first, last = self.graph_span
        found = set()
        for needle in needles:
            pos = first
            while True:
                hit = data.find(needle, pos, last)
                if hit < 0:
                    break
                node = bisect.bisect_right(starts, hit) - 1
                if node >= 0 and hit + len(needle) <= ends[node]:
                    found.add(node)
                    pos = ends[node]
                else:  # between two nodes' bytes (a field header) or across the end of one
                    pos = hit + 1
        return sorted(found)

    def nodes_matching(self, pattern):
        """The positions of the nodes whose bytes hold a match of ``pattern`` (a compiled bytes regex), sorted;
        None for a text graph. One regex search of the file's bytes."""
        if self.data is None:
            return None
        starts, ends, _ = self._scan()
        first, last = self.graph_span
        found = set()
        for match in pattern.finditer(self.data, first, last):
            node = bisect.bisect_right(starts, match.start()) - 1
            if node >= 0 and match.end() <= ends[node]:
                found.add(node)
        return sorted(found)

    def node_length(self, position):
        """len(node_data(position)), read from the scan."""
        if self.data is None:
            return len(self.node_data(position))
        starts, ends, _ = self._scan()
        return ends[position] - starts[position]

    def node_bytes(self):
        """The serialized bytes of every node, in graph order, exactly as in the file."""
        if self.data is None:
            return [node.SerializeToString() for node in self.graph_def.node]
        self._scan()
        return [self.node_data(position) for position in range(len(self.graph_def.node))]

    def tail_fields(self):
        """Raw bytes (tags included) of the GraphDef's library, version and versions fields."""
        if self.data is None:
            return b"".join(_reserialized_field(self.graph_def, number) for number in (2, 3, 4))
        return self._scan()[2]


_NODE_TAG = (_NODE_IN_GRAPH << 3) | 2
_VIEW_ABOVE = 4096  # a node at least this large is read as a memoryview of the file's bytes
VIEW_ABOVE = _VIEW_ABOVE


def _graph_fields(data, start, end):
    """(array of node starts, array of node ends, {2, 3, 4: [raw tail fields]}) of the GraphDef at
    data[start:end]: a node's bytes are data[starts[k]:ends[k]] (offsets, no object per node).

    A node's tag is one byte: those fields are read inline (a 10^6-node graph has 10^6 of them), any
    other field through iter_fields.
    """
    view = memoryview(data)
    starts, ends = array.array("q"), array.array("q")
    tail = dict((number, []) for number in (2, 3, 4))
    pos = start
    while pos < end:
        if data[pos] == _NODE_TAG:
            length = data[pos + 1] if pos + 1 < end else 0x80
            if length < 0x80:  # a node under 128 bytes: its length is one byte
                value_start = pos + 2
            else:
                length, value_start = read_varint(data, pos + 1)
            pos = value_start + length
            if pos > end:
                raise ValueError("field runs past the end of its message")
            starts.append(value_start)
            ends.append(pos)
            continue
        number, wire_type, field_start, value_start, value_end = next(iter_fields(data, pos, end))
        if number == _NODE_IN_GRAPH and wire_type == 2:  # a node whose tag is not the short form
            starts.append(value_start)
            ends.append(value_end)
        elif number in tail:
            tail[number].append(bytes(view[field_start:value_end]))
        pos = value_end
    return starts, ends, tail


def _reserialized_field(graph_def, number):
    copy = protos.GraphDef()
    if number == 2 and graph_def.HasField("library"):
        copy.library.CopyFrom(graph_def.library)
    elif number == 4 and graph_def.HasField("versions"):
        copy.versions.CopyFrom(graph_def.versions)
    elif number == 3 and graph_def.version:
        copy.version = graph_def.version
    return copy.SerializeToString()


def _looks_like_text(data):
    head = data[:256].lstrip()
    return bool(head) and all(32 <= b < 127 or b in (9, 10, 13) for b in bytearray(head[:64])) \
        and head[:1].isalpha() or head[:1] == b"#"


def load_meta_graph(path):
    """Reads a `.meta` (binary or text MetaGraphDef).

    Returns:
        LoadedGraph with meta_graph set.
    Raises:
        ModelError: unreadable, truncated or not a MetaGraphDef.
    """
    data = read_regular(path)
    meta = protos.MetaGraphDef()
    if _looks_like_text(data):
        _parse_text(data, meta, path, "MetaGraphDef")
        loaded = LoadedGraph(path, meta.graph_def, meta)
    else:
        _parse_binary(data, meta, path, "MetaGraphDef")
        spans = message_spans(data, _GRAPH_DEF_IN_META, path, "MetaGraphDef")
        if len(spans) != 1:
            raise ModelError("not a MetaGraphDef: it holds %d graphs" % len(spans), path)
        loaded = LoadedGraph(path, meta.graph_def, meta, data, spans[0])
    if not meta.graph_def.node:
        raise ModelError("not a MetaGraphDef with a graph (no nodes; truncated or another kind of file?)", path)
    check_graph(loaded.graph_def, path)
    return loaded


def load_graph_def(path):
    """Reads a GraphDef (`.pb` binary or `.pbtxt` text).

    Returns:
        LoadedGraph with meta_graph None.
    Raises:
        ModelError: unreadable, truncated or not a GraphDef.
    """
    data = read_regular(path)
    graph = protos.GraphDef()
    if path.endswith(".pbtxt") or _looks_like_text(data):
        _parse_text(data, graph, path, "GraphDef")
        loaded = LoadedGraph(path, graph)
    else:
        _parse_binary(data, graph, path, "GraphDef")
        loaded = LoadedGraph(path, graph, None, data, (0, len(data)))
    if not graph.node:
        raise ModelError("not a GraphDef with nodes (empty, truncated or another kind of file?)", path)
    check_graph(graph, path)
    return loaded


CHUNK_BYTES = 4 << 20  # a big GraphDef is parsed this much at a time: other threads run in between


def _chunks(data):
    """Offsets cutting ``data`` (a serialized message) between top-level fields, about CHUNK_BYTES apart."""
    cuts = [0]
    for _number, _wire, field_start, _value_start, value_end in iter_fields(memoryview(data)):
        if value_end - cuts[-1] >= CHUNK_BYTES:
            cuts.append(value_end)
    if cuts[-1] != len(data):
        cuts.append(len(data))
    return cuts


def _parse_binary(data, message, path, what):
    """Parses ``data`` into ``message``; one of more than CHUNK_BYTES is merged field run by field run (the
    same message: repeated fields append, others are set once), so the parse never holds the interpreter
    for long while the window's event loop waits."""
    if not data:
        raise ModelError("empty file, expected a %s" % what, path)
    try:
        if len(data) > CHUNK_BYTES and isinstance(message, protos.GraphDef):
            view = memoryview(data)
            cuts = _chunks(data)
            for start, end in zip(cuts, cuts[1:]):
                message.MergeFromString(view[start:end])
            return
        message.ParseFromString(data)
    except MemoryError:
        raise ModelError("not a valid %s (out of memory while parsing it; corrupt?)" % what, path)
    except Exception as exc:  # noqa: BLE001 - DecodeError, RuntimeError, ValueError (also the field scan)
        raise ModelError("not a valid %s (%s; truncated or corrupt?)" % (what, quote(exc, 200)), path)


def _long_token(data, chunk=1 << 24):
    """Offset of the first run of more than MAX_BARE_TOKEN bytes with no separator, or None."""
    if len(data) <= MAX_BARE_TOKEN:
        return None
    import numpy as np
    separator = np.zeros(256, dtype=bool)
    separator[np.frombuffer(_SEPARATORS, dtype=np.uint8)] = True
    last = -1  # offset of the last separator seen
    for begin in range(0, len(data), chunk):
        block = np.frombuffer(data, dtype=np.uint8, count=min(chunk, len(data) - begin), offset=begin)
        at = np.flatnonzero(separator[block]) + begin
        starts = np.concatenate(([last], at))
        gaps = np.diff(np.concatenate((starts, [begin + len(block)])))
        long_gap = np.flatnonzero(gaps > MAX_BARE_TOKEN + 1)
        if len(long_gap):
            return int(starts[long_gap[0]]) + 1
        if len(at):
            last = int(at[-1])
    return None


def _parse_text(data, message, path, what):
    """Parses a text proto with its recursion, token length and numbers bounded."""
    long_token = _long_token(data)
    if long_token is not None:
        raise ModelError("not a valid text %s (a token of more than %d characters at byte %d)"
                         % (what, MAX_BARE_TOKEN, long_token), path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelError("not a valid text %s (not UTF-8 at byte %d)" % (what, exc.start), path)
    try:
        text_format.Parse(text, message, allow_unknown_field=True)
    except RecursionError:
        raise ModelError("not a valid text %s (nested too deeply)" % what, path)
    except MemoryError:
        raise ModelError("not a valid text %s (out of memory while parsing it)" % what, path)
    except Exception as exc:  # noqa: BLE001 - ParseError, ValueError, OverflowError by version
        raise ModelError("not a valid text %s (%s)" % (what, quote(exc, 200)), path)


def check_graph(graph_def, path):
    """Every node has a name and an op, names are unique, every input names a node of the graph
    (a cut-short file usually breaks this).

    Raises:
        ModelError: naming the first offending node or dangling input and the file.
    """
    table = node_table(graph_def)
    if "" in table.index or not all(table.ops):
        raise ModelError("a node with no name or op (corrupt graph)", path)
    if len(table.index) < len(table):
        seen = set()
        for name in table.names:
            if name in seen:
                raise ModelError("node name %s is not unique (corrupt graph)" % quote(name), path)
            seen.add(name)
    dangling = table.dangling
    if dangling:
        for name, node in zip(table.names, graph_def.node):
            for inp in node.input:
                if inp in dangling:
                    raise ModelError("node %s reads %s, which is not in the graph (truncated or corrupt?)"
                                     % (quote(name), quote(inp)), path)


def load_any(path):
    """Loads a `.meta` as a meta graph and anything else as a GraphDef."""
    if os.path.basename(path).endswith(".meta"):
        return load_meta_graph(path)
    return load_graph_def(path)
