"""Ops that make new tensors (ScatterNd, TensorScatterUpdate) freeze; ops that update a variable are
refused with the op and why, as the op registry says (a Ref or resource input)."""

import os

import numpy as np
import pytest

from core import api
from tests.tf_runtime import assert_close, installed_version, run_frozen, tensorflow, tf1

tensorflow()

FEED = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)


def _build(folder, head):
    tf = tf1()
    prefix = os.path.join(str(folder), "model.ckpt")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.arange(9, dtype=np.float32).reshape(3, 3) / 4.0, name="w")
        head(tf, x, w)
        saver = tf.train.Saver()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            expected = session.run("y:0", {x: FEED})
            saver.save(session, prefix)
    return expected


def _scatter_nd(tf, x, w):
    scattered = tf.scatter_nd([[0], [2]], tf.matmul(x, w)[0][:2], [4])
    if hasattr(tf, "tensor_scatter_update"):  # TF >= 1.13 has it; 1.4 does not
        scattered = tf.tensor_scatter_update(scattered, [[1]], [5.0])
    tf.identity(scattered, name="y")


def _scatter_update(tf, x, w):
    updated = tf.scatter_update(w, [0], tf.zeros([1, 3]))
    tf.identity(tf.matmul(x, updated), name="y")


def test_ops_that_make_new_tensors_freeze(tmp_path):
    expected = _build(tmp_path, _scatter_nd)
    destination = str(tmp_path / "frozen.pb")
    with api.open_model(str(tmp_path)) as loaded:
        api.freeze(loaded, api.FreezeRequest(["y"], destination=destination, target_tf=installed_version()))
    with open(destination, "rb") as handle:
        assert_close(run_frozen(handle.read(), {"x": FEED}, ["y"])["y"], expected)


def test_an_op_that_updates_a_variable_is_refused_with_the_op_and_why(tmp_path):
    _build(tmp_path, _scatter_update)
    with api.open_model(str(tmp_path)) as loaded:
        with pytest.raises(api.ModelError) as caught:
            api.plan(loaded, api.FreezeRequest(["y"], target_tf=installed_version()))
    message = str(caught.value)
    # ScatterUpdate on TF 1.4's ref variables, ResourceScatterUpdate on 2.x's resource variables
    assert "ScatterUpdate)" in message and "takes variable 'w' by" in message and " <- " in message, message
