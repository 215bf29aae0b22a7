"""V1 checkpoints, SavedModels and Estimator-style model_dirs written at test time by the installed TF.

Works on TF 2.x (tf.compat.v1 with v2 behaviour off) and on TF 1.4. Each builder returns a
ModelSpec (tests/tf2_models.py) whose ``expected`` holds what the writing session computed.
"""

import os

import numpy as np

from tests.tf2_models import ModelSpec, _dense, _tf


def _session_values(tf1, session, outputs, feeds):
    graph = session.graph
    fetches = [graph.get_tensor_by_name(o if ":" in o else o + ":0") for o in outputs]
    feed_dict = dict((graph.get_tensor_by_name(k if ":" in k else k + ":0"), v) for k, v in feeds.items())
    return dict(zip(outputs, session.run(fetches, feed_dict)))


def _v1_graph(tf1):
    """Several dtypes and a partitioned embedding; outputs y (float), h (half), n (int64), s (string)."""
    x = tf1.placeholder(tf1.float32, [None, 3], name="x")
    ids = tf1.placeholder(tf1.int64, [None], name="ids")
    embedding = tf1.get_variable("embedding", [10, 3], partitioner=tf1.fixed_size_partitioner(3),
                                 initializer=tf1.random_normal_initializer(seed=3))
    hidden = _dense(tf1, x + tf1.nn.embedding_lookup(embedding, ids), 4, "hidden", tf1.nn.relu)
    logits = _dense(tf1, hidden, 2, "logits")
    tf1.nn.softmax(logits, name="y")
    w16 = tf1.get_variable("w16", initializer=np.array([[1.5, -2.0], [0.25, 4.0]], dtype=np.float16))
    tf1.identity(tf1.matmul(tf1.cast(logits, tf1.float16), w16), name="h")
    big = tf1.get_variable("big", initializer=np.array([1, 2 ** 40, -7], dtype=np.int64))
    tf1.identity(big * 2, name="n")
    flags = tf1.get_variable("flags", initializer=np.array([True, False]))
    tf1.logical_not(flags, name="f")
    words = tf1.get_variable("words", initializer=np.array([b"hello", b"", b"gr\xc3\xbc\xc3\x9f"]),
                             dtype=tf1.string)
    tf1.identity(words, name="s")
    small = tf1.get_variable("small", initializer=np.array([3, -4, 5], dtype=np.int8))
    tf1.identity(small, name="i8")
    feeds = {"x": np.random.RandomState(0).rand(3, 3).astype(np.float32),
             "ids": np.array([0, 4, 9], dtype=np.int64)}
    return ["y", "h", "n", "f", "s", "i8"], feeds


def build_v1(folder, sharded=False):
    """A V1 checkpoint (``model.ckpt`` single file, or two shards with ``sharded``) + .meta."""
    tf1 = _tf()
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        config = None
        if sharded:
            with tf1.device("/cpu:0"):
                outputs, feeds = _v1_graph(tf1)
            with tf1.device("/cpu:1"):
                extra = tf1.get_variable("extra", initializer=np.array([0.5, 1.5], dtype=np.float32))
            tf1.identity(extra * 3.0, name="e")
            outputs.append("e")
            config = tf1.ConfigProto(device_count={"CPU": 2})
        else:
            outputs, feeds = _v1_graph(tf1)
        saver = tf1.train.Saver(write_version=tf1.train.SaverDef.V1, sharded=sharded)
        with tf1.Session(config=config) as session:
            session.run(tf1.global_variables_initializer())
            prefix = saver.save(session, os.path.join(folder, "model.ckpt"))
            expected = _session_values(tf1, session, outputs, feeds)
    return ModelSpec("v1_sharded" if sharded else "v1", folder, prefix, outputs, feeds, expected, {})


def build_saved_model(folder, tags=("serve",), extra_tags=None):
    """A SavedModel with a ``predict`` signature (x -> probs) under ``tags``; optional second meta graph."""
    tf1 = _tf()
    export = os.path.join(folder, "export")
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        x = tf1.placeholder(tf1.float32, [None, 4], name="features")
        hidden = _dense(tf1, x, 5, "hidden", tf1.nn.relu)
        logits = _dense(tf1, hidden, 3, "logits")
        probs = tf1.nn.softmax(logits, name="probs")
        classes = tf1.argmax(logits, 1, name="classes")
        builder = tf1.saved_model.builder.SavedModelBuilder(export)
        build_info = tf1.saved_model.utils.build_tensor_info
        signature = tf1.saved_model.signature_def_utils.build_signature_def(
            inputs={"x": build_info(x)}, outputs={"probs": build_info(probs), "classes": build_info(classes)},
            method_name="tensorflow/serving/predict")
        feeds = {"features": np.random.RandomState(1).rand(2, 4).astype(np.float32)}
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            builder.add_meta_graph_and_variables(session, list(tags), signature_def_map={"predict": signature})
            if extra_tags:
                builder.add_meta_graph(list(extra_tags))
            expected = _session_values(tf1, session, ["probs", "classes"], feeds)
        builder.save()
    return ModelSpec("saved_model", export, os.path.join(export, "variables", "variables"),
                     ["probs", "classes"], feeds, expected, {})


def build_estimator_dir(folder, steps=(1, 5, 9), write_meta=False):
    """An Estimator-style model_dir: tf.data input, global step guard, graph.pbtxt + model.ckpt-N."""
    tf1 = _tf()
    with tf1.Graph().as_default():
        tf1.set_random_seed(0)
        global_step = tf1.train.get_or_create_global_step()
        data = np.random.RandomState(2).rand(8, 3).astype(np.float32)
        labels = np.arange(8, dtype=np.int64) % 2
        dataset = tf1.data.Dataset.from_tensor_slices(({"x": data}, labels)).repeat().batch(4)
        features, label = _make_iterator(tf1, dataset).get_next()
        # Estimator's model_fn wraps the model in a read of the global step through a cond.
        initialized = tf1.is_variable_initialized(global_step)
        step_read = tf1.cond(initialized, lambda: tf1.identity(global_step),
                             lambda: tf1.constant(0, dtype=tf1.int64))
        with tf1.control_dependencies([step_read]):
            hidden = _dense(tf1, features["x"], 4, "dense", tf1.nn.relu)
        logits = _dense(tf1, hidden, 2, "dense_1")
        tf1.nn.softmax(logits, name="probabilities")
        loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=label, logits=logits))
        train = tf1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
        saver = tf1.train.Saver(max_to_keep=10)
        tf1.train.write_graph(tf1.get_default_graph().as_graph_def(add_shapes=True), folder, "graph.pbtxt")
        cut = features["x"].name
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            done = 0
            for step in steps:
                while done < step:
                    session.run(train)
                    done += 1
                prefix = saver.save(session, os.path.join(folder, "model.ckpt"), global_step=step,
                                    write_meta_graph=write_meta)
            feeds = {cut: data[:2]}
            expected = _session_values(tf1, session, ["probabilities", "dense_1/BiasAdd"], feeds)
    return ModelSpec("estimator", folder, prefix, ["probabilities", "dense_1/BiasAdd"], feeds, expected, {})


def _make_iterator(tf1, dataset):
    if hasattr(tf1.data, "make_one_shot_iterator"):
        return tf1.data.make_one_shot_iterator(dataset)
    return dataset.make_one_shot_iterator()


def _text_file_table(tf1, filename):
    """A static hash table word -> line number read from ``filename`` (TF 2.x compat.v1 or TF 1.4 contrib)."""
    lookup = getattr(tf1, "lookup", None)
    if lookup is not None and hasattr(lookup, "StaticHashTable"):
        initializer = lookup.TextFileInitializer(filename, tf1.string, -2, tf1.int64, -1)
        return lookup.StaticHashTable(initializer, default_value=-1)
    from tests.tf_runtime import tensorflow
    tf = tensorflow()
    initializer = tf.contrib.lookup.TextFileInitializer(filename, tf1.string, -2, tf1.int64, -1)
    return tf.contrib.lookup.HashTable(initializer, default_value=-1)


def build_saved_model_with_vocab(folder):
    """A SavedModel whose lookup table reads a vocabulary asset; the original vocabulary file is removed."""
    tf1 = _tf()
    vocab = os.path.join(folder, "vocab.txt")
    with open(vocab, "w") as handle:
        handle.write("apple\nbanana\ncherry\n")
    export = os.path.join(folder, "export")
    with tf1.Graph().as_default():
        words = tf1.placeholder(tf1.string, [None], name="words")
        table = _text_file_table(tf1, tf1.constant(vocab, name="vocab_path"))
        tf1.add_to_collection(tf1.GraphKeys.ASSET_FILEPATHS, tf1.get_default_graph().get_tensor_by_name("vocab_path:0"))
        scale = tf1.get_variable("scale", initializer=np.array(10, dtype=np.int64))
        tf1.identity(table.lookup(words) * scale, name="ids")
        init = tf1.tables_initializer(name="init_all_tables")
        builder = tf1.saved_model.builder.SavedModelBuilder(export)
        feeds = {"words": np.array([b"cherry", b"apple", b"kiwi"], dtype=object)}
        with tf1.Session() as session:
            session.run([tf1.global_variables_initializer(), init])
            builder.add_meta_graph_and_variables(
                session, ["serve"], assets_collection=tf1.get_collection(tf1.GraphKeys.ASSET_FILEPATHS),
                legacy_init_op=init)
            expected = _session_values(tf1, session, ["ids"], feeds)
        builder.save()
    os.remove(vocab)
    return ModelSpec("saved_model_vocab", export, os.path.join(export, "variables", "variables"),
                     ["ids"], feeds, expected, {})


def _restore_slice(tf1, prefix, name, spec, dtype):
    raw = getattr(getattr(__import__("tensorflow"), "raw_ops", None), "RestoreSlice", None)
    if raw is not None:
        return raw(file_pattern=prefix, tensor_name=name, shape_and_slice=spec, dt=dtype)
    from tensorflow.python.ops import gen_io_ops
    return gen_io_ops._restore_slice(prefix, name, spec, dtype)


def build_v1_restore_slice(folder):
    """A pre-1.0 style saver graph: each variable restored by its own RestoreSlice, under other keys."""
    tf1 = _tf()
    prefix = os.path.join(folder, "model.ckpt")
    weights = np.arange(6, dtype=np.float32).reshape(3, 2) / 7.0
    with tf1.Graph().as_default():
        w = tf1.get_variable("old_w", initializer=weights)
        b = tf1.get_variable("old_b", initializer=np.array([0.5, -1.0], dtype=np.float32))
        saver = tf1.train.Saver({"layer/weights": w, "layer/bias": b}, write_version=tf1.train.SaverDef.V1)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            saver.save(session, prefix, write_meta_graph=False)
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        w = tf1.get_variable("w", [3, 2])
        b = tf1.get_variable("b", [2])
        tf1.identity(tf1.matmul(x, w) + b, name="y")
        with tf1.name_scope("save"):
            filename = tf1.constant(prefix, name="Const")
            restores = [tf1.assign(var, _restore_slice(tf1, filename, key, "", tf1.float32))
                        for var, key in ((w, "layer/weights"), (b, "layer/bias"))]
            tf1.group(*restores, name="restore_all")
        tf1.train.export_meta_graph(prefix + ".meta")
    feeds = {"x": np.array([[1.0, 2.0, 3.0]], dtype=np.float32)}
    expected = {"y": feeds["x"].dot(weights) + np.array([0.5, -1.0], dtype=np.float32)}
    return ModelSpec("v1_restore_slice", folder, prefix, ["y"], feeds, expected, {})
