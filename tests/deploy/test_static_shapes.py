"""core.deploy.static_shapes against TensorFlow's own shape functions, on a graph built here (no
`_output_shapes` recorded: every shape is computed from the ops)."""

import numpy as np

from core.deploy.static_shapes import infer_shapes
from core.deploy.tensor_values import const_value
from core.formats import protos


def test_shapes_match_tensorflows_shape_inference(tf):
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [2, 9, 9, 3], name="x")
        ids = tf.placeholder(tf.int32, [2, 5], name="ids")
        valid = tf.nn.conv2d(x, tf.constant(np.ones((3, 3, 3, 4), np.float32)), [1, 2, 2, 1], "VALID", name="valid")
        same = tf.nn.conv2d(x, tf.constant(np.ones((2, 2, 3, 6), np.float32)), [1, 2, 2, 1], "SAME", name="same")
        dilated = tf.nn.conv2d(x, tf.constant(np.ones((3, 3, 3, 2), np.float32)), [1, 1, 1, 1], "VALID",
                               dilations=[1, 2, 2, 1], name="dilated")
        depthwise = tf.nn.depthwise_conv2d(x, tf.constant(np.ones((3, 3, 3, 2), np.float32)), [1, 1, 1, 1], "SAME",
                                           name="depthwise")
        pooled = tf.nn.max_pool(tf.nn.relu(same), [1, 3, 3, 1], [1, 2, 2, 1], "VALID", name="pooled")
        tf.nn.avg_pool(valid, [1, 2, 2, 1], [1, 1, 1, 1], "SAME", name="averaged")
        biased = tf.nn.bias_add(depthwise, tf.constant(np.ones(6, np.float32)), name="biased")
        flat = tf.reshape(pooled, [-1, 2 * 2 * 6], name="flat")
        dense = tf.matmul(flat, tf.constant(np.ones((7, 24), np.float32)), transpose_b=True, name="dense")
        tf.add(dense, tf.constant(np.ones((1, 7), np.float32)), name="broadcast")
        tf.transpose(biased, [0, 3, 1, 2], name="nchw")
        tf.concat([valid, tf.nn.relu(valid)], 3, name="concat")
        tf.stack([dense, dense], axis=1, name="stacked")
        expanded = tf.expand_dims(dense, -1, name="expanded")
        tf.squeeze(expanded, [2], name="squeezed")
        tf.reduce_mean(biased, [1, 2], keepdims=True, name="mean")
        tf.reduce_sum(biased, [-1], name="summed")
        tf.argmax(dense, 1, name="argmax")
        tf.pad(x, [[0, 0], [1, 2], [3, 0], [0, 0]], name="padded")
        tf.gather(tf.constant(np.ones((10, 4), np.float32)), ids, name="embedded")
        tf.shape(dilated, name="shape_of")
        tf.sigmoid(tf.cast(ids, tf.float32) * 2.0, name="scaled")
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    nodes = dict((n.name, n) for n in graph_def.node)
    shapes = infer_shapes(graph_def, lambda name: const_value(nodes[name]) if nodes[name].op == "Const" else None)
    checked = 0
    for op in graph.get_operations():
        if not op.outputs or op.type == "Const":
            continue
        expected = op.outputs[0].shape.as_list()
        assert shapes[(op.name, 0)] == expected, (op.name, op.type, shapes[(op.name, 0)], expected)
        checked += 1
    assert checked >= 25


def test_a_recorded_shape_fills_what_the_ops_do_not_tell_and_a_conflict_trusts_neither(tf):
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        tf.nn.relu(x, name="relu")
        tf.nn.softmax(x, name="soft")
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    nodes = dict((n.name, n) for n in graph_def.node)
    for name, dims in (("relu", [3, -1]), ("soft", [3, 5])):
        recorded = nodes[name].attr["_output_shapes"].list.shape.add()
        for d in dims:
            recorded.dim.add().size = d
    shapes = infer_shapes(graph_def, lambda name: None)
    assert shapes[("relu", 0)] == [3, 4]  # the batch from the record, the width from the op
    assert shapes[("soft", 0)] is None  # 4 against 5: neither is trusted
