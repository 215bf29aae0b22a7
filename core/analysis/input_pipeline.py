"""Tensors an input pipeline fills (tf.data iterators, queues, decoders): their dtype, shape, suggested cuts."""

import collections

from core.formats import dtypes
from core.formats.dtypes import DT_INT64, DT_STRING
from core.names import node_name

SOURCE_OPS = frozenset([
    "IteratorGetNext", "IteratorGetNextSync", "QueueDequeue", "QueueDequeueV2", "QueueDequeueMany",
    "QueueDequeueManyV2", "QueueDequeueUpTo", "QueueDequeueUpToV2", "ReaderRead", "ReaderReadV2",
    "ReaderReadUpTo", "ReaderReadUpToV2",
])
DECODE_OPS = frozenset(["DecodeJpeg", "DecodePng", "DecodeImage", "DecodeGif", "DecodeBmp", "DecodeRaw",
                        "DecodeAndCropJpeg", "DecodeCSV", "ParseExample", "ParseSingleExample",
                        "ParseExampleV2"])
_BATCHED = frozenset(["QueueDequeueMany", "QueueDequeueManyV2", "QueueDequeueUpTo", "QueueDequeueUpToV2"])
_UINT8_OPS = frozenset(["DecodeJpeg", "DecodeAndCropJpeg", "DecodeGif", "DecodeBmp"])
_STRING_OPS = frozenset(["ReaderRead", "ReaderReadV2", "ReaderReadUpTo", "ReaderReadUpToV2"])
_TYPE_ATTRS = ("T", "dtype", "out_type", "DstT", "output_type", "Tout")
_LIST_ATTRS = ("output_types", "component_types", "dtypes", "Toutput_types", "Tdense")


class SuggestedCut(collections.namedtuple("SuggestedCut", "name op dtype shape reason")):
    """A tensor the model reads from its input pipeline; feeding it needs an input cut there."""


def op_defs(meta_graph):
    """name -> OpDef from a meta graph's stripped_op_list (empty without one)."""
    if meta_graph is None or not meta_graph.HasField("meta_info_def"):
        return {}
    return dict((op.name, op) for op in meta_graph.meta_info_def.stripped_op_list.op)


def _from_op_def(node, port, op_def):
    position = 0
    for arg in op_def.output_arg:
        if arg.number_attr:
            count = node.attr[arg.number_attr].i if arg.number_attr in node.attr else 1
            types = None
        elif arg.type_list_attr:
            types = list(node.attr[arg.type_list_attr].list.type) if arg.type_list_attr in node.attr else []
            count = len(types)
        else:
            count, types = 1, None
        if port < position + count:
            if types is not None:
                return types[port - position]
            if arg.type:
                return arg.type
            if arg.type_attr and arg.type_attr in node.attr:
                return node.attr[arg.type_attr].type
            return None
        position += count
    return None


def tensor_dtype(node, port, ops=None):
    """The DataType number of output ``port`` of ``node``, or None when it cannot be told."""
    op_def = (ops or {}).get(node.op)
    if op_def is not None:
        found = _from_op_def(node, port, op_def)
        if found:
            return found % 100
    if node.op in _UINT8_OPS:
        return 4
    if node.op in _STRING_OPS:
        return DT_STRING
    for name in _LIST_ATTRS:
        if name in node.attr and node.attr[name].list.type:
            types = node.attr[name].list.type
            return types[port] if port < len(types) else None
    if node.op in ("ArgMax", "ArgMin") and "output_type" not in node.attr:
        return DT_INT64
    for name in _TYPE_ATTRS:
        if name in node.attr and node.attr[name].type:
            return node.attr[name].type % 100
    return None


def _dims(shape):
    if shape.unknown_rank:
        return None
    return [int(d.size) for d in shape.dim]


def tensor_shape(node, port):
    """Output ``port``'s shape as a list (-1 unknown dims), or None for an unknown rank."""
    if "_output_shapes" in node.attr:
        shapes = node.attr["_output_shapes"].list.shape
        if port < len(shapes):
            return _dims(shapes[port])
    if port == 0 and "shape" in node.attr and node.op.startswith("Placeholder"):
        return _dims(node.attr["shape"].shape)
    for name in ("output_shapes", "shapes"):
        if name in node.attr and port < len(node.attr[name].list.shape):
            dims = _dims(node.attr[name].list.shape[port])
            if dims is not None and node.op in _BATCHED:
                dims = [-1] + dims
            return dims
    return None


def _consumed_ports(graph_def):
    ports = collections.defaultdict(set)
    for node in graph_def.node:
        for text in node.input:
            if text.startswith("^"):
                continue
            name = node_name(text)
            port = int(text[len(name) + 1:]) if len(text) > len(name) else 0
            ports[name].add(port)
    return ports


def _fed_by_pipeline(name, nodes, limit=200):
    seen = set([name])
    queue = collections.deque([name])
    while queue and len(seen) < limit:
        node = nodes.get(queue.popleft())
        if node is None:
            continue
        if node.op in SOURCE_OPS or node.op.startswith(("Iterator", "Reader")):
            return True
        for text in node.input:
            source = node_name(text)
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return False


def _ports_from_model(graph, index):
    """The output ports of node ``index`` that something reads, from a GraphModel's adjacency."""
    return set(port for consumer in set(graph.data_out[index]) for source, port in graph.data_in[consumer]
               if source == index)


def suggest_cuts(graph_def, meta_graph=None, graph=None):
    """Input-pipeline tensors the model consumes: where `--inputs` should cut to feed the model.

    Args:
        graph: the GraphModel of ``graph_def`` when there is one: only the pipeline ops are then visited.
    Returns:
        list of SuggestedCut, in graph order.
    """
    ops = op_defs(meta_graph)
    wanted = SOURCE_OPS | DECODE_OPS
    if graph is not None:
        indexes = [i for i, op in enumerate(graph.ops) if op in wanted]
        consumed = dict((graph.names[i], _ports_from_model(graph, i)) for i in indexes)
    else:
        indexes = [i for i, node in enumerate(graph_def.node) if node.op in wanted]
        consumed = _consumed_ports(graph_def) if indexes else {}
    nodes = None
    result = []
    for i in indexes:
        node = graph_def.node[i]
        if node.op in SOURCE_OPS:
            reason = "read from the input pipeline (%s)" % node.op
        elif node.input:
            nodes = nodes if nodes is not None else dict((n.name, n) for n in graph_def.node)
            if not _fed_by_pipeline(node_name(node.input[0]), nodes):
                continue
            reason = "decoded from the input pipeline (%s)" % node.op
        else:
            continue
        for port in sorted(consumed.get(node.name, ())):
            dtype = tensor_dtype(node, port, ops)
            result.append(SuggestedCut("%s:%d" % (node.name, port), node.op,
                                       dtypes.name(dtype) if dtype else None,
                                       tensor_shape(node, port), reason))
    return result
