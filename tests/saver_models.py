"""Models with several savers and odd restore paths, written at test time by the installed TensorFlow.

TensorFlow itself is the oracle: ``restored_outputs`` imports the meta graph and restores the checkpoint
through a chosen saver's own restore op, as a user's deployment script would.
"""

import os

import numpy as np

from tests.tf_runtime import tf1

FEED = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]], dtype=np.float32)


def build_two_savers(folder, ema_saver_first=False, export_with="training"):
    """A dense layer trained a few steps with an ExponentialMovingAverage beside it.

    The graph holds a training ``Saver()`` and an evaluation ``Saver(ema.variables_to_restore())``;
    the checkpoint is written by the training saver and the meta graph's saver_def names
    ``export_with`` ("training" or "ema"). Returns (prefix, {saver kind: its name scope}).
    """
    tf = tf1()
    prefix = os.path.join(str(folder), "model.ckpt")
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        # resource variables whatever ran before (tf.Variable's kind is process state on TF 2.x; with ref
        # variables the moving averages' initializers read w before it is initialized, in some orders)
        w = tf.get_variable("w", initializer=tf.constant(np.full([3, 2], 0.1, dtype=np.float32)), use_resource=True)
        b = tf.get_variable("b", initializer=tf.constant(np.zeros([2], dtype=np.float32)), use_resource=True)
        y = tf.identity(tf.matmul(x, w) + b, name="y")
        step = tf.group(tf.assign_add(w, tf.ones_like(w)), tf.assign_add(b, tf.fill([2], 0.5)))
        ema = tf.train.ExponentialMovingAverage(0.5)
        with tf.control_dependencies([step]):
            train = ema.apply([w, b])
        savers = {}
        order = ("ema", "training") if ema_saver_first else ("training", "ema")
        for kind in order:
            savers[kind] = tf.train.Saver(ema.variables_to_restore()) if kind == "ema" else tf.train.Saver()
        with tf.Session(graph=graph) as session:
            session.run(tf.global_variables_initializer())
            for _ in range(3):
                session.run(train)
            savers["training"].save(session, prefix, write_meta_graph=False)
        savers[export_with].export_meta_graph(prefix + ".meta")
        names = dict((kind, saver.saver_def.restore_op_name.rsplit("/", 1)[0]) for kind, saver in savers.items())
    assert y is not None
    return prefix, names


def restored_outputs(prefix, scope, outputs=("y",), feed=None):
    """Runs ``outputs`` after TensorFlow restores ``prefix`` through the saver whose ops live under ``scope``."""
    tf = tf1()
    graph = tf.Graph()
    with graph.as_default():
        tf.train.import_meta_graph(prefix + ".meta", clear_devices=True)
        saver_def = tf.train.SaverDef(filename_tensor_name=scope + "/Const:0",
                                      save_tensor_name=scope + "/control_dependency:0",
                                      restore_op_name=scope + "/restore_all")
        saver = tf.train.Saver(saver_def=saver_def)
        with tf.Session(graph=graph) as session:
            saver.restore(session, prefix)
            fetches = [graph.get_tensor_by_name(o + ":0") for o in outputs]
            values = session.run(fetches, {graph.get_tensor_by_name("x:0"): FEED if feed is None else feed})
    return dict(zip(outputs, values))


def insert_on_restore_path(prefix, variable, op):
    """Rewrites the meta graph so that ``variable``'s restore value passes through a new ``op`` node
    (Identity, Neg) between the restore tensor and its Assign. Returns the new node's name."""
    tf = tf1()
    meta = tf.MetaGraphDef()
    with open(prefix + ".meta", "rb") as handle:
        meta.ParseFromString(handle.read())
    nodes = dict((n.name, n) for n in meta.graph_def.node)
    scope = meta.saver_def.restore_op_name.rsplit("/", 1)[0]
    assign = [n for n in meta.graph_def.node if n.name.startswith(scope + "/") and n.op in ("Assign", "AssignVariableOp")
              and n.input[0] == variable][0]
    value = assign.input[1]
    inserted = meta.graph_def.node.add(name="%s/%s_on_restore" % (scope, op.lower()), op=op, input=[value])
    inserted.attr["T"].type = nodes[variable].attr["dtype"].type
    assign.input[1] = inserted.name
    with open(prefix + ".meta", "wb") as handle:
        handle.write(meta.SerializeToString())
    return inserted.name


def build_trainable_only_saver(folder, random_untrained=False):
    """A model whose saver stores only the trainable variables (as a DCGAN's does): its normalisation
    statistics and constants are initialised by their initializers, then the rest restored.

    Returns (prefix, the variables the checkpoint lacks).
    """
    tf = tf1()
    prefix = os.path.join(str(folder), "model.ckpt")
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 5.0, name="w")
        mean = tf.Variable(tf.zeros([2]), trainable=False, name="bn/moving_mean")
        variance = tf.Variable(tf.ones([2]), trainable=False, name="bn/moving_variance")
        shift = tf.get_variable("bn/shift", [2], initializer=tf.constant_initializer(0.25), trainable=False)
        scale = tf.Variable(tf.fill([2], 3.0), trainable=False, name="bn/scale")
        y = (tf.matmul(x, w) - mean) / tf.sqrt(variance) * scale + shift
        if random_untrained:
            y = y + tf.Variable(tf.random_normal([2]), trainable=False, name="noise")
        tf.identity(y, name="y")
        saver = tf.train.Saver(tf.trainable_variables())
        with tf.Session(graph=graph) as session:
            session.run(tf.global_variables_initializer())
            session.run(tf.assign_add(w, tf.ones_like(w)))
            saver.save(session, prefix)
    missing = ["bn/moving_mean", "bn/moving_variance", "bn/scale", "bn/shift"] + (["noise"] if random_untrained else [])
    return prefix, missing


def initialised_then_restored(prefix, outputs=("y",)):
    """TensorFlow's answer for a model whose authors initialise every variable, then restore."""
    tf = tf1()
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.train.import_meta_graph(prefix + ".meta", clear_devices=True)
        with tf.Session(graph=graph) as session:
            session.run(tf.global_variables_initializer())
            saver.restore(session, prefix)
            fetches = [graph.get_tensor_by_name(o + ":0") for o in outputs]
            values = session.run(fetches, {graph.get_tensor_by_name("x:0"): FEED})
    return dict(zip(outputs, values))
