"""Checkpoint fields read as TensorFlow reads them: a V1 slice's values from its dtype's typed field only,
bundle headers and V1 tensor lists whose versions TensorFlow refuses. TensorFlow restoring the same
damaged files, in a child process (TF 1.4 crashes on some), is the oracle."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from core import api
from core.formats import protos
from core.formats.sstable import read_table
from tests import damage
from tests.tf_runtime import tensorflow, tf1

tensorflow()

WEIGHTS = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
FEED = np.array([[1.0, 0.5]], dtype=np.float32)

_RESTORE = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1 if hasattr(tf, "compat") and hasattr(tf.compat, "v1") else tf
prefix = sys.argv[1]
with tf1.Graph().as_default() as graph:
    saver = tf1.train.import_meta_graph(prefix + ".meta")
    with tf1.Session() as session:
        try:
            saver.restore(session, prefix)
        except Exception as exc:
            print(json.dumps({"refused": type(exc).__name__}))
            sys.exit(0)
        y = session.run("y:0", {"x:0": np.array(json.loads(sys.argv[2]), np.float32)})
print(json.dumps({"y": y.tolist()}))
"""


def _tf_restore(prefix):
    """TensorFlow's y after restoring ``prefix`` ({"y": ...}), {"refused": ...}, or {"crashed": code}."""
    result = subprocess.run([sys.executable, "-c", _RESTORE, prefix, json.dumps(FEED.tolist())],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    lines = result.stdout.decode().strip().splitlines()
    return json.loads(lines[-1]) if result.returncode == 0 and lines else {"crashed": result.returncode}


def _build(folder, version):
    tf = tf1()
    prefix = os.path.join(str(folder), "model.ckpt")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.get_variable("w", initializer=WEIGHTS)
        tf.identity(tf.matmul(x, w), name="y")
        saver = tf.train.Saver(write_version=version)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, prefix)
    return prefix


def _edit_v1(prefix, edit):
    """Rewrites the V1 table at ``prefix``: ``edit(SavedTensorSlices)`` on the empty key's tensor list
    (slice None) or on the slice of tensor w."""
    items = []
    for key, value in read_table(prefix):
        message = protos.SavedTensorSlices.FromString(bytes(value))
        if (not key and edit.__name__.startswith("meta")) or (key and message.data.name == "w"):
            edit(message)
            value = message.SerializeToString()
        items.append((bytes(key), bytes(value)))
    with open(prefix, "wb") as handle:
        handle.write(damage.table_bytes(items))


def _frozen_y(folder, tmp_path):
    destination = str(tmp_path / "frozen.pb")
    with api.open_model(str(folder)) as loaded:
        api.freeze(loaded, api.FreezeRequest(["y"], destination=destination))
    from tests.tf_runtime import run_frozen
    with open(destination, "rb") as handle:
        return run_frozen(handle.read(), {"x": FEED}, ["y"])["y"]


def _refused(folder, tmp_path, *words):
    destination = str(tmp_path / "frozen.pb")
    with pytest.raises(api.ModelError) as caught:
        with api.open_model(str(folder)) as loaded:
            api.freeze(loaded, api.FreezeRequest(["y"], destination=destination))
    message = str(caught.value)
    assert "\n" not in message and all(w in message for w in words), message
    assert not os.path.exists(destination)


def test_v1_slice_with_float_val_and_tensor_content_reads_float_val(tmp_path):
    prefix = _build(tmp_path, tf1().train.SaverDef.V1)

    def content_too(message):
        message.data.data.tensor_content = np.full(4, 9.0, np.float32).tobytes()
    _edit_v1(prefix, content_too)
    expected = _tf_restore(prefix)
    np.testing.assert_allclose(expected["y"], FEED.dot(WEIGHTS))  # TF reads float_val, not the 9s
    np.testing.assert_allclose(_frozen_y(tmp_path, tmp_path), expected["y"])


def test_v1_values_in_the_wrong_typed_field_are_refused(tmp_path):
    prefix = _build(tmp_path, tf1().train.SaverDef.V1)

    def in_int_val(message):
        values = list(message.data.data.float_val)
        del message.data.data.float_val[:]
        message.data.data.int_val.extend(int(v) for v in values)
    _edit_v1(prefix, in_int_val)
    assert "y" not in _tf_restore(prefix)  # TF 2.x refuses; TF 1.4.0 crashes
    _refused(tmp_path, tmp_path, "'w'", "0 values in float_val, expected 4", "int_val")


def test_v1_tensor_list_with_a_min_consumer_tensorflow_lacks_is_refused(tmp_path):
    prefix = _build(tmp_path, tf1().train.SaverDef.V1)

    def meta_min_consumer(message):
        message.meta.versions.min_consumer = 9999
    _edit_v1(prefix, meta_min_consumer)
    assert "y" not in _tf_restore(prefix)
    _refused(tmp_path, tmp_path, "min_consumer 9999")


def test_bundle_header_with_a_min_consumer_tensorflow_lacks_is_refused(tmp_path):
    prefix = _build(tmp_path, tf1().train.SaverDef.V2)

    def min_consumer(header):
        header.version.min_consumer = 9999
    damage.edit_entry(prefix, b"", min_consumer)
    assert "y" not in _tf_restore(prefix)
    _refused(tmp_path, tmp_path, "model.ckpt.index", "min_consumer 9999")
