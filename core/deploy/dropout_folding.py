"""Dropout at keep probability 1 folded away: ``Floor(1 + RandomUniform)`` is 1 everywhere, ``x * 1`` and
``x / 1`` are ``x``.

TensorFlow 1.x's ``tf.nn.dropout`` computes ``x / keep_prob * Floor(keep_prob + random_uniform(...))``;
RandomUniform gives values in [0, 1) (its op definition), at most ``1 - 2**-m`` for an m-bit mantissa, so
with keep_prob fixed to 1 (``--set``) ``1 + u`` stays below 2 exactly and the Floor is 1: the random op,
which TFLite, OpenVINO and OpenCV do not take and onnxruntime draws differently, leaves the graph.
"""

from core.deploy.graph_edit import consumers, copy_graph, data_inputs, input_text, prune, set_inputs
from core.deploy.tensor_values import const_node, const_value

_RANDOM = frozenset(["RandomUniform"])


def _scalar(node, wanted=None):
    """The Python value of a scalar (or one-element) Const ``node``, when it is ``wanted`` (or any)."""
    if node is None or node.op != "Const":
        return None
    value = const_value(node)
    if value is None or value.size != 1:
        return None
    number = value.reshape(()).item()
    return number if wanted is None or number == wanted else None


def _unit_interval(name, by_name, depth=0):
    """Whether tensor ``name`` (port 0) holds values in [0, 1) only: a RandomUniform, times 1, plus 0."""
    node = by_name.get(name)
    if node is None or depth > 4:
        return False
    if node.op in _RANDOM:
        return True
    inputs = data_inputs(node)
    if node.op not in ("Mul", "Add", "AddV2") or len(inputs) != 2 or any(p for _, p in inputs):
        return False
    neutral = 1 if node.op == "Mul" else 0
    first, second = [by_name.get(n) for n, _ in inputs]
    if _scalar(second, neutral) is not None:
        return _unit_interval(inputs[0][0], by_name, depth + 1)
    if _scalar(first, neutral) is not None:
        return _unit_interval(inputs[1][0], by_name, depth + 1)
    return False


def _fixed_floors(graph, by_name):
    """Names of the Floor nodes of ``1 + u`` (u in [0, 1)): each is 1 everywhere."""
    found = []
    for node in graph.node:
        if node.op != "Floor":
            continue
        inner = by_name.get(data_inputs(node)[0][0]) if data_inputs(node) else None
        if inner is None or inner.op not in ("Add", "AddV2") or any(p for _, p in data_inputs(inner)):
            continue
        (a, _), (b, _) = data_inputs(inner)
        if (_scalar(by_name.get(a), 1) is not None and _unit_interval(b, by_name)) or \
                (_scalar(by_name.get(b), 1) is not None and _unit_interval(a, by_name)):
            found.append(node)
    return found


def _bypass_unit_ops(graph, outputs):
    """Rewires the readers of each ``x * 1``, ``1 * x`` and ``x / 1`` (1 a scalar Const) to ``x``; an output
    keeps its name as an Identity. Returns how many were bypassed."""
    by_name = dict((n.name, n) for n in graph.node)
    keep = set(o.split(":")[0] for o in outputs)
    users = consumers(graph)
    count = 0
    for node in list(graph.node):
        inputs = data_inputs(node)
        if node.op not in ("Mul", "Div", "RealDiv") or len(inputs) != 2:
            continue
        if node.name not in keep and not any(port == 0 for _, _, port in users.get(node.name, ())):
            continue  # bypassed already
        if _scalar(by_name.get(inputs[1][0]), 1) is not None:
            source = inputs[0]
        elif node.op == "Mul" and _scalar(by_name.get(inputs[0][0]), 1) is not None:
            source = inputs[1]
        else:
            continue
        text = input_text(*source)
        if node.name in keep:
            node.op = "Identity"
            for key in list(node.attr):
                if key != "T":
                    del node.attr[key]
            set_inputs(node, [text] + [t for t in node.input if t.startswith("^")])
        else:
            for user, index, port in users.get(node.name, ()):
                if port == 0:
                    user.input[index] = text
        count += 1
    return count


def fold_dropout(graph_def, outputs):
    """Replaces each ``Floor(1 + u)`` (u from RandomUniform, in [0, 1)) by a scalar Const 1 of its dtype,
    then bypasses the multiplications and divisions by 1 this leaves.

    Returns:
        (new GraphDef, number of Floors folded).
    """
    import numpy as np
    from core.deploy.tensor_values import numpy_type
    graph = copy_graph(graph_def)
    by_name = dict((n.name, n) for n in graph.node)
    floors = _fixed_floors(graph, by_name)
    for node in floors:
        one = np.ones((), dtype=numpy_type(node.attr["T"].type))
        node.CopyFrom(const_node(node.name, one))
    if floors:
        while _bypass_unit_ops(graph, outputs):  # again with fresh readers: graph order need not be topological
            pass
        prune(graph, outputs)
    return graph, len(floors)
