"""Running graphs in whichever TensorFlow is installed (2.x compat.v1, or 1.4 on the legacy stack)."""

import numpy as np

from tests.strict import missing


def tensorflow():
    """The tensorflow module; without it the test skips, or fails under TF1FREEZE_STRICT=1 (CI)."""
    try:
        import tensorflow as tf
    except ImportError as exc:
        missing("TensorFlow (%s); pip install -r requirements-dev.txt installs it" % exc)
    return tf


def tf1():
    """The TF 1.x API: tf.compat.v1 where it exists, else tf (TF 1.4)."""
    tf = tensorflow()
    if hasattr(tf, "compat") and hasattr(tf.compat, "v1"):
        return tf.compat.v1
    return tf


def installed_version():
    """The installed TensorFlow's version, for `--target-tf` when a test graph was written by it."""
    return tensorflow().__version__


def run_frozen(pb_bytes, feeds, outputs):
    """Imports a frozen GraphDef into a fresh graph and runs ``outputs``.

    Args:
        pb_bytes: serialized GraphDef.
        feeds: dict placeholder name -> array.
        outputs: node names (port 0) or tensor names.
    Returns:
        dict output -> numpy array.
    """
    tf = tf1()
    graph_def = tf.GraphDef()
    graph_def.ParseFromString(pb_bytes)
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        fetches = [graph.get_tensor_by_name(o if ":" in o else o + ":0") for o in outputs]
        feed_dict = dict((graph.get_tensor_by_name(k if ":" in k else k + ":0"), v) for k, v in feeds.items())
        with tf.Session(graph=graph) as session:
            values = session.run(fetches, feed_dict)
    return dict(zip(outputs, values))


def assert_close(actual, expected, rtol=1e-5, atol=1e-6):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    if actual.dtype.kind in "fc":
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(actual, expected)
