"""Models whose verification needs what the freeze was told, written at test time by the installed TensorFlow.

Each builder returns a ModelSpec; builders that need a frozen graph made another way than ours also
write ``tf_frozen.pb``, frozen by TensorFlow's own convert_variables_to_constants (the oracle).
"""

import os

import numpy as np

from tests.format_models import _make_iterator, _session_values
from tests.tf2_models import ModelSpec, _dense, _tf


def _freeze_with_tensorflow(tf1, session, outputs, path):
    graph_def = tf1.graph_util.convert_variables_to_constants(session, session.graph.as_graph_def(), outputs)
    with open(path, "wb") as handle:
        handle.write(graph_def.SerializeToString())


def build_saved_model_two_graphs(folder):
    """A SavedModel whose `train` meta graph has an op the `serve` one lacks (`scaled` = probs * 2)."""
    tf1 = _tf()
    export = os.path.join(folder, "export")
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        x = tf1.placeholder(tf1.float32, [None, 4], name="features")
        probs = tf1.nn.softmax(_dense(tf1, x, 3, "logits"), name="probs")
        builder = tf1.saved_model.builder.SavedModelBuilder(export)
        feeds = {"features": np.random.RandomState(1).rand(2, 4).astype(np.float32)}
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            builder.add_meta_graph_and_variables(session, ["serve"])
            tf1.multiply(probs, 2.0, name="scaled")
            builder.add_meta_graph(["train"])
            expected = _session_values(tf1, session, ["scaled"], feeds)
        builder.save()
    return ModelSpec("two_graphs", export, os.path.join(export, "variables", "variables"), ["scaled"], feeds,
                     expected, {})


def build_two_input_pipeline(folder):
    """An input pipeline with two features (IteratorGetNext:0 and :1) that the output both reads."""
    tf1 = _tf()
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        a = np.random.RandomState(3).rand(8, 3).astype(np.float32)
        b = np.random.RandomState(4).rand(8, 2).astype(np.float32)
        dataset = tf1.data.Dataset.from_tensor_slices((a, b)).repeat().batch(4)
        first, second = _make_iterator(tf1, dataset).get_next()
        tf1.subtract(_dense(tf1, first, 2, "dense"), second * -3.0, name="y")  # Sub: AddV2 is newer than 1.4
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            prefix = tf1.train.Saver().save(session, os.path.join(folder, "model.ckpt"))
            feeds = {first.name: a[:2], second.name: b[:2]}
            expected = _session_values(tf1, session, ["y"], feeds)
    return ModelSpec("two_inputs", folder, prefix, ["y"], feeds, expected, {})


def build_moving_averages(folder):
    """Weights trained two steps with their moving averages kept; a second saver (`save_1`) restores the
    averages into the weights. ``tf_frozen.pb`` is frozen by TensorFlow from the averages."""
    tf1 = _tf()
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        y = tf1.identity(_dense(tf1, x, 2, "dense"), name="y")
        loss = tf1.reduce_sum(tf1.square(y - 1.0))
        weights = tf1.trainable_variables()
        ema = tf1.train.ExponentialMovingAverage(0.5)
        step = tf1.train.GradientDescentOptimizer(0.3).minimize(loss)
        with tf1.control_dependencies([step]):
            train = ema.apply(weights)
        saver = tf1.train.Saver()
        averages = tf1.train.Saver(ema.variables_to_restore())
        feeds = {"x": np.random.RandomState(5).rand(2, 3).astype(np.float32)}
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for _ in range(2):
                session.run(train, {x: feeds["x"]})
            prefix = saver.save(session, os.path.join(folder, "model.ckpt"))
            averages.restore(session, prefix)
            expected = _session_values(tf1, session, ["y"], feeds)
            _freeze_with_tensorflow(tf1, session, ["y"], os.path.join(folder, "tf_frozen.pb"))
    return ModelSpec("moving_averages", folder, prefix, ["y"], feeds, expected, {})


def build_missing_variable(folder):
    """A bias (zeros initializer) the checkpoint lacks: the saver that wrote it knew the kernel only.
    ``tf_frozen.pb`` is frozen by TensorFlow with the bias at its initial value."""
    tf1 = _tf()
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        kernel = tf1.get_variable("kernel", [3, 2], initializer=tf1.random_normal_initializer(seed=2))
        bias = tf1.get_variable("bias", [2], initializer=tf1.zeros_initializer())
        tf1.nn.bias_add(tf1.matmul(x, kernel), bias, name="y")
        feeds = {"x": np.random.RandomState(6).rand(2, 3).astype(np.float32)}
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            prefix = tf1.train.Saver([kernel]).save(session, os.path.join(folder, "model.ckpt"))
            expected = _session_values(tf1, session, ["y"], feeds)
            _freeze_with_tensorflow(tf1, session, ["y"], os.path.join(folder, "tf_frozen.pb"))
    return ModelSpec("missing_variable", folder, prefix, ["y"], feeds, expected, {})
