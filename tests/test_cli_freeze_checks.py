"""`freeze` refuses what would not give the tensors asked for: output ports past the op's outputs, --set
values that do not fit their placeholder, cuts inside a while loop; a failed --verify keeps no .pb at -o."""

import os

import numpy as np
import pytest

from tests.conftest import load_fixture
from tests.test_cli import run_main
from tests.tf_runtime import installed_version, run_frozen, tensorflow, tf1


def _refused(tmp_path, *args, **words):
    destination = tmp_path / "out.pb"
    code, out, err = run_main("freeze", *(args + ("-o", destination)))
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, err
    for word in words["words"]:
        assert word in err, err
    assert not destination.exists()


@pytest.mark.parametrize("fixture, output, words", [
    ("mlp", "output/BiasAdd:3", ["'output/BiasAdd:3'", "(BiasAdd) has 1 output(s), so no output 3"]),
    ("cnn_bn", "probs:1", ["'probs:1'", "(Softmax) has 1 output(s)"]),
])
def test_output_port_past_the_ops_outputs(tmp_path, fixture, output, words):
    _refused(tmp_path, load_fixture(fixture).folder, "--outputs", output, words=words)


def test_set_on_a_data_placeholder(tmp_path):
    _refused(tmp_path, load_fixture("mlp").folder, "--outputs", "output/BiasAdd", "--set", "input=1.5",
             words=["placeholder 'input' has shape [?,", "needs a scalar placeholder"])


def test_set_value_of_the_wrong_type(tmp_path):
    _refused(tmp_path, load_fixture("cnn_bn").folder, "--outputs", "probs", "--set", "is_training=maybe",
             words=["--set is_training", "not a boolean"])


def _save(folder, head):
    """Writes model.ckpt(.meta) of x [?,2] -> head(tf, x, w) named y, w a 2x2 variable."""
    tf = tf1()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable(np.array([[0.5, 0.0], [0.0, 2.0]], np.float32), name="w")
        tf.identity(head(tf, x, w), name="y")
        saver = tf.train.Saver()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, os.path.join(str(folder), "model.ckpt"))


def _loop(tf, x, w):
    start = tf.matmul(x, w, name="start")
    return tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, tf.multiply(a, 2.0, name="double")),
                         [tf.constant(0), start], name="loop")[1]


def _build_loop(folder):
    """A while loop as TF 1.x builds it (Enter/Merge/Switch/NextIteration/Exit in the graph; TF 2.x's
    compat.v1 would make a While op with a function body, so its v1 loops are asked for)."""
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # TF 1.4 has only v1 loops
        control_flow_util = None
    v2 = getattr(control_flow_util, "ENABLE_CONTROL_FLOW_V2", False)
    if control_flow_util is not None:
        control_flow_util.ENABLE_CONTROL_FLOW_V2 = False
    try:
        _save(folder, _loop)
    finally:
        if control_flow_util is not None:
            control_flow_util.ENABLE_CONTROL_FLOW_V2 = v2


def test_cut_inside_a_while_loop_is_refused_and_before_it_works(tmp_path):
    tensorflow()
    _build_loop(tmp_path)
    _refused(tmp_path, str(tmp_path), "--outputs", "y", "--inputs", "loop/double:0",
             words=["input cut 'loop/double:0' is inside the while loop", "cut before the loop"])
    destination = tmp_path / "cut.pb"
    code, out, err = run_main("freeze", str(tmp_path), "--outputs", "y", "--inputs", "start:0", "-o", destination,
                              "--target-tf", installed_version())
    assert code == 0, err
    fed = np.array([[1.0, 2.0]], np.float32)
    with open(str(destination), "rb") as handle:
        np.testing.assert_allclose(run_frozen(handle.read(), {"start": fed}, ["y"])["y"], fed * 8)


def _never_runs(tf, x, w):
    """The product behind an assertion that fails for any finite input: no run of it completes."""
    check = tf.Assert(tf.reduce_any(tf.is_nan(x)), ["x holds no NaN"], name="never")
    with tf.control_dependencies([check]):
        return tf.matmul(x, w)


def test_failed_verify_keeps_no_pb_at_the_destination(tmp_path):
    tensorflow()
    _save(tmp_path, _never_runs)
    destination = tmp_path / "out.pb"
    code, out, err = run_main("freeze", str(tmp_path), "--outputs", "y", "--verify", "-o", destination,
                              "--target-tf", installed_version())
    assert code == 1, (out, err)
    kept = tmp_path / "out.verify-failed.pb"
    assert not destination.exists() and kept.exists()
    assert "kept as %s, not %s" % (kept, destination) in err, err
    assert "x holds no NaN" in err, err


def test_a_random_op_verifies_with_both_runs_seeded_alike(tmp_path):
    """An output that adds a random draw (which differs on every run) is no false 'differs': verify draws
    from the same seed in both graphs, says so, and the .pb stays at the destination."""
    tensorflow()
    _save(tmp_path, lambda tf, x, w: tf.matmul(x, w) + tf.random_uniform([2]))
    destination = tmp_path / "out.pb"
    code, out, err = run_main("freeze", str(tmp_path), "--outputs", "y", "--verify", "-o", destination,
                              "--target-tf", installed_version())
    assert code == 0, (out, err)
    assert destination.exists()
    assert "y depends on random op 'random_uniform/RandomUniform'" in out, out
