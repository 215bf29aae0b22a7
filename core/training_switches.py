"""Training switches (is_training, keep_prob placeholders with defaults) and folding them away."""

import collections
import re

import numpy as np

from core import protos
from core.errors import ModelError
from core.graph_edits import GraphEdits, node_name

DT_BOOL = 10
_SWITCH_NAME = re.compile(r"(^|/|_)(is_?training|training|train|phase|mode|keep_?prob|dropout|drop_?rate|rate)"
                          r"(_\d+)?$", re.IGNORECASE)


class SwitchInfo(collections.namedtuple("SwitchInfo", "name dtype default")):
    """A placeholder that turns training behaviour on or off. default: Python value or None."""


def _const_value(node):
    """A scalar Const's Python value, or None."""
    if node is None or node.op != "Const" or "value" not in node.attr:
        return None
    tensor = node.attr["value"].tensor
    if tensor.tensor_shape.dim:
        return None
    for field in ("bool_val", "float_val", "double_val", "int_val", "int64_val"):
        values = getattr(tensor, field)
        if len(values):
            value = values[0]
            return bool(value) if field == "bool_val" else value
    if tensor.tensor_content:
        from core.bundle import numpy_dtype
        value = np.frombuffer(tensor.tensor_content, dtype=numpy_dtype(tensor.dtype))[0]
        return bool(value) if tensor.dtype == DT_BOOL else value.item()
    return False if tensor.dtype == DT_BOOL else 0


def _is_scalar(node):
    if "shape" not in node.attr:
        return True
    shape = node.attr["shape"].shape
    return not shape.unknown_rank and not shape.dim


def find_training_switches(graph_def):
    """Placeholders that switch training behaviour: boolean ones (with or without a default)
    and scalar keep_prob/rate-style PlaceholderWithDefault.

    Returns:
        list of SwitchInfo in graph order.
    """
    placeholders = [n for n in graph_def.node if n.op in ("PlaceholderWithDefault", "Placeholder")]
    if not placeholders:
        return []
    nodes = dict((n.name, n) for n in graph_def.node) if any(
        n.op == "PlaceholderWithDefault" for n in placeholders) else {}
    result = []
    for node in placeholders:
        dtype = node.attr["dtype"].type
        named = bool(_SWITCH_NAME.search(node.name))
        if node.op == "PlaceholderWithDefault":
            if dtype != DT_BOOL and not (named and _is_scalar(node)):
                continue
            default = _const_value(nodes.get(node_name(node.input[0]))) if node.input else None
        else:
            if not (dtype == DT_BOOL and named and _is_scalar(node)):
                continue
            default = None
        result.append(SwitchInfo(node.name, protos.dtype_name(dtype), default))
    return result


def parse_switch_value(text, dtype):
    """Parses a --set value for a switch of ``dtype`` ("bool", "float32", ...).

    Raises:
        ModelError: the text does not fit the dtype.
    """
    lowered = text.strip().lower()
    if dtype == "bool":
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ModelError("'%s' is not a boolean (use true or false)" % text)
    try:
        if dtype.startswith(("int", "uint")):
            return int(lowered)
        return float(lowered)
    except ValueError:
        raise ModelError("'%s' is not a %s value" % (text, dtype))


def _const_node(name, dtype, value):
    node = protos.NodeDef()
    node.name = name
    node.op = "Const"
    node.attr["dtype"].type = dtype
    tensor = node.attr["value"].tensor
    tensor.dtype = dtype
    if dtype == DT_BOOL:
        tensor.bool_val.append(bool(value))
    elif dtype == 1:
        tensor.float_val.append(float(value))
    elif dtype == 2:
        tensor.double_val.append(float(value))
    elif dtype == 9:
        tensor.int64_val.append(int(value))
    elif dtype == 19:
        tensor.half_val.append(int(np.array(value, dtype=np.float16).view(np.uint16)))
    else:
        tensor.int_val.append(int(value))
    return node


def fold_training_switches(graph_def, values):
    """Fixes switches to values and folds the control flow that depends on them.

    Each switch becomes a Const; a Switch whose predicate is then a known constant
    passes its data input straight to the consumers of its live port; a Merge left
    with one live input becomes an Identity of it. Repeats until nothing changes, so
    nested conds fold too. Nodes not named in the result are untouched.

    Args:
        graph_def: protos.GraphDef.
        values: dict switch name -> Python value.
    Returns:
        GraphEdits for core.freezer.freeze(edits=...).
    Raises:
        ModelError: a name that is not a placeholder of the graph.
    """
    nodes = dict((n.name, n) for n in graph_def.node)
    edits = GraphEdits()
    known = {}  # node name -> constant Python value
    for name, value in values.items():
        node = nodes.get(name)
        if node is None or node.op not in ("PlaceholderWithDefault", "Placeholder"):
            raise ModelError("no placeholder named '%s' in the graph" % name)
        edits.replaced[name] = _const_node(name, node.attr["dtype"].type, value)
        known[name] = value
    if not known:
        return edits
    consumers = collections.defaultdict(list)
    for node in graph_def.node:
        for text in node.input:
            consumers[node_name(text)].append(node.name)

    def value_of(tensor):
        name = node_name(tensor)
        if name in known:
            return known[name]
        node = nodes.get(name)
        if node is None:
            return None
        if node.op == "Const":
            return _const_value(node)
        if node.op in ("Identity", "Snapshot") and node.input:
            return value_of(node.input[0])
        if node.op == "LogicalNot" and node.input:
            inner = value_of(node.input[0])
            return None if inner is None else (not inner)
        return None

    dead = set()  # tensors ("node:port") that never carry a value
    switches = 0
    changed = True
    while changed:
        changed = False
        for node in graph_def.node:
            if node.name in edits.replaced and node.op != "Merge":
                continue
            if node.op in ("Switch", "RefSwitch") and len(node.input) >= 2:
                pred = value_of(node.input[1])
                if pred is None or node.name + ":1" in edits.rewired or node.name + ":0" in edits.rewired:
                    continue
                live, gone = (1, 0) if pred else (0, 1)
                source = node.input[0]
                source = source if ":" in source or source.startswith("^") else source + ":0"
                edits.rewired["%s:%d" % (node.name, live)] = source
                dead.add("%s:%d" % (node.name, gone))
                switches += 1
                changed = True
            elif node.op in ("Merge", "RefMerge") and node.name not in edits.replaced:
                data = [i for i in node.input if not i.startswith("^")]
                memo = {}
                alive = [i for i in data if not _is_dead(i, nodes, dead, memo)]
                if len(alive) == 1 and len(data) > 1:
                    identity = protos.NodeDef()
                    identity.CopyFrom(node)
                    identity.op = "Identity"
                    del identity.input[:]
                    identity.input.append(alive[0])
                    for attr in list(identity.attr.keys()):
                        if attr != "T" and not attr.startswith("_"):
                            del identity.attr[attr]
                    edits.replaced[node.name] = identity
                    changed = True
    merges = sum(1 for n in edits.replaced.values() if n.op == "Identity")
    for name, value in sorted(values.items()):
        edits.notes.append("%s fixed to %r" % (name, value))
    if switches or merges:
        edits.notes.append("%d Switch and %d Merge nodes folded away" % (switches, merges))
    return edits


def _is_dead(tensor, nodes, dead, memo, depth=0):
    """True when ``tensor`` can only be computed from a dead Switch port."""
    port_name = tensor if ":" in tensor else tensor + ":0"
    if port_name in dead:
        return True
    name = node_name(tensor)
    if name in memo:
        return memo[name]
    memo[name] = False
    node = nodes.get(name)
    if node is None or depth > 500 or node.op in ("Merge", "RefMerge", "Enter", "NextIteration"):
        return False
    result = False
    for text in node.input:
        if text.startswith("^"):
            # Consts inside a cond branch hang on the branch's pivot (an Identity of the Switch).
            pivot = nodes.get(text[1:])
            if pivot is not None and pivot.op == "Identity" and _is_dead(text[1:], nodes, dead, memo, depth + 1):
                result = True
                break
        elif _is_dead(text, nodes, dead, memo, depth + 1):
            result = True
            break
    memo[name] = result
    return result
