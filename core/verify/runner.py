"""Proving a frozen graph: run it and the checkpoint side by side in TensorFlow and compare outputs.

TensorFlow is imported lazily, only here: 2.x through tf.compat.v1, or 1.4 on the legacy stack.
"""

import collections
import logging
import re
import sys

import numpy as np

from core.formats import protos
from core.freeze.tables import INIT_OPS as TABLE_INIT_OPS
from core.errors import ModelError
from core.names import node_name
from core.verify.feeds import build_feeds, feed_key, normalise_feeds, summarize_error

log = logging.getLogger(__name__)



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


def _guarded(call, what):
    """Calls ``call()``; a TensorFlow failure becomes one ModelError line saying what was being done."""
    try:
        return call()
    except Exception as exc:
        if type(exc).__module__.startswith("tensorflow") or isinstance(exc, (ValueError, KeyError, TypeError)):
            raise ModelError(summarize_error(exc, what))
        raise


def _run(tf1, graph, session, outputs, feeds, what):
    """Runs the outputs; any TensorFlow failure becomes one ModelError line."""
    try:
        fetches = [graph.get_tensor_by_name(o if ":" in o else o + ":0") for o in outputs]
        feed_dict = dict((graph.get_tensor_by_name(feed_key(k)), v) for k, v in sorted(feeds.items()))
        return session.run(fetches, feed_dict)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelError(summarize_error(exc, what))
    except Exception as exc:  # tf.errors.OpError and kin: summarised, never a traceback
        if type(exc).__module__.startswith("tensorflow"):
            raise ModelError(summarize_error(exc, what))
        raise


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


def _run_frozen(tf1, frozen, outputs, feeds):
    with tf1.Graph().as_default() as graph:
        graph_def = tf1.GraphDef()
        graph_def.ParseFromString(frozen.SerializeToString())
        _guarded(lambda: tf1.import_graph_def(graph_def, name=""), "importing the frozen graph")
        with tf1.Session(graph=graph) as session:
            _fill_tables(session, [op for op in graph.get_operations() if op.type in TABLE_INIT_OPS],
                         "the frozen graph")
            return _run(tf1, graph, session, outputs, feeds, "running the frozen graph")


def _fill_tables(session, initializers, what, feeds=None):
    """Runs lookup-table initializers (a frozen graph keeps them; the checkpoint graph lists them in its
    table_initializer collection), as a deployment would once after loading."""
    if initializers:
        _guarded(lambda: session.run(initializers, feeds or None), "initialising the lookup tables of %s" % what)


def _asset_feeds(graph, assets):
    """A SavedModel's asset path tensors fed with the files in its assets/ folder, as its loader does."""
    feeds = {}
    for asset in assets:
        if asset.path:
            try:
                feeds[graph.get_tensor_by_name(asset.tensor)] = asset.path
            except (KeyError, ValueError):
                continue
    return feeds


def _run_reference(tf1, model, outputs, feeds):
    """Runs the outputs in the checkpoint-restored graph (or the source GraphDef)."""
    with tf1.Graph().as_default() as graph:
        with tf1.Session(graph=graph) as session:
            if model.meta_graph is not None:
                meta = tf1.MetaGraphDef()
                meta.ParseFromString(_strip_output_shapes(model.meta_graph))
                saver = _guarded(lambda: tf1.train.import_meta_graph(meta, clear_devices=True),
                                 "importing the checkpoint's graph")
                if model.checkpoint is not None:
                    if saver is None:
                        saver = tf1.train.Saver()
                    _guarded(lambda: saver.restore(session, model.checkpoint.prefix), "restoring the checkpoint")
            else:
                graph_def = tf1.GraphDef()
                graph_def.ParseFromString(model.graph_def.SerializeToString())
                _guarded(lambda: tf1.import_graph_def(graph_def, name=""), "importing the reference graph")
                if model.checkpoint is not None:
                    _guarded(lambda: _restore_by_convention(tf1, graph, session, model.checkpoint.prefix),
                             "restoring the checkpoint")
            try:  # tables the outputs do not use may not initialise here (ops newer than this TF)
                _fill_tables(session, tf1.get_collection(tf1.GraphKeys.TABLE_INITIALIZERS), "the checkpoint graph",
                             _asset_feeds(graph, getattr(model, "assets", None) or []))
            except ModelError as exc:
                log.warning("%s; running the outputs without them", exc)
            return _run(tf1, graph, session, outputs, feeds, "running the checkpoint")


def _check_loadable(tf_version, graph_def, meta_graph, what, path):
    """Refuses, with the graph's version floor, a graph the running TensorFlow cannot load.

    A bare GraphDef loads through import_graph_def, which keeps every attr (the strict floor); a meta
    graph's importer drops new attrs at their default (the floor).
    """
    from core.analysis.runtime_floor import graph_floor
    from core.formats.op_registry import load_registry
    registry = load_registry()
    try:
        running = registry.release(tf_version)
    except ValueError:
        return
    floor = graph_floor(graph_def, meta_graph)
    needed = floor.floor if meta_graph is not None else floor.strict_floor
    index = dict((r.label, r.index) for r in registry.releases)
    if needed is not None and index[needed] <= running.index:
        return
    blocking = [r.text(registry.releases) for r in floor.requirements
                if not (r.ok if meta_graph is not None else r.strict_ok)[running.index]]
    raise ModelError("TensorFlow %s here cannot load the %s: it needs %s (%s); verify with that TensorFlow"
                     % (tf_version, what, "TensorFlow >= %s" % needed if needed else "an op no release has",
                        "; ".join(blocking[:2])), path)


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
    _check_loadable(tf.__version__, frozen, None, "frozen graph", frozen_path)
    _check_loadable(tf.__version__, model.graph_def, model.meta_graph, "checkpoint's graph",
                    model.location.model_file)
    frozen_nodes = dict((n.name, n) for n in frozen.node)
    given = normalise_feeds(feeds)
    switch_values = dict(switch_values or {})
    reference_nodes = set(n.name for n in model.graph_def.node)
    for name in sorted(given):
        if node_name(name) not in frozen_nodes and node_name(name) not in reference_nodes:
            raise ModelError("input '%s' is in neither graph" % name, frozen_path)
    # The inputs the outputs need in the source graph (a keep_prob the freeze fixed is no longer in the
    # frozen graph; it is fed to the checkpoint graph only).
    inputs, _ = build_feeds(model.graph_def, outputs, given, batch_size)
    frozen_placeholders = [n.name for n in frozen.node if n.op in ("Placeholder", "PlaceholderV2")]
    extra, _ = build_feeds(frozen, [p for p in frozen_placeholders if p not in inputs], given, batch_size)
    for name, value in extra.items():
        inputs.setdefault(name, value)
    if progress is not None:
        progress("running the frozen graph")
    frozen_values = _run_frozen(tf1, frozen, outputs, dict(
        (k, v) for k, v in inputs.items() if node_name(k) in frozen_nodes))
    if cancel is not None and cancel():
        from core.errors import Cancelled
        raise Cancelled()
    if progress is not None:
        progress("running the checkpoint")
    graph_nodes = set(n.name for n in model.graph_def.node)
    reference_feeds = dict((_reference_name(k, graph_nodes), v) for k, v in inputs.items())
    for name, value in switch_values.items():
        reference_feeds[name] = np.asarray(value, dtype=bool if isinstance(value, bool) else None)
    reference_values = _run_reference(tf1, model, outputs, reference_feeds)
    checks = [compare(name, expected, actual, rtol, atol)
              for name, expected, actual in zip(outputs, reference_values, frozen_values)]
    used = dict((k, (str(v.dtype), list(v.shape))) for k, v in inputs.items())
    return VerifyReport(checks, used, tf.__version__, all(c.passed for c in checks))


def run_checkpoint(model, outputs, feeds):
    """The outputs' values in the checkpoint-restored graph (for deploy's children): (list of arrays, TF version)."""
    tf, tf1 = _tf1()
    return _run_reference(tf1, model, outputs, feeds), tf.__version__


def run_graph(graph_def, outputs, feeds):
    """The outputs' values of a GraphDef (core's message) run in TensorFlow: (list of arrays, TF version)."""
    tf, tf1 = _tf1()
    return _run_frozen(tf1, graph_def, outputs, feeds), tf.__version__
