"""Folding inference batch norm into the Conv2D, DepthwiseConv2dNative or MatMul before it.

Two forms are folded: FusedBatchNorm (V1-V3, is_training=False), and the decomposed form TF writes for
tf.nn.batch_normalization / unfused layers, ``x * m + c`` with per-channel constants m = scale * rsqrt(var +
eps) and c = offset - mean * m (an Rsqrt/Mul/Sub chain, possibly behind a BiasAdd). The weights become
``w * m`` and the BatchNorm node a BiasAdd of ``c`` under the same name, so consumers keep working.
"""

import numpy as np

from core.deploy.graph_edit import consumers, copy_graph, data_inputs, prune, set_inputs, split_input
from core.deploy.tensor_values import const_node, const_value

LINEAR = frozenset(["Conv2D", "DepthwiseConv2dNative", "MatMul"])
FUSED = frozenset(["FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"])
# Ops allowed when computing the decomposed form's m and c from Consts (Rsqrt as 1/sqrt in float32).
_CONST_OPS = {"Add": np.add, "AddV2": np.add, "Sub": np.subtract, "Mul": np.multiply, "RealDiv": np.divide,
              "Rsqrt": lambda x: (1.0 / np.sqrt(x)).astype(x.dtype), "Identity": lambda x: x}


class _Graph(object):
    def __init__(self, graph_def):
        self.graph_def = graph_def
        self.nodes = dict((n.name, n) for n in graph_def.node)
        self.users = consumers(graph_def)

    def only_user(self, name, user):
        return all(u.name == user for u, _, _ in self.users.get(name, ()))

    def value(self, text, depth=0):
        """The numpy value of a tensor computed from Consts only (None otherwise)."""
        name, port, _ = split_input(text)
        node = self.nodes.get(name)
        if node is None or port != 0 or depth > 8:
            return None
        if node.op == "Const":
            return const_value(node)
        if node.op not in _CONST_OPS or any(t.startswith("^") for t in node.input):
            return None
        args = [self.value(t, depth + 1) for t in node.input]
        if any(a is None for a in args):
            return None
        return np.asarray(_CONST_OPS[node.op](*args))


def _channel_axis(linear):
    if linear.op == "MatMul":
        return None
    fmt = linear.attr["data_format"].s if "data_format" in linear.attr else b"NHWC"
    return 1 if fmt == b"NCHW" else -1


def _scaled_weights(linear, weights, factor):
    """The linear op's weights with each output channel multiplied by ``factor``."""
    if linear.op == "MatMul":
        if linear.attr["transpose_b"].b:
            return weights * factor[:, None]
        return weights * factor[None, :]
    if linear.op == "DepthwiseConv2dNative":
        h, w, channels, multiplier = weights.shape
        return weights * factor.reshape(channels, multiplier)
    return weights * factor  # Conv2D: [h, w, in, out]


def _fold(graph, bn, linear_name, bias_text, factor, offset, notes):
    """Rewrites ``bn`` as BiasAdd(linear with scaled weights, offset [+ factor * old bias])."""
    linear = graph.nodes[linear_name]
    weights_name = split_input(linear.input[1])[0]
    weights_node = graph.nodes.get(weights_name)
    weights = const_value(weights_node) if weights_node is not None and weights_node.op == "Const" else None
    channels = weights.shape[1 if linear.op == "MatMul" and linear.attr["transpose_b"].b else -1] \
        if weights is not None else None
    if linear.op == "DepthwiseConv2dNative" and weights is not None:
        channels = weights.shape[2] * weights.shape[3]
    if weights is None or factor.shape != (channels,) or offset.shape != (channels,):
        return False
    if not graph.only_user(weights_name, linear.name):
        return False
    dtype = weights.dtype
    if bias_text is not None:
        bias = graph.value(bias_text)
        if bias is None or bias.shape != (channels,):
            return False
        offset = offset + factor * bias
    weights_node.CopyFrom(const_node(weights_name, _scaled_weights(linear, weights, factor).astype(dtype)))
    bias_node = graph.graph_def.node.add()
    bias_node.CopyFrom(const_node(bn.name + "/folded_bias", offset.astype(dtype)))
    fmt = linear.attr["data_format"].s if "data_format" in linear.attr else b"NHWC"
    t = linear.attr["T"].type
    name = bn.name
    bn.Clear()
    bn.name, bn.op = name, "BiasAdd"
    set_inputs(bn, [linear.name, bias_node.name])
    bn.attr["T"].type = t
    bn.attr["data_format"].s = fmt if linear.op != "MatMul" else b"NHWC"
    notes.append("%s into %s" % (bn.name, linear.name))
    return True


def _fused_candidate(graph, bn):
    if bn.attr["is_training"].b if "is_training" in bn.attr else True:
        return None
    if any(port > 0 for _, _, port in graph.users.get(bn.name, ())):
        return None  # its batch statistics are used
    inputs = [t for t in bn.input if not t.startswith("^")]
    values = [graph.value(t) for t in inputs[1:5]]
    if len(values) != 4 or any(v is None for v in values):
        return None
    scale, offset, mean, variance = [v.astype(np.float64) for v in values]
    epsilon = bn.attr["epsilon"].f if "epsilon" in bn.attr else 1e-3
    factor = scale / np.sqrt(variance + np.float32(epsilon))
    return inputs[0], factor, offset - mean * factor, bn.name


def _decomposed_candidate(graph, add):
    """``Add(Mul(x, m), c)`` with constant per-channel m and c: (x, m, c, the Mul's name) or None."""
    args = [t for t in add.input if not t.startswith("^")]
    if len(args) != 2:
        return None
    for mul_text, c_text in (args, args[::-1]):
        mul = graph.nodes.get(split_input(mul_text)[0])
        c = graph.value(c_text)
        if mul is None or mul.op != "Mul" or c is None or not graph.only_user(mul.name, add.name):
            continue
        margs = [t for t in mul.input if not t.startswith("^")]
        for x_text, m_text in (margs, margs[::-1]):
            m = graph.value(m_text)
            if m is not None and graph.value(x_text) is None:
                return x_text, m.astype(np.float64), c.astype(np.float64), mul.name
    return None


def _source(graph, x_text, user):
    """(linear op name, bias input or None) when x is a linear op (behind at most one BiasAdd) used only here."""
    name = split_input(x_text)[0]
    node = graph.nodes.get(name)
    bias = None
    if node is not None and node.op in ("BiasAdd", "Add", "AddV2") and graph.only_user(name, user):
        inputs = data_inputs(node)
        bias = "%s:%d" % inputs[1] if inputs[1][1] else inputs[1][0]
        user, name = name, inputs[0][0]
        node = graph.nodes.get(name)
        if inputs[0][1] != 0 or graph.value(bias) is None:
            return None
    if node is None or node.op not in LINEAR or not graph.only_user(name, user):
        return None
    return name, bias


def fold_batch_norms(graph_def, outputs):
    """Folds every inference batch norm that follows a linear op; returns (new GraphDef, notes)."""
    graph = _Graph(copy_graph(graph_def))
    notes = []
    for node in list(graph.graph_def.node):
        if node.op in FUSED:
            found = _fused_candidate(graph, node)
        elif node.op in ("Add", "AddV2"):
            found = _decomposed_candidate(graph, node)
        else:
            continue
        if found is None:
            continue
        x_text, factor, offset, user = found
        source = _source(graph, x_text, user)
        if source is not None and _fold(graph, node, source[0], source[1], factor.reshape(-1),
                                        offset.reshape(-1), notes):
            graph = _Graph(graph.graph_def)
    prune(graph.graph_def, outputs)
    return graph.graph_def, notes
