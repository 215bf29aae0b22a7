"""The TensorFlow version floor: registry facts, fixtures' floors, freezing for a target release."""

import json
import os

import numpy as np
import pytest

from core.analysis.runtime_floor import graph_floor
from core.errors import ModelError
from core.formats import protos
from core.formats.model import open_model
from core.formats.op_registry import load_registry
from core.freeze.stage import plan_and_write
from tests.conftest import FIXTURE_NAMES, load_fixture
from tests.graph_fidelity import check_faithful, graph_nodes_raw
from tests.tf_runtime import assert_close, run_frozen

# Facts of TensorFlow's history (release notes and op registries), checked against the data.
FIRST_RELEASE = [
    ("op", "LeakyRelu", None, "1.13"),
    ("op", "IteratorV2", None, "1.10"),
    ("op", "DivNoNan", None, "1.11"),
    ("op", "StackPushV2", None, "1.3"),
    ("attr", "Conv2D", "dilations", "1.5"),
    ("attr", "TensorArrayV3", "identical_element_shapes", "1.5"),
    ("attr", "Cast", "Truncate", "1.11"),
]


def test_registry_covers_every_release():
    registry = load_registry()
    assert registry.labels() == ["1.%d" % i for i in range(16)] + ["2"]
    assert registry.release("1.4.0").label == "1.4"
    assert registry.release("v1.15.5").label == "1.15"
    assert registry.release("2.16.1").label == "2"
    assert registry.release("1.4").version == "1.4.0"
    with pytest.raises(ValueError, match="known: 1.0, 1.1"):
        registry.release("0.12")
    for name in ("Conv2D", "MatMul", "VariableV2", "Const", "Placeholder"):
        assert registry.history(name).present == [True] * len(registry.releases), name


@pytest.mark.parametrize("kind,op,attr,release", FIRST_RELEASE)
def test_registry_knows_when_ops_and_attrs_appeared(kind, op, attr, release):
    registry = load_registry()
    history = registry.history(op)
    index = registry.release(release).index
    if kind == "op":
        assert history.first() == index
    else:
        specs = history.attrs()[attr]
        assert specs[index] is not None and specs[index - 1] is None
        assert attr in history.varying()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_floor_is_at_most_1_4(name):
    fixture = load_fixture(name)
    with open_model(fixture.folder) as model:
        floor = graph_floor(model.graph_def, model.meta_graph)
    index = dict((r.label, r.index) for r in load_registry().releases)
    assert floor.floor is not None and index[floor.floor] <= index["1.4"], floor.summary()
    assert index[floor.strict_floor] <= index["1.4"], floor.summary()


def _graph(*nodes):
    graph_def = protos.GraphDef()
    for name, op, attrs in nodes:
        node = graph_def.node.add(name=name, op=op)
        for key, setter in attrs.items():
            setter(node.attr[key])
    return graph_def


def _ints(values):
    def setter(attr):
        del attr.list.i[:]  # a value, not appended to one set before (8 dilations: TF's shape function refuses them)
        attr.list.i.extend(values)
    return setter


def _bool(value):
    def setter(attr):
        attr.b = value
    return setter


@pytest.mark.parametrize("kind,op,attr,release", FIRST_RELEASE)
def test_floor_of_a_graph_using_a_newer_op_or_attr(kind, op, attr, release):
    attrs = {}
    if attr == "dilations":
        attrs = {attr: _ints([1, 2, 2, 1])}
    elif attr:
        attrs = {attr: _bool(True)}
    floor = graph_floor(_graph(("x", "Placeholder", {}), ("n", op, attrs)))
    assert floor.floor == release
    assert floor.requirements[0].needs(load_registry().releases) == release
    assert "needs %s" % release in floor.reasons()[0]


def test_default_valued_new_attr_is_droppable():
    floor = graph_floor(_graph(("c", "Conv2D", {"dilations": _ints([1, 1, 1, 1])})))
    assert floor.floor == "1.0" and floor.strict_floor == "1.5"
    assert floor.reasons() == ["Conv2D `dilations` needs 1.5; 1 node (c); at its default, so it can be dropped"]


# --- freezing graphs that carry the attrs a TF 1.5+ writer adds, for TF 1.4 -------------------------

NEW_ATTRS = {  # (op, attr): (default value setter, non-default value setter)
    ("Conv2D", "dilations"): (_ints([1, 1, 1, 1]), _ints([1, 2, 2, 1])),
    ("Cast", "Truncate"): (_bool(False), _bool(True)),
    ("TensorArrayV3", "identical_element_shapes"): (_bool(False), _bool(True)),
}


def _tensor_array_ops():
    from tensorflow.python.ops import gen_data_flow_ops as ops

    def get(name):
        return getattr(ops, name, None) or getattr(ops, "_" + name)
    return get("tensor_array_v3"), get("tensor_array_write_v3"), get("tensor_array_read_v3")


def _build_checkpoint(tf, folder, use_resource=False):
    """Conv2D -> Cast -> Cast -> TensorArrayV3 write/read, saved as a V2 checkpoint; returns (feeds, out).
    ``use_resource`` picks the variable kind explicitly (tf.Variable's depends on what ran before)."""
    array_v3, write_v3, read_v3 = _tensor_array_ops()
    rng = np.random.RandomState(0)
    feed = rng.uniform(-1, 1, (2, 5, 5, 2)).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 5, 2], name="x")
        w = tf.get_variable("w", initializer=tf.constant(rng.standard_normal((3, 3, 2, 3)).astype(np.float32)),
                            use_resource=use_resource)
        y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", name="conv")
        z = tf.cast(tf.cast(y * 10.0, tf.int32, name="to_int"), tf.float32, name="to_float")
        handle, flow = array_v3(size=1, dtype=tf.float32, name="ta")
        flow = write_v3(handle, 0, z, flow, name="ta_write")
        out = tf.identity(read_v3(handle, 0, flow, dtype=tf.float32, name="ta_read"), name="out")
        saver = tf.train.Saver()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            expected = session.run(out, {x: feed})
            saver.save(session, os.path.join(folder, "model.ckpt"))
    return {"x": feed}, expected


def _set_attrs(meta_path, which):
    """Rewrites the .meta so each NodeDef of NEW_ATTRS's ops carries the attr (which: 0 default, 1 not)."""
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    for node in meta.graph_def.node:
        for (op, attr), values in NEW_ATTRS.items():
            if node.op == op:
                node.attr[attr].Clear()
                values[which](node.attr[attr])
    with open(meta_path, "wb") as handle:
        handle.write(meta.SerializeToString())


@pytest.fixture(params=[False, True], ids=["ref_variable", "resource_variable"])
def new_attr_checkpoint(tf, tmp_path, request):
    """The checkpoint, with a ref variable and with a resource variable (TF 2.x's saver then restores it
    with an AssignVariableOp carrying `validate_shape`, which TF 1.4 lacks: still frozen for 1.4)."""
    feeds, expected = _build_checkpoint(tf, str(tmp_path), use_resource=request.param)
    return str(tmp_path), feeds, expected


def test_default_new_attrs_are_dropped_and_the_graph_runs(new_attr_checkpoint, tmp_path):
    folder, feeds, expected = new_attr_checkpoint
    _set_attrs(os.path.join(folder, "model.ckpt.meta"), 0)
    destination = str(tmp_path / "frozen.pb")
    with open_model(folder) as model:
        report = plan_and_write(model, ["out"], destination, target_tf="1.4")
        with open(destination, "rb") as handle:
            data = handle.read()
        registry = load_registry()
        # other attrs a TF 2.x writer adds (Conv2D explicit_paddings, ...) at the registry's default
        defaults = dict((key, registry.history(key[0]).newest_default(key[1])) for key in report.runtime.dropped)
        for key, values in NEW_ATTRS.items():
            defaults[key] = protos.AttrValue()
            values[0](defaults[key])
        assert check_faithful(data, model.graph, dropped_defaults=defaults) == []
    for key in NEW_ATTRS:
        assert report.runtime.dropped.get(key, 0) >= 1, key
    for raw in graph_nodes_raw(data):
        node = protos.NodeDef.FromString(raw)
        for (op, attr) in NEW_ATTRS:
            assert not (node.op == op and attr in node.attr), (node.name, attr)
    assert report.runtime.floor.floor is not None
    index = dict((r.label, r.index) for r in load_registry().releases)
    assert index[report.runtime.floor.strict_floor] <= index["1.4"]
    values = run_frozen(data, feeds, ["out"])  # on the legacy stack this is TF 1.4.0 loading it
    assert_close(values["out"], expected)


@pytest.mark.parametrize("op,attr,needs", [("Conv2D", "dilations", "1.5"), ("Cast", "Truncate", "1.11"),
                                           ("TensorArrayV3", "identical_element_shapes", "1.5")])
def test_non_default_new_attr_is_refused_with_the_version(new_attr_checkpoint, tmp_path, op, attr, needs):
    folder, _, _ = new_attr_checkpoint
    meta_path = os.path.join(folder, "model.ckpt.meta")
    _set_attrs(meta_path, 0)
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    for node in meta.graph_def.node:
        if node.op == op:
            NEW_ATTRS[(op, attr)][1](node.attr[attr])
    with open(meta_path, "wb") as handle:
        handle.write(meta.SerializeToString())
    destination = tmp_path / "frozen.pb"
    with open_model(folder) as model:
        with pytest.raises(ModelError) as info:
            plan_and_write(model, ["out"], str(destination), target_tf="1.4")
        message = str(info.value)
        assert "cannot freeze for TensorFlow 1.4" in message and "--target-tf %s" % needs in message
        assert "%s `%s` needs %s" % (op, attr, needs) in message and "\n" not in message
        assert not destination.exists()
        report = plan_and_write(model, ["out"], str(destination), target_tf=needs)
    assert report.runtime.floor.floor == needs and not report.runtime.dropped.get((op, attr))


def test_op_the_target_lacks_is_refused(tf, tmp_path):
    rng = np.random.RandomState(1)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(rng.standard_normal((3, 2)).astype(np.float32), name="w")
        tf.nn.relu(tf.matmul(x, w), name="act")
        saver = tf.train.Saver()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, str(tmp_path / "model.ckpt"))
    _make_act_leaky_relu(str(tmp_path / "model.ckpt.meta"))
    with open_model(str(tmp_path)) as model:
        assert graph_floor(model.graph_def, model.meta_graph, names={"x", "act"}).floor == "1.13"
        with pytest.raises(ModelError, match=r"needs TensorFlow 1\.13 \(op LeakyRelu needs 1\.13; 1 node \(act\)"):
            plan_and_write(model, ["act"], str(tmp_path / "frozen.pb"), target_tf="1.4")
        with pytest.raises(ModelError, match="unknown TensorFlow version '1.99'"):
            plan_and_write(model, ["act"], str(tmp_path / "frozen.pb"), target_tf="1.99")


def test_cli_freeze_target_and_inspect_runtime(new_attr_checkpoint, tmp_path):
    from tests.test_cli import run_main
    folder, _, _ = new_attr_checkpoint
    meta_path = os.path.join(folder, "model.ckpt.meta")
    _set_attrs(meta_path, 1)  # every new attr at a non-default value
    destination = tmp_path / "frozen.pb"
    code, out, err = run_main("freeze", folder, "--outputs", "out", "-o", destination)
    assert code == 1 and not destination.exists()
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "needs TensorFlow 1.11" in err and "--target-tf 1.11" in err and "Cast `Truncate` needs 1.11" in err
    code, out, err = run_main("freeze", folder, "--outputs", "out", "-o", destination, "--target-tf", "1.11")
    assert code == 0, err
    assert "runs on: TensorFlow >= 1.11" in out
    code, out, err = run_main("inspect", folder, "--json", "--outputs", "out")
    assert code == 0, err
    runtime = json.loads(out)["runtime"]
    assert runtime["frozen"]["floor"] == "1.11"  # strict: 1.14 for the explicit_paddings TF 2.x writes
    needs = dict(((r["op"], r["attr"]), r["needs"]) for r in runtime["frozen"]["reasons"] if r["kind"] == "attr")
    assert needs[("Conv2D", "dilations")] == "1.5" and needs[("Cast", "Truncate")] == "1.11"
    assert needs[("TensorArrayV3", "identical_element_shapes")] == "1.5"
    code, out, err = run_main("inspect", folder)
    assert code == 0 and "Runs on: TensorFlow >= " in out and "Frozen result" not in out


def test_verify_names_its_tensorflow_and_gives_the_floor_it_cannot_load(tf, tmp_path):
    from core.verify.runner import verify
    from tests.tf_runtime import tensorflow as _tensorflow
    tensorflow = _tensorflow()
    rng = np.random.RandomState(2)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(rng.standard_normal((3, 2)).astype(np.float32), name="w")
        tf.maximum(tf.matmul(x, w) * 0.2, tf.matmul(x, w), name="act")
        saver = tf.train.Saver()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, str(tmp_path / "model.ckpt"))
    _make_act_leaky_relu(str(tmp_path / "model.ckpt.meta"), input_name="MatMul")
    destination = str(tmp_path / "frozen.pb")
    with open_model(str(tmp_path)) as model:
        plan_and_write(model, ["act"], destination, target_tf="1.13")
        if tensorflow.__version__.startswith("1.4"):
            with pytest.raises(ModelError, match=r"TensorFlow 1\.4\.0 here cannot load the frozen graph: it needs "
                                                 r"TensorFlow >= 1\.13 \(op LeakyRelu needs 1\.13"):
                verify(model, destination, ["act"])
        else:
            report = verify(model, destination, ["act"])
            assert report.passed and report.tensorflow_version == tensorflow.__version__


def _make_act_leaky_relu(meta_path, input_name=None):
    """Turns node `act` of a saved meta graph into the LeakyRelu a TF 1.13+ writer makes, listing the op
    in the meta graph's own op list as such a writer does."""
    meta = protos.MetaGraphDef()
    with open(meta_path, "rb") as handle:
        meta.ParseFromString(handle.read())
    for node in meta.graph_def.node:
        if node.name == "act":
            node.op = "LeakyRelu"
            if input_name is not None:
                node.ClearField("input")
                node.input.append(input_name)
            node.attr["alpha"].f = 0.2
    op = meta.meta_info_def.stripped_op_list.op.add()
    op.name = "LeakyRelu"
    op.input_arg.add(name="features", type_attr="T")
    op.output_arg.add(name="activations", type_attr="T")
    op.attr.add(name="alpha", type="float").default_value.f = 0.2
    op.attr.add(name="T", type="type").default_value.type = 1
    with open(meta_path, "wb") as handle:
        handle.write(meta.SerializeToString())


def test_floor_of_a_plan_with_an_input_cut_reads_the_placeholder():
    """A cut's Placeholder takes the cut node's name: its floor is a Placeholder's, not the Relu's it replaced."""
    from core import api
    fixture = load_fixture("mlp")
    with api.open_model(fixture.folder) as loaded:
        plan = api.plan(loaded, api.FreezeRequest(fixture.outputs, input_cuts=["dense/Relu:0"]))
        floor = api.plan_floor(plan)
    assert floor.floor == "1.0", floor.summary()
