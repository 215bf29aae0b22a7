"""Small graphs with the shapes real checkpoints take, built with TensorFlow at test time (TF 2.x compat.v1 or 1.4).

Each builder makes a training graph in the default graph and returns (outputs, inputs): the authors'
output names and the inputs those outputs need, as dict name -> (kind, value). ``write(directory)``
writes ``NAME.meta`` and ``NAME.ckpt*`` (a saved checkpoint) for every builder and ``patterns.json``.
Run it in a child process (``python -m tests.wild_patterns DIR``) so TensorFlow's global switches stay there.
"""

import json
import os
import sys

import numpy as np

from tests.ranking_models import _dense, _tf1


def accuracy_argmax(tf1):
    """Logits the loss consumes and the argmax an accuracy compares with the labels."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    y = tf1.placeholder(tf1.int64, [None], name="y")
    hidden = _dense(tf1, x, 8, "hidden", tf1.nn.relu)
    logits = tf1.identity(_dense(tf1, hidden, 3, "out"), name="logits")
    prediction = tf1.argmax(logits, 1, name="prediction")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    tf1.reduce_mean(tf1.cast(tf1.equal(prediction, y), tf1.float32), name="accuracy")
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return ["logits", "prediction"], {"x": ("data", None)}


def gan(tf1):
    """A generator whose output the discriminator consumes (on fakes and on real images)."""
    z = tf1.placeholder(tf1.float32, [None, 4], name="z")
    real = tf1.placeholder(tf1.float32, [None, 10], name="real")
    with tf1.variable_scope("generator"):
        fake = tf1.tanh(_dense(tf1, tf1.nn.relu(_dense(tf1, z, 8, "g1")), 10, "g2"), name="images")
    with tf1.variable_scope("discriminator") as scope:
        d_real = _dense(tf1, tf1.nn.relu(_dense(tf1, real, 8, "d1")), 1, "d2")
        scope.reuse_variables()
        d_fake = _dense(tf1, tf1.nn.relu(_dense(tf1, fake, 8, "d1")), 1, "d2")
    d_loss = tf1.reduce_mean(tf1.nn.sigmoid_cross_entropy_with_logits(labels=tf1.ones_like(d_real), logits=d_real)
                             + tf1.nn.sigmoid_cross_entropy_with_logits(labels=tf1.zeros_like(d_fake),
                                                                        logits=d_fake))
    g_loss = tf1.reduce_mean(tf1.nn.sigmoid_cross_entropy_with_logits(labels=tf1.ones_like(d_fake), logits=d_fake))
    variables = tf1.trainable_variables()
    tf1.train.AdamOptimizer(1e-3).minimize(d_loss, var_list=[v for v in variables if "discriminator" in v.name])
    tf1.train.AdamOptimizer(1e-3).minimize(g_loss, var_list=[v for v in variables if "generator" in v.name])
    return ["generator/images"], {"z": ("data", None)}


def dqn_mean(tf1):
    """A Q-value head that a Mean (logged) and the TD loss consume."""
    state = tf1.placeholder(tf1.float32, [None, 5], name="state")
    action = tf1.placeholder(tf1.int32, [None], name="action")
    target = tf1.placeholder(tf1.float32, [None], name="target")
    q = _dense(tf1, tf1.nn.relu(_dense(tf1, state, 16, "l1")), 3, "q")
    mean_q = tf1.reduce_mean(q, name="mean_q")
    tf1.summary.scalar("mean_q", mean_q)
    chosen = tf1.reduce_sum(q * tf1.one_hot(action, 3), axis=1)
    loss = tf1.reduce_mean(tf1.square(target - chosen))
    tf1.train.RMSPropOptimizer(1e-3).minimize(loss)
    return ["q/BiasAdd"], {"state": ("data", None)}


def rnn_dense(tf1):
    """dynamic_rnn (a while loop) with sequence lengths and an initial state, then a dense layer."""
    x = tf1.placeholder(tf1.float32, [None, 7, 3], name="x")
    lengths = tf1.placeholder(tf1.int32, [None], name="seq_len")
    c0 = tf1.placeholder(tf1.float32, [None, 6], name="init_c")
    h0 = tf1.placeholder(tf1.float32, [None, 6], name="init_h")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    h = _lstm_loop(tf1, x, lengths, c0, h0, 6)
    logits = _dense(tf1, h, 4, "classifier")
    probs = tf1.nn.softmax(logits, name="probs")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return ["probs"], {"x": ("data", None), "seq_len": ("sequence_length", None), "init_c": ("data", None),
                       "init_h": ("data", None)}


def _lstm_loop(tf1, x, lengths, c0, h0, units):
    """What dynamic_rnn builds, spelt out (Keras 3 has no LSTMCell for tf.compat.v1): a while loop over
    time reading a TensorArray, an LSTM step, states frozen past each sequence's length."""
    with tf1.variable_scope("rnn"):
        kernel = tf1.get_variable("kernel", [int(x.shape[-1]) + units, 4 * units], use_resource=False)
        bias = tf1.get_variable("bias", [4 * units], use_resource=False, initializer=tf1.zeros_initializer())
        steps = tf1.shape(x)[1]
        inputs = tf1.TensorArray(tf1.float32, size=steps).unstack(tf1.transpose(x, [1, 0, 2]))

        def step(t, c, h):
            gates = tf1.nn.bias_add(tf1.matmul(tf1.concat([inputs.read(t), h], 1), kernel), bias)
            i, j, f, o = tf1.split(gates, 4, axis=1)
            new_c = tf1.sigmoid(f + 1.0) * c + tf1.sigmoid(i) * tf1.tanh(j)
            new_h = tf1.sigmoid(o) * tf1.tanh(new_c)
            alive = tf1.expand_dims(tf1.less(t, lengths), 1)
            return t + 1, tf1.where(tf1.tile(alive, [1, units]), new_c, c), \
                tf1.where(tf1.tile(alive, [1, units]), new_h, h)
        _, _, h = tf1.while_loop(lambda t, c, h: t < steps, step, [tf1.constant(0), c0, h0])
    return h


def regularized_inference(tf1):
    """An inference-only graph (no optimizer) with weight-decay terms that depend on no input."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    net = x
    for k in range(3):
        with tf1.variable_scope("layer%d" % k):
            w = tf1.get_variable("weights", [int(net.shape[-1]), 6], use_resource=False)
            decay = tf1.multiply(tf1.nn.l2_loss(w), 4e-5, name="weights/Regularizer/l2_regularizer")
            tf1.add_to_collection(tf1.GraphKeys.REGULARIZATION_LOSSES, decay)
            net = tf1.nn.relu(tf1.matmul(net, w))
    tf1.nn.softmax(_dense(tf1, net, 3, "logits"), name="predictions")
    return ["predictions"], {"x": ("data", None)}


def notebook_copies(tf1):
    """A notebook cell run three times: three copies of the model with their own variables."""
    x = tf1.placeholder(tf1.float32, [None, 4], name="x")
    for _ in range(3):
        w = tf1.Variable(tf1.ones([4, 2]) * 0.5)
        b = tf1.Variable(tf1.zeros([2]))
        out = tf1.add(tf1.matmul(x, w), b)
    return [out.op.name], {"x": ("data", None)}


def keep_prob(tf1):
    """Dropout driven by a plain scalar placeholder (keep_prob, fed 1.0 at inference)."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    keep = tf1.placeholder(tf1.float32, name="keep_prob")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    hidden = tf1.nn.dropout(_dense(tf1, x, 8, "fc1", tf1.nn.relu), keep)
    logits = _dense(tf1, hidden, 3, "fc2")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return ["fc2/BiasAdd"], {"x": ("data", None), "keep_prob": ("keep_prob", 1.0)}


PATTERNS = [("accuracy_argmax", accuracy_argmax), ("gan", gan), ("dqn_mean", dqn_mean), ("rnn_dense", rnn_dense),
            ("regularized_inference", regularized_inference), ("notebook_copies", notebook_copies),
            ("keep_prob", keep_prob)]
PATTERN_NAMES = [name for name, _ in PATTERNS]


def write(directory):
    """Builds every pattern into ``directory``; returns name -> {"outputs", "inputs"}."""
    tf1 = _tf1()
    for switch in ("disable_control_flow_v2", "disable_resource_variables", "disable_v2_tensorshape"):
        if hasattr(tf1, switch):
            getattr(tf1, switch)()
    index = {}
    for name, builder in PATTERNS:
        graph = tf1.Graph()
        with graph.as_default():
            tf1.set_random_seed(7)
            outputs, inputs = builder(tf1)
            saver = tf1.train.Saver()
            with tf1.Session(graph=graph) as session:
                session.run(tf1.global_variables_initializer())
                saver.save(session, os.path.join(directory, name, "model.ckpt"))
        index[name] = {"outputs": outputs, "inputs": dict((k, list(v)) for k, v in inputs.items())}
    with open(os.path.join(directory, "patterns.json"), "w") as handle:
        json.dump(index, handle, indent=1)
    return index


def build_all(directory):
    """Runs ``write`` in a child process of the same interpreter and returns its index."""
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=root)
    subprocess.check_call([sys.executable, "-m", "tests.wild_patterns", str(directory)], cwd=root, env=env)
    with open(os.path.join(str(directory), "patterns.json")) as handle:
        return json.load(handle)


if __name__ == "__main__":
    np.random.seed(0)
    write(sys.argv[1])
