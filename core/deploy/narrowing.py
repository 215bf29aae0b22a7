"""Narrowing float64 to float32 for a target whose converter takes an op only at float32 (TFLite)."""

import numpy as np

from core.deploy.graph_edit import copy_graph
from core.deploy.tensor_values import const_node, const_value
from core.formats import dtypes

FLOAT64, FLOAT32 = dtypes.DT_DOUBLE, dtypes.DT_FLOAT


def float64_nodes(graph_def):
    """Names of the nodes that hold or compute float64 (a type attr or a Const's value at DT_DOUBLE)."""
    return [n.name for n in graph_def.node if any(_is_float64(v) for v in n.attr.values())]


def _is_float64(value):
    kind = value.WhichOneof("value")
    if kind == "type":
        return value.type == FLOAT64
    if kind == "list":
        return FLOAT64 in value.list.type
    return kind == "tensor" and value.tensor.dtype == FLOAT64


def narrow_float64(graph_def):
    """A copy of ``graph_def`` computing in float32 where it computed in float64.

    Every type attr (and type list) at DT_DOUBLE becomes DT_FLOAT, and every float64 Const holds its
    value rounded to float32: the graph then does the same arithmetic one precision lower (its outputs
    are compared with the checkpoint's float64 outputs afterwards, like any artifact).

    Returns:
        (GraphDef, list of the names of the nodes changed), or (None, []) when a float64 Const value has
        no exact numpy form.
    """
    narrowed = copy_graph(graph_def)
    changed = []
    for position, node in enumerate(narrowed.node):
        if not any(_is_float64(v) for v in node.attr.values()):
            continue
        if node.op == "Const" and node.attr["value"].tensor.dtype == FLOAT64:
            value = const_value(node)
            if value is None:
                return None, []
            replacement = const_node(node.name, np.asarray(value, dtype=np.float32), FLOAT32)
            replacement.device = node.device
            replacement.input.extend(node.input)
            node.CopyFrom(replacement)
        for value in node.attr.values():
            kind = value.WhichOneof("value")
            if kind == "type" and value.type == FLOAT64:
                value.type = FLOAT32
            elif kind == "list" and FLOAT64 in value.list.type:
                types = [FLOAT32 if t == FLOAT64 else t for t in value.list.type]
                del value.list.type[:]
                value.list.type.extend(types)
        changed.append(node.name)
    return narrowed, changed
