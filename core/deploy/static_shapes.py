"""Static shapes of a graph's tensors, as TensorFlow's shape functions give them, without TensorFlow.

Each node's output 0 gets a list of dims (-1 for a dim not known before run time) or None (rank unknown),
from its op's shape function (the ones below: elementwise, broadcasting, MatMul, convolutions and pools,
reshapes, concatenation, reductions, gathers) on its inputs' shapes and constant values, merged with the
shapes TensorFlow recorded when the graph was built (`_output_shapes`). Constant folding reads them: the
Shape, Size or Rank of a tensor whose shape is fully known is a constant (as grappler folds it), which a
runtime without a Shape op (OpenCV DNN) needs. An op not listed here has only its recorded shape.
"""

import numpy as np

from core.deploy.graph_edit import data_inputs

# Output 0 has input 0's shape.
_SAME = frozenset([
    "Identity", "Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus", "Softsign",
    "Neg", "Abs", "Exp", "Expm1", "Log", "Log1p", "Sqrt", "Rsqrt", "Square", "Reciprocal", "Inv", "Floor", "Ceil",
    "Round", "Rint", "Sign", "Cast", "LeakyRelu", "StopGradient", "PreventGradient", "CheckNumerics", "Snapshot",
    "Print", "Erf", "Sin", "Cos", "LRN", "ZerosLike", "OnesLike", "LogicalNot", "IsNan", "IsInf", "IsFinite",
    "BiasAdd", "BiasAddV1", "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", "ClipByValue"])
# Output 0 is the broadcast of inputs 0 and 1 (numpy's rule, which TensorFlow's BroadcastBinaryOpShapeFn is).
_BROADCAST = frozenset([
    "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "Maximum", "Minimum", "Pow", "SquaredDifference",
    "FloorDiv", "FloorMod", "Mod", "TruncateDiv", "TruncateMod", "Greater", "GreaterEqual", "Less", "LessEqual",
    "Equal", "NotEqual", "LogicalAnd", "LogicalOr"])
_REDUCTIONS = frozenset(["Mean", "Sum", "Max", "Min", "Prod", "All", "Any"])
_PLACEHOLDERS = frozenset(["Placeholder", "PlaceholderV2", "PlaceholderWithDefault"])
_WINDOWED = frozenset(["Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool"])


def _recorded(node):
    """Output 0's shape as `_output_shapes` records it, else None."""
    if "_output_shapes" not in node.attr or not node.attr["_output_shapes"].list.shape:
        return None
    shape = node.attr["_output_shapes"].list.shape[0]
    return None if shape.unknown_rank else [int(d.size) for d in shape.dim]


def _declared(proto):
    return None if proto.unknown_rank else [int(d.size) for d in proto.dim]


def _merge(computed, recorded):
    """Both views of one shape: a dim either knows; None when they disagree (neither is then trusted)."""
    if computed is None or recorded is None:
        return computed if recorded is None else recorded
    if len(computed) != len(recorded):
        return None
    merged = []
    for a, b in zip(computed, recorded):
        if a >= 0 and b >= 0 and a != b:
            return None
        merged.append(a if a >= 0 else b)
    return merged


def _broadcast(a, b):
    if a is None or b is None:
        return None
    width = max(len(a), len(b))
    a, b = [1] * (width - len(a)) + list(a), [1] * (width - len(b)) + list(b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        elif x < 0 and y < 0:
            out.append(-1)
        elif x < 0 or y < 0:
            out.append(max(x, y))  # the known one (a dim that is not 1 must match it)
        else:
            return None
    return out


def _ints(value):
    return None if value is None else [int(v) for v in np.atleast_1d(value)]


def _axis(axis, rank):
    return axis + rank if axis < 0 else axis


def _reshape(shape, target):
    if target is None:
        return None
    if -1 not in target:
        return list(target)
    if shape is None or any(d < 0 for d in shape) or target.count(-1) != 1 or any(
            d < -1 for d in target):
        return list(target)
    known = int(np.prod([d for d in target if d != -1]))
    total = int(np.prod(shape))
    if known == 0 or total % known:
        return None
    return [total // known if d == -1 else d for d in target]


def _window(node, shape, kernel):
    """Conv2D / DepthwiseConv2dNative / MaxPool / AvgPool: batch, spatial dims by padding and strides, channels."""
    if shape is None or len(shape) != 4:
        return None
    nchw = node.attr["data_format"].s == b"NCHW" if "data_format" in node.attr else False
    spatial = (2, 3) if nchw else (1, 2)
    channel = 1 if nchw else 3
    strides = list(node.attr["strides"].list.i)
    dilations = list(node.attr["dilations"].list.i) if "dilations" in node.attr else [1, 1, 1, 1]
    padding = node.attr["padding"].s
    if len(strides) != 4 or len(dilations) != 4 or padding not in (b"SAME", b"VALID"):
        return None
    if node.op in ("MaxPool", "AvgPool"):
        ksize = list(node.attr["ksize"].list.i)
        if len(ksize) != 4:
            return None
        window = [ksize[i] for i in spatial]
        channels = shape[channel]
    else:
        if kernel is None or len(kernel) != 4:
            return None
        window = kernel[:2]
        if node.op == "Conv2D":
            channels = kernel[3]
        else:
            channels = kernel[2] * kernel[3] if kernel[2] >= 0 and kernel[3] >= 0 else -1
    out = list(shape)
    out[channel] = channels
    for k, axis in zip(window, spatial):
        size, stride, dilation = shape[axis], strides[axis], dilations[axis]
        if size < 0 or k < 0 or stride <= 0:
            out[axis] = -1
        elif padding == b"SAME":
            out[axis] = -(-size // stride)
        else:
            effective = (k - 1) * dilation + 1
            out[axis] = -(-(size - effective + 1) // stride) if size >= effective else None
            if out[axis] is None:
                return None
    return out


def _reduced(node, shape, axes):
    if shape is None or axes is None:
        return None
    rank = len(shape)
    keep = bool(node.attr["keep_dims"].b) if "keep_dims" in node.attr else False
    axes = set(_axis(a, rank) for a in axes)
    if any(a < 0 or a >= rank for a in axes):
        return None
    return [1 if i in axes else d for i, d in enumerate(shape)] if keep else \
        [d for i, d in enumerate(shape) if i not in axes]


class _Inputs(object):
    """A node's data inputs as the shape rules read them: their shapes, and their values when constant."""

    def __init__(self, node, shapes, value):
        self.node, self.shapes, self.value = node, shapes, value
        self.inputs = data_inputs(node)

    def shape(self, index):
        return self.shapes.get(self.inputs[index]) if index < len(self.inputs) else None

    def ints(self, index):
        if index >= len(self.inputs) or self.inputs[index][1] != 0:
            return None
        return _ints(self.value(self.inputs[index][0]))

    def all_shapes(self, count=None):
        return [self.shapes.get(i) for i in self.inputs[:count]]


def _matmul(node, given):
    a, b = given.shape(0), given.shape(1)
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        return None
    return [a[1] if node.attr["transpose_a"].b else a[0], b[0] if node.attr["transpose_b"].b else b[1]]


def _expand_dims(node, given):
    shape, axis = given.shape(0), given.ints(1)
    if shape is None or axis is None or len(axis) != 1:
        return None
    position = _axis(axis[0], len(shape) + 1)
    return shape[:position] + [1] + shape[position:] if 0 <= position <= len(shape) else None


def _squeeze(node, given):
    shape = given.shape(0)
    dims = list(node.attr["squeeze_dims"].list.i) if "squeeze_dims" in node.attr else []
    if shape is None:
        return None
    if not dims:
        return None if any(d < 0 for d in shape) else [d for d in shape if d != 1]
    dims = set(_axis(d, len(shape)) for d in dims)
    return [d for i, d in enumerate(shape) if i not in dims]


def _transpose(node, given):
    shape, perm = given.shape(0), given.ints(1)
    if shape is None or perm is None or sorted(perm) != list(range(len(shape))):
        return None
    return [shape[p] for p in perm]


def _concat(node, given):
    parts, axis = given.all_shapes(-1), given.ints(len(given.inputs) - 1)
    if axis is None or len(axis) != 1 or any(p is None for p in parts) or len(set(len(p) for p in parts)) != 1:
        return None
    rank = len(parts[0])
    axis = _axis(axis[0], rank)
    if not 0 <= axis < rank:
        return None
    out = []
    for i in range(rank):
        dims = [p[i] for p in parts]
        if i == axis:
            out.append(-1 if any(d < 0 for d in dims) else sum(dims))
            continue
        known = set(d for d in dims if d >= 0)
        if len(known) > 1:
            return None
        out.append(known.pop() if known else -1)
    return out


def _pack(node, given):
    parts = given.all_shapes()
    if any(p is None for p in parts) or len(set(tuple(p) for p in parts)) != 1:
        return None
    axis = _axis(int(node.attr["axis"].i) if "axis" in node.attr else 0, len(parts[0]) + 1)
    return parts[0][:axis] + [len(parts)] + parts[0][axis:]


def _arg_reduced(node, given):
    shape, axis = given.shape(0), given.ints(1)
    if shape is None or axis is None or len(axis) != 1:
        return None
    axis = _axis(axis[0], len(shape))
    return [d for i, d in enumerate(shape) if i != axis] if 0 <= axis < len(shape) else None


def _pad(node, given):
    shape = given.shape(0)
    paddings = given.value(given.inputs[1][0]) if len(given.inputs) > 1 and given.inputs[1][1] == 0 else None
    if shape is None or paddings is None or np.shape(paddings) != (len(shape), 2):
        return None
    return [d + int(a) + int(b) if d >= 0 else -1 for d, (a, b) in zip(shape, np.asarray(paddings))]


def _gather(node, given):
    params, indices = given.shape(0), given.shape(1)
    axis = given.ints(2) if node.op == "GatherV2" else [0]
    if params is None or indices is None or axis is None or len(axis) != 1:
        return None
    axis = _axis(axis[0], len(params))
    return params[:axis] + indices + params[axis + 1:] if 0 <= axis < len(params) else None


def _shape_op(node, given):
    shape = given.shape(0)
    return [len(shape)] if shape is not None else [-1]


_RULES = {
    "MatMul": _matmul, "ExpandDims": _expand_dims, "Squeeze": _squeeze, "Transpose": _transpose,
    "ConcatV2": _concat, "Pack": _pack, "ArgMax": _arg_reduced, "ArgMin": _arg_reduced, "Pad": _pad,
    "GatherV2": _gather, "Gather": _gather, "Shape": _shape_op,
    "Size": lambda node, given: [], "Rank": lambda node, given: [],
    "Reshape": lambda node, given: _reshape(given.shape(0), given.ints(1)),
    "Fill": lambda node, given: given.ints(0),
}
_RULES.update((op, lambda node, given: given.shape(0)) for op in _SAME)
_RULES.update((op, lambda node, given: _broadcast(given.shape(0), given.shape(1))) for op in _BROADCAST)
_RULES.update((op, lambda node, given: _reduced(node, given.shape(0), given.ints(1))) for op in _REDUCTIONS)
_RULES.update((op, lambda node, given: _window(node, given.shape(0), given.shape(1))) for op in _WINDOWED)


def _computed(node, shapes, value):
    """Output 0's shape from the op's shape function, or None when it is not one of those known here."""
    if node.op == "Const":
        return _declared(node.attr["value"].tensor.tensor_shape)
    if node.op in _PLACEHOLDERS:
        return _declared(node.attr["shape"].shape) if "shape" in node.attr else None
    rule = _RULES.get(node.op)
    given = _Inputs(node, shapes, value)
    if rule is None or not given.inputs:
        return None
    return rule(node, given)


def infer_shapes(graph_def, value, skip=()):
    """dict (node name, 0) -> its output 0's shape (list, -1 unknown dims) or None, in graph order; a node's
    other outputs by their recorded shapes. ``value(name)``: a node's constant value (numpy) or None;
    ``skip``: names left unknown (a while loop's nodes)."""
    shapes = {}
    for node in graph_def.node:
        recorded = node.attr["_output_shapes"].list.shape if "_output_shapes" in node.attr else ()
        for port, proto in enumerate(recorded):
            if port:
                shapes[(node.name, port)] = _declared(proto)
        if node.name in skip:
            shapes[(node.name, 0)] = None
            continue
        try:
            computed = _computed(node, shapes, value)
        except (ValueError, TypeError, IndexError, KeyError):
            computed = None
        shapes[(node.name, 0)] = _merge(computed, _recorded(node))
    return shapes


def known_shapes(graph_def, value, skip=()):
    """Node name -> a zero-memory array of its output 0's shape, for each node whose shape is fully known
    (what the Shape, Size and Rank of it fold to)."""
    found = {}
    for (name, port), shape in infer_shapes(graph_def, value, skip).items():
        if port == 0 and shape is not None and all(d >= 0 for d in shape):
            found[name] = np.broadcast_to(np.zeros((), np.uint8), shape)
    return found
