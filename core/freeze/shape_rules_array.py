"""TensorFlow's shape functions of the array ops (core/ops/array_ops.cc, data_flow_ops.cc, math_ops.cc's Range,
random_ops.cc): Gather, GatherV2, DynamicStitch, DynamicPartition, Shape, Size, Rank, Split, SplitV, Unpack, Pack,
ExpandDims, Squeeze, Transpose, Slice, StridedSlice (of Consts), Tile, Fill, Pad, Where, Unique, OneHot, Range, the random ops,
TensorArrayV3 and the scalar flows of TensorArrayWriteV3, ScatterV3 and SizeV3.

Each gives every output at most as specific as TensorFlow's function (an unknown input, dim, or an attr input
that is no Const: unknown), and refuses only where that function fails."""

from core.freeze.shape_rules import (_axis, _dim, _int, _merge_shapes, _refuse, _scalar, _shape_from_tensor, _text,
                                     _vector, _with_rank)

_FAILS = " (TensorFlow's shape function refuses it on import)"


def _prefix(node, data, indices, what):
    """MergePrefix(data, indices): data's shape starts with indices'; the dims after it (None: unknown)."""
    if data is None or indices is None:
        return None
    if len(data) < len(indices) or any(a >= 0 and b >= 0 and a != b for a, b in zip(data, indices)):
        _refuse(node, "%s has shape %s, which does not start with %s" % (what, _text(data), _text(indices)) + _FAILS)
    return data[len(indices):]


def _gather(shapes, node):
    params, indices = shapes._input(node, 0), shapes._input(node, 1)
    _with_rank(node, 0, params, 1, at_least=True)
    if params is None or indices is None:
        return None
    return indices + params[1:]


def _gather_v2(shapes, node):
    params, indices = shapes._input(node, 0), shapes._input(node, 1)
    _with_rank(node, 0, params, 1, at_least=True)
    _with_rank(node, 2, shapes._input(node, 2), 0)
    axis = _scalar(shapes, node, 2)
    if params is None or _int(node, "batch_dims", 0) != 0:
        return None
    if axis is None:  # params' rank + indices' - 1 (TF 1.4 and 2.x alike)
        return None if indices is None else (-1,) * (len(params) + len(indices) - 1)
    _axis(node, axis, len(params))
    if indices is None:
        return None
    axis = axis % len(params)
    return params[:axis] + indices + params[axis + 1:]


def _dynamic_stitch(shapes, node):
    count = _int(node, "N", 0)
    extra = None
    for number in range(count):
        indices = shapes._input(node, number)
        if indices is None:
            continue
        rest = _prefix(node, shapes._input(node, count + number), indices,
                       "data %d" % number)
        extra = _merge_shapes(node, extra, rest, "its data inputs give the dims after their indices' as %s and %s"
                              + _FAILS)
    return None if extra is None else (-1,) + extra


def _dynamic_partition(shapes, node):
    count = _int(node, "num_partitions", 1)
    data, partitions = shapes._input(node, 0), shapes._input(node, 1)
    if partitions is None:
        return [None] * count
    rest = _prefix(node, data, partitions, "its data")
    return [None if rest is None else (-1,) + rest] * count


def _shape(shapes, node):
    count = _int(node, "N", 1) if node.op == "ShapeN" else 1
    found = [shapes._input(node, number) for number in range(count)]
    return [(-1,) if shape is None else (len(shape),) for shape in found]


def _scalar_out(shapes, node):
    return ()


def _split_axis(shapes, node, position, rank):
    """MakeDimForScalarInputWithNegativeIndexing: the split axis, None when unknown."""
    axis = _scalar(shapes, node, position)
    if axis is None or rank is None:
        return None
    return _axis(node, axis, rank, "split dimension")


def _split(shapes, node):
    count = _int(node, "num_split", 1)
    value = shapes._input(node, 1)
    axis = _split_axis(shapes, node, 0, None if value is None else len(value))
    if axis is None:
        return [None if value is None else (-1,) * len(value)] * count
    size = value[axis]
    if size >= 0 and size % count:
        _refuse(node, "it splits dimension %d of %s, of size %d, into %d parts" % (axis, _text(value), size, count)
                + _FAILS)
    return [value[:axis] + (size // count if size >= 0 else -1,) + value[axis + 1:]] * count


def _split_v(shapes, node):
    count = _int(node, "num_split", 1)
    value = shapes._input(node, 0)
    if value is None:
        return [None] * count
    if not value:
        _refuse(node, "its input is a scalar, which it cannot split" + _FAILS)
    axis = _split_axis(shapes, node, 2, len(value))
    sizes = _vector(shapes, node, 1)
    if axis is None or sizes is None or any(s < -1 for s in sizes):
        if axis is not None:
            return [value[:axis] + (-1,) + value[axis + 1:]] * count
        return [(-1,) * len(value)] * count
    if len(sizes) != count or sizes.count(-1) > 1:
        _refuse(node, "its size_splits %s are not %d sizes with at most one -1" % (sizes, count) + _FAILS)
    total, size = sum(s for s in sizes if s != -1), value[axis]
    if size >= 0 and (total > size if -1 in sizes else total != size):
        _refuse(node, "it cannot split dimension %d of %s, of size %d, into sizes %s" % (axis, _text(value), size,
                                                                                       sizes) + _FAILS)
    rest = size - total if size >= 0 and shapes.tf2 else -1  # TF 1.4 leaves the -1 piece unknown
    return [value[:axis] + (rest if s == -1 else s,) + value[axis + 1:] for s in sizes]


def _unpack(shapes, node):
    count = _int(node, "num", 0)
    value = shapes._input(node, 0)
    if value is None:
        return [None] * count
    axis = _axis(node, _int(node, "axis", 0), len(value))
    if value[axis] >= 0 and value[axis] != count:
        _refuse(node, "it unpacks dimension %d of %s into %d outputs" % (axis, _text(value), count) + _FAILS)
    return [value[:axis] + value[axis + 1:]] * count


def _pack(shapes, node):
    count = shapes.input_count(node)
    merged = None
    for number in reversed(range(count)):
        merged = _merge_shapes(node, shapes._input(node, number), merged,
                               "its inputs have shapes %s and %s, which it cannot stack" + _FAILS)
    if merged is None:
        return None
    axis = _axis(node, _int(node, "axis", 0), len(merged) + 1)
    return merged[:axis] + (count,) + merged[axis:]


def _expand_dims(shapes, node):
    value = shapes._input(node, 0)
    found = shapes.const_values(node, 1)
    if found is not None and len(found[0]) != 1:
        _refuse(node, "its dim input holds %d values, not one" % len(found[0]) + _FAILS)
    if found is None or value is None:
        return None
    axis = _axis(node, found[0][0], len(value) + 1, "dim")
    return value[:axis] + (1,) + value[axis:]


def _squeeze(shapes, node):
    value = shapes._input(node, 0)
    if value is None:
        return None
    squeezed = [_axis(node, int(d), len(value), "squeeze dim") for d in
                (node.attr["squeeze_dims"].list.i if "squeeze_dims" in node.attr else ())]
    out = []
    for index, size in enumerate(value):
        named = index in squeezed
        if size < 0:
            if named:
                continue
            if not squeezed:
                return None
        elif size == 1:
            if named or not squeezed:
                continue
        elif named:
            _refuse(node, "it squeezes dim %d of %s, which is not 1" % (index, _text(value)) + _FAILS)
        out.append(size)
    return tuple(out)


def _transpose(shapes, node):
    value, perm_shape = shapes._input(node, 0), shapes._input(node, 1)
    perm = _vector(shapes, node, 1)
    if value is not None:
        rank = len(value)
    elif perm_shape is not None and len(perm_shape) == 1 and perm_shape[0] >= 0:
        rank = perm_shape[0]
    elif perm is not None:
        rank = len(perm)
    else:
        return None
    if value is None and rank < 2:
        return None  # TF 2.x passes the input on (a scalar or a vector); TF 1.4 gives that rank
    _with_rank(node, 1, perm_shape, 1)
    if perm_shape is not None and perm_shape[0] >= 0 and perm_shape[0] != rank:
        _refuse(node, "its perm has %d elements for an input of rank %d" % (perm_shape[0], rank) + _FAILS)
    if perm is None:
        return (-1,) * rank
    if any(i >= rank for i in perm):
        _refuse(node, "its perm %s names a dim outside its input's rank %d" % (perm, rank) + _FAILS)
    return tuple(_dim(value, i) if i >= 0 else -1 for i in perm)


def _slice(shapes, node):
    value = shapes._input(node, 0)
    begin_shape, size_shape = shapes._input(node, 1), shapes._input(node, 2)
    _with_rank(node, 1, begin_shape, 1)
    _with_rank(node, 2, size_shape, 1)
    spec = _merge_shapes(node, begin_shape, size_shape, "its begin and size have shapes %s and %s" + _FAILS)
    rank = spec[0] if spec is not None and spec[0] >= 0 else None
    if rank is not None and value is not None and len(value) != rank:
        _with_rank(node, 0, value, rank)
    sizes = _vector(shapes, node, 2)
    if sizes is None:
        if value is not None:
            return (-1,) * len(value)
        return None if rank is None else (-1,) * rank
    begins = _vector(shapes, node, 1) or [-1] * len(sizes)
    return tuple(s if s >= 0 else _to_end(_dim(value, i), begins[i] if i < len(begins) else -1) if s == -1 else -1
                 for i, s in enumerate(sizes))


def _to_end(size, begin):
    """A slice's size -1: to the end of the dim (its size less begin; TensorFlow refuses a negative one)."""
    return size - begin if size >= 0 and 0 <= begin <= size else -1


def _tile(shapes, node):
    value, multiples_shape = shapes._input(node, 0), shapes._input(node, 1)
    multiples = _shape_from_tensor(shapes, node, 1)
    if value is not None:
        if multiples is not None and len(multiples) != len(value):
            _refuse(node, "its multiples have %d elements for an input of rank %d" % (len(multiples), len(value))
                    + _FAILS)
        if multiples_shape is not None and (len(multiples_shape) != 1 or multiples_shape[0] not in (-1, len(value))):
            _refuse(node, "its multiples have shape %s for an input of rank %d" % (_text(multiples_shape), len(value))
                    + _FAILS)
        if multiples is None:
            multiples = (-1,) * len(value)
    if multiples is None:
        return None
    value = value if value is not None else (-1,) * len(multiples)
    return tuple(_times(a, b) for a, b in zip(value, multiples))


def _times(first, second):
    """InferenceContext::Multiply of two dims."""
    if first == 0 or second == 0:
        return 0
    if first == 1:
        return second
    if second == 1:
        return first
    return first * second if first >= 0 and second >= 0 else -1


def _fill(shapes, node):
    _with_rank(node, 0, shapes._input(node, 0), 1)
    _with_rank(node, 1, shapes._input(node, 1), 0)
    dims = _vector(shapes, node, 0)
    if dims is not None:
        return tuple(d if d >= 0 else -1 for d in dims)
    return _shape_from_tensor(shapes, node, 0)


def _pad(shapes, node):
    value, paddings_shape = shapes._input(node, 0), shapes._input(node, 1)
    _with_rank(node, 1, paddings_shape, 2)
    if paddings_shape is not None and paddings_shape[1] not in (-1, 2):
        _refuse(node, "its paddings have shape %s, not [n,2]" % _text(paddings_shape) + _FAILS)
    rank = paddings_shape[0] if paddings_shape is not None and paddings_shape[0] >= 0 else None
    if rank is not None:
        _with_rank(node, 0, value, rank)
    elif value is not None:
        rank = len(value)
    found = shapes.const_values(node, 1)
    if found is None or found[1] != 2 or rank is None or len(found[0]) != 2 * rank:
        return None if rank is None else (-1,) * rank
    pads = found[0]
    value = value if value is not None else (-1,) * rank
    return tuple(d + pads[2 * i] + pads[2 * i + 1] if d >= 0 and pads[2 * i] >= 0 and pads[2 * i + 1] >= 0 else -1
                 for i, d in enumerate(value))


def _where(shapes, node):
    if shapes.input_count(node) != 1:
        return None
    value = shapes._input(node, 0)
    return (-1, -1 if value is None else len(value))


def _unique(shapes, node):
    value = shapes._input(node, 0)
    if shapes.tf2:  # TF 1.4's function takes any rank
        _with_rank(node, 0, value, 1)
    return [(-1,), value]


def _one_hot(shapes, node):
    axis = _int(node, "axis", -1)
    if axis < -1:
        _refuse(node, "its axis is %d, below -1" % axis + _FAILS)
    indices = shapes._input(node, 0)
    if indices is None or axis >= len(indices) + 1:
        return None
    at = axis if axis >= 0 else len(indices)
    depth = _scalar(shapes, node, 1)
    return indices[:at] + (depth if depth is not None and depth >= 0 else -1,) + indices[at:]


def _range(shapes, node):
    for position in range(3):
        _with_rank(node, position, shapes._input(node, position), 0)
    start, limit, delta = (_scalar(shapes, node, p) for p in range(3))
    if start is None or limit is None or delta is None:
        return (-1,)
    if (start > limit and delta > 0) or (start < limit and delta < 0) or delta == 0:
        _refuse(node, "it counts from %d to %d by %d" % (start, limit, delta) + _FAILS)
    return ((abs(limit - start) + abs(delta) - 1) // abs(delta),)


def _tensor_array(shapes, node):
    _with_rank(node, 0, shapes._input(node, 0), 0)
    return [(2,), ()]  # the handle, the flow


def _random(shapes, node):
    return _shape_from_tensor(shapes, node, 0)


def _strided_slice(shapes, node):
    """ValidateStridedSliceOp for Const begin, end and strides without ellipsis or new axes (else unknown)."""
    value = shapes._input(node, 0)
    begin, end, strides = (_vector(shapes, node, p) for p in (1, 2, 3))
    if begin is None or end is None or strides is None:
        return None
    if not len(begin) == len(end) == len(strides):
        _refuse(node, "its begin, end and strides have %d, %d and %d elements" % (len(begin), len(end), len(strides))
                + _FAILS)
    if value is None or len(strides) > len(value) or 0 in strides or _int(node, "ellipsis_mask", 0) or \
            _int(node, "new_axis_mask", 0):
        return None
    masks = [_int(node, key, 0) for key in ("begin_mask", "end_mask", "shrink_axis_mask")]
    out = []
    for index, size in enumerate(value):
        if index >= len(strides):
            out.append(size)
            continue
        bit = 1 << index
        if masks[2] & bit:
            continue
        out.append(_slice_size(size, begin[index], end[index], strides[index], masks[0] & bit, masks[1] & bit))
    return tuple(out)


def _slice_size(size, begin, end, stride, begin_masked, end_masked):
    """One dim of a strided slice: TensorFlow's canonical begin and end, clamped, then the count of steps."""
    if size < 0:
        return -1
    low, high = (0, size) if stride > 0 else (-1, size - 1)

    def canonical(index, masked, is_end):
        if masked:
            return (high if is_end else low) if stride > 0 else (low if is_end else high)
        index = index + size if index < 0 else index
        return min(max(index, low), high)
    interval = canonical(end, end_masked, True) - canonical(begin, begin_masked, False)
    if interval == 0 or (interval < 0) != (stride < 0):
        return 0
    return (abs(interval) + abs(stride) - 1) // abs(stride)


ARRAY_RULES = {
    "Gather": _gather, "GatherV2": _gather_v2, "DynamicStitch": _dynamic_stitch,
    "ParallelDynamicStitch": _dynamic_stitch, "DynamicPartition": _dynamic_partition, "Shape": _shape,
    "ShapeN": _shape, "Size": _scalar_out, "Rank": _scalar_out, "Split": _split, "SplitV": _split_v,
    "Unpack": _unpack, "Pack": _pack, "ExpandDims": _expand_dims, "Squeeze": _squeeze, "Transpose": _transpose,
    "Slice": _slice, "StridedSlice": _strided_slice, "Tile": _tile, "Fill": _fill, "Pad": _pad, "PadV2": _pad, "Where": _where, "Unique": _unique,
    "OneHot": _one_hot, "Range": _range, "RandomUniform": _random, "RandomStandardNormal": _random,
    "TruncatedNormal": _random, "TensorArrayV3": _tensor_array, "TensorArrayWriteV3": _scalar_out,
    "TensorArrayScatterV3": _scalar_out, "TensorArraySizeV3": _scalar_out}
