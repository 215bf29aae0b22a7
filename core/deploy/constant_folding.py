"""Constant folding: nodes computed from Consts only are replaced by their value (exact numpy ops only)."""

import logging

import numpy as np

from core.deploy.graph_edit import control_inputs, copy_graph, data_inputs, loop_nodes, prune, set_inputs
from core.deploy.numpy_ops import FOLDABLE, evaluate
from core.deploy.tensor_values import const_node, const_value, datatype_of, numpy_type

log = logging.getLogger(__name__)
MAX_FOLDED_BYTES = 64 << 20  # a folded value larger than this stays an op (Fill of a huge shape)


def plain_attrs(node):
    """A node's attrs as Python values: ints, floats, bools, bytes, DataType numbers, lists of those."""
    attrs = {}
    for key, value in node.attr.items():
        kind = value.WhichOneof("value")
        if kind in ("i", "f", "b", "s", "type"):
            attrs[key] = getattr(value, kind)
        elif kind == "list":
            attrs[key] = list(value.list.i) or list(value.list.type) or list(value.list.f) or list(value.list.s)
    return attrs


def _out_type(node):
    for key in ("DstT", "Tidx", "out_type"):
        if key in node.attr and node.attr[key].WhichOneof("value") == "type":
            return numpy_type(node.attr[key].type)
    return None


def _fold_one(node, values):
    """The folded value of ``node`` (input values known), or None."""
    if node.op == "Identity":
        return values[0]
    if node.op not in FOLDABLE:
        return None
    if node.op == "Range" and any(v.dtype.kind not in "iu" for v in values):
        return None
    try:
        with np.errstate(all="raise"):
            result = evaluate(node.op, values, plain_attrs(node), _out_type(node))
    except (ValueError, TypeError, IndexError, FloatingPointError, ArithmeticError) as exc:
        log.debug("not folding %s (%s): %s", node.name, node.op, exc)
        return None
    if result is None:
        return None
    result = np.asarray(result)
    wanted = _out_type(node) if node.op in ("Cast", "Range", "Shape", "Size") else None
    if wanted is not None and result.dtype != np.dtype(wanted):
        result = result.astype(wanted)
    if datatype_of(result) is None or result.nbytes > MAX_FOLDED_BYTES:
        return None
    return result


_SHAPE_OPS = frozenset(["Shape", "Size", "Rank"])


def static_shapes(graph_def):
    """Placeholders whose shape is fully known (``--shape`` fixed it) -> a zero-memory array of that shape:
    the Shape, Size or Rank of one is a constant, as TensorFlow's own shape inference says."""
    found = {}
    for node in graph_def.node:
        shape = node.attr["shape"].shape if node.op == "Placeholder" and "shape" in node.attr else None
        if shape is None or shape.unknown_rank or any(d.size < 0 for d in shape.dim):
            continue
        found[node.name] = np.broadcast_to(np.zeros((), np.uint8), [int(d.size) for d in shape.dim])
    return found


def _fold_pass(graph, keep, frames, values, controls, static=None):
    """One pass in graph order; returns how many nodes it folded (``static``: static_shapes, read by the
    Shape, Size and Rank of a placeholder only)."""
    fold_ops = FOLDABLE | frozenset(["Identity"])
    folded = 0
    for position, node in enumerate(graph.node):
        if node.name in values:
            continue
        if node.op == "Const":
            value = const_value(node) if node.name not in frames else None
            if value is not None:
                values[node.name] = value
                controls[node.name] = control_inputs(node)
            continue
        inputs = data_inputs(node)
        if node.name in frames or not inputs or any(p != 0 for _, p in inputs):
            continue
        if node.op not in fold_ops or (node.op == "Identity" and node.name not in keep):
            continue
        shapes = (static or {}) if node.op in _SHAPE_OPS else {}
        sources = [values[name] if name in values else shapes.get(name) for name, _ in inputs]
        if any(v is None for v in sources) or control_inputs(node):
            continue
        result = _fold_one(node, sources)
        if result is None:
            continue
        inherited = sorted(set(c for name, _ in inputs for c in controls.get(name, ())))
        replacement = const_node(node.name, result)
        set_inputs(replacement, ["^" + c for c in inherited])
        graph.node[position].CopyFrom(replacement)
        values[node.name] = result
        controls[node.name] = inherited
        folded += 1
    return folded


def _inferred_shapes(graph, values, frames):
    """core.deploy.static_shapes.known_shapes of ``graph`` as folded so far (``values``: folded nodes)."""
    from core.deploy.static_shapes import known_shapes
    nodes = dict((n.name, n) for n in graph.node)

    def value(name):
        if name in values:
            return values[name]
        node = nodes.get(name)
        return const_value(node) if node is not None and node.op == "Const" and name not in frames else None
    return known_shapes(graph, value, frames)


def fold_constants(graph_def, outputs, inferred=False):
    """Replaces every foldable node whose data inputs are all constant by a Const of its value.

    Nodes inside while loops are left as they are. The shape of a placeholder whose shape is fully known
    is a constant too; with ``inferred``, so is the shape of any tensor whose shape the graph's shape
    functions fix (core.deploy.static_shapes). An output computed from Consts only becomes a Const
    of its own name (Identity included: OpenVINO drops an output that is an Identity of a Const).

    Returns:
        (new GraphDef, number of nodes folded).
    """
    graph = copy_graph(graph_def)
    keep = set(o.split(":")[0] for o in outputs)
    frames = loop_nodes(graph)
    values, controls = {}, {}
    static = static_shapes(graph)
    folded = 0
    while True:
        if inferred:
            static = _inferred_shapes(graph, values, frames)
        count = _fold_pass(graph, keep, frames, values, controls, static)
        folded += count
        if not count:
            break
    prune(graph, outputs)
    return graph, folded
