"""A HashTable filled by LookupTableImportV2 (what TF 2.x's KeyValueTensorInitializer writes; TF 1.4.0's
HashTable cannot import values) is written with InitializeTableV2, which every release runs."""

import os

import numpy as np

from core import api
from tests.tf_runtime import installed_version, tensorflow, tf1

tensorflow()

QUERY = np.array([b"b", b"c", b"z"])


def _build(folder):
    tf = tf1()
    from tensorflow.python.ops import gen_lookup_ops as ops

    def raw(name):  # TF 1.4 hides these generated wrappers behind an underscore
        return getattr(ops, name, None) or getattr(ops, "_" + name)
    prefix = os.path.join(str(folder), "model.ckpt")
    with tf.Graph().as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        table = raw("hash_table_v2")(key_dtype=tf.string, value_dtype=tf.int64, name="table")
        fill = raw("lookup_table_import_v2")(table, tf.constant([b"a", b"b", b"c"]),
                                             tf.constant([1, 2, 3], tf.int64), name="fill")
        tf.group(fill, name="init_all_tables")
        ids = raw("lookup_table_find_v2")(table, words, tf.constant(-1, tf.int64))
        scale = tf.Variable(np.float32(0.5), name="scale")
        tf.identity(tf.cast(ids, tf.float32) * scale, name="y")
        saver = tf.train.Saver()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, prefix)


def _run_frozen(path):
    tf = tf1()
    graph_def = tf.GraphDef()
    with open(path, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as session:
            session.run(graph.get_operation_by_name("init_all_tables"))
            value = session.run("y:0", {"words:0": QUERY})
    return graph_def, value


def test_hash_table_import_is_written_as_initialize(tmp_path):
    _build(tmp_path)
    destination = str(tmp_path / "frozen.pb")
    with api.open_model(str(tmp_path)) as loaded:
        report = api.freeze(loaded, api.FreezeRequest(["y"], destination=destination, target_tf=installed_version()))
    assert ("fill", "LookupTableImportV2 -> InitializeTableV2 (a HashTable is initialised, not imported into)") \
        in report.rewrites
    assert any("init_all_tables" in note for note in report.notes), report.notes
    graph_def, value = _run_frozen(destination)
    assert [n.op for n in graph_def.node if n.name == "fill"] == ["InitializeTableV2"]
    np.testing.assert_array_equal(value, np.array([1.0, 1.5, -0.5], dtype=np.float32))
