"""Graphs that each state one fact TensorFlow records about a model's outputs, built at test time (TF 2.x compat.v1
or TF 1.4), with what the ranking must conclude from that fact alone.

Every builder makes a small training graph the way a stranger would write it (raw ops, default names where TF
makes them) and returns an Expect: the outputs that must rank first, the set "Use suggested outputs" must tick,
the inputs those outputs need (name -> (kind, value)), ops or name prefixes that must never be offered, and words
the reasons must say. ``write(directory)`` builds each graph, trains it one step, saves ``NAME/model.ckpt`` and
writes ``principles.json``; run it in a child process (``python -m tests.principle_graphs DIR``) so TensorFlow's
global switches stay there.
"""

import json
import os
import sys

import numpy as np

from tests.ranking_models import _dense, _tf1, build_in_child


class Expect(object):
    """What a graph's training structure says: see the module docstring."""

    def __init__(self, outputs, suggested=None, inputs=None, never=(), reasons=None, feeds=None, ambiguous=None,
                 alternatives=()):
        self.outputs = [getattr(o, "name", o).split(":")[0] if not isinstance(o, str) else o for o in outputs]
        self.suggested = self.outputs if suggested is None else [_name(s) for s in suggested]
        self.inputs = inputs
        self.never = list(never)
        self.reasons = dict((_name(k), v) for k, v in (reasons or {}).items())
        self.feeds = feeds or {}
        self.ambiguous = ambiguous  # why the graph cannot decide: the outputs need only be within k+2
        self.alternatives = [_name(a) for a in alternatives]  # what it cannot tell the outputs apart from

    def to_json(self):
        return {"outputs": self.outputs, "suggested": self.suggested, "inputs": self.inputs, "never": self.never,
                "reasons": self.reasons, "ambiguous": self.ambiguous, "alternatives": self.alternatives}


def _name(tensor_or_name):
    if isinstance(tensor_or_name, str):
        return tensor_or_name
    return (tensor_or_name.op.name if hasattr(tensor_or_name, "op") else tensor_or_name.name).split(":")[0]


def _layer(tf1, x, units, activation=None):
    """A dense layer with default op names (MatMul, Add): what hand-written TF 1.x graphs hold."""
    w = tf1.Variable(tf1.truncated_normal([int(x.shape[-1]), units], stddev=0.3, seed=3))
    b = tf1.Variable(tf1.zeros([units]))
    out = tf1.add(tf1.matmul(x, w), b)
    return activation(out) if activation is not None else out


def reshape_before_loss(tf1):
    """TF <= 1.0's softmax_cross_entropy_with_logits reshapes the logits to 2-D first: the loss reads a
    Reshape, the logits are the Add before it. An ArgMax only an accuracy compares is not what users run."""
    x = tf1.placeholder(tf1.float32, [None, 6])
    y = tf1.placeholder(tf1.float32, [None, 3])
    logits = _layer(tf1, _layer(tf1, x, 8, tf1.nn.relu), 3)
    flat = tf1.reshape(logits, tf1.concat([[-1], tf1.shape(logits)[-1:]], 0))
    labels = tf1.reshape(y, tf1.concat([[-1], tf1.shape(y)[-1:]], 0))
    loss = tf1.reduce_mean(tf1.nn.softmax_cross_entropy_with_logits(labels=labels, logits=flat))
    correct = tf1.equal(tf1.argmax(logits, 1), tf1.argmax(y, 1))
    tf1.reduce_mean(tf1.cast(correct, tf1.float32))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([logits], inputs={_name(x): ["data", None]}, never=["Reshape", "Equal"],
                  reasons={logits: "compares it with the labels"})


def gan(tf1):
    """Two optimizers, two trained variable sets: the generator's output enters the discriminator's weights.
    The generator is what users run; the discriminator only judges."""
    z = tf1.placeholder(tf1.float32, [None, 4], name="z")
    real = tf1.placeholder(tf1.float32, [None, 10], name="real")
    with tf1.variable_scope("gen"):
        fake = tf1.nn.sigmoid(_dense(tf1, _dense(tf1, z, 8, "g1", tf1.nn.relu), 10, "g2"))
    with tf1.variable_scope("disc") as scope:
        d_real = _dense(tf1, _dense(tf1, real, 8, "d1", tf1.nn.relu), 1, "d2")
        scope.reuse_variables()
        d_fake = _dense(tf1, _dense(tf1, fake, 8, "d1", tf1.nn.relu), 1, "d2")
    entropy = tf1.nn.sigmoid_cross_entropy_with_logits
    d_loss = tf1.reduce_mean(entropy(labels=tf1.ones_like(d_real), logits=d_real)) + \
        tf1.reduce_mean(entropy(labels=tf1.zeros_like(d_fake), logits=d_fake))
    g_loss = tf1.reduce_mean(entropy(labels=tf1.ones_like(d_fake), logits=d_fake))
    variables = tf1.trainable_variables()
    tf1.train.AdamOptimizer(1e-3).minimize(d_loss, var_list=[v for v in variables if v.name.startswith("disc")])
    tf1.train.AdamOptimizer(1e-3).minimize(g_loss, var_list=[v for v in variables if v.name.startswith("gen")])
    return Expect([fake], inputs={"z": ["data", None]},
                  reasons={fake: "the generator's output", d_real: "verdict"})


def dqn_target(tf1):
    """The online network is trained; the target network's variables are filled by Assign ops from the online
    ones and no optimizer trains them: a copy. The target's input and the TD target are not inputs of Q."""
    state = tf1.placeholder(tf1.float32, [None, 5], name="s")
    next_state = tf1.placeholder(tf1.float32, [None, 5], name="s_")
    q_target = tf1.placeholder(tf1.float32, [None, 3], name="q_target")
    with tf1.variable_scope("online"):
        q = _dense(tf1, _dense(tf1, state, 16, "l1", tf1.nn.relu), 3, "l2")
    with tf1.variable_scope("target"):
        q_next = _dense(tf1, _dense(tf1, next_state, 16, "l1", tf1.nn.relu), 3, "l2")
    online = [v for v in tf1.global_variables() if v.name.startswith("online")]
    target = [v for v in tf1.global_variables() if v.name.startswith("target")]
    tf1.group(*[tf1.assign(t, o) for t, o in zip(target, online)], name="replace_target")
    loss = tf1.reduce_mean(tf1.squared_difference(q_target, q))
    tf1.train.RMSPropOptimizer(1e-3).minimize(loss, var_list=online)
    return Expect([q], inputs={"s": ["data", None]}, reasons={q_next: "target network's copy of '%s'" % _name(q)})


def autoencoder(tf1):
    """The reconstruction meets the input itself in the loss, not a label; the bottleneck's sparsity penalty is
    no output (weights are applied after it)."""
    x = tf1.placeholder(tf1.float32, [None, 12], name="x")
    code = _dense(tf1, _dense(tf1, x, 8, "enc1", tf1.nn.relu), 3, "code", tf1.nn.relu)
    reconstruction = _dense(tf1, _dense(tf1, code, 8, "dec1", tf1.nn.relu), 12, "dec2", tf1.nn.sigmoid)
    loss = tf1.reduce_mean(tf1.square(x - reconstruction)) + 0.001 * tf1.reduce_mean(tf1.abs(code))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([reconstruction], inputs={"x": ["data", None]}, reasons={reconstruction: "its own input 'x'"})


def metrics_and_bookkeeping(tf1):
    """tf.metrics' update_op and local variables, the global_step increment, summaries, a Print and an Assert
    are bookkeeping and side effects: never outputs. The softmax nothing consumes is."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    logits = _dense(tf1, _dense(tf1, x, 8, "h", tf1.nn.relu), 4, "out")
    probs = tf1.nn.softmax(logits, name="probs")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    checked = tf1.Print(loss, [loss], "loss")
    with tf1.control_dependencies([tf1.Assert(tf1.is_finite(checked), [checked])]):
        loss = tf1.identity(checked)
    tf1.metrics.accuracy(labels, tf1.argmax(logits, 1), name="accuracy")
    tf1.summary.scalar("loss", loss)
    step = tf1.train.get_or_create_global_step()
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    tf1.assign_add(step, 1, name="next_step")
    return Expect([probs], inputs={"x": ["data", None]},
                  never=["accuracy/", "global_step", "next_step", "Print", "Assert", "NoOp", "AssignAdd"])


def end_points_collection(tf1):
    """slim puts every layer in its end_points collection: a collection that large names no output. The
    softmax nothing consumes is the prediction."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    net = x
    for k in range(4):
        net = _dense(tf1, net, 8, "layer%d" % k, tf1.nn.relu)
        tf1.add_to_collection("end_points", net)
    logits = _dense(tf1, net, 3, "logits")
    tf1.add_to_collection("end_points", logits)
    probs = tf1.nn.softmax(logits, name="predictions")
    tf1.add_to_collection("end_points", probs)
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([probs], inputs={"x": ["data", None]})


def argmax_as_output(tf1):
    """An ArgMax nothing in the graph consumes was built to be fetched: it is the prediction (a decoder's ids),
    while the loss compares the logits."""
    tokens = tf1.placeholder(tf1.int32, [None, 5], name="tokens")
    targets = tf1.placeholder(tf1.int32, [None, 5], name="targets")
    embedding = tf1.get_variable("embedding", [20, 6])
    hidden = tf1.nn.relu(tf1.tensordot(tf1.nn.embedding_lookup(embedding, tokens), tf1.ones([6, 8]) * 0.1, 1))
    logits = _dense(tf1, tf1.reshape(hidden, [-1, 8]), 20, "proj")
    ids = tf1.argmax(tf1.reshape(logits, [-1, 5, 20]), 2)
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf1.reshape(targets, [-1]), logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([ids], inputs={"tokens": ["data", None]})


def dataset_fed(tf1):
    """No placeholder: a tf.data iterator yields features and labels together. The labels port only meets the
    network in the loss; the outputs need the features port alone."""
    features = np.random.RandomState(0).rand(8, 6).astype(np.float32)
    targets = np.arange(8, dtype=np.int64) % 3
    dataset = tf1.data.Dataset.from_tensor_slices((features, targets)).repeat().batch(4)
    iterator = tf1.data.make_one_shot_iterator(dataset) if hasattr(tf1.data, "make_one_shot_iterator") \
        else dataset.make_one_shot_iterator()
    x, labels = iterator.get_next()
    logits = _dense(tf1, _dense(tf1, x, 8, "h", tf1.nn.relu), 3, "out")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([logits], inputs={"IteratorGetNext:0": ["pipeline", None]})


def queue_fed(tf1):
    """No placeholder: a queue's DequeueMany yields the batch; its second component, compared with the
    network's output in the loss, is the labels."""
    queue = tf1.FIFOQueue(16, [tf1.float32, tf1.float32], shapes=[[6], [2]])
    rng = np.random.RandomState(1)
    tf1.add_to_collection("enqueue", queue.enqueue_many([rng.rand(8, 6).astype(np.float32),
                                                         rng.rand(8, 2).astype(np.float32)]))
    x, target = queue.dequeue_many(4)
    prediction = _dense(tf1, _dense(tf1, x, 8, "h", tf1.nn.relu), 2, "out")
    loss = tf1.reduce_mean(tf1.square(prediction - target))
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return Expect([prediction], inputs={"fifo_queue_DequeueMany:0": ["pipeline", None]})


def auxiliary_head(tf1):
    """Two heads compared with the same labels, one weighted 0.4 in the loss: that one is an auxiliary head of
    training (deep supervision), even when it is the deeper one."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    trunk = _dense(tf1, x, 8, "trunk", tf1.nn.relu)
    main = _dense(tf1, trunk, 3, "main")
    aux = _dense(tf1, _dense(tf1, _dense(tf1, trunk, 8, "aux1", tf1.nn.relu), 8, "aux2", tf1.nn.relu), 3, "aux")
    probs = tf1.nn.softmax(main, name="probs")
    tf1.losses.sparse_softmax_cross_entropy(labels, main)
    tf1.losses.sparse_softmax_cross_entropy(labels, aux, weights=0.4)
    tf1.train.AdamOptimizer(1e-3).minimize(tf1.losses.get_total_loss())
    return Expect([probs], inputs={"x": ["data", None]}, reasons={aux: "auxiliary head"})


def notebook_reruns(tf1):
    """A notebook cell run twice: two models with their own inputs, variables and optimizers. The one defined
    last is the one users mean."""
    outputs = []
    for _ in range(2):
        x = tf1.placeholder(tf1.float32, [None, 4])
        y = tf1.placeholder(tf1.float32, [None, 1])
        prediction = _layer(tf1, _layer(tf1, x, 6, tf1.nn.relu), 1)
        tf1.train.AdamOptimizer(1e-3).minimize(tf1.reduce_mean(tf1.square(prediction - y)))
        outputs.append((prediction, x))
    return Expect([outputs[-1][0]], inputs={_name(outputs[-1][1]): ["data", None]})


def multi_task(tf1):
    """One trunk, two heads compared with different labels (a class and a value): both are outputs."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    kind = tf1.placeholder(tf1.int64, [None], name="kind")
    size = tf1.placeholder(tf1.float32, [None, 1], name="size")
    trunk = _dense(tf1, x, 8, "trunk", tf1.nn.relu)
    kind_logits = _dense(tf1, trunk, 3, "kind_head")
    size_value = _dense(tf1, trunk, 1, "size_head")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=kind, logits=kind_logits)) + \
        tf1.reduce_mean(tf1.square(size_value - size))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([kind_logits, size_value], inputs={"x": ["data", None]})


def training_branch(tf1):
    """Batch norm behind cond(is_training): the branch the switch's inference value never takes (batch
    statistics) is no output."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    is_training = tf1.placeholder_with_default(False, [], name="is_training")
    h = _dense(tf1, x, 8, "h")
    gamma = tf1.get_variable("gamma", [8], initializer=tf1.ones_initializer())
    beta = tf1.get_variable("beta", [8], initializer=tf1.zeros_initializer())
    mean = tf1.get_variable("moving_mean", [8], trainable=False, initializer=tf1.zeros_initializer())
    variance = tf1.get_variable("moving_variance", [8], trainable=False, initializer=tf1.ones_initializer())

    def train():
        batch_mean, batch_variance = tf1.nn.moments(h, [0])
        return tf1.nn.batch_normalization(h, batch_mean, batch_variance, beta, gamma, 1e-3, name="batch_stats")

    def infer():
        return tf1.nn.batch_normalization(h, mean, variance, beta, gamma, 1e-3, name="moving_stats")

    normed = tf1.cond(is_training, train, infer)
    logits = _dense(tf1, tf1.nn.relu(normed), 3, "out")
    probs = tf1.nn.softmax(logits, name="probs")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([probs], inputs={"x": ["data", None], "is_training": ["switch", False]},
                  never=["cond/batch_stats", "cond/moments"])


def denoiser(tf1):
    """Random noise that no input controls is added to the images inside the graph, and the network learns
    the noise: users feed the noisy image, so that tensor is the input, not the clean one."""
    clean = tf1.placeholder(tf1.float32, [None, 8], name="clean")
    noise = tf1.random_normal(tf1.shape(clean), stddev=0.1)
    noisy = tf1.add(clean, noise, name="noisy")
    residual = _dense(tf1, _dense(tf1, noisy, 8, "c1", tf1.nn.relu), 8, "c2")
    tf1.train.AdamOptimizer(1e-3).minimize(tf1.reduce_mean(tf1.square(residual - noise)))
    return Expect([residual], inputs={"noisy:0": ["data", None]})


def authors_collection(tf1):
    """The authors list their predictions in a collection of their own: that list is the suggested set, even
    beside a head they left out."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    heads = []
    for k in range(3):
        target = tf1.placeholder(tf1.float32, [None, 1], name="y%d" % k)
        prediction = tf1.identity(_dense(tf1, x, 1, "head%d" % k), name="prediction%d" % k)
        tf1.train.AdamOptimizer(1e-3).minimize(tf1.reduce_mean(tf1.square(prediction - target)))
        heads.append(prediction)
    for prediction in heads[:2]:
        tf1.add_to_collection("predict_op", prediction)
    return Expect(heads[:2], inputs={"x": ["data", None]}, reasons={heads[0]: "in the collection 'predict_op'"})


def siamese(tf1):
    """Two towers share their variables and a contrastive loss compares their outputs with each other and the
    label: each tower's output is the embedding, and one tower is enough."""
    left = tf1.placeholder(tf1.float32, [None, 6], name="left")
    right = tf1.placeholder(tf1.float32, [None, 6], name="right")
    same = tf1.placeholder(tf1.float32, [None], name="same")
    with tf1.variable_scope("tower") as scope:
        a = _dense(tf1, _dense(tf1, left, 8, "l1", tf1.nn.relu), 4, "l2")
        scope.reuse_variables()
        b = _dense(tf1, _dense(tf1, right, 8, "l1", tf1.nn.relu), 4, "l2")
    distance = tf1.reduce_sum(tf1.square(a - b), 1)
    loss = tf1.reduce_mean(same * distance + (1.0 - same) * tf1.maximum(0.0, 1.0 - distance))
    tf1.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    return Expect([a], inputs={"left": ["data", None]})


def ctc(tf1):
    """A CTC loss reads time-major logits no user reads: the decoder of those logits is the prediction."""
    frames = tf1.placeholder(tf1.float32, [None, 7, 5], name="frames")
    lengths = tf1.placeholder(tf1.int32, [None], name="lengths")
    labels = tf1.sparse_placeholder(tf1.int32, name="labels")
    logits = tf1.reshape(_dense(tf1, tf1.reshape(frames, [-1, 5]), 4, "proj"), [-1, 7, 4])
    time_major = tf1.transpose(logits, [1, 0, 2])
    loss = tf1.reduce_mean(tf1.nn.ctc_loss(labels, time_major, lengths))
    decoded, _ = tf1.nn.ctc_greedy_decoder(time_major, lengths)
    tf1.reduce_mean(tf1.edit_distance(tf1.cast(decoded[0], tf1.int32), labels))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    decoder = decoded[0].indices.op
    return Expect([decoder.name], inputs={"frames": ["data", None], "lengths": ["sequence_length", None]})


def sampled_loss(tf1):
    """An NCE loss samples classes from the labels: its sampler and its internals are never outputs."""
    ids = tf1.placeholder(tf1.int32, [None], name="ids")
    context = tf1.placeholder(tf1.int64, [None, 1], name="context")
    embeddings = tf1.get_variable("embeddings", [30, 6])
    embedded = tf1.nn.embedding_lookup(embeddings, ids)
    weights = tf1.get_variable("nce_weights", [30, 6])
    biases = tf1.get_variable("nce_biases", [30], initializer=tf1.zeros_initializer())
    loss = tf1.reduce_mean(tf1.nn.nce_loss(weights, biases, context, embedded, num_sampled=4, num_classes=30))
    tf1.train.GradientDescentOptimizer(0.5).minimize(loss)
    return Expect([embedded], never=["nce_loss", "LogUniformCandidateSampler"],
                  inputs={"ids": ["data", None]})


def adversarial_autoencoder(tf1):
    """An adversarial autoencoder: the reconstruction loss trains encoder and decoder, a critic judges the
    encoder's code against a prior, and a third optimizer trains the encoder to fool it. The code enters
    weights none of its trainers touch: it is a generator's output; the reconstruction is a prediction."""
    x = tf1.placeholder(tf1.float32, [None, 10], name="x")
    prior = tf1.placeholder(tf1.float32, [None, 2], name="prior")
    with tf1.variable_scope("encoder"):
        code = _dense(tf1, _dense(tf1, x, 8, "e1", tf1.nn.relu), 2, "e2")
    with tf1.variable_scope("decoder"):
        reconstruction = _dense(tf1, _dense(tf1, code, 8, "d1", tf1.nn.relu), 10, "d2", tf1.nn.sigmoid)
    with tf1.variable_scope("critic") as scope:
        real = _dense(tf1, _dense(tf1, prior, 8, "c1", tf1.nn.relu), 1, "c2")
        scope.reuse_variables()
        fake = _dense(tf1, _dense(tf1, code, 8, "c1", tf1.nn.relu), 1, "c2")
    entropy = tf1.nn.sigmoid_cross_entropy_with_logits
    scopes = dict((k, [v for v in tf1.trainable_variables() if v.name.startswith(k)])
                  for k in ("encoder", "decoder", "critic"))
    tf1.train.AdamOptimizer(1e-3).minimize(tf1.reduce_mean(tf1.square(x - reconstruction)),
                                           var_list=scopes["encoder"] + scopes["decoder"])
    tf1.train.AdamOptimizer(1e-3).minimize(
        tf1.reduce_mean(entropy(labels=tf1.ones_like(real), logits=real)) +
        tf1.reduce_mean(entropy(labels=tf1.zeros_like(fake), logits=fake)), var_list=scopes["critic"])
    tf1.train.AdamOptimizer(1e-3).minimize(tf1.reduce_mean(entropy(labels=tf1.ones_like(fake), logits=fake)),
                                           var_list=scopes["encoder"])
    return Expect([code, reconstruction], inputs={"x": ["data", None]},
                  reasons={code: "the generator's output", reconstruction: "its own input 'x'"})


def sliced_targets(tf1):
    """A detector's two heads are compared with two slices of one targets tensor (boxes and a class),
    weighted 5 and 1: they predict different things, so both are outputs (no auxiliary head here)."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    targets = tf1.placeholder(tf1.float32, [None, 5], name="targets")
    trunk = _dense(tf1, x, 8, "trunk", tf1.nn.relu)
    boxes = _dense(tf1, trunk, 4, "boxes")
    objectness = _dense(tf1, trunk, 1, "objectness")
    loss = 5.0 * tf1.reduce_mean(tf1.square(boxes - targets[:, :4])) + tf1.reduce_mean(
        tf1.nn.sigmoid_cross_entropy_with_logits(labels=targets[:, 4:], logits=objectness))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([boxes, objectness], inputs={"x": ["data", None]})


def selected_probability(tf1):
    """The authors fetch one column of the softmax (the positive class's probability) through a gather nothing
    else reads: a selection of a prediction with constant indices is a form of it, built to be fetched."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    logits = _dense(tf1, _dense(tf1, x, 8, "h", tf1.nn.relu), 2, "out")
    positive = tf1.gather(tf1.nn.softmax(logits), [1], axis=1)
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.AdamOptimizer(1e-3).minimize(loss)
    return Expect([positive], inputs={"x": ["data", None]})


def keep_prob(tf1):
    """A scalar placeholder that scales a dropout is a keep_prob: fed 1.0 at inference; the outputs need it."""
    x = tf1.placeholder(tf1.float32, [None, 6], name="x")
    keep = tf1.placeholder(tf1.float32, name="keep_prob")
    labels = tf1.placeholder(tf1.int64, [None], name="labels")
    logits = _dense(tf1, tf1.nn.dropout(_dense(tf1, x, 8, "fc1", tf1.nn.relu), keep), 3, "fc2")
    loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return Expect([logits], inputs={"x": ["data", None], "keep_prob": ["keep_prob", 1.0]})


BUILDERS = [reshape_before_loss, gan, dqn_target, autoencoder, metrics_and_bookkeeping, end_points_collection,
            argmax_as_output, dataset_fed, queue_fed, auxiliary_head, notebook_reruns, multi_task, training_branch,
            denoiser, authors_collection, siamese, ctc, sampled_loss, keep_prob, adversarial_autoencoder,
            selected_probability, sliced_targets]
NAMES = [b.__name__ for b in BUILDERS]


def write(directory, builders=None):
    """Builds every graph (of ``builders``, default BUILDERS) into ``directory``; returns name -> Expect as JSON."""
    tf1 = _tf1()
    for switch in ("disable_eager_execution", "disable_control_flow_v2", "disable_resource_variables",
                   "disable_v2_tensorshape"):
        if hasattr(tf1, switch):
            getattr(tf1, switch)()
    index = {}
    for builder in BUILDERS if builders is None else builders:
        graph = tf1.Graph()
        with graph.as_default():
            tf1.set_random_seed(7)
            expect = builder(tf1)
            saver = tf1.train.Saver()
            with tf1.Session(graph=graph) as session:
                session.run(tf1.global_variables_initializer())
                session.run(tf1.local_variables_initializer())
                saver.save(session, os.path.join(directory, builder.__name__, "model.ckpt"))
        index[builder.__name__] = expect.to_json()
    with open(os.path.join(directory, "principles.json"), "w") as handle:
        json.dump(index, handle, indent=1)
    return index


def build_all(directory):
    """Runs ``write`` in a child process of the same interpreter and returns its index."""
    return build_in_child("tests.principle_graphs", directory, "principles.json")


if __name__ == "__main__":
    np.random.seed(0)
    write(sys.argv[1])
