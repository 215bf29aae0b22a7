"""Freeze the models of a wild/ corpus with tf1freeze and run them against the original, by format.

python tools/wild_formats.py WILD_DIR [--formats v1,saved_model,estimator,frozen] [--all-runtimes]

Reads each FOLDER/spec.json (format, outputs, inputs, runs_in, init_tables); never writes into the
corpus. For every model that the running TensorFlow can run (spec runs_in: "TF 1.4.0" on TF 1.4,
the others on TF 2.x compat.v1, or all with --all-runtimes): opens the folder with
core.formats.model.open_model, cuts at every spec input that is not a placeholder, freezes the spec's
outputs (plus the table initialiser when the spec needs one) into a temporary folder, then feeds the
same random inputs to the original (meta graph + checkpoint, SavedModel loader, or GraphDef) and to
the frozen graph and compares the outputs. Prints one line per model and the counts by format.
"""

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from core.formats.model import open_model  # noqa: E402
from core.freeze.input_cuts import cut_inputs, parse_tensor, placeholder_name  # noqa: E402
from core.freeze.plan import freeze  # noqa: E402


def _tf():
    import tensorflow as tf
    if hasattr(tf, "compat") and hasattr(tf.compat, "v1"):
        tf.compat.v1.disable_v2_behavior()
        return tf.compat.v1, True
    return tf, False


def _tname(name):
    return name if ":" in name else name + ":0"


def _inputs(spec):
    return [{"name": i} if isinstance(i, str) else dict(i) for i in spec["inputs"]]


def _feed_value(tf, tensor, item, spec, rng):
    dtype = tensor.dtype.base_dtype
    if "value" in item:
        return np.array(item["value"], dtype=dtype.as_numpy_dtype)
    shape = item.get("shape") or [2 if d is None else d for d in tensor.shape.as_list()]
    if dtype.is_floating:
        return rng.uniform(-1, 1, size=shape).astype(dtype.as_numpy_dtype)
    if dtype.is_integer:
        return rng.randint(item.get("low", 0), item.get("high", spec.get("int_high", 2)),
                           size=shape).astype(dtype.as_numpy_dtype)
    if dtype == tf.bool:
        return np.zeros(shape, dtype=bool)
    return np.array([item.get("fill", "")] * int(np.prod(shape)), dtype=object).reshape(shape)


def _reference(tf, tf2, folder, spec, rng):
    """Runs the original model: (feeds by spec name, outputs by tensor name)."""
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as session:
        fmt = spec["format"]
        if fmt in ("v1", "v2", "estimator"):
            prefix = os.path.join(folder, spec["prefix"])
            meta = tf.MetaGraphDef()
            with open(prefix + ".meta", "rb") as handle:
                meta.ParseFromString(handle.read())
            if tf2:
                for node in meta.graph_def.node:
                    if "_output_shapes" in node.attr:
                        del node.attr["_output_shapes"]
            tf.train.import_meta_graph(meta, clear_devices=True).restore(session, prefix)
            if spec.get("init_tables"):
                session.run(tf.tables_initializer())
        elif fmt == "saved_model":
            tf.saved_model.loader.load(session, spec.get("saved_model_tags", ["serve"]), folder)
        else:
            graph_def = tf.GraphDef()
            with open(os.path.join(folder, spec.get("pb", "published_frozen.pb")), "rb") as handle:
                graph_def.ParseFromString(handle.read())
            tf.import_graph_def(graph_def, name="")
        feeds = {}
        for item in _inputs(spec):
            tensor = graph.get_tensor_by_name(_tname(item["name"]))
            feeds[item["name"]] = _feed_value(tf, tensor, item, spec, rng)
        fetch = _fetches(graph, spec["outputs"])
        values = session.run(fetch, dict((graph.get_tensor_by_name(_tname(k)), v) for k, v in feeds.items()))
    return feeds, dict(zip([t.name for t in fetch], values))


def _fetches(graph, outputs):
    fetch = []
    for name in outputs:
        if ":" in name:
            fetch.append(graph.get_tensor_by_name(name))
        else:
            fetch.extend(graph.get_operation_by_name(name).outputs)
    return fetch


def _freeze(folder, spec, destination):
    """Freezes with tf1freeze; returns (placeholder name per spec input, init op or None)."""
    with open_model(folder, tags=spec.get("saved_model_tags")) as model:
        nodes = dict((n.name, n) for n in model.graph_def.node)
        cuts, names = [], {}
        for item in _inputs(spec):
            node, port = parse_tensor(item["name"])
            if nodes[node].op.startswith("Placeholder"):
                names[item["name"]] = _tname(item["name"])
            else:
                cuts.append(item["name"])
                names[item["name"]] = placeholder_name(node, port, nodes) + ":0"
        outputs = list(spec["outputs"])
        init = None
        if spec.get("init_tables"):
            init = "init_all_tables" if "init_all_tables" in nodes else None
            outputs += [init] if init else []
        edits = cut_inputs(model.graph_def, cuts, model.meta_graph, outputs) if cuts else None
        freeze(model, outputs, destination, edits=edits)
    return names, init


def _run_frozen(tf, destination, spec, names, feeds, init):
    graph_def = tf.GraphDef()
    with open(destination, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as session:
        tf.import_graph_def(graph_def, name="")
        if init:
            session.run(graph.get_operation_by_name(init))
        fetch = _fetches(graph, spec["outputs"])
        feed_dict = dict((graph.get_tensor_by_name(names[k]), v) for k, v in feeds.items())
        values = session.run(fetch, feed_dict)
    return dict(zip([t.name for t in fetch], values))


def _compare(expected, actual):
    worst = 0.0
    for name, value in expected.items():
        got = np.asarray(actual[name])
        value = np.asarray(value)
        if got.shape != value.shape or got.dtype != value.dtype:
            return "output %s: %s %s != %s %s" % (name, got.dtype, got.shape, value.dtype, value.shape)
        if value.dtype.kind in "fc":
            worst = max(worst, float(np.max(np.abs(got - value))) if value.size else 0.0)
        elif not np.array_equal(got, value):
            return "output %s differs" % name
    return None if worst <= 1e-4 else "max abs difference %.3g" % worst


def check(folder, tf, tf2, scratch):
    with open(os.path.join(folder, "spec.json")) as handle:
        spec = json.load(handle)
    rng = np.random.RandomState(0)
    destination = os.path.join(scratch, os.path.basename(folder) + ".pb")
    try:
        names, init = _freeze(folder, spec, destination)
    except Exception as exc:  # report and go on
        return spec, "freeze failed: %s" % exc
    try:
        feeds, expected = _reference(tf, tf2, folder, spec, rng)
        actual = _run_frozen(tf, destination, spec, names, feeds, init)
    except Exception as exc:
        return spec, "run failed: %s: %s" % (type(exc).__name__, str(exc).splitlines()[0][:300])
    return spec, _compare(expected, actual)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wild")
    parser.add_argument("--formats", default="v1,saved_model,estimator,frozen")
    parser.add_argument("--all-runtimes", action="store_true")
    args = parser.parse_args(argv)
    tf, tf2 = _tf()
    formats = args.formats.split(",")
    counts = collections.defaultdict(lambda: [0, 0])
    scratch = tempfile.mkdtemp(prefix="wild_formats_")
    try:
        for name in sorted(os.listdir(args.wild)):
            folder = os.path.join(args.wild, name)
            spec_path = os.path.join(folder, "spec.json")
            if not os.path.isfile(spec_path):
                continue
            with open(spec_path) as handle:
                spec = json.load(handle)
            runs_in_14 = spec.get("runs_in", "").startswith("TF 1.4")
            if spec["format"] not in formats or (not args.all_runtimes and runs_in_14 == tf2):
                continue
            spec, problem = check(folder, tf, tf2, scratch)
            counts[spec["format"]][0] += 1
            counts[spec["format"]][1] += problem is None
            print("%-4s %-60s %s" % ("ok" if problem is None else "FAIL", name, problem or ""))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    runtime = "TF %s%s" % (tf.__version__ if hasattr(tf, "__version__") else "?", " compat.v1" if tf2 else "")
    print("%s: %s" % (runtime, ", ".join("%s %d/%d" % (f, c[1], c[0]) for f, c in sorted(counts.items()))))
    return 0 if all(c[0] == c[1] for c in counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
