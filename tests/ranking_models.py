"""Extra model shapes for the ranking test, built with TensorFlow at test time (TF 2.x compat.v1 or TF 1.4).

Each builder makes a TF 1.x-style training graph in the default graph (model, loss, optimizer,
summaries; the saver is added by ``write``) out of raw ops and returns its true output node names.
``write(directory)`` builds every model, each in its own graph, and writes ``NAME.meta`` (the
MetaGraphDef as a Saver exports it), ``NAME.frozen.pb`` (TensorFlow's own
convert_variables_to_constants on the true outputs) and ``models.json`` (name -> outputs).
Run it in a child process (``python -m tests.ranking_models DIR``) so that TensorFlow's global
switches (v1 control flow, ref variables) never leak into the test process.
"""

import json
import os
import sys

import numpy as np


def _tf1():
    from tests.tf_runtime import tensorflow
    tf = tensorflow()
    if hasattr(tf, "compat") and hasattr(tf.compat, "v1"):
        return tf.compat.v1
    return tf


def _dense(tf1, x, units, scope, activation=None):
    """A tf.layers.dense look-alike: scope/kernel, scope/bias, scope/MatMul, scope/BiasAdd[, scope/Relu]."""
    with tf1.variable_scope(scope):
        kernel = tf1.get_variable("kernel", [int(x.shape[-1]), units], use_resource=False,
                                  initializer=tf1.glorot_uniform_initializer(seed=1))
        bias = tf1.get_variable("bias", [units], use_resource=False, initializer=tf1.zeros_initializer())
        out = tf1.nn.bias_add(tf1.matmul(x, kernel), bias)
        if activation is not None:
            out = activation(out)
    return out


def _conv(tf1, x, filters, size, scope, stride=1, batch_norm=True, activation=True, padding="SAME"):
    """A slim.conv2d look-alike: weights, BatchNorm (batch statistics, moving averages in
    UPDATE_OPS) or biases, then Relu."""
    with tf1.variable_scope(scope):
        weights = tf1.get_variable("weights", [size, size, int(x.shape[-1]), filters], use_resource=False,
                                   initializer=tf1.truncated_normal_initializer(stddev=0.1, seed=2))
        net = tf1.nn.conv2d(x, weights, [1, stride, stride, 1], padding)
        if batch_norm:
            with tf1.variable_scope("BatchNorm"):
                beta = tf1.get_variable("beta", [filters], use_resource=False,
                                        initializer=tf1.zeros_initializer())
                moving_mean = tf1.get_variable("moving_mean", [filters], trainable=False, use_resource=False,
                                               initializer=tf1.zeros_initializer())
                moving_var = tf1.get_variable("moving_variance", [filters], trainable=False,
                                              use_resource=False, initializer=tf1.ones_initializer())
                mean, variance = tf1.nn.moments(net, [0, 1, 2])
                for variable, value in ((moving_mean, mean), (moving_var, variance)):
                    update = tf1.assign_sub(variable, (variable - value) * 0.003)
                    tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update)
                net = tf1.nn.batch_normalization(net, mean, variance, beta, None, 0.001)
        else:
            biases = tf1.get_variable("biases", [filters], use_resource=False,
                                      initializer=tf1.zeros_initializer())
            net = tf1.nn.bias_add(net, biases)
        if activation:
            net = tf1.nn.relu(net)
    return net


def _histograms(tf1, tensors):
    for tensor in tensors:
        tf1.summary.histogram(tensor.op.name.replace("/", "_"), tensor)


def slim_inception_aux(tf1):
    """Inception-style CNN: a trunk, a Mixed block, an auxiliary head (AuxLogits) and the main
    Logits -> Predictions, trained on 1.0 * main loss + 0.4 * aux loss with momentum."""
    images = tf1.placeholder(tf1.float32, [None, 32, 32, 3], name="images")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    with tf1.variable_scope("InceptionV3"):
        net = _conv(tf1, images, 8, 3, "Conv2d_1a_3x3", stride=2)
        net = _conv(tf1, net, 8, 3, "Conv2d_2a_3x3")
        net = tf1.nn.max_pool(net, [1, 3, 3, 1], [1, 2, 2, 1], "SAME", name="MaxPool_3a_3x3")
        with tf1.variable_scope("Mixed_5b"):
            with tf1.variable_scope("Branch_0"):
                branch_0 = _conv(tf1, net, 8, 1, "Conv2d_0a_1x1")
            with tf1.variable_scope("Branch_1"):
                branch_1 = _conv(tf1, _conv(tf1, net, 6, 1, "Conv2d_0a_1x1"), 8, 3, "Conv2d_0b_3x3")
            with tf1.variable_scope("Branch_2"):
                branch_2 = tf1.nn.avg_pool(net, [1, 3, 3, 1], [1, 1, 1, 1], "SAME", name="AvgPool_0a_3x3")
                branch_2 = _conv(tf1, branch_2, 4, 1, "Conv2d_0b_1x1")
            net = tf1.concat([branch_0, branch_1, branch_2], 3)
        mixed_5b = net
        with tf1.variable_scope("AuxLogits"):
            aux = tf1.nn.avg_pool(mixed_5b, [1, 5, 5, 1], [1, 3, 3, 1], "VALID", name="AvgPool_1a_5x5")
            aux = _conv(tf1, aux, 8, 1, "Conv2d_1b_1x1")
            aux = _conv(tf1, aux, 10, 2, "Conv2d_2a_2x2", padding="VALID")
            aux = _conv(tf1, aux, 10, 1, "Conv2d_2b_1x1", batch_norm=False, activation=False)
            aux_logits = tf1.squeeze(aux, [1, 2], name="SpatialSqueeze")
        with tf1.variable_scope("Mixed_6a"):
            net = _conv(tf1, net, 16, 3, "Conv2d_1a_3x3", stride=2)
        with tf1.variable_scope("Logits"):
            net = tf1.nn.avg_pool(net, [1, 4, 4, 1], [1, 1, 1, 1], "VALID", name="AvgPool_1a_4x4")
            net = tf1.nn.dropout(net, 0.8, name="Dropout_1b")
            net = _conv(tf1, net, 10, 1, "Conv2d_1c_1x1", batch_norm=False, activation=False)
            logits = tf1.squeeze(net, [1, 2], name="SpatialSqueeze")
        with tf1.variable_scope("Predictions"):
            flat = tf1.reshape(logits, [-1, 10])
            predictions = tf1.reshape(tf1.nn.softmax(flat), tf1.shape(logits))
    tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    tf1.losses.sparse_softmax_cross_entropy(labels, aux_logits, weights=0.4, scope="aux_loss")
    total = tf1.losses.get_total_loss(add_regularization_losses=False)
    tf1.summary.scalar("total_loss", total)
    _histograms(tf1, [logits, aux_logits, mixed_5b])
    step = tf1.train.get_or_create_global_step()
    with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
        tf1.train.MomentumOptimizer(0.01, 0.9).minimize(total, global_step=step)
    return [predictions.op.name]


def rnn_classifier(tf1):
    """Embedding -> a tanh RNN run by tf.scan (a while loop) -> dense logits, with an estimator-style
    predictions dict (classes, probabilities), an accuracy metric and clipped Adam."""
    tokens = tf1.placeholder(tf1.int32, [None, 12], name="tokens")
    labels = tf1.placeholder(tf1.int32, [None], name="labels")
    embedding = tf1.get_variable("embedding", [50, 16], use_resource=False,
                                 initializer=tf1.random_uniform_initializer(-0.1, 0.1, seed=3))
    embedded = tf1.nn.embedding_lookup(embedding, tokens)
    with tf1.variable_scope("rnn"):
        w_x = tf1.get_variable("w_x", [16, 24], use_resource=False)
        w_h = tf1.get_variable("w_h", [24, 24], use_resource=False)
        bias = tf1.get_variable("bias", [24], use_resource=False, initializer=tf1.zeros_initializer())
        steps = tf1.transpose(embedded, [1, 0, 2])
        start = tf1.zeros(tf1.stack([tf1.shape(tokens)[0], 24]))
        states = tf1.scan(lambda h, x: tf1.tanh(tf1.matmul(x, w_x) + tf1.matmul(h, w_h) + bias),
                          steps, initializer=start)
        last = states[-1]
    logits = _dense(tf1, last, 5, "logits")
    probabilities = tf1.nn.softmax(logits, name="probabilities")
    classes = tf1.argmax(logits, 1, name="classes")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
                           name="loss")
    accuracy = tf1.reduce_mean(tf1.cast(tf1.equal(tf1.cast(classes, tf1.int32), labels), tf1.float32),
                               name="accuracy")
    tf1.summary.scalar("loss", loss)
    tf1.summary.scalar("accuracy", accuracy)
    optimizer = tf1.train.AdamOptimizer(0.001)
    grads, variables = zip(*optimizer.compute_gradients(loss))
    grads, _ = tf1.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, variables), global_step=tf1.train.get_or_create_global_step())
    return [probabilities.op.name, classes.op.name]


def two_tower(tf1):
    """User and item towers, L2-normalised embeddings, a dot-product score through a sigmoid,
    trained with Adagrad on click labels."""
    user = tf1.placeholder(tf1.float32, [None, 20], name="user_features")
    item = tf1.placeholder(tf1.float32, [None, 30], name="item_features")
    clicked = tf1.placeholder(tf1.float32, [None], name="clicked")
    towers = []
    for scope, features in (("user_tower", user), ("item_tower", item)):
        with tf1.variable_scope(scope):
            net = _dense(tf1, features, 32, "dense_1", tf1.nn.relu)
            net = _dense(tf1, net, 16, "dense_2")
            towers.append(tf1.nn.l2_normalize(net, 1, name="embedding"))
    logits = tf1.reduce_sum(towers[0] * towers[1], 1, name="similarity") * 5.0
    probability = tf1.sigmoid(logits, name="probability")
    loss = tf1.losses.sigmoid_cross_entropy(clicked, logits)
    tf1.summary.scalar("loss", loss)
    tf1.train.AdagradOptimizer(0.05).minimize(loss)
    return [probability.op.name]


def autoencoder(tf1):
    """Dense encoder to an 8-wide bottleneck (with a sparsity penalty), decoder back to the input;
    mean squared reconstruction error. The output is the decoder's, not the bottleneck."""
    x = tf1.placeholder(tf1.float32, [None, 64], name="x")
    with tf1.variable_scope("encoder"):
        net = _dense(tf1, x, 32, "hidden", tf1.nn.relu)
        code = _dense(tf1, net, 8, "code", tf1.nn.relu)
    with tf1.variable_scope("decoder"):
        net = _dense(tf1, code, 32, "hidden", tf1.nn.relu)
        reconstruction = _dense(tf1, net, 64, "reconstruction", tf1.sigmoid)
    loss = tf1.losses.mean_squared_error(x, reconstruction)
    loss += 0.001 * tf1.reduce_mean(tf1.abs(code), name="sparsity")
    tf1.summary.scalar("loss", loss)
    tf1.summary.histogram("code", code)
    tf1.train.AdamOptimizer(0.001).minimize(loss)
    return [reconstruction.op.name]


def labels_with_default(tf1):
    """An MLP whose labels come through a PlaceholderWithDefault (so it can be run without them)."""
    x = tf1.placeholder(tf1.float32, [None, 10], name="x")
    labels = tf1.placeholder_with_default(tf1.zeros([1], tf1.int64), [None], name="labels")
    net = _dense(tf1, x, 16, "hidden", tf1.nn.relu)
    logits = _dense(tf1, net, 4, "logits")
    probs = tf1.nn.softmax(logits, name="probs")
    loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    tf1.summary.scalar("loss", loss)
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return [probs.op.name]


def keras_style(tf1):
    """Keras-in-TF1 naming: dense_1/Relu -> dense_2/Softmax; the loss is a cross-entropy on the
    softmax output itself (not on logits), with a `dense_2_target` placeholder and an accuracy metric."""
    x = tf1.placeholder(tf1.float32, [None, 12], name="dense_1_input")
    net = _dense(tf1, x, 16, "dense_1", tf1.nn.relu)
    output = _dense(tf1, net, 3, "dense_2", tf1.nn.softmax)
    target = tf1.placeholder(tf1.float32, [None, None], name="dense_2_target")
    with tf1.name_scope("loss"):
        with tf1.name_scope("dense_2_loss"):
            scaled = output / tf1.reduce_sum(output, -1, keepdims=True) if _has_keepdims(tf1) else \
                output / tf1.reduce_sum(output, -1, keep_dims=True)
            clipped = tf1.clip_by_value(scaled, 1e-7, 1 - 1e-7)
            loss = tf1.reduce_mean(-tf1.reduce_sum(target * tf1.log(clipped), -1))
    with tf1.name_scope("metrics"):
        with tf1.name_scope("acc"):
            tf1.reduce_mean(tf1.cast(tf1.equal(tf1.argmax(target, -1), tf1.argmax(output, -1)), tf1.float32))
    with tf1.variable_scope("training"):
        tf1.train.RMSPropOptimizer(0.001).minimize(loss)
    return [output.op.name]


def _has_keepdims(tf1):
    import inspect
    try:
        return "keepdims" in inspect.signature(tf1.reduce_sum).parameters
    except (TypeError, ValueError):
        return False


MODELS = [
    ("slim_inception_aux", slim_inception_aux),
    ("rnn_classifier", rnn_classifier),
    ("two_tower", two_tower),
    ("autoencoder", autoencoder),
    ("labels_with_default", labels_with_default),
    ("keras_style", keras_style),
]
MODEL_NAMES = [name for name, _ in MODELS]


def write(directory):
    """Builds every model into ``directory`` (see the module docstring).

    Returns:
        dict model name -> list of true output node names.
    """
    tf1 = _tf1()
    for switch in ("disable_control_flow_v2", "disable_resource_variables"):
        if hasattr(tf1, switch):
            getattr(tf1, switch)()
    index = {}
    for name, builder in MODELS:
        graph = tf1.Graph()
        with graph.as_default():
            tf1.set_random_seed(7)
            outputs = builder(tf1)
            saver = tf1.train.Saver()
            meta = saver.export_meta_graph()
            with tf1.Session(graph=graph) as session:
                session.run(tf1.global_variables_initializer())
                frozen = tf1.graph_util.convert_variables_to_constants(
                    session, graph.as_graph_def(add_shapes=True), outputs)
        with open(os.path.join(directory, name + ".meta"), "wb") as handle:
            handle.write(meta.SerializeToString())
        with open(os.path.join(directory, name + ".frozen.pb"), "wb") as handle:
            handle.write(frozen.SerializeToString())
        index[name] = outputs
    with open(os.path.join(directory, "models.json"), "w") as handle:
        json.dump(index, handle, indent=1)
    return index


def build_in_child(module, directory, index_name):
    """Runs ``python -m MODULE DIRECTORY`` in a child process of this interpreter (TensorFlow's global switches
    stay there) and returns the JSON index it wrote as DIRECTORY/INDEX_NAME."""
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=root)
    subprocess.check_call([sys.executable, "-m", module, str(directory)], cwd=root, env=env)
    with open(os.path.join(str(directory), index_name)) as handle:
        return json.load(handle)


def build_all(directory):
    """Runs ``write`` in a child process of the same interpreter and returns its index."""
    return build_in_child("tests.ranking_models", directory, "models.json")


if __name__ == "__main__":
    np.random.seed(0)
    write(sys.argv[1])
