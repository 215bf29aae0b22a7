"""Softmax and LogSoftmax of N-D logits rewritten for TensorFlow 1.x kernels, which take 2-D logits only.

The OpDef of Softmax accepts logits of any rank in every release, but TensorFlow 1.4's kernel refuses
anything but a matrix ("logits must be 2-dimensional"); TF 1.4's own ``tf.nn.softmax`` flattens the outer
dimensions in Python before calling it. A graph written by a later release holds one Softmax of rank-3
logits (a per-time-step classifier). For a 1.x target the freeze writes what TF 1.4's Python writes:
Reshape to [-1, classes], the op, Reshape back to the logits' shape. The values are the same in every release.
"""

from core.formats import protos
from core.formats.dtypes import DT_INT32
from core.formats.node_table import node_table
from core.freeze.graph_edits import GraphEdits
from core.freeze.node_defs import const_node
from core.names import node_name

TWO_D_OPS = frozenset(["Softmax", "LogSoftmax"])


def _recorded_shape(node):
    """Port 0's shape as `_output_shapes` records it (list, -1 unknown), or None."""
    if "_output_shapes" not in node.attr or not node.attr["_output_shapes"].list.shape:
        return None
    shape = node.attr["_output_shapes"].list.shape[0]
    return None if shape.unknown_rank else [int(d.size) for d in shape.dim]


def _logits_shape(node, nodes):
    shape = _recorded_shape(node)
    if shape is None and node.input:
        source = nodes.get(node_name(node.input[0]))
        shape = _recorded_shape(source) if source is not None and ":" not in node.input[0] else None
    return shape


def _op(name, op, inputs, dtype_attr, device, **types):
    node = protos.NodeDef(name=name, op=op, input=inputs, device=device)
    node.attr["T"].CopyFrom(dtype_attr)
    for key, value in types.items():
        node.attr[key].type = value
    return node


class _Taken(object):
    """The graph's node names plus those given out here (no set of every name of a 10^6-node graph)."""

    def __init__(self, index):
        self._index, self._added = index, set()

    def __contains__(self, name):
        return name in self._index or name in self._added

    def add(self, name):
        self._added.add(name)


def _free_name(base, taken):
    name, k = base, 1
    while name in taken:
        name, k = "%s_%d" % (base, k), k + 1
    taken.add(name)
    return name


def two_d_softmax_edits(graph_def, release):
    """GraphEdits that give the Softmax/LogSoftmax ops of N-D logits (rank recorded, classes known) 2-D
    logits, for a 1.x ``release`` (a core.formats.op_registry.Release; None or 2.x: no edits)."""
    edits = GraphEdits()
    if release is None or not release.label.startswith("1."):
        return edits
    table = node_table(graph_def)
    nodes = table.nodes
    taken = _Taken(table.index)
    for node in table.of_ops(TWO_D_OPS):
        if not node.input or node.input[0].startswith("^"):
            continue
        shape = _logits_shape(node, nodes)
        if shape is None or len(shape) == 2 or not shape or shape[-1] <= 0:
            continue
        logits, controls = node.input[0], [i for i in node.input[1:] if i.startswith("^")]
        names = dict((part, _free_name("%s/%s" % (node.name, part), taken))
                     for part in ("flat_shape", "flat", "2d", "shape"))
        edits.added.append(const_node(names["flat_shape"], DT_INT32, [-1, shape[-1]]))
        edits.added.append(_op(names["flat"], "Reshape", [logits, names["flat_shape"]], node.attr["T"], node.device,
                               Tshape=DT_INT32))
        edits.added.append(_op(names["2d"], node.op, [names["flat"]], node.attr["T"], node.device))
        edits.added.append(_op(names["shape"], "Shape", [logits], node.attr["T"], node.device, out_type=DT_INT32))
        replacement = _op(node.name, "Reshape", [names["2d"], names["shape"]] + controls, node.attr["T"],
                          node.device, Tshape=DT_INT32)
        if "_output_shapes" in node.attr:
            replacement.attr["_output_shapes"].CopyFrom(node.attr["_output_shapes"])
        edits.replaced[node.name] = replacement
        edits.reasons[node.name] = ("%s of rank-%d logits -> Reshape to [-1, %d], %s, Reshape back (TensorFlow %s's "
                                    "kernel takes 2-D logits only)" % (node.op, len(shape), shape[-1], node.op,
                                                                        release.label))
    return edits
