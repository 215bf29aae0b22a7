"""Small GraphDef edits the clean-ups share: node lookup, consumers, rewiring, pruning to the outputs."""

import collections

from core.formats import protos
from core.names import node_name


def copy_graph(graph_def):
    """A deep copy of a GraphDef (the clean-ups never change their input)."""
    copy = protos.GraphDef()
    copy.CopyFrom(graph_def)
    return copy


def split_input(text):
    """A NodeDef input -> (node name, port, is_control)."""
    if text.startswith("^"):
        return text[1:], -1, True
    name = node_name(text)
    return name, int(text[len(name) + 1:]) if len(text) > len(name) else 0, False


def input_text(name, port):
    """The input string naming ``name``'s output ``port`` ("x" for port 0, "x:2" otherwise)."""
    return name if port == 0 else "%s:%d" % (name, port)


def data_inputs(node):
    """(node name, port) of each data input, in order."""
    return [split_input(t)[:2] for t in node.input if not t.startswith("^")]


def control_inputs(node):
    """Names of the nodes a node depends on by control edges only."""
    return [t[1:] for t in node.input if t.startswith("^")]


def consumers(graph_def):
    """dict node name -> list of (consumer NodeDef, input index, port; -1 for a control edge)."""
    found = collections.defaultdict(list)
    for node in graph_def.node:
        for index, text in enumerate(node.input):
            name, port, _ = split_input(text)
            found[name].append((node, index, port))
    return found


def set_inputs(node, inputs):
    """Replaces a node's inputs, data inputs first, control inputs deduplicated after them."""
    data = [t for t in inputs if not t.startswith("^")]
    control = []
    for text in inputs:
        if text.startswith("^") and text not in control and text[1:] not in [node_name(d) for d in data]:
            control.append(text)
    del node.input[:]
    node.input.extend(data + control)


def prune(graph_def, outputs, keep=()):
    """Removes every node the outputs (and ``keep``) do not reach over data and control inputs.

    Returns:
        the number of nodes removed.
    """
    by_name = dict((n.name, n) for n in graph_def.node)
    wanted = set()
    stack = [node_name(o) for o in list(outputs) + list(keep) if node_name(o) in by_name]
    while stack:
        name = stack.pop()
        if name in wanted:
            continue
        wanted.add(name)
        stack.extend(split_input(t)[0] for t in by_name[name].input if split_input(t)[0] in by_name)
    kept = [n for n in graph_def.node if n.name in wanted]
    removed = len(graph_def.node) - len(kept)
    if removed:
        copies = []
        for node in kept:
            copy = protos.NodeDef()
            copy.CopyFrom(node)
            copies.append(copy)
        del graph_def.node[:]
        graph_def.node.extend(copies)
    return removed


def loop_nodes(graph_def):
    """Names of the nodes inside a while loop's frame (reached from an Enter before its Exit)."""
    users = consumers(graph_def)
    inside = set()
    stack = [n.name for n in graph_def.node if n.op in ("Enter", "RefEnter")]
    while stack:
        name = stack.pop()
        if name in inside:
            continue
        inside.add(name)
        for node, _, _ in users.get(name, ()):
            if node.op not in ("Exit", "RefExit"):
                stack.append(node.name)
    return inside


# Ops that also have a "T" attr (their input's type) but whose output's type is another attr (OpDef's
# output_arg type_attr), with the OpDef's default: DT_INT64 for ArgMax/ArgMin, DT_INT32 for the shape ops.
_OUTPUT_TYPE_ATTRS = {"ArgMax": ("output_type", 9), "ArgMin": ("output_type", 9), "Shape": ("out_type", 3),
                      "ShapeN": ("out_type", 3), "Size": ("out_type", 3), "Rank": (None, 3)}


def output_dtype(node, port=0):
    """The DataType number a node's output carries, from its attrs (None when they do not say)."""
    from core.analysis.input_pipeline import tensor_dtype
    if node.op == "Const":
        return node.attr["value"].tensor.dtype
    if node.op in _OUTPUT_TYPE_ATTRS:
        attr, default = _OUTPUT_TYPE_ATTRS[node.op]
        return node.attr[attr].type if attr in node.attr else default
    return tensor_dtype(node, port)
