"""Shape functions of TensorFlow's that need no graph walk (Conv2D, depthwise, Reshape and ConcatV2 of a Const)
and the helpers every rule of core/freeze/static_shapes.py shares. A shape is None or a tuple, -1 unknown."""

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


def _reshape(shapes, node):
    value = shapes._input(node, 0)
    found = shapes.const_values(node, 1)
    if found is None or found[1] != 1:
        return None
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
