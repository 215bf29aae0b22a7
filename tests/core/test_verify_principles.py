"""What verify runs and feeds, derived from the graph: graphs built at test time, both runs in TensorFlow.

- An output computed from a random op that inference mode does not remove (a dropout whose keep_prob is
  a constant, a draw inside a while loop) is compared with both runs drawing from the same seed, and the
  report says it depends on that op.
- Generated feeds have the rank, size and values the consumers of a placeholder need.
"""

import os

import numpy as np
import pytest

from core.formats.model import open_model
from core.freeze.stage import plan_and_write
from core.verify.runner import verify


@pytest.fixture(autouse=True)
def _ref_variables(tf):
    """Variables as TF 1.x writes them (VariableV2), which every target release restores."""
    if hasattr(tf, "disable_resource_variables"):
        tf.disable_resource_variables()


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


def _save_meta(tf, tmp_path):
    with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        return _save(tf, session, str(tmp_path))


def test_a_batch_fixed_by_a_data_input_sizes_every_input(tmp_path, tf):
    """A placeholder shaped [1, None, 3] fixes the batch: the generated sequence lengths are one per example
    (ReverseSequence, as a bidirectional RNN uses it, needs as many as the batch), none longer than the time
    axis the graph leaves unknown."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, None, 3], name="x")
        lengths = tf.placeholder(tf.int32, [None], name="lengths")
        scaled = x * tf.Variable(np.array([1.0, 2.0, 3.0], np.float32), name="w")
        tf.reverse_sequence(scaled, lengths, seq_axis=1, batch_axis=0, name="y")
        prefix = _save_meta(tf, tmp_path)
    report = _freeze_and_verify(tmp_path, prefix, ["y"])
    assert report.passed, report.outputs
    assert report.inputs_used["lengths"] == ("int32", [1])
    assert report.inputs_used["x"][1][0] == 1


def test_sequence_lengths_follow_the_axis_the_graph_leaves_unknown(tmp_path, tf):
    """Images [1, 5, None, 1] read along their width (time-major logits [width, 1, 5] for a CTC decoder): the
    lengths must not exceed the width, the one dimension the graph leaves open, not the height."""
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [1, 5, None, 1], name="images")
        lengths = tf.placeholder(tf.int32, [None], name="lengths")
        scale = tf.Variable(np.linspace(0.5, 1.5, 5).astype(np.float32), name="scale")
        logits = tf.transpose(tf.squeeze(images, [3]), [2, 0, 1]) * scale
        tf.nn.ctc_greedy_decoder(logits, lengths)
        prefix = _save_meta(tf, tmp_path)
    report = _freeze_and_verify(tmp_path, prefix, ["CTCGreedyDecoder"])
    assert report.passed, report.outputs
    width = report.inputs_used["images"][1][2]
    assert report.inputs_used["lengths"] == ("int32", [1]) and width >= 1


def test_a_size_scalar_that_shapes_a_zero_state_is_the_batch_size(tmp_path, tf):
    """An int scalar that becomes the first dimension of tf.zeros([n, 3]) (an RNN's zero state) is a batch
    size: concatenated with the data along axis 1, it must equal the data's batch, not its length."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 7], name="x")
        n = tf.placeholder(tf.int32, [], name="n")
        dense = tf.matmul(x, tf.Variable(np.ones([7, 2], np.float32), name="w"))
        tf.concat([dense, tf.zeros(tf.stack([n, 3]))], 1, name="y")
        prefix = _save_meta(tf, tmp_path)
    report = _freeze_and_verify(tmp_path, prefix, ["y"])
    assert report.passed, report.outputs
    assert report.inputs_used["n"] == ("int32", [])


def test_noisy_data_is_fed_where_the_noise_is_added_with_the_shape_a_reshape_fixes(tmp_path, tf):
    """A denoiser adds random noise to its image inside the graph; the analysis says the noisy tensor is the
    input. Verify feeds it in both graphs (nothing random is left to compare), with the [4, 4, 1] the
    consumer Reshape to [1, 4, 4, 1] needs of a tensor TensorFlow records as [None, None, 1]."""
    with tf.Graph().as_default():
        clean = tf.placeholder(tf.float32, [None, None, 1], name="clean")
        noise = tf.random_normal(tf.shape(clean), stddev=0.1)
        noisy = tf.add(clean, noise, name="noisy")
        kernel = tf.Variable(np.full([3, 3, 1, 1], 0.1, np.float32), name="kernel")
        residual = tf.nn.conv2d(tf.reshape(noisy, [1, 4, 4, 1]), kernel, [1, 1, 1, 1], "SAME", name="residual")
        loss = tf.reduce_mean(tf.square(tf.reshape(residual, [4, 4, 1]) - noise))
        tf.train.AdamOptimizer(1e-3).minimize(loss)
        prefix = _save_meta(tf, tmp_path)
    report = _freeze_and_verify(tmp_path, prefix, ["residual"])
    assert report.passed, report.outputs
    assert report.inputs_used == {"noisy:0": ("float32", [4, 4, 1])}
    assert report.notes == ()


def _several_tensor_v1_saver(tf, variables):
    """A V1 saver whose one RestoreV2 reads every variable (as TensorFlow >= 1.5 writes it): its SaverDef."""
    from tensorflow.python.ops import gen_io_ops
    with tf.name_scope("save"):
        filename = tf.constant("model", name="Const")
        names = [v.op.name for v in variables]
        restored = gen_io_ops.restore_v2(filename, names, [""] * len(names), [v.dtype.base_dtype for v in variables])
        restore_all = tf.group(*[tf.assign(v, r) for v, r in zip(variables, restored)], name="restore_all")
    return tf.train.SaverDef(filename_tensor_name=filename.name, restore_op_name=restore_all.name,
                             save_tensor_name=filename.name, version=tf.train.SaverDef.V1)


def test_a_v1_checkpoint_is_restored_under_the_saver_keys_where_its_restore_op_cannot_run(tmp_path, tf):
    """TF 1.4's RestoreV2 reads a V1 checkpoint one tensor at a time, so the restore op a newer TensorFlow
    wrote (several tensors in one RestoreV2) fails there: verify restores the same keys through the saver
    this TensorFlow builds, and the frozen graph equals TensorFlow's own values."""
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), name="w")
        b = tf.Variable(np.array([0.5, -0.5], np.float32), name="b")
        tf.add(tf.matmul(x, w), b, name="y")
        saver_def = _several_tensor_v1_saver(tf, [w, b])
        feeds = {"x": np.array([[1.0, -1.0]], np.float32)}
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            expected = session.run("y:0", {"x:0": feeds["x"]})
            prefix = str(tmp_path / "model.ckpt")
            tf.train.Saver([w, b], write_version=tf.train.SaverDef.V1).save(session, prefix,
                                                                              write_meta_graph=False)
        tf.train.export_meta_graph(prefix + ".meta", graph_def=graph.as_graph_def(), saver_def=saver_def)
    report = _freeze_and_verify(tmp_path, prefix, ["y"], feeds)
    assert report.passed, report.outputs
    from tests.tf_runtime import run_frozen
    with open(str(tmp_path / "frozen.pb"), "rb") as handle:
        assert np.array_equal(run_frozen(handle.read(), feeds, ["y"])["y"], expected)


def test_a_batch_a_concat_joins_the_data_with_sizes_the_data(tmp_path, tf):
    """Data of unknown batch joined along axis 1 with a tensor made for a fixed batch of 4 (a decoder's start
    tokens built for the training batch): TensorFlow records the join's first dimension as 4, so the
    generated data has batch 4."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        start = tf.ones([4, 2]) * tf.Variable(0.5, name="go")
        tf.concat([tf.matmul(x, tf.Variable(np.ones([3, 2], np.float32), name="w")), start], 1, name="y")
        prefix = _save_meta(tf, tmp_path)
    report = _freeze_and_verify(tmp_path, prefix, ["y"])
    assert report.passed, report.outputs
    assert report.inputs_used["x"] == ("float32", [4, 3])
