"""Softmax of N-D logits frozen for a 1.x target: TF 1.4's kernel takes 2-D logits only, so the freeze writes
what TF 1.4's own tf.nn.softmax writes (flatten, softmax, shape back); the values are TensorFlow's."""

import os

import numpy as np
import pytest

from core import api
from core.formats import protos
from tests.tf_runtime import assert_close, run_frozen


@pytest.fixture(autouse=True)
def _ref_variables(tf):
    """Variables as TF 1.x writes them (VariableV2), which every target release restores."""
    if hasattr(tf, "disable_resource_variables"):
        tf.disable_resource_variables()


def _raw_op(name):
    from tensorflow.python.ops import gen_nn_ops
    return getattr(gen_nn_ops, name, None) or getattr(gen_nn_ops, "_" + name)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_n_d_softmax_frozen_for_1_4_runs_and_equals_tensorflow(tmp_path, tf, op):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
        logits = x * tf.Variable(np.array([1.0, -2.0, 0.5], np.float32), name="w")
        _raw_op(op)(logits, name="probs")  # one op of rank-3 logits, as TF >= 1.5's tf.nn.softmax writes it
        oracle = (tf.nn.softmax if op == "softmax" else tf.nn.log_softmax)(logits)  # TF's own, any release
        feeds = {"x": np.random.RandomState(3).randn(2, 5, 3).astype(np.float32)}
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            expected = session.run(oracle, {x: feeds["x"]})
            prefix = tf.train.Saver().save(session, os.path.join(str(tmp_path), "model.ckpt"))
    frozen = str(tmp_path / "frozen.pb")
    with api.load(prefix + ".meta") as loaded:
        api.freeze(loaded, api.FreezeRequest(["probs"], destination=frozen, target_tf="1.4"))
    with open(frozen, "rb") as handle:
        data = handle.read()
    nodes = dict((n.name, n) for n in protos.GraphDef.FromString(data).node)
    assert nodes["probs"].op == "Reshape" and nodes["probs/2d"].input == ["probs/flat"]
    assert_close(run_frozen(data, feeds, ["probs"])["probs"], expected)  # in TF 1.4.0 on the legacy stack


def test_without_a_1_x_target_the_softmax_is_kept(tmp_path, tf):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
        _raw_op("softmax")(x * tf.Variable(2.0, name="w"), name="probs")
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            prefix = tf.train.Saver().save(session, os.path.join(str(tmp_path), "model.ckpt"))
    frozen = str(tmp_path / "frozen.pb")
    with api.load(prefix + ".meta") as loaded:
        api.freeze(loaded, api.FreezeRequest(["probs"], destination=frozen))
    with open(frozen, "rb") as handle:
        nodes = dict((n.name, n.op) for n in protos.GraphDef.FromString(handle.read()).node)
    assert nodes["probs"] == "Softmax" and "probs/2d" not in nodes
