"""Shape functions of TensorFlow's (MatMul, BatchMatMul, BiasAdd, broadcasting ops, Conv2D, depthwise, Reshape
and ConcatV2 of a Const) and the helpers every rule of core/freeze/shape_rules_*.py shares. A rule takes the
StaticShapes and the NodeDef and gives output 0's shape, or a list of every output's; a shape is None or a
tuple, -1 unknown."""

from core.formats import dtypes

_GROUPED_CONV = "1.15"  # from this release on Conv2D takes an input depth that is a multiple of the filter's


class ShapeRefusal(Exception):
    """(node name, op, rule): a shape function TensorFlow runs on import fails."""


def _text(shape):
    return "unknown" if shape is None else "[%s]" % ",".join("?" if d < 0 else str(d) for d in shape)


def _refuse(node, rule):
    raise ShapeRefusal(node.name, node.op, rule)


def _flag(node, key):
    return key in node.attr and bool(node.attr[key].b)


def _string(node, key, default):
    return node.attr[key].s.decode("utf-8", "replace") if key in node.attr else default


def _with_rank(node, position, shape, rank, at_least=False):
    if shape is None:
        return
    if (len(shape) < rank) if at_least else (len(shape) != rank):
        _refuse(node, "input %d has shape %s, %s needs rank %s%d" % (position, _text(shape), node.op,
                                                                    "at least " if at_least else "", rank))


def _dim(shape, index):
    """Dim ``index`` (negative from the end) of a shape, -1 when unknown."""
    if shape is None or not -len(shape) <= index < len(shape):
        return -1
    return shape[index]


def _merge_dim(node, first, second, what):
    if first >= 0 and second >= 0 and first != second:
        _refuse(node, what % (first, second))
    return first if first >= 0 else second


def _merge_shapes(node, first, second, what):
    """TensorFlow's Merge of two shapes; refuses incompatible ones (``what`` % (first, second) says which)."""
    if first is None:
        return second
    if second is None:
        return first
    if len(first) != len(second) or any(a >= 0 and b >= 0 and a != b for a, b in zip(first, second)):
        _refuse(node, what % (_text(first), _text(second)))
    return tuple(a if a >= 0 else b for a, b in zip(first, second))


def _scalar(shapes, node, position):
    """The value of a scalar int Const read at input ``position``, else None."""
    found = shapes.const_values(node, position)
    return found[0][0] if found is not None and found[1] == 0 else None


def _vector(shapes, node, position):
    """The values of a 1-D int Const read at input ``position``, else None."""
    found = shapes.const_values(node, position)
    return found[0] if found is not None and found[1] == 1 else None


def _int(node, key, default):
    return int(node.attr[key].i) if key in node.attr else default


def _shape_from_tensor(shapes, node, position):
    """MakeShapeFromShapeTensor: a 1-D Const's values as dims (-1 unknown), else as many unknown dims as the
    tensor's shape says, else None."""
    values = _vector(shapes, node, position)
    if values is not None:
        return None if any(v < -1 for v in values) else tuple(values)
    shape = shapes._input(node, position)
    if shape is not None and len(shape) == 1 and shape[0] >= 0:
        return (-1,) * shape[0]
    return None


def _axis(node, axis, rank, what="axis"):
    """``axis`` in [-rank, rank) made positive; refused outside it."""
    if axis < -rank or axis >= rank:
        _refuse(node, "%s %d is outside [%d, %d) for its input of rank %d (TensorFlow's shape function refuses it on "
                      "import)" % (what, axis, -rank, rank, rank))
    return axis + rank if axis < 0 else axis


def _ints(node, key):
    return list(node.attr[key].list.i) if key in node.attr else None


def _window(size, kernel, stride, dilation, padding):
    if size < 0 or kernel < 0 or stride <= 0 or dilation < 1:
        return -1
    if padding == "SAME":
        return (size + stride - 1) // stride
    if padding == "VALID":
        out = (size - ((kernel - 1) * dilation + 1) + stride) // stride
        return out if out >= 0 else -1
    return -1


def _conv(shapes, node):
    value, filters = shapes._input(node, 0), shapes._input(node, 1)
    data_format = _string(node, "data_format", "NHWC")
    if data_format not in ("NHWC", "NCHW"):
        return None
    _with_rank(node, 0, value, 4)
    _with_rank(node, 1, filters, 4)
    channel = 3 if data_format == "NHWC" else 1
    depth, filter_depth = _dim(value, channel), _dim(filters, 2)
    depthwise = node.op == "DepthwiseConv2dNative"
    if depth >= 0 and filter_depth >= 0:
        if depthwise or not shapes.grouped_conv:
            if depth != filter_depth:
                _refuse(node, "its input has %d channels (%s), its filter of shape %s takes %d (TensorFlow's shape "
                              "function refuses it on import)" % (depth, data_format, _text(filters), filter_depth))
        elif filter_depth == 0 or depth % filter_depth:
            _refuse(node, "its input has %d channels (%s), not a multiple of the %d its filter of shape %s takes "
                          "(TensorFlow's shape function refuses it on import)"
                    % (depth, data_format, filter_depth, _text(filters)))
    strides, dilations = _ints(node, "strides") or [], _ints(node, "dilations") or [1, 1, 1, 1]
    _four_values(node, "stride", strides)
    _four_values(node, "dilation", dilations)
    padding = node.attr["padding"].s.decode("ascii", "replace") if "padding" in node.attr else ""
    rows_at, cols_at = (1, 2) if data_format == "NHWC" else (2, 3)
    if len(strides) != 4 or len(dilations) != 4 or (depthwise and dilations != [1, 1, 1, 1]):
        rows = cols = -1
    else:
        rows = _window(_dim(value, rows_at), _dim(filters, 0), strides[rows_at], dilations[rows_at], padding)
        cols = _window(_dim(value, cols_at), _dim(filters, 1), strides[cols_at], dilations[cols_at], padding)
    if depthwise:
        multiplier = _dim(filters, 3)
        known = depth if depth >= 0 else filter_depth
        out_depth = known * multiplier if known >= 0 and multiplier >= 0 else -1
    else:
        out_depth = _dim(filters, 3)
    batch = _dim(value, 0)
    if data_format == "NHWC":
        return (batch, rows, cols, out_depth)
    return (batch, out_depth, rows, cols)


def _four_values(node, what, values):
    """Conv2D's and the pools' shape functions need 4 values in strides, dilations and ksize, whatever the
    input shapes are ("... requires the stride attribute to contain 4 values, but got: 0")."""
    if len(values) != 4:
        _refuse(node, "its %s attr holds %d value(s), TensorFlow's shape function needs 4 (it refuses it on import)"
                % (what, len(values)))


def _reshape(shapes, node):
    value = shapes._input(node, 0)
    found = shapes.const_values(node, 1)
    if found is None or found[1] != 1:
        shape = shapes._input(node, 1)  # a computed shape of k values: k unknown dims (MakeShapeFromShapeTensor)
        return (-1,) * shape[0] if found is None and shape is not None and len(shape) == 1 and shape[0] >= 0 else None
    target = found[0]
    if any(d < -1 for d in target):
        return None
    wildcards = target.count(-1)
    known_input = value is not None and all(d >= 0 for d in value)
    count = dtypes.element_count(value) if known_input else None
    if wildcards == 0:
        if count is not None and count != dtypes.element_count(target):
            _refuse(node, "it reshapes a tensor of shape %s (%d elements) to %s (%d elements) (TensorFlow's shape "
                          "function refuses it on import)" % (_text(value), count, _text(target),
                                                              dtypes.element_count(target)))
        return tuple(target)
    if wildcards == 1 and count is not None:
        known = dtypes.element_count([d for d in target if d != -1])
        if known > 0:
            if count % known:
                _refuse(node, "it reshapes a tensor of shape %s (%d elements) to %s, and %d is not a multiple of %d "
                              "(TensorFlow's shape function refuses it on import)"
                        % (_text(value), count, _text(target), count, known))
            return tuple(count // known if d == -1 else d for d in target)
    return tuple(target)


def _concat(shapes, node):
    inputs = [t for t in node.input if t[:1] != "^"]
    if len(inputs) < 2:
        return None
    if node.op == "ConcatV2":
        axis_at, values = len(inputs) - 1, range(len(inputs) - 1)
    else:
        axis_at, values = 0, range(1, len(inputs))
    found = shapes.const_values(node, axis_at)
    if found is None or found[1] != 0 or not found[0]:
        return None
    axis = found[0][0]
    minimum = -axis if axis < 0 else axis + 1
    known = []
    for position in values:
        shape = shapes._input(node, position)
        if shape is None:
            continue
        if len(shape) < minimum:
            _refuse(node, "input %d has shape %s, too few dimensions to concatenate on axis %d (TensorFlow's shape "
                          "function refuses it on import)" % (position, _text(shape), axis))
        if known and len(shape) != len(known[0][1]):
            _refuse(node, "inputs %d and %d have shapes %s and %s, of different ranks (TensorFlow's shape function "
                          "refuses it on import)" % (known[0][0], position, _text(known[0][1]), _text(shape)))
        known.append((position, shape))
    if not known:
        return None
    rank = len(known[0][1])
    at = axis % rank
    out = list(known[0][1])
    for position, shape in known[1:]:
        for index in range(rank):
            if index == at:
                continue
            out[index] = _merge_dim(node, out[index], shape[index],
                                    "its inputs differ on dimension %d, which it does not concatenate (%%d and %%d; "
                                    "TensorFlow's shape function refuses it on import)" % index)
    if len(known) == len(values) and all(s[at] >= 0 for _, s in known):
        out[at] = sum(s[at] for _, s in known)
    else:
        out[at] = -1
    return tuple(out)


def _matmul(shapes, node):
    a, b = shapes._input(node, 0), shapes._input(node, 1)
    if node.op == "MatMul":
        _with_rank(node, 0, a, 2)
        _with_rank(node, 1, b, 2)
        flip_a, flip_b, names = _flag(node, "transpose_a"), _flag(node, "transpose_b"), ("transpose_a", "transpose_b")
    else:
        _with_rank(node, 0, a, 2, at_least=True)
        _with_rank(node, 1, b, 2, at_least=True)
        flip_a, flip_b, names = _flag(node, "adj_x"), _flag(node, "adj_y"), ("adj_x", "adj_y")
    inner_a = _dim(a, -2 if flip_a else -1)
    inner_b = _dim(b, -1 if flip_b else -2)
    if inner_a >= 0 and inner_b >= 0 and inner_a != inner_b:
        _refuse(node, "its inputs have shapes %s and %s; with %s=%s and %s=%s the inner dimensions %d and %d "
                      "differ (TensorFlow's shape function refuses it on import)"
                % (_text(a), _text(b), names[0], str(flip_a).lower(), names[1], str(flip_b).lower(),
                   inner_a, inner_b))
    rows, cols = _dim(a, -1 if flip_a else -2), _dim(b, -2 if flip_b else -1)
    if node.op == "MatMul":
        return (rows, cols)
    if a is None or b is None:
        return None
    batch_a, batch_b = a[:-2], b[:-2]
    if node.op == "BatchMatMul":
        if len(batch_a) != len(batch_b):
            return None
        batch = tuple(x if x == y else -1 for x, y in zip(batch_a, batch_b))
    else:
        batch = _broadcast_dims(batch_a, batch_b)
        if batch is None:
            return None
    return batch + (rows, cols)


def _broadcast_dims(a, b):
    """Broadcast of two known-rank dim tuples without refusing (None where they conflict)."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y:
            out.append(x)
        elif x == 1:
            out.append(y if y >= 0 else -1)
        elif y == 1:
            out.append(x if x >= 0 else -1)
        elif x < 0 or y < 0:
            out.append(-1)
        else:
            return None
    return tuple(out)


def _broadcast(shapes, node):
    a, b = shapes._input(node, 0), shapes._input(node, 1)
    if a is None or b is None:
        return None
    rank = max(len(a), len(b))
    padded_a, padded_b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    for x, y in zip(padded_a, padded_b):
        if x >= 0 and y >= 0 and x != y and x != 1 and y != 1:
            _refuse(node, "its inputs have shapes %s and %s, which do not broadcast (%d against %d; TensorFlow's "
                          "shape function refuses it on import)" % (_text(a), _text(b), x, y))
    return _broadcast_dims(a, b)


def _bias_add(shapes, node):
    value, bias = shapes._input(node, 0), shapes._input(node, 1)
    nchw = node.op == "BiasAdd" and _string(node, "data_format", "NHWC") == "NCHW"
    _with_rank(node, 0, value, 3 if nchw else 2, at_least=True)
    _with_rank(node, 1, bias, 1)
    if value is None:
        return None
    if nchw and len(value) != 4:  # TF 1.x merges dim -3, TF 2.x dim 1: they agree at rank 4 only
        return None
    index = 1 if nchw else len(value) - 1
    channels = _merge_dim(node, value[index], _dim(bias, 0),
                          "its value has %%d channels (%s), its bias %%d values (TensorFlow's shape function "
                          "refuses it on import)" % ("dim 1, data_format NCHW" if nchw else "last dim"))
    return value[:index] + (channels,) + value[index + 1:]
