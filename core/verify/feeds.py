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


def _concrete(shape, batch_size):
    if shape is None:
        return [batch_size]
    return [batch_size if d is None or d < 0 else d for d in shape]


def _numpy_type(dtype_name):
    """The numpy type of generated values for a dtype name ("float32"): float32 where numpy has no exact one."""
    number = dtypes.from_name(dtype_name)
    if number == dtypes.DT_STRING:
        return object
    if number in dtypes.NUMPY_EXACT or number in (dtypes.DT_COMPLEX64, dtypes.DT_COMPLEX128):
        return dtypes.numpy_dtype(number).newbyteorder("=")
    return np.float32


def generate(graph, item, batch_size, rng, length=None):
    """A value for one RequiredInput: its inference value when it has one (keep_prob 1.0, a switch's
    default), sizes and lengths that fit the generated data, else seeded random data."""
    np_dtype = _numpy_type(item.dtype)
    shape = _concrete(item.shape, batch_size)
    if item.value is not None:
        return np.full(shape, item.value, dtype=np_dtype)
    if item.kind == "switch":
        return np.zeros(shape, dtype=np_dtype)
    if item.kind == "sequence_length":
        return np.full(shape, length or batch_size, dtype=np_dtype)
    if item.kind == "size":
        return np.full(shape, length or batch_size, dtype=np_dtype)
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


def build_feeds(graph_def, outputs, given=None, batch_size=2, seed=0):
    """Feeds for running ``outputs``: the user's values, else generated for the inputs they need that
    must be fed (a PlaceholderWithDefault keeps its default unless the user gives a value).

    Returns:
        (dict name -> array, list of core.analysis.inputs.RequiredInput).
    """
    graph = GraphModel(graph_def)
    needed = required_inputs(graph, outputs)
    given = dict(given or {})
    rng = np.random.RandomState(seed)
    feeds = {}
    for item in needed:
        if item.name in given:
            feeds[item.name] = given[item.name]
            continue
        if not item.must_feed or item.kind in ("sequence_length", "size"):
            continue
        feeds[item.name] = generate(graph, item, batch_size, rng)
    length = _time_steps(feeds, batch_size)
    for item in needed:
        if item.name not in feeds and item.must_feed:
            feeds[item.name] = generate(graph, item, batch_size, rng, length)
    return feeds, needed


def _time_steps(feeds, batch_size):
    """The second dimension of the generated sequence data (what lengths and sizes must match)."""
    for value in feeds.values():
        if getattr(value, "ndim", 0) >= 2 and value.dtype != object:
            return int(value.shape[1])
    return batch_size


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
