"""OpenCV DNN specifics of deploy, each on a checkpoint built here: ArgMax's shape, float64 and int64 inputs
narrowed to the float32 OpenCV computes in (said in dtype_changes), constant outputs refused up front."""

import json
import os
import subprocess
import sys

import numpy as np

from tests.conftest import ROOT
from tests.deploy.test_deploy_fixtures import LOADER, _saved


def deploy(meta, outputs, folder, python, targets="opencv"):
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", meta, "--outputs", outputs, "--to", targets,
               "-o", str(folder), "--json", "--deploy-python", python]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return done.returncode, json.loads(done.stdout)["targets"]


def reload(python, path, feeds, names, tmp_path):
    """The artifact run by the tests' own loader in cv2.dnn (OpenCV's own output shapes)."""
    feeds_path, out_path = str(tmp_path / "feeds.npz"), str(tmp_path / "out.npz")
    np.savez(feeds_path, **feeds)
    subprocess.check_call([python, LOADER, "opencv", path, feeds_path, out_path, ",".join(names)],
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    with np.load(out_path) as data:
        return [data["arr_%d" % i] for i in range(len(names))]


def restored(tf, meta, fetches, feeds):
    with tf.Graph().as_default():
        with tf.Session() as session:
            saver = tf.train.import_meta_graph(meta)
            saver.restore(session, meta[:-len(".meta")])
            return session.run(fetches, feeds)


def test_argmax_comes_out_of_opencv_in_tensorflows_shape(tf, tmp_path, deploy_python_path):
    def build():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.array([[1, 0, 2], [0, 1, -1], [3, 0, 1]], np.float32), name="w")
        tf.argmax(tf.matmul(x, w, name="logits"), 1, name="y")
    meta = _saved(tf, tmp_path, build)
    code, targets = deploy(meta, "y,logits", tmp_path / "out", deploy_python_path)
    result = targets["opencv"]
    assert code == 0 and result["status"] == "ok", result["reason"]
    # TensorFlow's ArgMax drops the axis ([batch]); OpenCV's layer keeps it as 1 ([batch, 1])
    assert [o["shape"] for o in result["outputs"]] == [[-1], [-1, 3]]
    assert result["dtype_changes"] == ["int64->float32 y"]
    assert result["paths"] == [str(tmp_path / "out" / "model.opencv.pb")]
    x = np.array([[1, 3, 2], [5, 1, 0], [0, 0, 1]], np.float32)
    raw, logits = reload(deploy_python_path, result["paths"][0], {"x": x}, ["y", "logits"], tmp_path)
    expected = restored(tf, meta, "y:0", {"x:0": x})
    assert raw.shape == (3, 1) and expected.shape == (3,)
    np.testing.assert_array_equal(raw.reshape(3).astype(np.int64), expected)


def test_float64_and_int64_inputs_are_narrowed_for_opencv_and_said(tf, tmp_path, deploy_python_path):
    """x64 (float64) through a float64 dense layer; counts (int64) read only by a Cast to float32: OpenCV
    refused both (float64 Cast, int64 Cast); narrowed, it computes them at float32."""
    def build():
        x = tf.placeholder(tf.float64, [None, 2], name="x64")
        counts = tf.placeholder(tf.int64, [None, 2], name="counts")
        w = tf.Variable(np.array([[0.5, -1.25], [2.0, 0.75]]), name="w64")
        tf.cast(tf.matmul(x, w), tf.float32, name="dense")  # (OpenCV fuses a dense layer's Add: kept apart)
        tf.multiply(tf.cast(counts, tf.float32), 0.5, name="scaled")
        ids = tf.placeholder(tf.int32, [None, 1], name="ids")
        tf.multiply(tf.cast(ids, tf.float32), 2.0, name="ids_scaled")
    meta = _saved(tf, tmp_path, build)
    code, targets = deploy(meta, "dense,scaled,ids_scaled", tmp_path / "out", deploy_python_path)
    result = targets["opencv"]
    assert code == 0 and result["status"] == "ok", result["reason"]
    assert sorted((i["name"], i["dtype"]) for i in result["inputs"]) == [
        ("counts", "float32"), ("ids", "float32"), ("x64", "float32")]
    changes = result["dtype_changes"]
    assert changes[0].startswith("float64->float32 in ") and "(OpenCV DNN computes in float32)" in changes[0]
    assert "int64 input counts fed as float32 (its Casts to float32 dropped: OpenCV DNN has no Cast)" in changes
    assert "int32 input ids fed as float32 (its Casts to float32 dropped: OpenCV DNN has no Cast)" in changes
    assert "float64->float32 x64" in changes and "int64->float32 counts" in changes
    assert "int32->float32 ids" in changes
    x = np.array([[1.0, 2.0], [-3.0, 0.5]])
    counts = np.array([[3, 7], [0, 12]], np.int64)
    ids = np.array([[4], [-9]], np.int32)
    names = [o["name"] for o in result["outputs"]]
    values = reload(deploy_python_path, result["paths"][0], {"x64": x, "counts": counts, "ids": ids}, names,
                    tmp_path)
    expected = restored(tf, meta, ["dense:0", "scaled:0", "ids_scaled:0"],
                        {"x64:0": x, "counts:0": counts, "ids:0": ids})
    for value, want in zip(values, expected):
        np.testing.assert_allclose(value, want, rtol=1e-6, atol=1e-6)


def test_a_constant_output_is_refused_for_opencv_with_the_way_out(tf, tmp_path, deploy_python_path):
    def build():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        scale = tf.Variable(np.array([2.0, -1.0], np.float32), name="scale")
        tf.multiply(x, scale, name="y")
        tf.add(scale, 1.0, name="bias")
    meta = _saved(tf, tmp_path, build)
    code, targets = deploy(meta, "y,bias", tmp_path / "out", deploy_python_path)
    result = targets["opencv"]
    assert code == 1 and result["status"] == "refused" and not result["paths"]
    assert result["reason"].startswith("OpenCV: output bias depends on no input (a constant)")
    assert result["reason"].endswith("leave it out of --outputs")


def test_the_shape_of_a_computed_tensor_folds_once_the_input_shape_is_fixed(tf, tmp_path, deploy_python_path):
    """reshape(h, [tf.shape(h)[0], -1]) after a convolution: OpenCV has no Shape of a computed tensor; with
    --shape the shape functions fix h's shape, the Shape folds, and OpenCV computes the checkpoint's outputs."""
    def build():
        x = tf.placeholder(tf.float32, [None, 4, 4, 1], name="x")
        kernel = tf.Variable(np.linspace(-1, 1, 18, dtype=np.float32).reshape(3, 3, 1, 2), name="kernel")
        h = tf.nn.relu(tf.nn.conv2d(x, kernel, [1, 1, 1, 1], "SAME"), name="h")
        flat = tf.reshape(h, tf.stack([tf.shape(h)[0], -1]), name="flat")
        dense = tf.Variable(np.linspace(-1, 1, 96, dtype=np.float32).reshape(32, 3), name="dense")
        tf.matmul(flat, dense, name="y")
    meta = _saved(tf, tmp_path, build)
    code, targets = deploy(meta, "y", tmp_path / "dynamic", deploy_python_path)
    assert code == 1 and targets["opencv"]["status"] == "refused"
    assert targets["opencv"]["reason"].startswith("OpenCV: float32 Shape (Shape)"), targets["opencv"]["reason"]
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", meta, "--outputs", "y", "--to", "opencv",
               "-o", str(tmp_path / "fixed"), "--json", "--deploy-python", deploy_python_path,
               "--shape", "x=3,4,4,1"]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    report = json.loads(done.stdout)
    result = report["targets"]["opencv"]
    assert done.returncode == 0 and result["status"] == "ok", result["reason"]
    assert [c["name"] for c in report["cleanups"] if c["kept"]][-1] == "fold static shapes"
    x = np.linspace(-1, 1, 48, dtype=np.float32).reshape(3, 4, 4, 1)
    value, = reload(deploy_python_path, result["paths"][0], {"x": x}, [result["outputs"][0]["name"]], tmp_path)
    np.testing.assert_allclose(value, restored(tf, meta, "y:0", {"x:0": x}), rtol=1e-4, atol=1e-5)


def test_expand_dims_of_an_input_is_refused_for_opencv_with_the_cut_after_it(tf, tmp_path, deploy_python_path):
    """OpenCV 4.14 imports ExpandDims of a network input and fails running it: refused up front, and the
    cut the reason names deploys."""
    def build():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.array([[1.0], [2.0], [-1.0]], np.float32), name="w")
        tf.matmul(tf.reshape(tf.expand_dims(x, 2, name="column"), [-1, 3]), w, name="y")
    meta = _saved(tf, tmp_path, build)
    code, targets = deploy(meta, "y", tmp_path / "out", deploy_python_path)
    result = targets["opencv"]
    assert code == 1 and result["status"] == "refused", result
    assert result["reason"].startswith("OpenCV: ExpandDims of the input x (column): ")
    assert result["reason"].endswith("cut after it (--inputs column:0)")
    command = [sys.executable, os.path.join(ROOT, "main.py"), "deploy", meta, "--outputs", "y", "--to", "opencv",
               "-o", str(tmp_path / "cut"), "--json", "--deploy-python", deploy_python_path, "--inputs", "column:0"]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    cut = json.loads(done.stdout)["targets"]["opencv"]
    assert done.returncode == 0 and cut["status"] == "ok", cut["reason"]


def test_argmax_of_a_softmax_is_refused_for_opencv(tf, tmp_path, deploy_python_path):
    """OpenCV 4.14's Arg layer after its Softmax layer returns garbage (the wild set's MNIST softmax
    regression failed on it); the Softmax itself deploys."""
    def build():
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        w = tf.Variable(np.random.RandomState(1).randn(6, 4).astype(np.float32), name="w")
        tf.argmax(tf.nn.softmax(tf.matmul(x, w), name="probs"), 1, name="infer")
    meta = _saved(tf, tmp_path, build)
    code, targets = deploy(meta, "infer", tmp_path / "out", deploy_python_path)
    result = targets["opencv"]
    assert code == 1 and result["status"] == "refused", result
    assert result["reason"] == ("OpenCV: ArgMax of a Softmax (infer): OpenCV's Arg layer after its Softmax layer "
                                "returns garbage (OpenCV 4.14, measured): fetch the Softmax and take its argmax "
                                "outside OpenCV")
    code, targets = deploy(meta, "probs", tmp_path / "probs", deploy_python_path)
    assert code == 0 and targets["opencv"]["status"] == "ok", targets["opencv"]["reason"]


def test_a_structure_refusal_also_names_the_ops_the_table_refuses(tf, tmp_path, deploy_python_path):
    def build():
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        w = tf.Variable(np.random.RandomState(1).randn(6, 4).astype(np.float32), name="w")
        logits = tf.matmul(x, w)
        tf.argmax(tf.nn.softmax(logits), 1, name="infer")
        tf.random_uniform(tf.shape(logits), seed=1)  # (not an output: pruned)
        tf.add(tf.reduce_sum(tf.exp(logits), 1, keepdims=True), tf.random_uniform([1, 1], seed=2), name="noisy")
    meta = _saved(tf, tmp_path, build)
    code, targets = deploy(meta, "infer,noisy", tmp_path / "out", deploy_python_path)
    reason = targets["opencv"]["reason"]
    assert code == 1 and targets["opencv"]["status"] == "refused"
    assert reason.startswith("OpenCV: ArgMax of a Softmax (infer): ") and "; also no RandomUniform (" in reason
    assert "\n" not in reason and reason.count("OpenCV: ") == 1
