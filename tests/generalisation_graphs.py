"""More principle graphs, of model families and writing styles the shared corpus does not hold, built at test
time (TF 2.x compat.v1 or TF 1.4) the way tests/principle_graphs.py builds its own: each states what its
authors would run and the TensorFlow fact the ranking must follow to find it.

An Expect with ``ambiguous`` set says the graph records nothing that separates the authors' output from
another candidate; the outputs must then be listed within k+2 and the reason says why.
"""

import os
import sys

import numpy as np

from tests.principle_graphs import Expect, _layer, _name
from tests.ranking_models import _dense, build_in_child


def _keep(reduce, x):
    """reduce(x) over axis 1 keeping the axis: ``keep_dims`` in TensorFlow 1.4, ``keepdims`` from 1.5 on."""
    try:
        return reduce(x, 1, keepdims=True)
    except TypeError:
        return reduce(x, 1, keep_dims=True)


def actor_critic(tf1):
    """A3C/A2C: a shared trunk, a policy softmax and a value head, one optimizer on one summed loss. The
    policy is read through the log-probability of the action taken and the value is compared with the
    returns: both heads are what an agent runs."""
    state = tf1.placeholder(tf1.float32, [None, 6], name="state")
    action = tf1.placeholder(tf1.int32, [None], name="action")
    returns = tf1.placeholder(tf1.float32, [None], name="returns")
    trunk = _dense(tf1, state, 16, "trunk", tf1.nn.relu)
    policy = tf1.nn.softmax(_dense(tf1, trunk, 3, "policy"), name="policy_probs")
    value = tf1.squeeze(_dense(tf1, trunk, 1, "value"), 1)
    advantage = returns - value
    log_prob = tf1.log(tf1.reduce_sum(policy * tf1.one_hot(action, 3), 1) + 1e-8)
    entropy = -tf1.reduce_sum(policy * tf1.log(policy + 1e-8), 1)
    loss = -tf1.reduce_mean(log_prob * tf1.stop_gradient(advantage)) + \
        0.5 * tf1.reduce_mean(tf1.square(advantage)) - 0.01 * tf1.reduce_mean(entropy)
    tf1.train.RMSPropOptimizer(1e-3).minimize(loss)
    return Expect([policy, value], inputs={"state": ["data", None]})


def actor_critic_two_optimizers(tf1):
    """An actor and a critic with their own variables and optimizers: the critic's TD error enters the actor's
    loss through stop_gradient (a value, not weights), so the critic is no discriminator; the actor's policy
    is what an agent runs, the critic's value too."""
    state = tf1.placeholder(tf1.float32, [None, 4], name="s")
    action = tf1.placeholder(tf1.int32, [None], name="a")
    reward = tf1.placeholder(tf1.float32, [None], name="r")
    with tf1.variable_scope("actor"):
        probs = tf1.nn.softmax(_dense(tf1, _dense(tf1, state, 8, "l1", tf1.nn.relu), 2, "l2"))
    with tf1.variable_scope("critic"):
        value = tf1.squeeze(_dense(tf1, _dense(tf1, state, 8, "l1", tf1.nn.relu), 1, "l2"), 1)
    td_error = reward - value
    critic_loss = tf1.reduce_mean(tf1.square(td_error))
    picked = tf1.reduce_sum(probs * tf1.one_hot(action, 2), 1)
    actor_loss = -tf1.reduce_mean(tf1.log(picked + 1e-8) * tf1.stop_gradient(td_error))
    variables = tf1.trainable_variables()
    tf1.train.AdamOptimizer(1e-3).minimize(actor_loss, var_list=[v for v in variables if "actor" in v.name])
    tf1.train.AdamOptimizer(1e-3).minimize(critic_loss, var_list=[v for v in variables if "critic" in v.name])
    return Expect([probs, value], inputs={"s": ["data", None]})


def ppo(tf1):
    """PPO keeps an old policy that an Assign fills from the trained one and no optimizer trains: the loss reads
    both (their ratio), the trained policy is what runs; the old one is its copy."""
    state = tf1.placeholder(tf1.float32, [None, 5], name="state")
    action = tf1.placeholder(tf1.int32, [None], name="action")
    advantage = tf1.placeholder(tf1.float32, [None], name="advantage")
    with tf1.variable_scope("pi"):
        pi = tf1.nn.softmax(_dense(tf1, _dense(tf1, state, 8, "l1", tf1.nn.tanh), 3, "l2"))
    with tf1.variable_scope("oldpi"):
        old = tf1.nn.softmax(_dense(tf1, _dense(tf1, state, 8, "l1", tf1.nn.tanh), 3, "l2"))
    new_vars = [v for v in tf1.global_variables() if v.name.startswith("pi/")]
    old_vars = [v for v in tf1.global_variables() if v.name.startswith("oldpi/")]
    tf1.group(*[tf1.assign(o, n) for o, n in zip(old_vars, new_vars)], name="update_oldpi")
    mask = tf1.one_hot(action, 3)
    ratio = tf1.reduce_sum(pi * mask, 1) / (tf1.reduce_sum(old * mask, 1) + 1e-8)
    clipped = tf1.clip_by_value(ratio, 0.8, 1.2)
    loss = -tf1.reduce_mean(tf1.minimum(ratio * advantage, clipped * advantage))
    tf1.train.AdamOptimizer(1e-3).minimize(loss, var_list=new_vars)
    return Expect([pi], inputs={"state": ["data", None]})


def vae(tf1):
    """A VAE samples z = mean + exp(logvar / 2) * eps with eps drawn in the graph; the decoder's output meets
    the input itself in the loss. The reconstruction is the prediction; the mean is only read by the KL term and
    the sampling (the graph records no separate use of it)."""
    x = tf1.placeholder(tf1.float32, [None, 12], name="x")
    hidden = _dense(tf1, x, 8, "enc", tf1.nn.relu)
    mean = _dense(tf1, hidden, 2, "mean")
    log_var = _dense(tf1, hidden, 2, "log_var")
    eps = tf1.random_normal(tf1.shape(mean))
    z = mean + tf1.exp(0.5 * log_var) * eps
    reconstruction = _dense(tf1, _dense(tf1, z, 8, "dec", tf1.nn.relu), 12, "out", tf1.nn.sigmoid)
    recon_loss = -tf1.reduce_sum(x * tf1.log(reconstruction + 1e-8) +
                                 (1 - x) * tf1.log(1 - reconstruction + 1e-8), 1)
    kl = -0.5 * tf1.reduce_sum(1 + log_var - tf1.square(mean) - tf1.exp(log_var), 1)
    tf1.train.AdamOptimizer(1e-3).minimize(tf1.reduce_mean(recon_loss + kl))
    return Expect([reconstruction], inputs={"x": ["data", None]})


def word2vec_similarity(tf1):
    """Skip-gram with NCE: the authors normalise the embeddings and compute the similarity of some ids to all
    of them, a tensor nothing consumes and no loss reads: that is what they run."""
    ids = tf1.placeholder(tf1.int32, [None], name="train_inputs")
    context = tf1.placeholder(tf1.int64, [None, 1], name="train_labels")
    valid = tf1.placeholder(tf1.int32, [None], name="valid_ids")
    embeddings = tf1.Variable(tf1.random_uniform([40, 6], -1.0, 1.0, seed=2))
    embedded = tf1.nn.embedding_lookup(embeddings, ids)
    weights = tf1.Variable(tf1.truncated_normal([40, 6], stddev=0.3, seed=4))
    biases = tf1.Variable(tf1.zeros([40]))
    loss = tf1.reduce_mean(tf1.nn.nce_loss(weights, biases, context, embedded, num_sampled=4, num_classes=40))
    tf1.train.GradientDescentOptimizer(1.0).minimize(loss)
    norm = tf1.sqrt(_keep(tf1.reduce_sum, tf1.square(embeddings)))
    normalized = embeddings / norm
    similarity = tf1.matmul(tf1.nn.embedding_lookup(normalized, valid), normalized, transpose_b=True)
    return Expect([similarity], inputs={"valid_ids": ["data", None]})


def towers(tf1):
    """A multi-GPU tower graph: tower_0/ and tower_1/ build the same network on their own input splits with
    shared variables; one optimizer applies the averaged gradients. One tower is the network; the graph records
    nothing that makes either the one users run, so either tower's logits must be listed within k+2."""
    images = tf1.placeholder(tf1.float32, [None, 6], name="images")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    optimizer = tf1.train.GradientDescentOptimizer(0.1)
    splits_x, splits_y = tf1.split(images, 2), tf1.split(labels, 2)
    grads, outputs = [], []
    for k in range(2):
        with tf1.name_scope("tower_%d" % k), tf1.variable_scope("model", reuse=k > 0):
            logits = _dense(tf1, _dense(tf1, splits_x[k], 8, "h", tf1.nn.relu), 3, "out")
            loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=splits_y[k],
                                                                                   logits=logits))
            grads.append(optimizer.compute_gradients(loss))
            outputs.append(logits)
    averaged = []
    for pairs in zip(*grads):
        averaged.append((tf1.reduce_mean(tf1.stack([g for g, _ in pairs]), 0), pairs[0][1]))
    optimizer.apply_gradients(averaged)
    return Expect([outputs[0]], inputs={"images": ["data", None]},
                  ambiguous="two towers compute the same network on halves of one input; which one is run "
                            "is not recorded", alternatives=[outputs[1]])


def layers_batch_norm(tf1):
    """tf.layers.batch_normalization with training=a switch placeholder and update_ops as control deps of the
    train op: the moving-average updates are bookkeeping, the switch an input fed False."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    training = tf1.placeholder_with_default(False, [], name="training")
    h = _dense(tf1, x, 8, "dense")
    h = tf1.nn.relu(_batch_norm(tf1, h, training))
    logits = _dense(tf1, h, 3, "dense_1")
    predictions = tf1.nn.softmax(logits, name="predictions")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
        tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([predictions], inputs={"x": ["data", None], "training": ["switch", False]})


def _batch_norm(tf1, h, training, momentum=0.99):
    """What tf.layers.batch_normalization builds (Keras 3 dropped it from compat.v1): fused batch norm on batch
    statistics or on the moving ones by a cond on ``training``, the moving averages updated by AssignSub ops in
    UPDATE_OPS."""
    with tf1.variable_scope("batch_normalization"):
        width = int(h.shape[-1])
        gamma = tf1.get_variable("gamma", [width], initializer=tf1.ones_initializer(), use_resource=False)
        beta = tf1.get_variable("beta", [width], initializer=tf1.zeros_initializer(), use_resource=False)
        moving_mean = tf1.get_variable("moving_mean", [width], trainable=False, use_resource=False,
                                       initializer=tf1.zeros_initializer())
        moving_variance = tf1.get_variable("moving_variance", [width], trainable=False, use_resource=False,
                                           initializer=tf1.ones_initializer())
        image = tf1.reshape(h, [-1, 1, 1, width])

        def batch():
            return tf1.nn.fused_batch_norm(image, gamma, beta, epsilon=1e-3)

        def moving():
            return tf1.nn.fused_batch_norm(image, gamma, beta, moving_mean, moving_variance, epsilon=1e-3,
                                           is_training=False)
        out, mean, variance = tf1.cond(training, batch, moving)
        for variable, value in ((moving_mean, mean), (moving_variance, variance)):
            update = tf1.assign_sub(variable, (variable - value) * (1 - momentum))
            tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update)
        return tf1.reshape(out, [-1, width])


def reuse_for_eval(tf1):
    """The model built twice with reuse=True: a training copy on the training input, read by the loss, and an
    evaluation copy on its own input, read by nothing: the evaluation copy was built to be fetched."""
    train_x = tf1.placeholder(tf1.float32, [None, 6], name="train_x")
    train_y = tf1.placeholder(tf1.int64, [None], name="train_y")
    eval_x = tf1.placeholder(tf1.float32, [None, 6], name="eval_x")

    def model(x, reuse):
        with tf1.variable_scope("net", reuse=reuse):
            return _dense(tf1, _dense(tf1, x, 8, "h", tf1.nn.relu), 3, "out")
    logits = model(train_x, False)
    eval_probs = tf1.nn.softmax(model(eval_x, True))
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=train_y, logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([eval_probs], inputs={"eval_x": ["data", None]})


def old_style_ops(tf1):
    """TF 0.12-style writing: tf.mul/tf.sub spelled out (Mul, Sub), a hand-made softmax, a hand-made
    cross-entropy -sum(y * log(p)): the labels are what meets the prediction only in the loss."""
    x = tf1.placeholder(tf1.float32, [None, 6])
    y = tf1.placeholder(tf1.float32, [None, 3])
    logits = _layer(tf1, _layer(tf1, x, 8, tf1.nn.sigmoid), 3)
    exps = tf1.exp(tf1.subtract(logits, _keep(tf1.reduce_max, logits)))
    probs = tf1.div(exps, _keep(tf1.reduce_sum, exps))
    loss = tf1.reduce_mean(-tf1.reduce_sum(tf1.multiply(y, tf1.log(probs + 1e-8)), 1))
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return Expect([probs], inputs={_name(x): ["data", None]})


def inference_only(tf1):
    """No optimizer at all (an inference export with placeholders and variables): the old evidence decides, a
    softmax nothing consumes."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="input")
    keep = tf1.placeholder_with_default(1.0, [], name="keep_prob")
    h = tf1.nn.dropout(_dense(tf1, x, 8, "fc1", tf1.nn.relu), keep)
    probs = tf1.nn.softmax(_dense(tf1, h, 3, "fc2"), name="output")
    # A scalar with a default is listed as a switch fed its default (1.0 here), like is_training.
    return Expect([probs], inputs={"input": ["data", None], "keep_prob": ["switch", 1.0]})


def custom_loss_feature_named_labels(tf1):
    """The only loss is a Python expression, mean((x2 - pred)^2), and the labels placeholder is named like a
    feature: x2 only meets the network in the loss, so it is the label whatever its name."""
    x1 = tf1.placeholder(tf1.float32, [None, 4], name="x1")
    x2 = tf1.placeholder(tf1.float32, [None, 1], name="x2")
    pred = _layer(tf1, _layer(tf1, x1, 6, tf1.nn.tanh), 1)
    tf1.train.AdamOptimizer(1e-2).minimize(tf1.reduce_mean(tf1.square(x2 - pred)))
    return Expect([pred], inputs={"x1": ["data", None]})


def classes_head(tf1):
    """An Estimator-style predictions dict: classes = argmax(logits) and probabilities = softmax(logits), both
    built for prediction and read by nothing. Which of them the authors fetch is not recorded: the head's
    preferred form must be one of them and the other within k+2."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    logits = _dense(tf1, _dense(tf1, x, 8, "h", tf1.nn.relu), 3, "logits")
    classes = tf1.argmax(logits, 1, name="classes")
    probabilities = tf1.nn.softmax(logits, name="probabilities")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([probabilities], suggested=[probabilities, classes], inputs={"x": ["data", None]},
                  ambiguous="an ArgMax and a Softmax of the same logits, both read by nothing: either is the "
                            "prediction (an Estimator exports both)", alternatives=[classes])


def multi_output_spec(tf1):
    """A model with several outputs of different dtypes computed from one input, each compared with its own
    labels: every one is an output (a multi-output model's spec names them all)."""
    x = tf1.placeholder(tf1.float64, [None, 4], name="x")
    y32 = tf1.placeholder(tf1.float32, [None, 2], name="t32")
    y64 = tf1.placeholder(tf1.float64, [None, 2], name="t64")
    w = tf1.Variable(np.ones([4, 2]), dtype=tf1.float64)
    out64 = tf1.matmul(x, w, name="out64")
    out32 = tf1.cast(tf1.nn.relu(out64), tf1.float32, name="out32")
    loss = tf1.reduce_mean(tf1.square(out32 - y32)) + tf1.cast(tf1.reduce_mean(tf1.square(out64 - y64)),
                                                              tf1.float32)
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return Expect([out32, out64], inputs={"x": ["data", None]})


BUILDERS = [actor_critic, actor_critic_two_optimizers, ppo, vae, word2vec_similarity, towers, layers_batch_norm,
            reuse_for_eval, old_style_ops, inference_only, custom_loss_feature_named_labels, classes_head,
            multi_output_spec]
NAMES = [b.__name__ for b in BUILDERS]


def build_all(directory):
    """Builds every graph in a child process of the same interpreter; returns name -> Expect as JSON."""
    return build_in_child("tests.generalisation_graphs", directory, "principles.json")


if __name__ == "__main__":
    from tests.principle_graphs import write
    np.random.seed(0)
    for builder in BUILDERS:
        os.makedirs(os.path.join(sys.argv[1], builder.__name__))
    write(sys.argv[1], BUILDERS)
