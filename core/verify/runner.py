"""Proving a frozen graph: run it and the checkpoint side by side in TensorFlow and compare outputs.

TensorFlow is imported lazily, only here: 2.x through tf.compat.v1, or 1.4 on the legacy stack.
"""

import collections
import logging
import re
import sys

import numpy as np

from core.formats import protos
from core.errors import ModelError
from core.names import node_name
from core.analysis.graph_model import GraphModel

log = logging.getLogger(__name__)

_GATHERS = frozenset(["Gather", "GatherV2", "ResourceGather", "GatherNd"])
_INDEX_PASS = frozenset(["Identity", "Reshape", "Cast", "ExpandDims", "Squeeze", "Unique", "StridedSlice",
                         "DynamicPartition", "FloorMod", "FloorDiv", "Maximum", "Minimum", "Sub", "Add"])


class VerifyUnavailable(ModelError):
    """TensorFlow is not importable here."""


class OutputCheck(collections.namedtuple(
        "OutputCheck", "name dtype shape max_abs_diff max_rel_diff passed message")):
    """One output compared: shape as a list, differences as floats (0 when exact)."""


class VerifyReport(collections.namedtuple("VerifyReport", "outputs inputs_used tensorflow_version passed")):
    """outputs: list of OutputCheck; inputs_used: dict name -> (dtype, shape)."""


def tensorflow_available():
    """True when TensorFlow can be imported (without importing it twice)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"] is not None
    try:
        import importlib.util
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def install_hint():
    if sys.version_info[:2] <= (3, 6):
        return "pip install tensorflow==1.4.0"
    return "pip install tensorflow-cpu"


def _tf1():
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise VerifyUnavailable("verification needs TensorFlow, which is not installed here (%s); install it with "
                                "'%s' — everything else works without it" % (exc, install_hint()))
    if hasattr(tf, "compat") and hasattr(tf.compat, "v1"):
        return tf, tf.compat.v1
    return tf, tf


def _strip_output_shapes(meta_graph):
    copy = protos.MetaGraphDef()
    copy.CopyFrom(meta_graph)
    for node in copy.graph_def.node:
        if "_output_shapes" in node.attr:
            del node.attr["_output_shapes"]
    return copy.SerializeToString()


def _placeholder_shape(node, batch_size):
    dims = None
    if "shape" in node.attr and not node.attr["shape"].shape.unknown_rank:
        dims = [int(d.size) for d in node.attr["shape"].shape.dim]
    if (dims is None or not dims) and "_output_shapes" in node.attr:
        shapes = node.attr["_output_shapes"].list.shape
        if shapes and not shapes[0].unknown_rank:
            dims = [int(d.size) for d in shapes[0].dim]
    if dims is None:
        dims = [batch_size]
    return [batch_size if d < 0 else d for d in dims]


def _index_bound(graph, index, depth=0):
    """The smallest table size the values of node ``index`` are used to index into, or None."""
    bounds = []
    for consumer in set(graph.data_out[index]):
        op = graph.ops[consumer]
        inputs = graph.data_in[consumer]
        if op in _GATHERS and len(inputs) > 1 and inputs[1][0] == index:
            size = _first_dim(graph, inputs[0][0])
            if size:
                bounds.append(size)
        elif op in _INDEX_PASS and depth < 6:
            inner = _index_bound(graph, consumer, depth + 1)
            if inner:
                bounds.append(inner)
    return min(bounds) if bounds else None


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


def make_inputs(graph_def, names, batch_size=2, seed=0):
    """Generates feeds for placeholders: floats from a seeded normal; integers that index an
    embedding stay below its table size; bools False; strings b"a".

    Returns:
        dict name -> numpy array.
    """
    from core.formats.bundle import numpy_dtype
    graph = GraphModel(graph_def)
    rng = np.random.RandomState(seed)
    feeds = {}
    for name in names:
        index = graph.index(name)
        node = graph_def.node[index]
        dtype = node.attr["dtype"].type
        shape = _placeholder_shape(node, batch_size)
        if dtype == 7:
            value = np.full(shape, b"a", dtype=object)
        elif dtype == 10:
            value = np.zeros(shape, dtype=bool)
        else:
            np_dtype = numpy_dtype(dtype)
            if np_dtype.kind in "iu":
                bound = _index_bound(graph, index) or 5
                value = rng.randint(0, max(1, bound), size=shape).astype(np_dtype)
            elif np_dtype.kind == "c":
                value = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np_dtype)
            else:
                value = rng.standard_normal(shape).astype(np_dtype)
        feeds[name] = value
    return feeds


def _normalise_feeds(feeds):
    result = {}
    for key, value in (feeds or {}).items():
        name = key[3:] if key.startswith("in:") else key
        result[node_name(name)] = np.asarray(value)
    return result


def _run(tf1, graph, session, outputs, feeds):
    fetches = [graph.get_tensor_by_name(o if ":" in o else o + ":0") for o in outputs]
    feed_dict = dict((graph.get_tensor_by_name(k if ":" in k else k + ":0"), v) for k, v in feeds.items())
    return session.run(fetches, feed_dict)


def _reference_name(name, graph_nodes):
    """A cut's placeholder NODE_portK feeds NODE:K in the source graph (core.freeze.input_cuts naming)."""
    if name in graph_nodes:
        return name
    match = re.match(r"^(.*)_port(\d+)(?:_cut)*$", name)
    if match and match.group(1) in graph_nodes:
        return "%s:%s" % (match.group(1), match.group(2))
    return name


def _restore_by_convention(tf1, graph, session, prefix):
    """A GraphDef without a meta graph (an Estimator graph.pbtxt) restores through its saver's ops."""
    names = set(op.name for op in graph.get_operations())
    for scope in ("save", "save_1"):
        if scope + "/restore_all" in names and scope + "/Const" in names:
            session.run(graph.get_operation_by_name(scope + "/restore_all"),
                        {graph.get_tensor_by_name(scope + "/Const:0"): prefix})
            return
    raise ModelError("the graph has no save/restore_all op to restore the checkpoint with", prefix)


def compare(name, expected, actual, rtol, atol):
    """Compares one output; exact for integers, bools and strings."""
    expected = np.asarray(expected)
    actual = np.asarray(actual)
    dtype = str(expected.dtype)
    if expected.shape != actual.shape:
        return OutputCheck(name, dtype, list(expected.shape), float("inf"), float("inf"), False,
                           "shape %s in the checkpoint, %s frozen" % (list(expected.shape), list(actual.shape)))
    if expected.dtype != actual.dtype:
        return OutputCheck(name, dtype, list(expected.shape), float("inf"), float("inf"), False,
                           "dtype %s in the checkpoint, %s frozen" % (expected.dtype, actual.dtype))
    if expected.dtype.kind in "fc":
        a = expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
        b = actual.astype(a.dtype)
        both_nan = np.isnan(a) & np.isnan(b)
        diff = np.where(both_nan, 0.0, np.abs(a - b))
        diff = np.where(np.isnan(diff), np.inf, diff)
        max_abs = float(diff.max()) if diff.size else 0.0
        scale = np.maximum(np.abs(a), 1e-12)
        max_rel = float((diff / scale).max()) if diff.size else 0.0
        passed = bool(np.all(diff <= atol + rtol * np.abs(np.where(both_nan, 0.0, a))))
        message = "" if passed else "differs by up to %.3g (relative %.3g)" % (max_abs, max_rel)
        return OutputCheck(name, dtype, list(expected.shape), max_abs, max_rel, passed, message)
    equal = expected == actual
    passed = bool(np.all(equal))
    mismatched = int(equal.size - np.count_nonzero(equal))
    return OutputCheck(name, dtype, list(expected.shape), 0.0 if passed else float(mismatched), 0.0, passed,
                       "" if passed else "%d of %d values differ" % (mismatched, equal.size))


def verify(model, frozen_path, outputs, feeds=None, batch_size=2, rtol=1e-5, atol=1e-6, switch_values=None,
           progress=None, cancel=None):
    """Runs ``outputs`` in the checkpoint-restored graph and in the frozen graph and compares them.

    Args:
        model: core.formats.model.Model (a checkpoint with its meta graph, or a GraphDef as the reference).
        frozen_path: the frozen `.pb`.
        outputs: output names.
        feeds: optional dict name (or "in:name") -> array; missing inputs are generated.
        batch_size: size of unknown dimensions of generated inputs.
        switch_values: training switches' values, fed to the checkpoint graph.
    Returns:
        VerifyReport.
    Raises:
        VerifyUnavailable: no TensorFlow; ModelError: unreadable files, unknown names.
    """
    from core.freeze.plan import resolve_outputs
    from core.formats.graph_io import load_graph_def
    tf, tf1 = _tf1()
    frozen = load_graph_def(frozen_path).graph_def
    outputs = resolve_outputs(frozen, outputs, frozen_path)
    frozen_nodes = dict((n.name, n) for n in frozen.node)
    given = _normalise_feeds(feeds)
    needed = [n.name for n in frozen.node if n.op in ("Placeholder", "PlaceholderV2")]
    switch_values = dict(switch_values or {})
    for name in list(given):
        if name not in frozen_nodes and name not in switch_values:
            raise ModelError("input '%s' is not in the frozen graph" % name, frozen_path)
    generated = make_inputs(frozen, [n for n in needed if n not in given], batch_size)
    inputs = dict(generated)
    inputs.update(given)
    if progress is not None:
        progress("running the frozen graph")
    with tf1.Graph().as_default() as graph:
        graph_def = tf1.GraphDef()
        graph_def.ParseFromString(frozen.SerializeToString())
        tf1.import_graph_def(graph_def, name="")
        with tf1.Session(graph=graph) as session:
            frozen_values = _run(tf1, graph, session, outputs, dict((k, v) for k, v in inputs.items()
                                                                    if k in frozen_nodes))
    if cancel is not None and cancel():
        from core.errors import Cancelled
        raise Cancelled()
    if progress is not None:
        progress("running the checkpoint")
    graph_nodes = set(n.name for n in model.graph_def.node)
    reference_feeds = dict((_reference_name(k, graph_nodes), v) for k, v in inputs.items())
    for name, value in switch_values.items():
        reference_feeds[name] = np.asarray(value, dtype=bool if isinstance(value, bool) else None)
    with tf1.Graph().as_default() as graph:
        with tf1.Session(graph=graph) as session:
            if model.meta_graph is not None:
                meta = tf1.MetaGraphDef()
                meta.ParseFromString(_strip_output_shapes(model.meta_graph))
                saver = tf1.train.import_meta_graph(meta, clear_devices=True)
                if model.checkpoint is not None:
                    if saver is None:
                        saver = tf1.train.Saver()
                    saver.restore(session, model.checkpoint.prefix)
            else:
                graph_def = tf1.GraphDef()
                graph_def.ParseFromString(model.graph_def.SerializeToString())
                tf1.import_graph_def(graph_def, name="")
                if model.checkpoint is not None:
                    _restore_by_convention(tf1, graph, session, model.checkpoint.prefix)
            reference_values = _run(tf1, graph, session, outputs, reference_feeds)
    checks = [compare(name, expected, actual, rtol, atol)
              for name, expected, actual in zip(outputs, reference_values, frozen_values)]
    used = dict((k, (str(v.dtype), list(v.shape))) for k, v in inputs.items())
    return VerifyReport(checks, used, tf.__version__, all(c.passed for c in checks))
