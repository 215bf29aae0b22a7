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


_CASTS_TO_FLOAT = (dtypes.DT_FLOAT,)
_INTEGER_INPUTS = (dtypes.DT_INT64, dtypes.DT_INT32)


def _bypass(graph_def, replaced):
    """Rewires every reader of a node in ``replaced`` (name -> the input it forwards) to that input, and
    drops those nodes."""
    from core.deploy.graph_edit import input_text, set_inputs, split_input

    def resolve(name, port):
        while port == 0 and name in replaced:
            name, port = split_input(replaced[name])[:2]
        return name, port

    kept = [n for n in graph_def.node if n.name not in replaced]
    for node in kept:
        inputs = []
        for text in node.input:
            name, port, control = split_input(text)
            inputs.append("^" + resolve(name, 0)[0] if control else input_text(*resolve(name, port)))
        set_inputs(node, inputs)
    del graph_def.node[:]
    graph_def.node.extend(kept)


# Ops that pass an integer input's values on unchanged. (Not ExpandDims, a feature column's step before its
# Cast: OpenCV 4.14's ExpandDims of a network input fails in getMemoryShapes, measured; refused, it says why.)
_VALUE_MOVES = frozenset(["Identity"])


def _read_as_float(node, users, kept):
    """When every reader of ``node`` (through Identity) is a Cast to float32: (the Identities, the Casts);
    else ([], [])."""
    moves, casts = [], []
    stack = [node.name]
    while stack:
        readers = users.get(stack.pop(), ())
        if not readers:
            return [], []
        for user, index, port in readers:
            if port != 0 or index != 0:
                return [], []
            if user.op == "Cast" and user.attr["DstT"].type in _CASTS_TO_FLOAT:
                casts.append(user)
            elif user.op in _VALUE_MOVES and user.name not in kept and "T" in user.attr:
                moves.append(user)
                stack.append(user.name)
            else:
                return [], []
    return moves, casts


def float32_runtime(graph_def, outputs):
    """For a runtime that computes and takes inputs in float32 only (OpenCV DNN): float64 narrowed to
    float32 (``narrow_float64``), then the Casts that leaves from float32 to float32 dropped, and an int32 or
    int64 placeholder read only by Casts to float32 fed as float32 itself (its Casts dropped: the runtime has
    no Cast). A Cast that is an output stays, as an Identity of its name.

    Returns:
        (GraphDef, list of notes for dtype_changes), or (None, []) when nothing changed.
    """
    from core.deploy.graph_edit import consumers
    notes = []
    graph = graph_def
    wide = float64_nodes(graph_def)
    if wide:
        graph, changed = narrow_float64(graph_def)
        if graph is None:
            return None, []
        notes.append("float64->float32 in %d nodes (OpenCV DNN computes in float32)" % len(changed))
    else:
        graph = copy_graph(graph_def)
    kept = set(o.split(":")[0] for o in outputs)
    users = consumers(graph)
    replaced, fed = {}, []
    for node in graph.node:
        if node.op != "Placeholder" or node.attr["dtype"].type not in _INTEGER_INPUTS or node.name in kept:
            continue
        reshapes, casts = _read_as_float(node, users, kept)
        if casts:
            fed.append("%s input %s fed as float32 (its Casts to float32 dropped: OpenCV DNN has no Cast)"
                       % (dtypes.name(node.attr["dtype"].type), node.name))
            node.attr["dtype"].type = FLOAT32
            for user in reshapes:
                user.attr["T"].type = FLOAT32
            for user in casts:
                user.attr["SrcT"].type = FLOAT32
    for node in graph.node:
        if node.op != "Cast" or node.attr["SrcT"].type != node.attr["DstT"].type or not node.input \
                or node.input[0].startswith("^"):
            continue
        if node.name in kept:  # an output keeps its name: an Identity, which OpenCV merges into its input
            dtype = node.attr["DstT"].type
            for attr in ("SrcT", "DstT", "Truncate"):
                if attr in node.attr:
                    del node.attr[attr]
            node.op = "Identity"
            node.attr["T"].type = dtype
        else:
            replaced[node.name] = node.input[0]
    if replaced:
        _bypass(graph, replaced)
    notes.extend(fed)
    if not wide and not fed:
        return None, []
    return graph, notes
