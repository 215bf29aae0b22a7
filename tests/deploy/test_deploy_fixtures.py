"""`main.py deploy` on the TF 1.4 fixtures: every ok artifact loaded again by the tests' own loader in its
runtime and compared with TensorFlow 1.4.0's recorded outputs; every other target one line with a reason."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import FIXTURE_NAMES, ROOT, load_fixture

TARGETS = ["tflite", "onnx", "openvino", "opencv"]
KEYS = {"status", "paths", "inputs", "outputs", "max_abs_diff", "dtype_changes", "reason"}
LOADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_artifact.py")


def deploy(fixture, directory, python, extra=()):
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", fixture.folder, "--outputs",
               ",".join(fixture.outputs), "--to", ",".join(TARGETS), "-o", directory, "--json",
               "--deploy-python", python] + list(extra)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return done.returncode, json.loads(done.stdout), [l for l in done.stderr.splitlines() if l.startswith("error:")]


def load_and_run(python, target, path, fixture, tmp_path, names):
    feeds = dict((k, v) for k, v in fixture.feeds.items())
    feeds_path, out_path = str(tmp_path / ("feeds_%s.npz" % target)), str(tmp_path / ("out_%s.npz" % target))
    np.savez(feeds_path, **feeds)
    subprocess.check_call([python, LOADER, target, path, feeds_path, out_path, ",".join(names)],
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    with np.load(out_path) as data:
        return [data["arr_%d" % i] for i in range(len(names))]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_deploy_fixture_to_every_target(tmp_path, name, deploy_python_path):
    fixture = load_fixture(name)
    directory = str(tmp_path / "out")
    code, report, errors = deploy(fixture, directory, deploy_python_path)
    assert set(report["targets"]) == set(TARGETS)
    failed = [t for t, r in report["targets"].items() if r["status"] != "ok"]
    assert code == (1 if failed else 0)
    assert len(errors) == len(failed) and all(any(e.startswith("error: %s: " % t) for e in errors) for t in failed)
    for target, result in report["targets"].items():
        assert set(result) == KEYS, target
        if result["status"] != "ok":
            assert result["status"] in ("refused", "failed") and result["reason"], target
            assert "\n" not in result["reason"] and not result["paths"]
            continue
        assert result["paths"] and all(os.path.isabs(p) and os.path.dirname(p) == directory for p in result["paths"])
        assert all(os.path.isfile(p) for p in result["paths"])
        assert [o["name"] for o in result["outputs"]] and len(result["outputs"]) == len(fixture.outputs)
        assert isinstance(result["max_abs_diff"], float) and result["max_abs_diff"] < 1e-2
        fetch = [o["name"].split(":")[0] for o in result["outputs"]] if target == "opencv" else fixture.outputs
        values = load_and_run(deploy_python_path, target, result["paths"][0], fixture, tmp_path, fetch)
        for output, value in zip(fixture.outputs, values):
            expected = fixture.expected[output]
            if expected.dtype.kind in "fc":
                tolerance = 5e-3 if expected.dtype == np.float16 else 1e-4
                np.testing.assert_allclose(value.astype(expected.dtype), expected, rtol=tolerance, atol=tolerance,
                                           err_msg="%s %s" % (target, output))
            else:
                np.testing.assert_array_equal(value.astype(expected.dtype), expected, err_msg=target)
    assert sorted(os.listdir(directory)) == sorted(os.path.basename(p) for r in report["targets"].values()
                                                   for p in r["paths"])  # nothing half-written left


def test_nothing_deployable_is_still_one_json_object(tmp_path, deploy_python_path):
    fixture = load_fixture("mlp")
    fixture.outputs = ["no_such_node"]
    code, report, errors = deploy(fixture, str(tmp_path / "out"), deploy_python_path)
    assert code == 1 and "error" in report and errors
    assert set(report["targets"]) == set(TARGETS)
    assert all(r["status"] == "failed" and r["reason"] for r in report["targets"].values())


def test_a_fixed_shape_reaches_every_artifact(tmp_path, deploy_python_path):
    fixture = load_fixture("cnn_bn")
    code, report, _ = deploy(fixture, str(tmp_path / "out"), deploy_python_path, ["--shape", "images=1,28,28,1"])
    for target, result in report["targets"].items():
        if result["status"] == "ok":
            shape = result["inputs"][0]["shape"]
            assert shape[0] in (1, -1) and sorted(shape[1:]) == [1, 28, 28] or shape == [1, 28, 28, 1], target
    assert report["targets"]["onnx"]["inputs"][0]["shape"] == [1, 28, 28, 1]


def test_tflite_narrows_float64_and_says_so(tmp_path, deploy_python_path):
    fixture = load_fixture("dtypes")
    fixture.outputs = ["y64"]
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", fixture.folder, "--outputs", "y64", "--to",
               "tflite", "-o", str(tmp_path / "out"), "--json", "--deploy-python", deploy_python_path]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    result = json.loads(done.stdout)["targets"]["tflite"]
    assert done.returncode == 0 and result["status"] == "ok", result["reason"]
    assert result["inputs"][0]["dtype"] == "float32" and result["outputs"][0]["dtype"] == "float32"
    assert "float64->float32 x" in result["dtype_changes"] and "float64->float32 y64" in result["dtype_changes"]
    assert result["dtype_changes"][0].startswith("float64->float32 in ")
    value, = load_and_run(deploy_python_path, "tflite", result["paths"][0], fixture, tmp_path, ["y64"])
    assert value.dtype == np.float32  # TF 1.4's float64 outputs, to float32 precision
    np.testing.assert_allclose(value.astype(np.float64), fixture.expected["y64"], rtol=1e-5, atol=1e-6)


def _batch_mixing_checkpoint(tf, folder):
    """y = reshape(x, [2 * batch, 2]) * w: its shape is computed from the batch, so an artifact converted
    at batch 1 computes [2, 2] and cannot be run at another batch."""
    def build():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.Variable(np.array([[1.5, -2.0]], np.float32), name="w")
        tf.multiply(tf.reshape(x, tf.stack([tf.shape(x)[0] * 2, 2])), w, name="y")
    return _saved(tf, folder, build)


def _saved(tf, folder, build):
    """The graph ``build`` makes, its variables initialised, saved as a checkpoint; its .meta path."""
    with tf.Graph().as_default():
        build()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            tf.train.Saver().save(session, os.path.join(str(folder), "model.ckpt"))
    return os.path.join(str(folder), "model.ckpt.meta")


def test_tflite_is_compared_at_the_batch_it_was_converted_for(tf, tmp_path, deploy_python_path):
    meta = _batch_mixing_checkpoint(tf, tmp_path)
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", meta, "--outputs", "y", "--to",
               "tflite,onnx", "-o", str(tmp_path / "out"), "--json", "--deploy-python", deploy_python_path]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    targets = json.loads(done.stdout)["targets"]
    result = targets["tflite"]
    assert result["status"] == "ok", result["reason"]
    assert result["inputs"][0]["shape"] == [1, 4] and result["outputs"][0]["shape"] == [2, 2]
    assert targets["onnx"]["status"] == "ok" and targets["onnx"]["inputs"][0]["shape"] == [-1, 4]
    feeds = {"x": np.arange(4, dtype=np.float32).reshape(1, 4)}
    feeds_path, out_path = str(tmp_path / "feeds.npz"), str(tmp_path / "out.npz")
    np.savez(feeds_path, **feeds)
    subprocess.check_call([deploy_python_path, LOADER, "tflite", result["paths"][0], feeds_path, out_path, "y"],
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    with np.load(out_path) as data:
        np.testing.assert_allclose(data["arr_0"], feeds["x"].reshape(2, 2) * np.array([[1.5, -2.0]]))


def _flat_image_checkpoint(tf, folder):
    """x [batch, 16] reshaped into a one-channel 4x4 image, a convolution, a dense layer (the MNIST shape)."""
    def build():
        x = tf.placeholder(tf.float32, [None, 16], name="x")
        kernel = tf.Variable(np.linspace(-1, 1, 18, dtype=np.float32).reshape(3, 3, 1, 2), name="kernel")
        conv = tf.nn.relu(tf.nn.conv2d(tf.reshape(x, [-1, 4, 4, 1], name="image"), kernel, [1, 1, 1, 1], "SAME"))
        dense = tf.Variable(np.linspace(-1, 1, 96, dtype=np.float32).reshape(32, 3), name="dense")
        tf.matmul(tf.reshape(conv, [-1, 32]), dense, name="y")
    return _saved(tf, folder, build)


def test_opencv_is_fed_the_image_a_flat_input_is_reshaped_into(tf, tmp_path, deploy_python_path):
    meta = _flat_image_checkpoint(tf, tmp_path)
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", meta, "--outputs", "y", "--to",
               "opencv", "-o", str(tmp_path / "out"), "--json", "--deploy-python", deploy_python_path]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    result = json.loads(done.stdout)["targets"]["opencv"]
    assert result["status"] == "ok", result["reason"]
    assert result["inputs"] == [{"name": "image", "dtype": "float32", "shape": [-1, 1, 4, 4]}]
    x = np.linspace(0, 1, 48, dtype=np.float32).reshape(3, 16)
    feeds_path, out_path = str(tmp_path / "feeds.npz"), str(tmp_path / "out.npz")
    np.savez(feeds_path, image=x.reshape(3, 4, 4, 1))
    subprocess.check_call([deploy_python_path, LOADER, "opencv", result["paths"][0], feeds_path, out_path,
                           result["outputs"][0]["name"]], env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    with tf.Graph().as_default():  # the checkpoint itself, run in TensorFlow on the flat input
        with tf.Session() as session:
            saver = tf.train.import_meta_graph(meta)
            saver.restore(session, meta[:-len(".meta")])
            expected = session.run("y:0", {"x:0": x})
    with np.load(out_path) as data:
        np.testing.assert_allclose(data["arr_0"], expected, rtol=1e-4, atol=1e-5)


def test_an_opencv_layer_that_fails_is_named_with_its_node(tf, tmp_path, deploy_python_path):
    def build():  # the flat input also read by a second output: it stays the input, and OpenCV's Permute fails
        x = tf.placeholder(tf.float32, [None, 16], name="x")
        kernel = tf.Variable(np.ones((3, 3, 1, 2), np.float32), name="kernel")
        conv = tf.nn.conv2d(tf.reshape(x, [-1, 4, 4, 1], name="image"), kernel, [1, 1, 1, 1], "SAME")
        tf.identity(tf.reshape(conv, [-1, 32]), name="y")
        tf.multiply(x, 2.0, name="doubled")
    meta = _saved(tf, tmp_path, build)
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", meta, "--outputs", "y,doubled", "--to",
               "opencv", "-o", str(tmp_path / "out"), "--json", "--deploy-python", deploy_python_path]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    result = json.loads(done.stdout)["targets"]["opencv"]
    assert result["status"] == "failed" and "\n" not in result["reason"]
    assert result["reason"].startswith(
        "running the artifact failed: RuntimeError: OpenCV's Permute layer image/nhwc (a layer OpenCV inserted for "
        "node image) fails in getMemoryShapes on an input of shape [2, 16]: (-215:Assertion failed)"), result["reason"]
