"""TensorFlow ops with an exact numpy equivalent: the only ones constant folding evaluates.

Exact means bit-identical to TensorFlow's CPU kernels: IEEE elementwise arithmetic (+ - * / sqrt) in the
op's own dtype, comparisons, casts, and ops that only move or describe values (shapes, slices, concat).
Float reductions, transcendental functions and Rsqrt are left out (their rounding is the kernel's own).
"""

import numpy as np

_BINARY = {"Add": np.add, "AddV2": np.add, "Sub": np.subtract, "Mul": np.multiply, "RealDiv": np.divide,
           "Maximum": np.maximum, "Minimum": np.minimum, "Less": np.less, "LessEqual": np.less_equal,
           "Greater": np.greater, "GreaterEqual": np.greater_equal, "Equal": np.equal, "NotEqual": np.not_equal,
           "LogicalAnd": np.logical_and, "LogicalOr": np.logical_or, "SquaredDifference": None}
_UNARY = {"Neg": np.negative, "Abs": np.abs, "Sqrt": np.sqrt, "Square": np.square, "LogicalNot": np.logical_not,
          "Floor": np.floor, "Ceil": np.ceil, "Sign": np.sign}
_INT_ONLY = {"FloorDiv": np.floor_divide, "FloorMod": np.mod, "Sum": None, "Prod": None}


def _reduce(function, values, attrs):
    data, axes = values
    axes = tuple(int(a) % max(1, data.ndim) for a in np.atleast_1d(axes))
    return function(data, axis=axes, keepdims=bool(attrs.get("keep_dims"))).astype(data.dtype)


def _strided_slice(values, attrs):
    data, begin, end, strides = values
    index = []
    dim = 0
    masks = dict((k, int(attrs.get(k, 0))) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                                     "shrink_axis_mask"))
    if masks["ellipsis_mask"] or masks["new_axis_mask"]:
        return None
    for i in range(len(begin)):
        bit = 1 << i
        if masks["shrink_axis_mask"] & bit:
            index.append(int(begin[i]))
        else:
            start = None if masks["begin_mask"] & bit else int(begin[i])
            stop = None if masks["end_mask"] & bit else int(end[i])
            index.append(slice(start, stop, int(strides[i])))
        dim += 1
    return data[tuple(index)]


def _gather(values, attrs):
    params, indices = values[:2]
    axis = int(values[2]) if len(values) > 2 else 0
    return np.take(params, indices, axis=axis)


def _concat(values, attrs):
    return np.concatenate(values[:-1], axis=int(values[-1]))


def _shape_of(values, attrs, kind):
    data = values[0]
    out = np.int64 if attrs.get("out_type") == 9 else np.int32
    return {"Shape": np.array(data.shape, dtype=out), "Size": np.array(data.size, dtype=out),
            "Rank": np.array(data.ndim, dtype=np.int32)}[kind]


_STRUCTURAL = {
    "Reshape": lambda v, a: v[0].reshape([int(d) for d in np.atleast_1d(v[1])]),
    "ExpandDims": lambda v, a: np.expand_dims(v[0], int(v[1])),
    "Transpose": lambda v, a: np.transpose(v[0], [int(d) for d in v[1]]),
    "ConcatV2": _concat,
    "Pack": lambda v, a: np.stack(v, axis=int(a.get("axis", 0))),
    "Fill": lambda v, a: np.full([int(d) for d in np.atleast_1d(v[0])], v[1], dtype=v[1].dtype),
    "Range": lambda v, a: np.arange(v[0], v[1], v[2]).astype(np.result_type(v[0], v[1], v[2])),
    "StridedSlice": _strided_slice,
    "Slice": lambda v, a: v[0][tuple(slice(int(b), None if int(s) < 0 else int(b) + int(s))
                                     for b, s in zip(v[1], v[2]))],
    "GatherV2": _gather,
    "Gather": _gather,
    "ZerosLike": lambda v, a: np.zeros_like(v[0]),
    "OnesLike": lambda v, a: np.ones_like(v[0]),
    "Tile": lambda v, a: np.tile(v[0], [int(d) for d in v[1]]),
}

FOLDABLE = frozenset(list(_BINARY) + list(_UNARY) + list(_INT_ONLY) + list(_STRUCTURAL) +
                     ["Cast", "Shape", "Size", "Rank", "Squeeze"])


def _squeeze(data, attrs):
    dims = attrs.get("squeeze_dims") or []
    return np.squeeze(data, axis=tuple(int(d) for d in dims)) if dims else np.squeeze(data)


def evaluate(op, values, attrs, out_type=None):
    """The value of ``op`` on numpy ``values``, or None when no exact numpy equivalent applies.

    Args:
        attrs: the node's attrs as plain Python values (ints, bools, lists).
        out_type: the numpy type of the result (Cast's DstT).
    """
    if op in _BINARY:
        a, b = values
        if a.dtype != b.dtype:
            return None
        if op == "SquaredDifference":
            return np.square(a - b)
        return _BINARY[op](a, b)
    if op in _UNARY:
        return _UNARY[op](values[0])
    if op in _INT_ONLY:
        if values[0].dtype.kind not in "iu":
            return None
        if op in ("Sum", "Prod"):
            return _reduce(np.sum if op == "Sum" else np.prod, values, attrs)
        return _INT_ONLY[op](values[0], values[1])
    if op == "Cast":
        if out_type is None or (values[0].dtype.kind == "f" and np.dtype(out_type).kind in "iub"):
            return None  # float -> int saturation differs between numpy and TF
        return values[0].astype(out_type)
    if op in ("Shape", "Size", "Rank"):
        return _shape_of(values, attrs, op)
    if op == "Squeeze":
        return _squeeze(values[0], attrs)
    if op in _STRUCTURAL:
        return _STRUCTURAL[op](values, attrs)
    return None
