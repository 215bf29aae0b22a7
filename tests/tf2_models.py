"""Checkpoints written at test time by TensorFlow's compat.v1 API: a different writer than TF 1.4.

Each builder makes a TF 1.x-style graph with raw ops, trains it a step or two, saves it with
tf.train.Saver and returns a ModelSpec with its true outputs, feeds and the outputs the session
computed. Works on TF 2.x (v1 behaviour: ref variables, v1 control flow) and on TF 1.4.
"""

import collections
import os

import numpy as np

ModelSpec = collections.namedtuple("ModelSpec", "name folder prefix outputs feeds expected switches")


def _tf():
    from tests.tf_runtime import tensorflow
    tf = tensorflow()
    if hasattr(tf, "compat") and hasattr(tf.compat, "v1"):
        tf1 = tf.compat.v1
        tf1.disable_v2_behavior()
        return tf1
    return tf


def _dense(tf1, x, units, name, activation=None):
    with tf1.variable_scope(name):
        kernel = tf1.get_variable("kernel", [int(x.shape[-1]), units],
                                  initializer=tf1.random_normal_initializer(stddev=0.3, seed=1))
        bias = tf1.get_variable("bias", [units], initializer=tf1.constant_initializer(0.1))
        out = tf1.nn.bias_add(tf1.matmul(x, kernel), bias)
        return activation(out) if activation is not None else out


def _finish(tf1, name, folder, outputs, feeds, train_feeds=None, saver=None, train=None, config=None,
            switches=None, extra_init=None):
    session = tf1.Session(config=config)
    graph = tf1.get_default_graph()
    with session:
        session.run(tf1.global_variables_initializer())
        if train is not None:
            train_dict = dict((graph.get_tensor_by_name(k + ":0"), v) for k, v in (train_feeds or feeds).items())
            for _ in range(2):
                session.run(train, train_dict)
        saver = saver or tf1.train.Saver()
        prefix = saver.save(session, os.path.join(folder, "model.ckpt"))
        fetches = [graph.get_tensor_by_name(o + ":0") for o in outputs]
        feed_dict = dict((graph.get_tensor_by_name(k + ":0"), v) for k, v in feeds.items())
        values = session.run(fetches, feed_dict)
    return ModelSpec(name, folder, prefix, list(outputs), feeds, dict(zip(outputs, values)), switches or {})


def build_mlp(tf1, folder):
    x = tf1.placeholder(tf1.float32, [None, 8], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    hidden = _dense(tf1, x, 16, "hidden", tf1.nn.relu)
    logits = _dense(tf1, hidden, 4, "logits")
    tf1.nn.softmax(logits, name="probs")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train = tf1.train.AdamOptimizer(0.01).minimize(loss)
    rng = np.random.RandomState(0)
    feeds = {"x": rng.rand(3, 8).astype(np.float32)}
    return _finish(tf1, "mlp", folder, ["probs"], feeds, dict(feeds, labels=np.array([0, 1, 2])), train=train)


def _batch_norm(tf1, h, is_training, channels, ref_switch=False):
    with tf1.variable_scope("bn"):
        gamma = tf1.get_variable("gamma", [channels], initializer=tf1.ones_initializer())
        beta = tf1.get_variable("beta", [channels], initializer=tf1.zeros_initializer())
        mean = tf1.get_variable("moving_mean", [channels], initializer=tf1.zeros_initializer(), trainable=False)
        var = tf1.get_variable("moving_variance", [channels], initializer=tf1.ones_initializer(), trainable=False)

        def train_branch():
            out, batch_mean, batch_var = tf1.nn.fused_batch_norm(h, gamma, beta, is_training=True)
            update_mean = tf1.assign_sub(mean, (mean - batch_mean) * 0.1)
            update_var = tf1.assign_sub(var, (var - batch_var) * 0.1)
            if ref_switch:
                with tf1.control_dependencies([update_mean, update_var]):
                    return tf1.identity(out)
            tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update_mean)
            tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update_var)
            return out

        def infer_branch():
            out, _, _ = tf1.nn.fused_batch_norm(h, gamma, beta, mean=mean, variance=var, is_training=False)
            return out

        return tf1.cond(is_training, train_branch, infer_branch)


def build_conv_bn(tf1, folder):
    images = tf1.placeholder(tf1.float32, [None, 8, 8, 1], name="images")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    is_training = tf1.placeholder_with_default(False, [], name="is_training")
    kernel = tf1.get_variable("conv/kernel", [3, 3, 1, 4], initializer=tf1.random_normal_initializer(seed=2))
    h = tf1.nn.conv2d(images, kernel, [1, 1, 1, 1], "SAME")
    h = tf1.nn.relu(_batch_norm(tf1, h, is_training, 4))
    flat = tf1.reshape(h, [-1, 8 * 8 * 4])
    logits = _dense(tf1, flat, 3, "logits")
    tf1.nn.softmax(logits, name="probs")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
        train = tf1.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    rng = np.random.RandomState(1)
    feeds = {"images": rng.rand(2, 8, 8, 1).astype(np.float32)}
    train_feeds = dict(feeds, labels=np.array([0, 2]), is_training=True)
    return _finish(tf1, "conv_bn", folder, ["probs"], feeds, train_feeds, train=train,
                   switches={"is_training": False})


def build_dropout(tf1, folder):
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    training = tf1.placeholder_with_default(False, [], name="training")
    hidden = _dense(tf1, x, 12, "hidden", tf1.nn.relu)
    dropped = tf1.cond(training, lambda: tf1.nn.dropout(hidden, 0.5), lambda: hidden)
    out = _dense(tf1, dropped, 2, "out")
    tf1.nn.sigmoid(out, name="score")
    rng = np.random.RandomState(2)
    return _finish(tf1, "dropout", folder, ["score"], {"x": rng.rand(4, 6).astype(np.float32)},
                   switches={"training": False})


def build_while_loop(tf1, folder):
    x = tf1.placeholder(tf1.float32, [None, 4], name="x")
    w = tf1.get_variable("w", [4, 4], initializer=tf1.random_normal_initializer(stddev=0.2, seed=3))
    b = tf1.get_variable("b", [4], initializer=tf1.constant_initializer(0.05))

    def body(i, h):
        return i + 1, tf1.tanh(tf1.matmul(h, w) + b)

    _, final = tf1.while_loop(lambda i, h: i < 3, body, [tf1.constant(0), x])
    tf1.identity(final, name="out")
    rng = np.random.RandomState(3)
    return _finish(tf1, "while_loop", folder, ["out"], {"x": rng.rand(2, 4).astype(np.float32)})


def build_resource(tf1, folder):
    x = tf1.placeholder(tf1.float32, [None, 4], name="x")
    ids = tf1.placeholder(tf1.int32, [None], name="ids")
    with tf1.variable_scope("net", use_resource=True):
        w = tf1.get_variable("w", [4, 3], initializer=tf1.random_normal_initializer(seed=4))
        b = tf1.get_variable("b", [3], initializer=tf1.constant_initializer(0.5))
        table = tf1.get_variable("table", [10, 3], initializer=tf1.random_normal_initializer(seed=5))
    y = tf1.matmul(x, w) + b + tf1.nn.embedding_lookup(table, ids)
    tf1.identity(y, name="y")
    loss = tf1.reduce_sum(y)
    train = tf1.train.GradientDescentOptimizer(0.01).minimize(loss)
    rng = np.random.RandomState(4)
    feeds = {"x": rng.rand(2, 4).astype(np.float32), "ids": np.array([3, 9], dtype=np.int32)}
    return _finish(tf1, "resource", folder, ["y"], feeds, train=train)


def build_partitioned(tf1, folder):
    ids = tf1.placeholder(tf1.int64, [None], name="ids")
    embedding = tf1.get_variable("embedding", [12, 4], partitioner=tf1.fixed_size_partitioner(3),
                                 initializer=tf1.random_normal_initializer(seed=6))
    vectors = tf1.nn.embedding_lookup(embedding, ids)
    _dense(tf1, vectors, 2, "head")
    loss = tf1.reduce_sum(tf1.get_default_graph().get_tensor_by_name("head/BiasAdd:0"))
    train = tf1.train.AdagradOptimizer(0.1).minimize(loss)
    feeds = {"ids": np.array([0, 5, 11], dtype=np.int64)}
    return _finish(tf1, "partitioned", folder, ["head/BiasAdd"], feeds, train=train)


def build_one_partition(tf1, folder):
    """A partitioner that makes one part (as Estimator DNNs do for small layers): the saver restores a
    region spec covering the whole tensor, and the checkpoint stores it as a plain tensor."""
    x = tf1.placeholder(tf1.float32, [None, 5], name="x")
    with tf1.variable_scope("dnn", partitioner=tf1.min_max_variable_partitioner(max_partitions=1)):
        kernel = tf1.get_variable("kernel", [5, 3], initializer=tf1.random_normal_initializer(seed=9))
    tf1.matmul(x, kernel, name="logits")
    feeds = {"x": np.arange(10, dtype=np.float32).reshape(2, 5) / 10.0}
    return _finish(tf1, "one_partition", folder, ["logits"], feeds)


def build_custom_keys(tf1, folder):
    x = tf1.placeholder(tf1.float32, [None, 3], name="x")
    w = tf1.get_variable("w", [3, 2], initializer=tf1.random_normal_initializer(seed=7))
    b = tf1.get_variable("b", [2], initializer=tf1.constant_initializer(0.3))
    tf1.identity(tf1.matmul(x, w) + b, name="y")
    saver = tf1.train.Saver({"renamed/weights": w, "renamed/bias": b})
    rng = np.random.RandomState(5)
    return _finish(tf1, "custom_keys", folder, ["y"], {"x": rng.rand(2, 3).astype(np.float32)}, saver=saver)


def build_dtypes(tf1, folder):
    x = tf1.placeholder(tf1.float16, [None, 2], name="x")
    w16 = tf1.get_variable("w16", initializer=np.array([[1.5, -2.0], [0.25, 4.0]], dtype=np.float16))
    flag = tf1.get_variable("flag", initializer=np.array([True, False, True]))
    words = tf1.get_variable("words", initializer=np.array([b"hello", b"", u"gr\u00fc\u00df".encode("utf-8")]),
                             dtype=tf1.string)
    tf1.identity(tf1.matmul(x, w16), name="h_out")
    tf1.logical_not(flag, name="b_out")
    tf1.identity(words, name="s_out")
    return _finish(tf1, "dtypes", folder, ["h_out", "b_out", "s_out"],
                   {"x": np.array([[1, 2], [3, 4]], dtype=np.float16)})


def build_sharded(tf1, folder):
    x = tf1.placeholder(tf1.float32, [None, 3], name="x")
    with tf1.device("/cpu:0"):
        w0 = tf1.get_variable("w0", [3, 3], initializer=tf1.random_normal_initializer(seed=8))
    with tf1.device("/cpu:1"):
        w1 = tf1.get_variable("w1", [3, 2], initializer=tf1.random_normal_initializer(seed=9))
    tf1.identity(tf1.matmul(tf1.nn.relu(tf1.matmul(x, w0)), w1), name="out")
    config = tf1.ConfigProto(device_count={"CPU": 2})
    rng = np.random.RandomState(6)
    return _finish(tf1, "sharded", folder, ["out"], {"x": rng.rand(2, 3).astype(np.float32)},
                   saver=tf1.train.Saver(sharded=True), config=config)


def build_float_ref(tf1, folder):
    """Batch norm whose moving-average updates (AssignSub through RefSwitch) stay in the output's ancestry."""
    x = tf1.placeholder(tf1.float32, [None, 4, 4, 2], name="x")
    is_training = tf1.placeholder_with_default(False, [], name="is_training")
    h = _batch_norm(tf1, x, is_training, 2, ref_switch=True)
    tf1.identity(tf1.reduce_mean(h, axis=[1, 2]), name="out")
    rng = np.random.RandomState(7)
    return _finish(tf1, "float_ref", folder, ["out"], {"x": rng.rand(2, 4, 4, 2).astype(np.float32)},
                   switches={"is_training": False})


BUILDERS = {
    "mlp": build_mlp, "conv_bn": build_conv_bn, "dropout": build_dropout, "while_loop": build_while_loop,
    "resource": build_resource, "partitioned": build_partitioned, "custom_keys": build_custom_keys,
    "dtypes": build_dtypes, "sharded": build_sharded, "float_ref": build_float_ref,
    "one_partition": build_one_partition,
}
MODEL_NAMES = sorted(BUILDERS)


def build(name, directory):
    """Builds model ``name`` into ``directory`` (created) and returns its ModelSpec."""
    tf1 = _tf()
    folder = os.path.join(str(directory), name)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        return BUILDERS[name](tf1, folder)
