"""Deploy's clean-ups on real graphs: each one run in TensorFlow before and after, on verify's inputs."""

import os

import numpy as np
import pytest

from core import api
from core.deploy import support
from core.deploy.batchnorm_folding import fold_batch_norms
from core.deploy.cleanup import cleanup_stages
from core.deploy.constant_folding import fold_constants
from core.deploy.shapes import data_layout, fix_shapes, parse_shape
from core.deploy.strip import strip_graph
from core.errors import ModelError
from core.formats import protos
from core.formats.graph_io import load_graph_def
from core.verify.feeds import build_feeds
from tests.conftest import FIXTURE_NAMES, load_fixture
from tests.tf_runtime import assert_close, run_frozen


def _frozen(tmp_path, fixture):
    path = str(tmp_path / (fixture.name + ".pb"))
    with api.open_model(fixture.folder) as model:
        api.freeze(model, api.FreezeRequest(fixture.outputs, destination=path, inference=True))
    return load_graph_def(path).graph_def


def _same_numbers(before, after, outputs, rtol=1e-5, atol=1e-5):
    feeds, _ = build_feeds(before, outputs)
    expected = run_frozen(before.SerializeToString(), feeds, outputs)
    actual = run_frozen(after.SerializeToString(), feeds, outputs)
    for name in outputs:
        assert_close(actual[name], expected[name], rtol=rtol, atol=atol)
    return expected


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_cleanup_of_every_fixture_keeps_tensorflows_outputs(tmp_path, name):
    fixture = load_fixture(name)
    frozen = _frozen(tmp_path, fixture)
    previous = frozen
    for stage in cleanup_stages(frozen, fixture.outputs):
        _same_numbers(previous, stage.graph_def, fixture.outputs)
        assert len(stage.graph_def.node) <= len(previous.node), stage.name
        previous = stage.graph_def
    kept = set(n.name for n in previous.node)
    assert all(o in kept for o in fixture.outputs)
    left = [n.name for n in previous.node if n.op == "Identity" and n.name not in fixture.outputs]
    # Identities that carry a while loop's frame stay (lstm); every other one is stripped.
    assert all("while" in n for n in left), left


def test_fused_batch_norm_is_folded_into_the_convolution(tmp_path):
    fixture = load_fixture("cnn_bn")
    frozen = _frozen(tmp_path, fixture)
    stripped, _ = strip_graph(frozen, fixture.outputs)
    folded, notes = fold_batch_norms(stripped, fixture.outputs)
    assert [n.op for n in stripped.node].count("FusedBatchNorm") == 1
    assert not [n for n in folded.node if n.op.startswith("FusedBatchNorm")]
    assert notes and "Conv2D" in notes[0]
    expected = _same_numbers(frozen, folded, fixture.outputs)
    feeds = dict((k, v) for k, v in fixture.feeds.items())
    actual = run_frozen(folded.SerializeToString(), feeds, fixture.outputs)
    assert_close(actual["probs"], fixture.expected["probs"], rtol=1e-4, atol=1e-6)  # TF 1.4's own numbers
    assert expected


def _guarded_graph(tf):
    """x -> conv -> tf.nn.batch_normalization (constants) -> Assert guard, CheckNumerics, Print,
    StopGradient -> dense MatMul -> decomposed batch norm -> y (built by the TensorFlow installed)."""
    rng = np.random.RandomState(3)
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
        conv = tf.nn.conv2d(x, tf.constant(rng.randn(3, 3, 3, 4).astype(np.float32)), [1, 1, 1, 1], "SAME")
        normed = tf.nn.batch_normalization(
            conv, tf.constant(rng.rand(4).astype(np.float32)), tf.constant(rng.rand(4).astype(np.float32) + 0.5),
            tf.constant(rng.randn(4).astype(np.float32)), tf.constant(rng.rand(4).astype(np.float32)), 1e-3)
        check = tf.Assert(tf.reduce_all(tf.is_finite(normed)), [normed], name="finite")
        with tf.control_dependencies([check]):
            guarded = tf.identity(normed)
        guarded = tf.stop_gradient(tf.Print(tf.check_numerics(guarded, "bad"), [guarded], "v"))
        flat = tf.reshape(guarded, [-1, 8 * 8 * 4])
        dense = tf.matmul(flat, tf.constant(rng.randn(256, 5).astype(np.float32)))
        tf.identity(tf.nn.batch_normalization(
            dense, tf.constant(rng.rand(5).astype(np.float32)), tf.constant(rng.rand(5).astype(np.float32) + 0.5),
            tf.constant(rng.randn(5).astype(np.float32)), tf.constant(rng.rand(5).astype(np.float32)), 1e-3),
            name="y")
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    return graph_def


def test_assert_guards_checks_and_decomposed_batch_norms_go_away(tf):
    # TF 1.x control flow (Switch/Merge), as TF 1.x wrote the guards; TF 2's default would write an If op.
    v2 = hasattr(tf, "disable_control_flow_v2") and tf.control_flow_v2_enabled()
    if v2:
        tf.disable_control_flow_v2()
    try:
        graph_def = _guarded_graph(tf)
    finally:
        if v2:
            tf.enable_control_flow_v2()
    ops = set(n.op for n in graph_def.node)
    assert {"Assert", "CheckNumerics", "Print", "StopGradient", "Rsqrt"} <= ops
    stages = cleanup_stages(graph_def, ["y"])
    final = stages[-1].graph_def
    left = set(n.op for n in final.node)
    assert not left & {"Assert", "CheckNumerics", "Print", "StopGradient", "Rsqrt", "Switch", "Merge", "All"}
    assert sorted(n.op for n in final.node if n.op in ("Conv2D", "MatMul", "BiasAdd")) == \
        ["BiasAdd", "BiasAdd", "Conv2D", "MatMul"]
    _same_numbers(graph_def, final, ["y"], rtol=1e-4, atol=1e-5)
    assert [s.name for s in stages] == ["strip", "fold constants", "fold batch norm"]


def test_constant_subgraphs_fold_to_their_values(tf):
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        shape = tf.constant([2, 3], dtype=tf.int32)
        size = tf.reduce_prod(shape)
        scale = tf.cast(tf.range(size), tf.float32) * tf.constant(0.5) + tf.sqrt(tf.constant(4.0))
        tf.identity(x * tf.reshape(tf.reshape(scale, shape), [6]), name="y")
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    folded, count = fold_constants(graph_def, ["y"])
    assert count >= 5
    assert sorted(n.op for n in folded.node) == ["Const", "Identity", "Mul", "Placeholder"]
    _same_numbers(graph_def, folded, ["y"], rtol=0, atol=0)  # exact numpy ops only: bit-identical


def test_fixed_shapes_and_their_errors(tmp_path):
    fixture = load_fixture("cnn_bn")
    frozen = _frozen(tmp_path, fixture)
    assert parse_shape("images=1,28,28,1") == ("images", [1, 28, 28, 1])
    assert parse_shape("images:0=?,28,28,1") == ("images", [-1, 28, 28, 1])
    fix_shapes(frozen, {"images": [1, 28, 28, 1]})
    node = [n for n in frozen.node if n.name == "images"][0]
    assert [d.size for d in node.attr["shape"].shape.dim] == [1, 28, 28, 1]
    feeds, _ = build_feeds(frozen, fixture.outputs)
    assert feeds["images"].shape == (1, 28, 28, 1)
    assert run_frozen(frozen.SerializeToString(), feeds, fixture.outputs)["probs"].shape[0] == 1
    with pytest.raises(ModelError, match="contradicts"):
        fix_shapes(frozen, {"images": [1, 32, 32, 1]})
    with pytest.raises(ModelError, match="not an input"):
        fix_shapes(frozen, {"probs": [1]})
    for bad in ("images", "images=a,b", "=1,2", "images=0,2"):
        with pytest.raises(ModelError, match="--shape needs NAME=DIMS"):
            parse_shape(bad)
    assert data_layout(frozen) == "NHWC"


def test_nchw_graphs_are_named_as_such(tf):
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 3, 8, 8], name="x")
        tf.nn.bias_add(x, tf.constant(np.ones(3, np.float32)), data_format="NCHW", name="y")
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    assert data_layout(graph_def) == "NCHW"


def test_readiness_names_the_op_its_loop_and_the_way_out(tmp_path):
    fixture = load_fixture("lstm")
    frozen = _frozen(tmp_path, fixture)
    final = cleanup_stages(frozen, fixture.outputs)[-1].graph_def
    problems = dict((p.op, p) for p in support.check(final, "tflite"))
    # dynamic_rnn makes its TensorArrays before the while loop and reads them inside it (TF names the
    # loop body's nodes under the loop's frame, "<scope>/while/").
    array = [n.name for n in final.node if n.op == "TensorArrayV3"]
    read = [n.name for n in final.node if n.op == "TensorArrayReadV3"]
    assert problems["TensorArrayV3"].nodes == array and "/while/" not in array[0]
    assert problems["TensorArrayReadV3"].nodes == read and "/while/" in read[0]
    # the converter takes these at the dtypes the LSTM uses (int32 slices of its shape, float32 gates)
    assert not set(problems) & {"StridedSlice", "ConcatV2", "Split"}
    line = support.reason_line("tflite", list(problems.values()), final)
    assert line.startswith("TFLite: ") and "no TensorArrayV3 (%s/)" % array[0].rsplit("/", 1)[0] in line
    read_problem = support.Problem("TensorArrayReadV3", None, read)
    loop_scope = read[0].rsplit("/", 1)[0]
    assert "(a while loop in %s/)" % loop_scope in support.reason_line("tflite", [read_problem], final)
    assert line.endswith("cut before it, or allow SELECT_TF_OPS")
    assert "\n" not in line
    dtypes = load_fixture("dtypes")
    final = cleanup_stages(_frozen(tmp_path, dtypes), dtypes.outputs)[-1].graph_def
    assert ("MatMul", "float64") in [(p.op, p.dtype) for p in support.check(final, "tflite")]
    assert support.check(load_graph_def(fixture_pb(tmp_path, "mlp")).graph_def, "onnx") == []


def fixture_pb(tmp_path, name):
    fixture = load_fixture(name)
    path = str(tmp_path / (name + "_ready.pb"))
    with api.open_model(fixture.folder) as model:
        api.freeze(model, api.FreezeRequest(fixture.outputs, destination=path, inference=True))
    return path


def test_float64_narrowed_to_float32_computes_the_same_in_tensorflow(tmp_path):
    from core.deploy.narrowing import float64_nodes, narrow_float64
    fixture = load_fixture("dtypes")
    final = cleanup_stages(_frozen(tmp_path, fixture), fixture.outputs)[-1].graph_def
    wide = float64_nodes(final)
    assert wide and "y64" in wide
    narrowed, changed = narrow_float64(final)
    assert sorted(changed) == sorted(wide) and float64_nodes(narrowed) == []
    assert [p for p in support.check(narrowed, "tflite") if p.dtype == "float64"] == []
    feeds, _ = build_feeds(final, fixture.outputs)
    expected = run_frozen(final.SerializeToString(), feeds, fixture.outputs)
    narrow_feeds = dict((k, v.astype(np.float32) if v.dtype == np.float64 else v) for k, v in feeds.items())
    actual = run_frozen(narrowed.SerializeToString(), narrow_feeds, fixture.outputs)
    assert actual["y64"].dtype == np.float32 and expected["y64"].dtype == np.float64
    for name in fixture.outputs:
        assert_close(actual[name].astype(expected[name].dtype), expected[name], rtol=1e-5, atol=1e-5)


def _dropout_graph(tf, keep):
    """x -> TF 1.x's tf.nn.dropout formula (x / keep_prob * Floor(keep_prob + random_uniform)) -> y, with
    keep_prob a Const ``keep`` as `--set keep_prob=...` leaves it (TF 2's dropout writes another form)."""
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 5], name="x")
        hidden = tf.nn.relu(tf.matmul(x, tf.constant(np.arange(15, dtype=np.float32).reshape(5, 3) / 7)))
        keep_prob = tf.constant(keep, name="keep_prob")
        noise = tf.random_uniform(tf.shape(hidden), dtype=tf.float32)
        dropped = tf.div(hidden, keep_prob) * tf.floor(keep_prob + noise)
        tf.identity(dropped * 2.0, name="y")
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    return graph_def


def test_dropout_at_keep_probability_one_leaves_the_graph(tf):
    graph_def = _dropout_graph(tf, 1.0)
    stages = cleanup_stages(graph_def, ["y"])
    assert "fold dropout" in [s.name for s in stages]
    final = stages[-1].graph_def
    left = set(n.op for n in final.node)
    assert not left & {"RandomUniform", "Floor", "RealDiv", "Shape"}, left
    feeds, _ = build_feeds(graph_def, ["y"])
    expected = run_frozen(graph_def.SerializeToString(), feeds, ["y"])["y"]
    assert np.array_equal(run_frozen(final.SerializeToString(), feeds, ["y"])["y"], expected)
    hidden = np.maximum(feeds["x"].dot(np.arange(15, dtype=np.float32).reshape(5, 3) / 7), 0)
    assert_close(expected, hidden * 2.0, rtol=1e-6, atol=1e-6)  # TF itself: dropout at 1 is the identity


def test_dropout_that_drops_is_kept(tf):
    graph_def = _dropout_graph(tf, 0.5)
    stages = cleanup_stages(graph_def, ["y"])
    assert "fold dropout" not in [s.name for s in stages]
    final = stages[-1].graph_def if stages else graph_def
    assert {"RandomUniform", "Floor"} <= set(n.op for n in final.node)


def test_an_old_graphs_any_shape_placeholder_gets_its_recorded_shape(tf):
    from core.deploy.cleanup import shaped
    with tf.Graph().as_default() as graph:
        tf.identity(tf.placeholder(tf.float32, [None, 3], name="x") * 2.0, name="y")
        tf.placeholder(tf.float32, [], name="scalar")
    graph_def = protos.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def(add_shapes=True).SerializeToString())
    x = [n for n in graph_def.node if n.name == "x"][0]
    x.attr["shape"].shape.Clear()  # how producer-15 graphs wrote an unshaped placeholder: "shape {}"
    graph_def.versions.producer = 15
    old = shaped(graph_def, {})
    shapes = dict((n.name, n.attr["shape"].shape) for n in old.node if n.op == "Placeholder")
    assert [d.size for d in shapes["x"].dim] == [-1, 3]
    assert not shapes["scalar"].dim and not shapes["scalar"].unknown_rank  # its _output_shapes say scalar
    value = np.ones((2, 3), np.float32)
    assert_close(run_frozen(old.SerializeToString(), {"x": value}, ["y"])["y"], value * 2, rtol=0, atol=0)
    graph_def.versions.producer = 24  # since producer 22 an empty shape is a scalar: left as it is
    new = shaped(graph_def, {})
    assert not [n for n in new.node if n.name == "x"][0].attr["shape"].shape.dim


def test_a_shape_failure_names_the_shape_to_fix():
    from core.deploy.targets import with_way_out
    message = ("converting failed: ValueError: Dimension size must be evenly divisible by 1024 but is 1 for "
               "'{{node Reshape}} = Reshape[T=DT_FLOAT, Tshape=DT_INT32]' with input shapes: [], [4]")
    line = with_way_out(message, [{"name": "images", "shape": [-1, 32, 32]}])
    assert line.startswith(message[:60]) and "--shape images=1,32,32" in line
    assert with_way_out("converting failed: no kernel", [{"name": "x", "shape": [-1]}]) == \
        "converting failed: no kernel"


def _tf_data_checkpoint(tf, folder):
    """An Estimator-like graph fed by tf.data: two features and a label from one IteratorGetNext, a dense
    layer over the features; saved as a checkpoint with its .meta (built by the TensorFlow installed)."""
    with tf.Graph().as_default():
        data = {"a": np.arange(8, dtype=np.float32).reshape(4, 2), "b": np.ones((4, 2), np.float32),
                "label": np.arange(4, dtype=np.int64)}
        dataset = tf.data.Dataset.from_tensor_slices(data).batch(2)
        make = getattr(tf.data, "make_one_shot_iterator", None)
        batch = make(dataset).get_next() if make else dataset.make_one_shot_iterator().get_next()
        weights = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2), name="w")
        tf.identity(tf.matmul(tf.concat([batch["a"], batch["b"]], 1), weights), name="y")
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            tf.train.Saver().save(session, os.path.join(str(folder), "model.ckpt"))
    return os.path.join(str(folder), "model.ckpt.meta")


def test_a_cut_at_one_iterator_port_still_cuts_the_others_the_outputs_read(tf, tmp_path):
    from core.deploy.cuts import deploy_cuts
    from core.deploy.request import DeployRequest
    from core.deploy.run import frozen_for_deploy
    meta = _tf_data_checkpoint(tf, tmp_path)
    with api.open_model(meta) as loaded:
        model = loaded.model
        ports = sorted(n.name + ":%d" % p for n in model.graph_def.node if n.op == "IteratorGetNext"
                       for p in range(len(n.attr["output_types"].list.type)))
        assert len(ports) == 3
        for user in ([], ports[1:2]):  # nothing given, or a user's cut at one port ("IteratorGetNext:1")
            cuts = deploy_cuts(model.graph_def, model.meta_graph, ["y"], user)
            frozen, applied, _ = frozen_for_deploy(model, DeployRequest(["y"], input_cuts=user))
            ops = set(n.op for n in frozen.node)
            assert not [op for op in ops if op.startswith(("Iterator", "OneShotIterator", "MakeIterator"))], ops
            # the features the dense layer reads are cut, each once; the label nobody reads is not
            assert sorted(applied) == sorted(cuts) and len(set(applied)) == len(applied)
            assert sum(1 for n in frozen.node if n.op == "Placeholder") == 2
    names = sorted(n.name for n in frozen.node if n.op == "Placeholder")
    assert names == ["IteratorGetNext", "IteratorGetNext_port1"]  # the features a and b (ports 0 and 1)
    feeds = dict((name, np.ones((2, 2), np.float32)) for name in names)
    actual = run_frozen(frozen.SerializeToString(), feeds, ["y"])["y"]
    assert_close(actual, np.ones((2, 4), np.float32).dot(np.arange(8, dtype=np.float32).reshape(4, 2)))


def test_a_child_that_crashes_is_named_by_its_signal_and_step(tmp_path):
    import subprocess
    import sys
    from core.deploy.children import died_line
    crash = subprocess.run([sys.executable, "-c", "import os, signal, sys; sys.stderr.write("
                            "'INFO: Created a delegate\\nconverting node Merge\\n'); sys.stderr.flush(); "
                            "os.kill(os.getpid(), signal.SIGSEGV)"], stderr=subprocess.PIPE, universal_newlines=True)
    job = {"task": "target", "target": "tflite", "result": str(tmp_path / "result.json")}
    with open(job["result"] + ".step", "w") as handle:
        handle.write("running the artifact (the TFLite interpreter)")
    assert died_line(job, crash.returncode, crash.stderr) == \
        "the tflite child crashed (SIGSEGV) while running the artifact (the TFLite interpreter): converting node Merge"
    assert died_line({"task": "reference", "result": str(tmp_path / "none.json")}, 3, "") == \
        "the reference child exited with 3: no message"


def _flat_image_graph(tf):
    """x [batch, 16] reshaped into a one-channel 4x4 image, a convolution, flattened into a dense layer."""
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 16], name="x")
        image = tf.reshape(x, [-1, 4, 4, 1], name="image")
        kernel = tf.constant(np.linspace(-1, 1, 18, dtype=np.float32).reshape(3, 3, 1, 2))
        conv = tf.nn.relu(tf.nn.conv2d(image, kernel, [1, 1, 1, 1], "SAME"))
        dense = tf.constant(np.linspace(-1, 1, 96, dtype=np.float32).reshape(32, 3))
        tf.matmul(tf.reshape(conv, [-1, 32]), dense, name="y")
    return protos.GraphDef.FromString(graph.as_graph_def().SerializeToString())


def test_opencv_takes_the_image_a_flat_input_is_reshaped_into(tf):
    from core.deploy.image_inputs import with_image_inputs
    graph_def = _flat_image_graph(tf)
    inputs = [{"name": "x", "dtype": "float32", "shape": [-1, 16]}]
    x = np.linspace(0, 1, 32, dtype=np.float32).reshape(2, 16)
    edited, new_inputs, feeds, notes = with_image_inputs(graph_def, inputs, [("x", x)])
    assert new_inputs == [{"name": "image", "dtype": "float32", "shape": [-1, 4, 4, 1]}] and len(notes) == 1
    assert [name for name, _ in feeds] == ["image"] and feeds[0][1].shape == (2, 4, 4, 1)
    assert "x" not in set(n.name for n in edited.node)
    assert [n.op for n in edited.node if n.name == "image"] == ["Placeholder"]
    expected = run_frozen(graph_def.SerializeToString(), {"x": x}, ["y"])["y"]
    assert_close(run_frozen(edited.SerializeToString(), dict(feeds), ["y"])["y"], expected)
    # a three-channel reshape, or an input read elsewhere too, is left as it is
    assert with_image_inputs(edited, new_inputs, feeds)[3] == []


def _tile_graph(tf, computed):
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        multiples = tf.stack([tf.shape(x)[0], 2]) if computed else tf.constant([1, 2])
        tf.tile(x, multiples, name="tiled")
    return protos.GraphDef.FromString(graph.as_graph_def().SerializeToString())


def test_opencv_refuses_a_tile_and_a_fixed_shape_folds_its_multiples(tf):
    graph_def = _tile_graph(tf, computed=True)
    for graph in (graph_def, _tile_graph(tf, computed=False)):
        line = support.structure_reason(graph, ["tiled"], "opencv")
        assert line.startswith("OpenCV: Tile (tiled): OpenCV's TensorFlow importer") and line.endswith("cut before it")
        assert support.structure_reason(graph, ["tiled"], "onnx") == ""
    # with the input's shape fixed, the Shape of it is a constant and the multiples fold
    folded = fold_constants(fix_shapes_copy(graph_def, {"x": [2, 3]}), ["tiled"])[0]
    nodes = dict((n.name, n) for n in folded.node)
    multiples = nodes[nodes["tiled"].input[1]]
    assert multiples.op == "Const" and "Shape" not in set(n.op for n in folded.node)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_close(run_frozen(folded.SerializeToString(), {"x": x}, ["tiled"])["tiled"], np.tile(x, [2, 2]))


def fix_shapes_copy(graph_def, shapes):
    copy = protos.GraphDef()
    copy.CopyFrom(graph_def)
    fix_shapes(copy, shapes)
    return copy
