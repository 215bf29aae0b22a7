"""TensorFlow's shape functions of the nn, math and control-flow ops (core/ops/nn_ops.cc, math_ops.cc,
control_flow_ops.cc, common_shape_fns.cc): FusedBatchNorm/V2/V3, MaxPool, AvgPool, the reductions (Sum, Mean,
Prod, Max, Min, All, Any), ArgMax, ArgMin, Select, Merge, LoopCond, Equal and NotEqual.

Each gives every output at most as specific as TensorFlow's function, and refuses only where it fails."""

from core.freeze.shape_rules import (_axis, _broadcast, _dim, _flag, _four_values, _ints, _merge_dim, _merge_shapes,
                                     _refuse, _scalar, _string, _text, _window, _with_rank)

_FAILS = " (TensorFlow's shape function refuses it on import)"
_REDUCTION_INDICES_VECTOR = 21  # from this GraphDef version on, a reduction's indices are a scalar or a vector


def _fused_batch_norm(shapes, node):
    count = 6 if node.op == "FusedBatchNormV3" else 5
    data_format = _string(node, "data_format", "NHWC")
    if data_format not in ("NHWC", "NCHW"):
        return [None] * count
    x = shapes._input(node, 0)
    _with_rank(node, 0, x, 4)
    at = 3 if data_format == "NHWC" else 1
    channels = _dim(x, at)
    training = _flag(node, "is_training") if "is_training" in node.attr else True
    for position in range(1, 3 if training else 5):
        vector = shapes._input(node, position)
        _with_rank(node, position, vector, 1)
        channels = _merge_dim(node, channels, _dim(vector, 0),
                              "its input has %%d channels (%s), input %d has %%d values" % (data_format, position)
                              + _FAILS)
    y = tuple(channels if index == at else _dim(x, index) for index in range(4))
    return [y] + [(channels,)] * 4 + [None] * (count - 5)


def _pool(shapes, node):
    x = shapes._input(node, 0)
    _with_rank(node, 0, x, 4)
    data_format = _string(node, "data_format", "NHWC")
    padding = _string(node, "padding", "")
    kernel, strides = _ints(node, "ksize") or [], _ints(node, "strides") or []
    _four_values(node, "stride", strides)
    _four_values(node, "ksize", kernel)
    if data_format not in ("NHWC", "NCHW") or padding not in ("SAME", "VALID") or len(kernel) != 4 or \
            len(strides) != 4:
        return None
    at = (1, 2, 3) if data_format == "NHWC" else (2, 3, 1)  # rows, cols, depth
    rows, cols = (_window(_dim(x, i), kernel[i], strides[i], 1, padding) for i in at[:2])
    depth = _dim(x, at[2]) if kernel[at[2]] == 1 and strides[at[2]] == 1 else -1
    if data_format == "NHWC":
        return (_dim(x, 0), rows, cols, depth)
    return (_dim(x, 0), depth, rows, cols)


def _reduction(shapes, node):
    value, indices_shape = shapes._input(node, 0), shapes._input(node, 1)
    if shapes.producer is not None and shapes.producer >= _REDUCTION_INDICES_VECTOR and indices_shape is not None \
            and len(indices_shape) > 1:
        _refuse(node, "its reduction indices have shape %s, of rank above 1" % _text(indices_shape) + _FAILS)
    keep = _flag(node, "keep_dims")
    found = shapes.const_values(node, 1)
    if found is None or found[1] > 1 or value is None:
        return (-1,) * len(value) if keep and value is not None else None
    rank = len(value)
    reduced = set(_axis(node, index, rank, "reduction dimension") for index in found[0])
    return tuple(1 if i in reduced else d for i, d in enumerate(value) if keep or i not in reduced)


def _arg(shapes, node):
    _with_rank(node, 1, shapes._input(node, 1), 0)
    value = shapes._input(node, 0)
    if value is None:
        return None
    if len(value) <= 1:
        return ()
    axis = _scalar(shapes, node, 1)
    if axis is None:
        return (-1,) * (len(value) - 1)
    axis = _axis(node, axis, len(value), "dimension")
    return value[:axis] + value[axis + 1:]


def _select(shapes, node):
    condition = shapes._input(node, 0)
    data = _merge_shapes(node, shapes._input(node, 1), shapes._input(node, 2),
                         "its two branches have shapes %s and %s" + _FAILS)
    if condition is None or data is None or not condition:
        return data
    if len(condition) != 1 or not data:
        return _merge_shapes(node, data, condition, "its branches' shape %s differs from its condition's %s" + _FAILS)
    _merge_dim(node, condition[0], data[0], "its condition has %d elements, its branches' first dim is %d" + _FAILS)
    return data


def _merge(shapes, node):
    found = [shapes._input(node, p) for p in range(shapes.input_count(node))]
    out = found[0] if found else None
    for shape in found[1:]:
        if out is None or shape is None or len(shape) != len(out):
            out = None
            break
        out = tuple(a if a == b else -1 for a, b in zip(out, shape))
    return [out, ()]


def _loop_cond(shapes, node):
    _with_rank(node, 0, shapes._input(node, 0), 0)
    return ()


def _equal(shapes, node):
    if "incompatible_shape_error" in node.attr and not node.attr["incompatible_shape_error"].b:
        return None
    return _broadcast(shapes, node)


NN_RULES = {"FusedBatchNorm": _fused_batch_norm, "FusedBatchNormV2": _fused_batch_norm,
            "FusedBatchNormV3": _fused_batch_norm, "MaxPool": _pool, "AvgPool": _pool, "ArgMax": _arg,
            "ArgMin": _arg, "Select": _select, "Merge": _merge, "LoopCond": _loop_cond, "Equal": _equal,
            "NotEqual": _equal}
NN_RULES.update((op, _reduction) for op in ("Sum", "Mean", "Prod", "Max", "Min", "All", "Any"))
