"""The checkpoint side of a verification: the source graph restored as the freeze read it, in TensorFlow.

It restores through the saver the freeze used (the meta graph's own, or the one named), gives the
variables the checkpoint lacks their initial values when the freeze did so (init_missing), fills the
lookup tables, and runs the outputs with the feeds (cut tensors fed directly).
"""

import logging

from core.errors import ModelError
from core.formats import protos
from core.formats.saver_map import fallback_key, variable_sources
from core.verify.random_ops import seed_alike

log = logging.getLogger(__name__)
RESTORE_OPS = frozenset(["RestoreV2", "RestoreSlice", "Restore"])


def guarded(call, what):
    """Calls ``call()``; a TensorFlow failure becomes one ModelError line saying what was being done."""
    from core.verify.feeds import summarize_error
    try:
        return call()
    except Exception as exc:
        if type(exc).__module__.startswith("tensorflow") or isinstance(exc, (ValueError, KeyError, TypeError)):
            raise ModelError(summarize_error(exc, what))
        raise


def fill_tables(session, initializers, what, feeds=None):
    """Runs lookup-table initializers (a frozen graph keeps them; the checkpoint graph lists them in its
    table_initializer collection), as a deployment would once after loading."""
    if initializers:
        guarded(lambda: session.run(initializers, feeds or None), "initialising the lookup tables of %s" % what)


def asset_feeds(graph, assets):
    """A SavedModel's asset path tensors fed with the files in its assets/ folder, as its loader does."""
    feeds = {}
    for asset in assets:
        if asset.path:
            try:
                feeds[graph.get_tensor_by_name(asset.tensor)] = asset.path
            except (KeyError, ValueError):
                continue
    return feeds


def restore_with_scope(graph, session, prefix, scope):
    """Runs the restore ops of the saver whose ops live under ``scope`` ("save", "save_1"), feeding its
    filename tensor (the first input of its restore ops) with ``prefix``.

    Raises:
        ModelError: no such saver in the graph.
    """
    names = set(op.name for op in graph.get_operations())
    if scope + "/restore_all" not in names:
        raise ModelError("the graph has no saver '%s' (no %s/restore_all op)" % (scope, scope), prefix)
    filenames = set(op.inputs[0].name for op in graph.get_operations()
                    if op.type in RESTORE_OPS and op.name.startswith(scope + "/"))
    if not filenames and scope + "/Const" in names:
        filenames = set([scope + "/Const:0"])
    feeds = dict((graph.get_tensor_by_name(name), prefix) for name in filenames)
    session.run(graph.get_operation_by_name(scope + "/restore_all"), feeds)


def restore_by_convention(graph, session, prefix):
    """A GraphDef without a meta graph (an Estimator graph.pbtxt) restores through its saver's ops."""
    names = set(op.name for op in graph.get_operations())
    for scope in ("save", "save_1"):
        if scope + "/restore_all" in names:
            return restore_with_scope(graph, session, prefix, scope)
    raise ModelError("the graph has no save/restore_all op to restore the checkpoint with", prefix)


def restore_present(tf1, session, model, initialise=True):
    """Initialises every variable (unless ``initialise`` is False), then restores those the checkpoint holds
    under the keys the saver map gives them (the freeze's init_missing), through savers this TensorFlow builds."""
    if initialise:
        session.run(tf1.global_variables_initializer())
    sources = variable_sources(model.graph_def)
    stored = set(model.checkpoint.names())
    nodes = dict((n.name, n) for n in model.graph_def.node)
    by_key, sliced = {}, []
    for variable in tf1.global_variables():
        name = variable.op.name
        source = sources.get(name)
        key = source.key if source is not None else fallback_key(nodes[name]) if name in nodes else name
        if key not in stored:
            log.info("verify: %s is not in the checkpoint; it keeps its initial value", name)
        elif getattr(variable, "_save_slice_info", None) is not None:
            sliced.append(variable)
        else:
            by_key[key] = variable
    for var_list in (by_key, sliced):
        if var_list:
            saver = tf1.train.Saver(var_list=var_list)
            guarded(lambda: saver.restore(session, model.checkpoint.prefix), "restoring the checkpoint")


def strip_output_shapes(meta_graph):
    copy = protos.MetaGraphDef()
    copy.CopyFrom(meta_graph)
    for node in copy.graph_def.node:
        if "_output_shapes" in node.attr:
            del node.attr["_output_shapes"]
    return copy.SerializeToString()


def _import(tf1, model):
    """Imports the source graph into the default graph; returns the meta graph's saver (or None)."""
    if model.meta_graph is not None:
        meta = tf1.MetaGraphDef()
        meta.ParseFromString(strip_output_shapes(model.meta_graph))
        seed_alike(meta.graph_def)
        return guarded(lambda: tf1.train.import_meta_graph(meta, clear_devices=True),
                       "importing the checkpoint's graph")
    graph_def = tf1.GraphDef()
    graph_def.ParseFromString(model.graph_def.SerializeToString())
    seed_alike(graph_def)
    guarded(lambda: tf1.import_graph_def(graph_def, name=""), "importing the reference graph")
    return None


def _default_scope(model):
    if model.meta_graph is not None and model.meta_graph.HasField("saver_def"):
        return model.meta_graph.saver_def.restore_op_name.rpartition("/")[0] or None
    return None


def _restore(tf1, graph, session, model, saver, meta_saver, init_missing):
    prefix = model.checkpoint.prefix
    if init_missing:
        return restore_present(tf1, session, model)
    if saver is not None and saver != _default_scope(model):
        return guarded(lambda: restore_with_scope(graph, session, prefix, saver), "restoring the checkpoint")
    if model.meta_graph is None:
        return guarded(lambda: restore_by_convention(graph, session, prefix), "restoring the checkpoint")
    meta_saver = meta_saver or tf1.train.Saver()
    try:
        guarded(lambda: meta_saver.restore(session, prefix), "restoring the checkpoint")
    except ModelError as exc:
        if model.meta_graph.saver_def.version != 1:
            raise
        # TF 1.4's RestoreV2 reads a V1 checkpoint one tensor at a time (a newer saver restores several in
        # one op): the same keys, through the one-tensor restore ops this TensorFlow's own Saver builds.
        log.info("%s; restoring the same keys through this TensorFlow's saver", exc)
        restore_present(tf1, session, model, initialise=False)


def run_reference(tf1, model, outputs, feeds, run, saver=None, init_missing=False):
    """Runs the outputs in the checkpoint-restored source graph.

    Args:
        tf1: tf.compat.v1 (or tf on 1.x); model: core.formats.model.Model.
        outputs: output names; feeds: dict tensor or node name -> array.
        run: callable(tf1, graph, session, outputs, feeds, what) that runs and returns the values.
        saver: the saver the freeze restored through (its scope), None for the meta graph's own.
        init_missing: the freeze gave variables absent from the checkpoint their initial values.
    """
    with tf1.Graph().as_default() as graph:
        with tf1.Session(graph=graph) as session:
            meta_saver = _import(tf1, model)
            if model.checkpoint is not None:
                _restore(tf1, graph, session, model, saver, meta_saver, init_missing)
            try:  # tables the outputs do not use may not initialise here (ops newer than this TF)
                fill_tables(session, tf1.get_collection(tf1.GraphKeys.TABLE_INITIALIZERS), "the checkpoint graph",
                            asset_feeds(graph, getattr(model, "assets", None) or []))
            except ModelError as exc:
                log.warning("%s; running the outputs without them", exc)
            return run(tf1, graph, session, outputs, feeds, "running the checkpoint")
