"""What verify runs and feeds, derived from the graph: graphs built at test time, both runs in TensorFlow.

- An output computed from a random op that inference mode does not remove (a dropout whose keep_prob is
  a constant, a draw inside a while loop) is compared with both runs drawing from the same seed, and the
  report says it depends on that op.
- Generated feeds have the rank, size and values the consumers of a placeholder need.
"""

import os

import numpy as np

from core.formats.model import open_model
from core.freeze.stage import plan_and_write
from core.verify.runner import verify


def _save(tf1, session, folder):
    return tf1.train.Saver().save(session, os.path.join(folder, "model.ckpt"))


def _restored_values(tf1, prefix, output, feeds):
    """``output`` of the checkpoint restored in a fresh session (TensorFlow alone)."""
    with tf1.Graph().as_default() as graph:
        saver = tf1.train.import_meta_graph(prefix + ".meta")
        with tf1.Session(graph=graph) as session:
            saver.restore(session, prefix)
            return session.run(output + ":0", feeds)


def _freeze_and_verify(tmp_path, prefix, outputs, feeds=None):
    destination = str(tmp_path / "frozen.pb")
    with open_model(prefix + ".meta") as model:
        plan_and_write(model, outputs, destination)
        return verify(model, destination, outputs, feeds=feeds)


def test_a_constant_dropout_is_compared_with_the_same_seed(tmp_path, tf):
    """tf.nn.dropout(h, 0.5) draws anew in every session (TensorFlow itself gives two values); verify seeds it
    alike in the checkpoint graph and the frozen graph, passes, and says the output depends on it."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        weights = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0, name="w")
        tf.identity(tf.nn.dropout(tf.matmul(x, weights), keep_prob=0.5), name="y")
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            prefix = _save(tf, session, str(tmp_path))
    feeds = {"x:0": np.ones([8, 4], np.float32)}
    first, second = (_restored_values(tf, prefix, "y", feeds) for _ in range(2))
    assert not np.array_equal(first, second)  # the oracle: the op is random in TensorFlow
    report = _freeze_and_verify(tmp_path, prefix, ["y"], {"x": feeds["x:0"]})
    assert report.passed, report.outputs
    assert len(report.notes) == 1 and "dropout" in report.notes[0] and "random op" in report.notes[0]


def test_draws_inside_a_while_loop_are_compared_in_iteration_order(tmp_path, tf):
    """A random op in a loop body whose shape does not wait for the previous iteration may run its iterations
    in any order; verify runs such loops one iteration at a time in both graphs, so they draw alike."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        scale = tf.identity(tf.Variable(0.5, name="scale"))  # a value, as a loop of either control flow takes it

        def body(i, acc):
            return i + 1, acc * scale + tf.random_uniform([2, 3])

        _, total = tf.while_loop(lambda i, acc: i < 20, body, [tf.constant(0), x], parallel_iterations=16)
        tf.identity(total, name="y")
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            prefix = _save(tf, session, str(tmp_path))
    report = _freeze_and_verify(tmp_path, prefix, ["y"])
    assert report.passed, report.outputs
    assert "random_uniform/RandomUniform" in report.notes[0]  # in the loop's frame, or its body function


def test_an_output_without_random_ops_has_no_note(tmp_path, tf):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        tf.identity(x * tf.Variable(2.0, name="w"), name="y")
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            prefix = _save(tf, session, str(tmp_path))
    report = _freeze_and_verify(tmp_path, prefix, ["y"])
    assert report.passed and report.notes == ()
