"""Checks a freeze makes on the nodes it keeps: ops the meta graph lists, no cycles, sane shapes."""

import collections
import re

from core.errors import ModelError, quote
from core.formats import dtypes
from core.formats.node_table import node_table
from core.formats.wire import LENGTH, iter_fields

# An attr map entry (NodeDef field 5, tag 0x2a) that does not start with its key (tag 0x0a): empty, or keyless.
# Any other 0x2a (a TensorProto's float_val, a byte of a string) only makes its node be read field by field.
_KEYLESS_ENTRY = re.compile(br"\x2a(?:\x00|(?:[\x01-\x7f]|[\x80-\xff][\x00-\x7f])[^\x0a])")


def check_kept_nodes(model, keep, nodes, sources, index, replaced, path, in_order=False):
    """Refuses what TensorFlow would refuse to load in the nodes a freeze keeps.

    Args:
        model: the Model; keep: kept node names; nodes: name -> NodeDef (with edits);
        sources: kept name -> names of the nodes it reads in the frozen graph;
        index: name -> position in the source graph;
        replaced: names of the source nodes an edit replaced (their checks are the edit's);
        in_order: True when the caller's search found every kept node reading only nodes before it.
    Raises:
        ModelError: an op missing from the meta graph's op list, a cycle, a bad shape or Const.
    """
    meta = model.meta_graph
    listed = None
    if meta is not None and meta.meta_info_def.stripped_op_list.op:
        listed = set(op.name for op in meta.meta_info_def.stripped_op_list.op)
    table = node_table(model.graph_def)
    unlisted = set(table.ops) - listed if listed is not None else ()  # distinct ops, not every node
    for name in sorted(n for n in table.named(unlisted) if n in keep and n not in replaced)[:1]:
        raise ModelError("node %s has op %s, which the meta graph's own op list does not have "
                         "(corrupt graph?)" % (quote(name), quote(table.op(name))), path)
    graph = getattr(model, "graph", None)
    # An attr's key is in the node's bytes as it is: only the nodes whose bytes hold "shape" or "value" can
    # have an attr checked here (the others' NodeDefs are not read).
    holding = graph.nodes_holding((b"shape", b"value")) if graph is not None else None
    names, messages = table.names, model.graph_def.node
    positions = table.kept_positions(keep) if holding is None else (p for p in holding if names[p] in keep)
    for position in positions:
        if names[position] not in replaced:
            _check_attrs(messages[position], path)
    _check_attr_keys(graph, table, keep, replaced, path)
    colocated = graph.nodes_holding((b"_class",)) if graph is not None else None
    positions = table.kept_positions(keep) if colocated is None else (p for p in colocated if names[p] in keep)
    for position in positions:
        _check_colocation(messages[position], table.index, path)
    if not in_order and not _in_source_order(keep, nodes, sources, index):
        _refuse_cycles(keep, nodes, sources, path)


def _check_attr_keys(graph, table, keep, replaced, path):
    """An attr entry without a key is attr '' to TensorFlow's C++ parser, which no op declares: every run fails
    ("NodeDef mentions attr ''"). Protobuf's Python parser drops such an entry, so the bytes are read."""
    names, messages = table.names, table.graph_def.node
    suspects = graph.nodes_matching(_KEYLESS_ENTRY) if graph is not None else None
    if suspects is None:
        for position in table.kept_positions(keep):
            if "" in messages[position].attr and names[position] not in replaced:
                _refuse_keyless(names[position], table.ops[position], path)
        return
    for position in suspects:
        if names[position] in keep and names[position] not in replaced:
            data = graph.node_data(position)
            try:
                entries = [(s, e) for n, w, _, s, e in iter_fields(data) if n == 5 and w == LENGTH]
                if any(not _entry_key(data, s, e) for s, e in entries):
                    _refuse_keyless(names[position], table.ops[position], path)
            except ValueError:  # not a NodeDef's fields (a group): the NodeDef parser's error stands
                continue


def _entry_key(data, start, end):
    key = None
    for number, wire, _, s, e in iter_fields(data, start, end):
        if number == 1 and wire == LENGTH:
            key = bytes(data[s:e])
    return key


def _refuse_keyless(name, op, path):
    raise ModelError("node %s (%s) has an attr entry without a name (attr ''): TensorFlow refuses to run it "
                     "(damaged?)" % (quote(name), op), path)


def _check_colocation(node, index, path):
    """A `_class` "loc:@NODE" naming no node of the graph: TensorFlow's importer refuses it ("Specified
    colocation to an op that does not exist during import"; 2.x: "expects to be colocated with unknown node")."""
    if "_class" not in node.attr:
        return
    for entry in node.attr["_class"].list.s:
        if entry.startswith(b"loc:@") and entry[5:].decode("utf-8", "replace") not in index:
            raise ModelError("node %s is colocated with %s, which is not in the graph: TensorFlow's importer "
                             "refuses the file (damaged?)" % (quote(node.name), quote(entry[5:].decode(
                                 "utf-8", "replace"))), path)


def reads_back_edge(nodes, name, source):
    """True when node ``name`` reads ``source`` over a while loop's back edge (Merge <- NextIteration)."""
    return nodes[name].op in ("Merge", "RefMerge") and nodes[source].op in _BACK_EDGE_SOURCES


def _in_source_order(keep, nodes, sources, index):
    """True when every kept node reads only nodes before it (or loop back edges): no cycle.

    Graphs written by TensorFlow are in this order, so the full check rarely runs.
    """
    for name in keep:
        position = index.get(name)
        if position is None:
            return False
        for source in sources[name]:
            before = index.get(source)
            if before is None or (before >= position and not reads_back_edge(nodes, name, source)):
                return False
    return True


_BACK_EDGE_SOURCES = frozenset(["NextIteration", "RefNextIteration"])


def _refuse_cycles(keep, nodes, sources, path):
    """TensorFlow refuses a graph whose nodes form a cycle other than a loop's back edge.

    As TensorFlow's importer does, a Merge is ready once its inputs from outside the
    loop body are (the NextIteration back edges are not waited for).
    """
    pending = {}
    readers = collections.defaultdict(list)
    for name in keep:
        names = sources[name]
        if names and nodes[name].op in ("Merge", "RefMerge"):
            names = [s for s in names if nodes[s].op not in _BACK_EDGE_SOURCES]
        for source in names:
            readers[source].append(name)
        pending[name] = len(names)
    ready = [name for name, count in pending.items() if count == 0]
    done = 0
    while ready:
        name = ready.pop()
        done += 1
        for reader in readers.get(name, ()):
            pending[reader] -= 1
            if pending[reader] == 0:
                ready.append(reader)
    if done < len(keep):
        stuck = set(name for name, count in pending.items() if count > 0)
        raise ModelError("%d nodes the outputs need form a cycle: %s (corrupt graph?)"
                         % (len(stuck), _cycle_text(stuck, readers)), path)


def _cycle_text(stuck, readers, shown=6):
    """One cycle among the stuck nodes, as 'a -> b -> a' (networkx finds it; only on this error path)."""
    import networkx
    graph = networkx.DiGraph()
    graph.add_edges_from((source, reader) for source in stuck for reader in readers.get(source, ())
                         if reader in stuck)
    try:
        edges = networkx.find_cycle(graph, source=sorted(stuck))
    except networkx.NetworkXNoCycle:  # cannot happen when Kahn's walk got stuck; say what is stuck
        return "for example " + quote(min(stuck))
    names = [quote(edge[0]) for edge in edges[:shown]]
    return " -> ".join(names + ([quote(edges[0][0])] if len(edges) <= shown else ["..."]))


def _check_shape(node, key, shape, path, allow_unknown=True):
    low = -1 if allow_unknown else 0
    for dim in shape.dim:
        if dim.size < low:
            raise ModelError("node %s: attr %s holds the invalid dimension %d (corrupt graph?)"
                             % (quote(node.name), quote(key), dim.size), path)


# The attrs TensorFlow's importer checks shapes of: `_output_shapes`, a Placeholder's or
# variable's `shape`, a Const's `value` (looked up by name: far cheaper than walking every
# attr of every node of a 100k-node graph).
_SHAPE_ATTRS = ("_output_shapes", "shape", "value")


def _check_attrs(node, path):
    """Shapes with dimensions below -1, Const tensors whose bytes disagree with their shape."""
    attrs = node.attr
    for key in _SHAPE_ATTRS:
        if key not in attrs:
            continue
        value = attrs[key]
        kind = value.WhichOneof("value")
        if kind == "shape":
            _check_shape(node, key, value.shape, path)
        elif kind == "list":
            for shape in value.list.shape:
                _check_shape(node, key, shape, path)
        elif kind == "tensor":
            _check_tensor(node, key, value.tensor, path)
            if node.op == "Const" and "dtype" in attrs and attrs["dtype"].type != value.tensor.dtype:
                raise ModelError("Const %s is declared %s but its value tensor is %s (corrupt graph?)"
                                 % (quote(node.name), dtypes.name(attrs["dtype"].type),
                                    dtypes.name(value.tensor.dtype)), path)


def _check_tensor(node, key, tensor, path):
    _check_shape(node, key, tensor.tensor_shape, path, allow_unknown=False)
    if not tensor.tensor_content:
        return
    itemsize = dtypes.itemsize(tensor.dtype)
    count = 1
    for dim in tensor.tensor_shape.dim:
        count *= dim.size
    if itemsize and len(tensor.tensor_content) != count * itemsize:
        raise ModelError("node %s: attr %s holds %d bytes of tensor data for %d values (corrupt graph?)"
                         % (quote(node.name), quote(key), len(tensor.tensor_content), count), path)
