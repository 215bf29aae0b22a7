"""Feeds for a verification run, built from the inputs the outputs need, and TensorFlow errors in one line."""

import re

import numpy as np

from core.analysis.graph_model import GraphModel
from core.analysis.inputs import required_inputs
from core.formats import dtypes
from core.names import node_name

_GATHERS = frozenset(["Gather", "GatherV2", "ResourceGather", "GatherNd"])
_INDEX_PASS = frozenset(["Identity", "Reshape", "Cast", "ExpandDims", "Squeeze", "Unique", "StridedSlice",
                         "DynamicPartition", "FloorMod", "FloorDiv", "Maximum", "Minimum", "Sub", "Add"])


def feed_key(name):
    """The tensor a feed names: "x" -> "x:0"; "IteratorGetNext:3" stays."""
    return name if ":" in name else name + ":0"


def normalise_feeds(feeds):
    """User feeds (keys "name", "name:0", "name:k" or "in:name") -> dict key -> array, keys as
    RequiredInput names ("name", or "name:k" for k > 0)."""
    result = {}
    for key, value in (feeds or {}).items():
        name = key[3:] if key.startswith("in:") else key
        if name.endswith(":0"):
            name = name[:-2]
        result[name] = np.asarray(value)
    return result


def _first_dim(graph, index, depth=0):
    node = graph.graph_def.node[index]
    if node.op == "Const":
        dims = node.attr["value"].tensor.tensor_shape.dim
        return int(dims[0].size) if dims else None
    if node.op in ("VariableV2", "Variable", "VarHandleOp") and "shape" in node.attr:
        dims = node.attr["shape"].shape.dim
        return int(dims[0].size) if dims else None
    if "_output_shapes" in node.attr:
        shapes = node.attr["_output_shapes"].list.shape
        if shapes and shapes[0].dim and shapes[0].dim[0].size > 0:
            return int(shapes[0].dim[0].size)
    if node.op in ("Identity", "ReadVariableOp", "Enter") and graph.data_in[index] and depth < 6:
        return _first_dim(graph, graph.data_in[index][0][0], depth + 1)
    return None


def index_bound(graph, index, depth=0):
    """The smallest table size the values of node ``index`` are used to index into, or None."""
    bounds = []
    for consumer in sorted(set(graph.data_out[index])):
        op = graph.ops[consumer]
        inputs = graph.data_in[consumer]
        if op in _GATHERS and len(inputs) > 1 and inputs[1][0] == index:
            size = _first_dim(graph, inputs[0][0])
            if size:
                bounds.append(size)
        elif op in _INDEX_PASS and depth < 6:
            inner = index_bound(graph, consumer, depth + 1)
            if inner:
                bounds.append(inner)
    return min(bounds) if bounds else None


def _concrete(shape, batch_size, size):
    """The shape with its unknown first dimension ``batch_size`` and its other unknown ones ``size``."""
    if shape is None:
        return [batch_size]
    return [(batch_size if k == 0 else size) if d is None or d < 0 else d for k, d in enumerate(shape)]


# Ops whose input 0 (or, for Reshape, input 1) is the shape of the tensor they make.
_SHAPE_TAKERS = {"Fill": 0, "Reshape": 1, "RandomUniform": 0, "RandomStandardNormal": 0, "TruncatedNormal": 0,
                 "BroadcastTo": 1}
_SCALAR_PASS = frozenset(["Identity", "Cast", "ToInt32", "ToInt64"])


def is_batch_size(graph, index, depth=0):
    """Whether the integer scalar of node ``index`` becomes the first dimension of a tensor the graph makes:
    element 0 of the shape (ExpandDims then ConcatV2 input 0, or Pack input 0) of a Fill, a Reshape, a
    random draw (an RNN's zero state, ``tf.zeros([batch_size, n])``): a batch size, not a length."""
    for consumer in sorted(set(graph.data_out[index])):
        op = graph.ops[consumer]
        ports = [k for k, (source, _) in enumerate(graph.data_in[consumer]) if source == index]
        if op in _SHAPE_TAKERS and _SHAPE_TAKERS[op] in ports and depth > 0:
            return True
        if depth < 6 and (op in _SCALAR_PASS or op == "ExpandDims" and 0 in ports or
                          op in ("Pack", "ConcatV2", "Concat") and ports[:1] == [1 if op == "Concat" else 0]):
            if is_batch_size(graph, consumer, depth + 1):
                return True
    return False


def _const_ints(node):
    """The integers of an int32/int64 Const (a reshape's target shape), or None."""
    if node.op != "Const" or "value" not in node.attr:
        return None
    tensor = node.attr["value"].tensor
    if tensor.dtype not in (dtypes.DT_INT32, dtypes.DT_INT64):
        return None
    try:
        return [int(v) for v in dtypes.proto_values(tensor).ravel()]
    except ValueError:
        return None


def reshape_fit(graph, index, shape):
    """``shape`` with its unknown dims taken from a fixed shape a consumer Reshape gives the same values:
    the data holds exactly that many, and with the size-1 dims left out both shapes line up
    ([-1, -1, 1] reshaped to [1, 256, 256, 1] is [256, 256, 1]). Else ``shape`` as it is."""
    if index is None or not shape or all(d >= 0 for d in shape):
        return shape
    for consumer in sorted(set(graph.data_out[index])):
        inputs = graph.data_in[consumer]
        if graph.ops[consumer] != "Reshape" or len(inputs) < 2 or inputs[0][0] != index:
            continue
        target = _const_ints(graph.graph_def.node[inputs[1][0]])
        if not target or any(t < 0 for t in target):
            continue
        wide = [t for t in target if t != 1]
        slots = [k for k, d in enumerate(shape) if d != 1]
        if len(wide) == len(slots) and all(shape[k] < 0 or shape[k] == t for k, t in zip(slots, wide)):
            fitted = list(shape)
            for k, t in zip(slots, wide):
                fitted[k] = t
            return fitted
    return shape


def _first_dims(graph, index):
    """dim 0 of each port TensorFlow recorded for node ``index`` (-1 unknown), by port."""
    node = graph.graph_def.node[index]
    if "_output_shapes" not in node.attr:
        return []
    return [int(s.dim[0].size) if s.dim and not s.unknown_rank else None for s in node.attr["_output_shapes"].list.shape]


def _concat_batches(graph, outputs, sources):
    """First dimensions that a ConcatV2 along another axis, computed from the data ``sources`` on the way to
    ``outputs``, fixes for a value input whose first dimension TensorFlow recorded unknown (a decoder's
    inputs made for a fixed batch of 128 joined with a state computed from the data): the data must have it."""
    starts = [graph.position[node_name(o)] for o in outputs if node_name(o) in graph.position]
    upstream = graph.ancestor_indexes(starts)
    downstream, stack = set(sources), list(sources)
    while stack:
        for consumer in graph.data_out[stack.pop()]:
            if consumer in upstream and consumer not in downstream:
                downstream.add(consumer)
                stack.append(consumer)
    found = set()
    for i in downstream:
        inputs = graph.data_in[i]
        if graph.ops[i] != "ConcatV2" or len(inputs) < 3:
            continue
        axis = _const_ints(graph.graph_def.node[inputs[-1][0]])
        if not axis or axis[0] == 0:
            continue
        dims = [(_first_dims(graph, s)[p:p + 1] or [None])[0] for s, p in inputs[:-1]]
        fixed = set(d for d in dims if d is not None and d > 1)
        if len(fixed) == 1 and any(d is not None and d < 0 for d in dims):
            found |= fixed
    return found


def graph_batch_size(items, batch_size, graph=None, outputs=()):
    """The batch size of the generated data: the first dimension the data inputs of rank 2 or more fix (when
    they agree: a placeholder shaped [1, 64, None, 1] makes every example batch 1), else the one a ConcatV2
    on the way to the outputs joins their data with (_concat_batches), else ``batch_size``."""
    data = [item for item in items if item.kind in ("data", "pipeline") and item.shape and len(item.shape) >= 2]
    fixed = set(item.shape[0] for item in data if item.shape[0] > 0)
    if not fixed and data and graph is not None:
        sources = [graph.position[node_name(item.name)] for item in data if node_name(item.name) in graph.position]
        fixed = _concat_batches(graph, outputs, sources)
    return fixed.pop() if len(fixed) == 1 else batch_size


def _numpy_type(dtype_name):
    """The numpy type of generated values for a dtype name ("float32"): float32 where numpy has no exact one."""
    number = dtypes.from_name(dtype_name)
    if number == dtypes.DT_STRING:
        return object
    if number in dtypes.NUMPY_EXACT or number in (dtypes.DT_COMPLEX64, dtypes.DT_COMPLEX128):
        return dtypes.numpy_dtype(number).newbyteorder("=")
    return np.float32


def generate(graph, item, batch_size, rng, length=None, size=None):
    """A value for one RequiredInput: its inference value when it has one (keep_prob 1.0, a switch's
    default), sizes and lengths that fit the generated data, else seeded random data. ``batch_size`` is
    its unknown first dimension, ``size`` (default ``batch_size``) its other unknown ones."""
    np_dtype = _numpy_type(item.dtype)
    shape = _concrete(reshape_fit(graph, graph.position.get(node_name(item.name)), item.shape), batch_size,
                      size or batch_size)
    if item.value is not None:
        return np.full(shape, item.value, dtype=np_dtype)
    if item.kind == "switch":
        return np.zeros(shape, dtype=np_dtype)
    if item.kind == "sequence_length":
        return np.full(shape, length or batch_size, dtype=np_dtype)
    if item.kind == "size":
        index = graph.position.get(node_name(item.name))
        batch = index is not None and is_batch_size(graph, index)
        return np.full(shape, batch_size if batch else length or batch_size, dtype=np_dtype)
    if np_dtype is object:
        return np.full(shape, b"a", dtype=object)
    if np_dtype is np.bool_:
        return np.zeros(shape, dtype=bool)
    if np.dtype(np_dtype).kind in "iu":
        index = graph.position.get(node_name(item.name))
        bound = (index_bound(graph, index) if index is not None else None) or 5
        return rng.randint(0, max(1, bound), size=shape).astype(np_dtype)
    if np.dtype(np_dtype).kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np_dtype)
    return rng.standard_normal(shape).astype(np_dtype)


def build_feeds(graph_def, outputs, given=None, batch_size=2, seed=0, needed=None):
    """Feeds for running ``outputs``: the user's values, else generated for the inputs they need that
    must be fed (a PlaceholderWithDefault keeps its default unless the user gives a value).

    Args:
        needed: the inputs the outputs need (RequiredInput list) when the caller knows them (the analysis
            of the whole model: a noisy image fed where the noise is added, a signature's inputs); by
            default core.analysis.inputs.required_inputs of the graph alone.
    Returns:
        (dict name -> array, list of core.analysis.inputs.RequiredInput).
    """
    graph = GraphModel(graph_def)
    needed = required_inputs(graph, outputs) if needed is None else needed
    given = dict(given or {})
    size, batch_size = batch_size, graph_batch_size(needed, batch_size, graph, outputs)
    rng = np.random.RandomState(seed)
    feeds = {}
    for item in needed:
        if item.name in given:
            feeds[item.name] = given[item.name]
            continue
        if not item.must_feed or item.kind in ("sequence_length", "size"):
            continue
        feeds[item.name] = generate(graph, item, batch_size, rng, size=size)
    length = _time_steps(feeds, needed, batch_size)
    for item in needed:
        if item.name not in feeds and item.must_feed:
            feeds[item.name] = generate(graph, item, batch_size, rng, length, size)
    return feeds, needed


def _time_steps(feeds, needed, batch_size):
    """The time dimension of the generated sequence data (what lengths and sizes must not exceed): the
    smallest dimension after the first that the graph leaves unknown (the one that varies: [1, 64, None, 1]
    is read along its third axis), else the second dimension of the first data of rank 2 or more."""
    declared = dict((item.name, item.shape) for item in needed)
    unknown, second = [], None
    for name, value in sorted(feeds.items()):
        if getattr(value, "ndim", 0) < 2 or value.dtype == object:
            continue
        second = int(value.shape[1]) if second is None else second
        shape = declared.get(name)
        unknown.extend(int(value.shape[k]) for k in range(1, value.ndim)
                       if shape is None or k >= len(shape) or shape[k] is None or shape[k] < 0)
    if unknown:
        return min(unknown)
    return second if second is not None else batch_size


_NOISE = re.compile(r"^\s*(Graph execution error:|Detected at node|File \"|Defined at|\[\[|Node:|"
                    r"Errors may have originated|Original stack trace|Caused by op|Traceback|$)")


def summarize_error(exc, what):
    """One readable line for a TensorFlow failure: what was running and the first line that says why."""
    text = getattr(exc, "message", None) or str(exc)
    lines = [l.strip() for l in text.splitlines() if not _NOISE.match(l)]
    reason = lines[0] if lines else type(exc).__name__
    reason = re.sub(r"^\d+ root error\(s\) found\.?\s*", "", reason)
    if not reason and len(lines) > 1:
        reason = lines[1]
    reason = re.sub(r"^\(\d+\)\s*", "", reason)
    if len(reason) > 300:
        reason = reason[:297] + "..."
    return "%s failed (%s): %s" % (what, type(exc).__name__, reason)
