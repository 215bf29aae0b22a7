"""TensorFlow as the oracle for a damaged model: what TF computes from the SAME files, or that it refuses.

Imports nothing of the project but tests.tf_runtime (which TensorFlow API to use), so the
campaign's judge process (tools/mutation_campaign.py, under TF 1.4's Python) and the tests
share one oracle. The outputs a frozen graph must give are the ones TensorFlow computes after
`import_meta_graph` + restore (the `saver_def`'s restore op fed with the prefix) of the same
damaged files; when TensorFlow refuses that, its restore of only what the outputs read, by the
graph's own restore ops in the graph pruned to them (TensorFlow's `extract_sub_graph`): damage
to what a freeze does not keep (an optimizer slot's entry) does not decide its result. None:
TensorFlow refuses the files; its reason starts with "at run: " when it accepted and restored
them and only running the outputs failed (a kernel's error on these feeds). (The two are separate calls: TensorFlow 1.4 aborts the process on
some damaged entries, see tests/tf_judge.py.)
"""

import os

import numpy as np

from tests.tf_runtime import tf1


def _node(name):
    name = name[1:] if name.startswith("^") else name
    return name.split(":")[0]


def _tensor(name):
    return name if ":" in name else name + ":0"


def read_meta_graph(path):
    """The MetaGraphDef at ``path`` (binary or text) as TensorFlow's own message."""
    from google.protobuf import text_format
    tf = tf1()
    meta = tf.MetaGraphDef()
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        meta.ParseFromString(data)
    except Exception:  # noqa: BLE001 - a text MetaGraphDef
        text_format.Merge(data.decode("utf-8"), meta)
    return meta


_VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp")
_RESTORING_OPS = ("Assign", "AssignVariableOp")


def _ancestors(graph_def, names):
    """Names of the nodes ``names`` need, through data and control inputs (TensorFlow's extract_sub_graph)."""
    sub = tf1().graph_util.extract_sub_graph(graph_def, [_node(n) for n in names])
    return sub, set(n.name for n in sub.node)


def _needed_restores(meta, outputs):
    """The saver's restoring ops (under restore_op_name) of the variables the outputs read."""
    _, needed = _ancestors(meta.graph_def, outputs)
    nodes = dict((n.name, n) for n in meta.graph_def.node)
    variables = set(n for n in needed if nodes[n].op in _VARIABLE_OPS)
    _, restoring = _ancestors(meta.graph_def, [meta.saver_def.restore_op_name])
    return sorted(n for n in restoring if nodes[n].op in _RESTORING_OPS and nodes[n].input
                  and _node(nodes[n].input[0]) in variables)


RUN_FAILED = "at run: "


class RunFailed(Exception):
    """The graph imported (and restored); running its outputs on these feeds failed in a kernel."""


def _run_outputs(session, fetches, feed_dict):
    """session.run, its failure marked as a run-time one (the graph itself was accepted)."""
    try:
        return session.run(fetches, feed_dict)
    except Exception as exc:  # noqa: BLE001 - a kernel's error on these values
        raise RunFailed(first_line(exc))


def _run_restored(meta, prefix, feeds, outputs, only_needed=False):
    """Imports ``meta``, runs its saver's restore (all of it, or the needed variables' part) and the outputs."""
    tf = tf1()
    restore = [meta.saver_def.restore_op_name] if meta.HasField("saver_def") and prefix is not None else []
    if only_needed:
        restore = _needed_restores(meta, outputs)
        pruned = tf.MetaGraphDef()
        pruned.CopyFrom(meta)
        pruned.graph_def.CopyFrom(_ancestors(meta.graph_def, list(outputs) + restore)[0])
        pruned.ClearField("collection_def")
        meta = pruned
    with tf.Graph().as_default() as graph:
        tf.train.import_meta_graph(meta, clear_devices=True)
        with tf.Session(graph=graph) as session:
            if restore:
                session.run(restore, {meta.saver_def.filename_tensor_name: prefix})
            fetches = [_tensor(o) for o in outputs]
            feed_dict = dict((_tensor(k), v) for k, v in feeds.items())
            values = _run_outputs(session, fetches, feed_dict)
    return dict(zip(outputs, values))


def checkpoint_outputs(meta_path, prefix, feeds, outputs, only_needed=False):
    """What TensorFlow computes for ``outputs`` from the meta graph and checkpoint as they are on disk.

    Args:
        meta_path: the `.meta` file; prefix: the checkpoint prefix (None: no checkpoint to restore).
        feeds: tensor or node name -> value; outputs: node or tensor names.
        only_needed: restore only the variables the outputs read, by the graph's own restore ops
            in the graph pruned to them (else TensorFlow's restore of the whole saver).
    Returns:
        (dict output -> numpy array, how it was restored), or (None, TensorFlow's refusal).
    """
    try:
        meta = read_meta_graph(meta_path)
        values = _run_restored(meta, prefix, feeds, outputs, only_needed)
    except Exception as exc:  # noqa: BLE001 - TensorFlow refuses the files
        return None, first_line(exc)
    return values, "restored (the outputs' part)" if only_needed else "restored"


def graph_outputs(path, feeds, outputs):
    """What TensorFlow computes from a GraphDef file (`.pb` binary, `.pbtxt` text): (values, how) or (None, why)."""
    from google.protobuf import text_format
    tf = tf1()
    graph_def = tf.GraphDef()
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if path.endswith(".pbtxt"):
            text_format.Merge(data.decode("utf-8"), graph_def)
        else:
            graph_def.ParseFromString(data)
        return run_graph_def(graph_def, feeds, outputs), "imported"
    except Exception as exc:  # noqa: BLE001 - TensorFlow refuses the file
        return None, first_line(exc)


def run_graph_def(graph_def, feeds, outputs):
    tf = tf1()
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=graph) as session:
            fetches = [_tensor(o) for o in outputs]
            values = _run_outputs(session, fetches, dict((_tensor(k), v) for k, v in feeds.items()))
    return dict(zip(outputs, values))


def frozen_outputs(pb_path, feeds, outputs):
    """A frozen `.pb` imported and run: (values, "imported") or (None, TensorFlow's refusal)."""
    return graph_outputs(pb_path, feeds, outputs)


def model_outputs(path, prefix, feeds, outputs, only_needed=False):
    """The oracle for a model at ``path``: a `.meta` with its checkpoint, or a GraphDef file."""
    if path.endswith(".meta"):
        return checkpoint_outputs(path, prefix, feeds, outputs, only_needed)
    return graph_outputs(path, feeds, outputs)


def differences(actual, expected, rtol=1e-5, atol=1e-6):
    """Outputs whose values differ (shape, dtype or value), as short strings; [] when all equal."""
    found = []
    for name in expected:
        a, e = np.asarray(actual.get(name)), np.asarray(expected[name])
        if a.shape != e.shape or a.dtype != e.dtype:
            found.append("%s: %s %s vs TF %s %s" % (name, a.dtype, a.shape, e.dtype, e.shape))
        elif a.dtype.kind in "fc":
            if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
                found.append("%s: max abs difference %g" % (name, float(np.max(np.abs(a - e)))))
        elif not np.array_equal(a, e):
            found.append("%s: values differ" % name)
    return found


def first_line(exc):
    """TensorFlow's error in one line: its own message (2.x puts "Graph execution error:" first)."""
    if isinstance(exc, RunFailed):
        return (RUN_FAILED + str(exc))[:300]
    text = str(getattr(exc, "message", None) or exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("Graph execution error", "Detected at node",
                                                            "File ", "Traceback", "[[", "Node:"))] or lines
    return ("%s: %s" % (type(exc).__name__, lines[-1] if lines else ""))[:300]


def silence():
    """TensorFlow's C++ logging off (before it is imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
