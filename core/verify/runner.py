"""Proving a frozen graph: run it and the checkpoint side by side in TensorFlow and compare outputs.

TensorFlow is imported lazily, only here: 2.x through tf.compat.v1, or 1.4 on the legacy stack.
"""

import collections
import logging
import re

import numpy as np

from core.freeze.tables import INIT_OPS as TABLE_INIT_OPS
from core.errors import ModelError
from core.names import node_name
from core.verify.feeds import build_feeds, feed_key, normalise_feeds, summarize_error
from core.verify.random_ops import computed_from, describe, random_dependencies, seed_alike
from core.verify.reference import fill_tables, guarded, run_reference
from core.verify.tf_loader import VerifyUnavailable, install_hint, load_tensorflow, tensorflow_available  # noqa: F401

log = logging.getLogger(__name__)


class OutputCheck(collections.namedtuple(
        "OutputCheck", "name dtype shape max_abs_diff max_rel_diff passed message")):
    """One output compared: shape as a list, differences as floats (0 when exact)."""


class VerifyReport(collections.namedtuple("VerifyReport", "outputs inputs_used tensorflow_version passed notes")):
    """outputs: list of OutputCheck; inputs_used: dict name -> (dtype, shape); notes: lines the comparison
    rests on (an output that depends on a random op, drawn from the same seed in both runs)."""


VerifyReport.__new__.__defaults__ = ((),)




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


def _run_frozen(tf1, frozen, outputs, feeds):
    with tf1.Graph().as_default() as graph:
        graph_def = _tf_graph_def(tf1, frozen)
        seed_alike(graph_def)
        guarded(lambda: tf1.import_graph_def(graph_def, name=""), "importing the frozen graph")
        with tf1.Session(graph=graph) as session:
            fill_tables(session, [op for op in graph.get_operations() if op.type in TABLE_INIT_OPS],
                         "the frozen graph")
            return _run(tf1, graph, session, outputs, feeds, "running the frozen graph")


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


def _cut_names(model, frozen, input_cuts):
    """dict frozen placeholder name -> the source tensor it replaces: the freeze's input cuts, or when
    none are given the placeholders named like cuts (NODE for a node that is no placeholder in the
    source graph, NODE_portK; core.freeze.input_cuts naming)."""
    if not input_cuts:
        ops = dict((n.name, n.op) for n in model.graph_def.node)
        found = {}
        for node in frozen.node:
            if node.op not in ("Placeholder", "PlaceholderV2"):
                continue
            tensor = _reference_name(node.name, ops)
            if tensor != node.name or ops.get(node.name, "Placeholder") not in ("Placeholder", "PlaceholderV2"):
                found[node.name] = feed_key(tensor)
        return found
    from core.freeze.input_cuts import plan_cuts
    cuts = plan_cuts(model.graph_def, input_cuts, model.meta_graph, model.location.model_file)
    return dict((cut.placeholder, cut.tensor) for cut in cuts)


def _frozen_placeholder_feeds(frozen, outputs, inputs, given, batch_size):
    """``inputs`` completed with generated values for the frozen graph's other placeholders the outputs
    are computed from (a placeholder behind a fed tensor is not)."""
    from core.analysis.graph_model import GraphModel
    graph = GraphModel(frozen)
    fed = [k for k in inputs if ":" in k]
    used = set()
    for output in outputs:
        if node_name(output) in graph.position:
            used |= computed_from(graph, graph.position[node_name(output)], fed)
    placeholders = [n.name for i, n in enumerate(frozen.node) if n.op in ("Placeholder", "PlaceholderV2")
                    and (i in used or n.name in given)]
    extra, _ = build_feeds(frozen, [p for p in placeholders if p not in inputs], given, batch_size)
    for name, value in extra.items():
        inputs.setdefault(name, value)
    return inputs


def _inputs(model, frozen, outputs, given, batch_size, cut_names):
    """The feeds of both runs: dict frozen-graph name -> array, and dict name -> source tensor to feed.

    With input cuts the frozen graph says what must be fed (its placeholders, the cut ones included),
    and each cut's value goes to the tensor it replaced. Without, the inputs the outputs need in the
    source graph (a keep_prob the freeze fixed is no longer in the frozen graph; it is fed to the
    checkpoint graph only), then the frozen graph's other placeholders.
    """
    graph_nodes = set(n.name for n in model.graph_def.node)
    if cut_names:
        by_tensor = dict((feed_key(t), p) for p, t in cut_names.items())
        given = dict((by_tensor.get(feed_key(k), k), v) for k, v in given.items())
        inputs, _ = build_feeds(frozen, outputs, given, batch_size)
        inputs = _frozen_placeholder_feeds(frozen, outputs, inputs, given, batch_size)
        return inputs, dict((k, cut_names.get(k, k)) for k in inputs)
    inputs, _ = build_feeds(model.graph_def, outputs, given, batch_size, needed=_source_inputs(model, outputs))
    inputs = _frozen_placeholder_feeds(frozen, outputs, inputs, given, batch_size)
    return inputs, dict((k, _reference_name(k, graph_nodes)) for k in inputs)


def _source_inputs(model, outputs):
    """The inputs the outputs need as the analysis of the opened model finds them (what `inspect` lists):
    a signature's inputs, the training switches, data fed where random noise is mixed into it."""
    from core.analysis.insight import analyze
    return analyze(model.graph_def, model.meta_graph).required_inputs(outputs)


def _check_given(model, frozen, given, cut_names, path):
    known = set(n.name for n in frozen.node) | set(n.name for n in model.graph_def.node)
    cut_nodes = set(node_name(t) for t in cut_names.values())
    for name in sorted(given):
        if node_name(name) not in known and node_name(name) not in cut_nodes:
            raise ModelError("input '%s' is in neither graph" % name, path)


def verify(model, frozen_path, outputs, feeds=None, batch_size=2, rtol=1e-5, atol=1e-6, switch_values=None,
           input_cuts=(), saver=None, init_missing=False, progress=None, cancel=None):
    """Runs ``outputs`` in the checkpoint-restored graph and in the frozen graph and compares them.

    Args:
        model: core.formats.model.Model as the freeze opened it (its checkpoint and SavedModel tags), or a
            GraphDef as the reference.
        frozen_path: the frozen `.pb`.
        outputs: output names.
        feeds: optional dict name (or "in:name") -> array; missing inputs are generated.
        batch_size: size of unknown dimensions of generated inputs.
        switch_values: the values the freeze fixed, fed to the checkpoint graph.
        input_cuts: the freeze's input cuts (tensor names): the value fed to each cut's placeholder is
            fed to the tensor it replaced.
        saver, init_missing: as the freeze's request had them (which saver restored the variables; the
            variables the checkpoint lacks keep their initial values).
    Returns:
        VerifyReport.
    Raises:
        VerifyUnavailable: no TensorFlow; ModelError: unreadable files, unknown names.
    """
    from core.freeze.plan import resolve_outputs
    from core.formats.graph_io import load_graph_def
    tf, tf1 = load_tensorflow()
    frozen = load_graph_def(frozen_path).graph_def
    outputs = resolve_outputs(frozen, outputs, frozen_path)
    _check_loadable(tf.__version__, frozen, None, "frozen graph", frozen_path)
    _check_loadable(tf.__version__, model.graph_def, model.meta_graph, "checkpoint's graph",
                    model.location.model_file)
    given = normalise_feeds(feeds)
    cut_names = _cut_names(model, frozen, input_cuts)
    _check_given(model, frozen, given, cut_names, frozen_path)
    inputs, reference_names = _inputs(model, frozen, outputs, given, batch_size, cut_names)
    frozen_nodes = set(n.name for n in frozen.node)
    if progress is not None:
        progress("running the frozen graph")
    frozen_values = _run_frozen(tf1, frozen, outputs, dict(
        (k, v) for k, v in inputs.items() if node_name(k) in frozen_nodes))
    if cancel is not None and cancel():
        from core.errors import Cancelled
        raise Cancelled()
    if progress is not None:
        progress("running the checkpoint")
    reference_feeds = dict((reference_names[k], v) for k, v in inputs.items())
    for name, value in (switch_values or {}).items():
        reference_feeds[name] = np.asarray(value, dtype=bool if isinstance(value, bool) else None)
    reference_values = run_reference(tf1, model, outputs, reference_feeds, _run, saver, init_missing)
    random = random_dependencies(_tf_graph_def(tf1, frozen), outputs, [k for k in inputs if ":" in k])
    checks = [_noted(compare(name, expected, actual, rtol, atol), random.get(name))
              for name, expected, actual in zip(outputs, reference_values, frozen_values)]
    used = dict((k, (str(v.dtype), list(v.shape))) for k, v in inputs.items())
    notes = tuple(describe(name, random[name]) for name in outputs if name in random)
    return VerifyReport(checks, used, tf.__version__, all(c.passed for c in checks), notes)


def _tf_graph_def(tf1, graph_def):
    parsed = tf1.GraphDef()
    parsed.ParseFromString(graph_def.SerializeToString())
    return parsed


def _noted(check, random_names):
    """A difference in an output computed from random ops says so: the seeds were alike, the draws may not be."""
    if check.passed or not random_names:
        return check
    return check._replace(message="%s; it depends on random op '%s' (seeded alike in both runs)"
                          % (check.message, random_names[0]))


def run_checkpoint(model, outputs, feeds):
    """The outputs' values in the checkpoint-restored graph (for deploy's children): (list of arrays, TF version)."""
    tf, tf1 = load_tensorflow()
    return run_reference(tf1, model, outputs, feeds, _run), tf.__version__


def run_graph(graph_def, outputs, feeds):
    """The outputs' values of a GraphDef (core's message) run in TensorFlow: (list of arrays, TF version)."""
    tf, tf1 = load_tensorflow()
    return _run_frozen(tf1, graph_def, outputs, feeds), tf.__version__
